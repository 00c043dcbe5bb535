"""Every rule of the v1 report (SPEC §3), through the same parser that both intake doors use."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest

from tests.helpers import make_report
from waspada_intake.domain.validation import Parsed, parse_bytes, parse_obj, prepare
from waspada_shared.contracts.report import AcceptedReport, ReportIn

NOW = datetime(2024, 11, 27, 3, 0, tzinfo=UTC)


def report(**overrides: Any) -> dict[str, Any]:
    base = make_report(occurred_at="2024-11-27T09:30:00+07:00")
    base.update(overrides)
    return base


def parse(obj: Any, *, indonesian: bool = False) -> Parsed:
    return parse_obj(copy.deepcopy(obj), NOW, indonesian=indonesian)


def errors_of(obj: Any, *, indonesian: bool = False) -> dict[str, str]:
    parsed = parse(obj, indonesian=indonesian)
    assert parsed.report is None, "expected a rejection"
    return {e.field: e.code for e in parsed.errors}


def test_the_example_report_is_valid() -> None:
    parsed = parse(report())
    assert parsed.report is not None and parsed.errors == [] and parsed.notes == []


def test_demo_feed_and_calibration_examples_are_valid() -> None:
    from tests.helpers import load_jsonl

    now = datetime(2025, 1, 1, tzinfo=UTC)
    examples = load_jsonl("demo-feed.jsonl") + [c["report"] for c in load_jsonl("calibration.jsonl")]
    for example in examples:
        parsed = parse_obj(example, now)
        assert parsed.ok, (example["report_id"], parsed.errors)


# --- report_id -------------------------------------------------------------------------------------


@pytest.mark.parametrize("rid", ["a", "A-z_0.9:x", "x" * 64])
def test_report_id_accepts_its_alphabet(rid: str) -> None:
    assert parse(report(report_id=rid)).ok


@pytest.mark.parametrize(
    ("rid", "code"),
    [
        ("", "string_too_short"),
        ("x" * 65, "string_too_long"),
        ("a b", "string_pattern_mismatch"),
        ("a/b", "string_pattern_mismatch"),
        ("é", "string_pattern_mismatch"),
        (12, "string_type"),
    ],
)
def test_report_id_rules(rid: Any, code: str) -> None:
    assert errors_of(report(report_id=rid)) == {"report_id": code}


def test_missing_required_fields_are_all_named() -> None:
    obj = report()
    for name in ("report_id", "region", "occurred_at", "kind", "category", "source", "summary"):
        del obj[name]
    assert errors_of(obj) == {
        "report_id": "missing",
        "region": "missing",
        "occurred_at": "missing",
        "kind": "missing",
        "category": "missing",
        "source": "missing",
        "summary": "missing",
    }


def test_unknown_fields_are_rejected_by_path() -> None:
    obj = report(colour="red")
    obj["impact"] = {"deaths": 1, "injuries": 2}
    assert errors_of(obj) == {"colour": "extra_forbidden", "impact.injuries": "extra_forbidden"}


@pytest.mark.parametrize("body", [b"[]", b'"report"', b"42", b"null"])
def test_a_report_must_be_an_object(body: bytes) -> None:
    parsed = parse_bytes(body, NOW)
    assert not parsed.ok and [(e.field, e.code) for e in parsed.errors] == [("body", "model_type")]


@pytest.mark.parametrize("body", [b"", b"{", b"{'a': 1}", b'{"a": NaN}', b"\xff\xfe"])
def test_bytes_that_are_not_json(body: bytes) -> None:
    parsed = parse_bytes(body, NOW)
    assert not parsed.ok and parsed.errors[0].field == "body" and parsed.errors[0].code == "json_invalid"


def test_too_large_input_is_refused_before_decoding() -> None:
    parsed = parse_bytes(b"{" + b" " * 100 + b"}", NOW, max_bytes=50)
    assert [(e.field, e.code) for e in parsed.errors] == [("body", "too_large")]


# --- region ----------------------------------------------------------------------------------------


def test_regency_must_be_in_the_province() -> None:
    obj = report(region={"province": "19", "regency": "63.71"})
    assert errors_of(obj) == {"region.regency": "region_mismatch"}
    message = parse(obj).errors[0].message
    assert "63.71" in message and "Kota Banjarmasin" in message and "19" in message


def test_district_must_be_in_the_regency() -> None:
    assert parse(report(region={"province": "19", "regency": "19.06", "district": "19.06.01"})).ok
    obj = report(region={"province": "19", "regency": "19.06", "district": "19.01.01"})
    assert errors_of(obj) == {"region.district": "region_mismatch"}


@pytest.mark.parametrize(
    ("region", "expected"),
    [
        ({"province": "99", "regency": "19.06"}, {"region.province": "unknown_region"}),
        ({"province": "19", "regency": "19.99"}, {"region.regency": "unknown_region"}),
        (
            {"province": "19", "regency": "19.06", "district": "19.06.99"},
            {"region.district": "unknown_region"},
        ),
        ({"province": "19"}, {"region.regency": "missing"}),
        ({"regency": "19.06"}, {"region.province": "missing"}),
        ({"province": "1", "regency": "19.06"}, {"region.province": "string_pattern_mismatch"}),
        ({"province": "19", "regency": "1906"}, {"region.regency": "string_pattern_mismatch"}),
        ({"province": 19, "regency": "19.06"}, {"region.province": "string_type"}),
        ({"province": "19", "regency": "19.06", "place": ""}, {"region.place": "string_too_short"}),
        ({"province": "19", "regency": "19.06", "place": "x" * 201}, {"region.place": "string_too_long"}),
        ("19.06", {"region": "model_type"}),
    ],
)
def test_region_rules(region: Any, expected: dict[str, str]) -> None:
    assert errors_of(report(region=region)) == expected


def test_province_and_regency_errors_are_reported_together() -> None:
    obj = report(region={"province": "00", "regency": "00.01", "district": "00.01.01"})
    assert errors_of(obj) == {
        "region.province": "unknown_region",
        "region.regency": "unknown_region",
        "region.district": "unknown_region",
    }


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("92.01", "96.01"),
        ("92.04", "96.02"),
        ("92.05", "96.03"),
        ("92.09", "96.04"),
        ("92.10", "96.05"),
        ("92.71", "96.71"),
    ],
)
def test_legacy_papua_barat_daya_codes_are_normalised_with_notes(old: str, new: str) -> None:
    parsed = parse(report(region={"province": "92", "regency": old, "place": "Distrik"}))
    assert parsed.report is not None
    assert (parsed.report.region.province, parsed.report.region.regency) == ("96", new)
    assert parsed.report.region.place == "Distrik"
    assert any(f"{old} normalised to {new}" in n for n in parsed.notes)
    assert any("92 normalised to 96" in n for n in parsed.notes)


def test_legacy_regency_under_the_new_province_is_normalised_too() -> None:
    parsed = parse(report(region={"province": "96", "regency": "92.71"}))
    assert parsed.report is not None and parsed.report.region.regency == "96.71"
    assert len(parsed.notes) == 1


def test_legacy_district_is_dropped_with_a_note() -> None:
    parsed = parse(report(region={"province": "92", "regency": "92.01", "district": "92.01.05"}))
    assert parsed.report is not None and parsed.report.region.district is None
    assert any("92.01.05" in n and "dropped" in n for n in parsed.notes)


def test_regencies_that_stayed_in_papua_barat_are_not_touched() -> None:
    parsed = parse(report(region={"province": "92", "regency": "92.02"}))
    assert parsed.report is not None and parsed.report.region.regency == "92.02" and parsed.notes == []


def test_legacy_notes_in_indonesian() -> None:
    parsed = parse(report(region={"province": "92", "regency": "92.01"}), indonesian=True)
    assert parsed.notes and all("kode lama" in n for n in parsed.notes)


# --- location --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "loc", [{"lat": -2.5, "lon": 118}, {"lat": 5.9, "lon": 95.3}, {"lat": -8.5, "lon": 140.4}]
)
def test_locations_inside_indonesia(loc: dict[str, float]) -> None:
    assert parse(report(location=loc)).ok


@pytest.mark.parametrize(
    ("loc", "expected"),
    [
        ({"lat": 1.35, "lon": 103.0}, None),  # Riau islands, inside
        ({"lat": 13.7, "lon": 100.5}, {"location.lat": "less_than_equal"}),  # Bangkok
        (
            {"lat": -33.9, "lon": 151.2},
            {"location.lat": "greater_than_equal", "location.lon": "less_than_equal"},
        ),
        ({"lat": 0, "lon": 0}, {"location.lon": "greater_than_equal"}),
        ({"lat": "1.0", "lon": 110}, {"location.lat": "float_type"}),
        ({"lat": True, "lon": 110}, {"location.lat": "float_type"}),
        ({"lat": 1.0}, {"location.lon": "missing"}),
        ({"lat": 1.0, "lon": 110, "alt": 3}, {"location.alt": "extra_forbidden"}),
    ],
)
def test_location_rules(loc: dict[str, Any], expected: dict[str, str] | None) -> None:
    if expected is None:
        assert parse(report(location=loc)).ok
    else:
        assert errors_of(report(location=loc)) == expected


# --- occurred_at -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "when",
    [
        "2024-11-27T09:30:00+07:00",
        "2024-11-27T10:30:00+08:00",
        "2024-11-27T11:30:00+09:00",
        "2024-11-27T02:30:00Z",
        "2024-11-27T02:30:00+00:00",
    ],
)
def test_occurred_at_with_indonesian_offsets_or_utc(when: str) -> None:
    assert parse(report(occurred_at=when)).ok


@pytest.mark.parametrize(
    ("when", "code"),
    [
        ("2024-11-27T09:30:00", "timezone_aware"),
        ("2024-11-27", "timezone_aware"),
        ("2024-11-27T09:30:00+05:30", "timezone_offset"),
        ("2024-11-27T09:30:00-05:00", "timezone_offset"),
        ("yesterday", "datetime_from_date_parsing"),
        ("2024-13-27T09:30:00Z", "datetime_from_date_parsing"),
        (1732672200, "datetime_type"),
        (None, "datetime_type"),
        ("1969-12-31T23:00:00Z", "too_old"),
        ("0001-01-01T00:00:00+09:00", "too_old"),
        ("2024-11-27T03:10:01Z", "future_time"),
        ("9999-12-31T23:59:59+07:00", "future_time"),
    ],
)
def test_occurred_at_rules(when: Any, code: str) -> None:
    errors = errors_of(report(occurred_at=when))
    assert list(errors) == ["occurred_at"]
    assert errors["occurred_at"] == code or (
        code.startswith("datetime") and errors["occurred_at"].startswith("datetime")
    )


def test_up_to_ten_minutes_in_the_future_is_allowed() -> None:
    assert parse(report(occurred_at=(NOW + timedelta(minutes=10)).isoformat())).ok
    assert not parse(report(occurred_at=(NOW + timedelta(minutes=10, seconds=1)).isoformat())).ok


# --- enums -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("kind", ["potential", "incident", "recovery"], "riot"),
        (
            "category",
            [
                "election",
                "identity",
                "land_resource",
                "governance",
                "economic_labor",
                "communal_clash",
                "vigilantism",
                "disaster_related",
                "separatism",
                "other",
            ],
            "crime",
        ),
        (
            "form",
            [
                "demonstration",
                "clash",
                "riot",
                "attack",
                "fight",
                "mob_beating",
                "kidnapping",
                "blockade",
                "intimidation",
                "property_destruction",
                "arson",
            ],
            "protest",
        ),
        (
            "election_stage",
            [
                "voter_registration",
                "candidate_registration",
                "campaign",
                "quiet_period",
                "voting",
                "counting",
                "recapitulation",
                "dispute",
                "inauguration",
            ],
            "polling",
        ),
    ],
)
def test_top_level_enums(field: str, good: list[str], bad: str) -> None:
    for value in good:
        assert parse(report(**{field: value})).ok, value
    assert errors_of(report(**{field: bad})) == {field: "enum"}
    assert errors_of(report(**{field: value.upper()})) == {field: "enum"}


def test_optional_enums_may_be_absent_or_null() -> None:
    obj = report()
    del obj["form"], obj["election_stage"]
    assert parse(obj).ok
    assert parse(report(form=None, election_stage=None)).ok


# --- impact ----------------------------------------------------------------------------------------


def test_impact_defaults() -> None:
    obj = report()
    del obj["impact"]
    parsed = parse(obj)
    assert parsed.report is not None
    impact = parsed.report.impact
    assert (impact.deaths, impact.injured, impact.displaced, impact.buildings_damaged, impact.crowd_size) == (
        0,
    ) * 5
    assert impact.arson is False and impact.weapons == "none"


@pytest.mark.parametrize("name", ["deaths", "injured", "displaced", "buildings_damaged", "crowd_size"])
@pytest.mark.parametrize(
    ("value", "code"),
    [
        (-1, "greater_than_equal"),
        (1.5, "int_type"),
        ("3", "int_type"),
        (True, "int_type"),
        (10**8, "less_than_equal"),
    ],
)
def test_impact_counts_are_non_negative_integers(name: str, value: Any, code: str) -> None:
    assert errors_of(report(impact={name: value})) == {f"impact.{name}": code}


@pytest.mark.parametrize("weapons", ["none", "blunt", "sharp", "firearms", "explosives"])
def test_weapons_values(weapons: str) -> None:
    assert parse(report(impact={"weapons": weapons})).ok


def test_impact_arson_and_weapons_rules() -> None:
    assert errors_of(report(impact={"arson": "yes", "weapons": "guns"})) == {
        "impact.arson": "bool_type",
        "impact.weapons": "enum",
    }
    assert errors_of(report(impact={"arson": 1})) == {"impact.arson": "bool_type"}


# --- signals, actors, source -----------------------------------------------------------------------


def test_signals_are_enum_values_and_deduplicated() -> None:
    all_signals = [
        "hate_speech",
        "hoax",
        "provocation",
        "outside_mobilisation",
        "weapons_gathering",
        "ultimatum",
        "road_blockade",
        "mass_rally_planned",
        "attack_on_officials",
        "attack_on_worship_place",
        "property_seizure",
        "election_fraud_allegation",
        "recurring_conflict",
    ]
    parsed = parse(report(signals=[*all_signals, "hoax"]))
    assert parsed.report is not None and [s.value for s in parsed.report.signals] == all_signals
    assert errors_of(report(signals=["hoax", "rumour"])) == {"signals.1": "enum"}
    assert errors_of(report(signals="hoax")) == {"signals": "list_type"}


def test_actor_types_and_names() -> None:
    types = [
        "supporters",
        "party",
        "candidate",
        "ormas",
        "students",
        "villagers",
        "workers",
        "company",
        "security_forces",
        "religious_group",
        "ethnic_group",
        "government",
        "unknown",
    ]
    assert parse(report(actors=[{"type": t, "name": "Nama"} for t in types])).ok
    assert errors_of(report(actors=[{"type": "villagers"}, {"type": "aliens"}, {"name": "x"}])) == {
        "actors.1.type": "enum",
        "actors.2.type": "missing",
    }
    assert errors_of(report(actors=[{"type": "party", "name": "x" * 201}])) == {
        "actors.0.name": "string_too_long"
    }


def test_source_grading() -> None:
    for rel in "ABCDEF":
        for cred in range(1, 7):
            assert parse(report(source={"type": "media", "reliability": rel, "credibility": cred})).ok
    parsed = parse(report(source={"type": "community"}))
    assert parsed.report is not None
    assert (parsed.report.source.reliability, parsed.report.source.credibility) == ("F", 6)
    assert errors_of(report(source={"type": "rumour", "reliability": "G", "credibility": 7})) == {
        "source.type": "enum",
        "source.reliability": "literal_error",
        "source.credibility": "less_than_equal",
    }
    assert errors_of(report(source={"type": "media", "credibility": 0})) == {
        "source.credibility": "greater_than_equal"
    }
    assert errors_of(report(source={"type": "media", "credibility": "2"})) == {
        "source.credibility": "int_type"
    }
    assert errors_of(report(source={"type": "media", "agency": "x" * 201})) == {
        "source.agency": "string_too_long"
    }


# --- texts -----------------------------------------------------------------------------------------


def test_summary_and_narrative_limits() -> None:
    assert parse(report(summary="x" * 2000, narrative="y" * 20000)).ok
    assert errors_of(report(summary="", narrative="y" * 20001)) == {
        "summary": "string_too_short",
        "narrative": "string_too_long",
    }
    assert errors_of(report(summary="x" * 2001)) == {"summary": "string_too_long"}
    assert errors_of(report(summary="   \n ")) == {"summary": "blank"}


def test_tags() -> None:
    parsed = parse(report(tags=[f"  tag{i} " for i in range(20)]))
    assert parsed.report is not None and parsed.report.tags[0] == "tag0"
    assert errors_of(report(tags=[f"t{i}" for i in range(21)])) == {"tags": "too_long"}
    assert errors_of(report(tags=["ok", "x" * 41, ""])) == {
        "tags.1": "string_too_long",
        "tags.2": "string_too_short",
    }


def test_nul_characters_are_refused_in_every_text() -> None:
    nul = "a\x00b"
    obj = report(summary=nul, narrative=nul, tags=[nul], actors=[{"type": "party", "name": nul}])
    obj["region"]["place"] = nul
    obj["source"]["agency"] = nul
    obj["reporter"] = {"name": nul, "phone": nul, "email": nul}
    assert errors_of(obj) == {
        "summary": "null_character",
        "narrative": "null_character",
        "tags.0": "null_character",
        "actors.0.name": "null_character",
        "region.place": "null_character",
        "source.agency": "null_character",
        "reporter.name": "null_character",
        "reporter.phone": "null_character",
        "reporter.email": "null_character",
    }


def test_reporter_rules() -> None:
    assert parse(report(reporter={"name": "Ibu A", "phone": "+62 812-0000-0001", "email": "a@b.id"})).ok
    assert errors_of(report(reporter={"phone": "1" * 41, "fax": "1"})) == {
        "reporter.phone": "string_too_long",
        "reporter.fax": "extra_forbidden",
    }


def test_every_offending_field_is_listed_once() -> None:
    obj = report(
        report_id="bad id",
        region={"province": "19", "regency": "21.01"},
        occurred_at="2024-11-27T09:30:00",
        kind="x",
        category="y",
        impact={"deaths": -1, "weapons": "laser"},
        signals=["nope"],
        source={"type": "z"},
        summary="",
        tags=["x" * 41],
    )
    assert errors_of(obj) == {
        "report_id": "string_pattern_mismatch",
        "region.regency": "region_mismatch",
        "occurred_at": "timezone_aware",
        "kind": "enum",
        "category": "enum",
        "impact.deaths": "greater_than_equal",
        "impact.weapons": "enum",
        "signals.0": "enum",
        "source.type": "enum",
        "summary": "string_too_short",
        "tags.0": "string_too_long",
    }
    assert parse(obj).report_id_hint is None


def test_indonesian_messages_exist_for_every_code_the_model_produces() -> None:
    obj = report(
        report_id="",
        region={"province": "19", "regency": "21.01", "district": "99.99.99", "place": "a\x00"},
        location={"lat": "x", "lon": 200},
        occurred_at="2024-11-27T09:30:00+05:30",
        kind="x",
        impact={"deaths": -1, "injured": 1.5, "arson": "y", "crowd_size": 10**9},
        signals="x",
        actors=[{}],
        source={"type": "media", "reliability": "Z"},
        summary=" ",
        tags=["t"] * 21,
        extra=1,
    )
    english = parse(obj).errors
    indonesian = parse(obj, indonesian=True).errors
    assert [e.field for e in english] == [e.field for e in indonesian]
    for en, id_ in zip(english, indonesian, strict=True):
        assert en.code == id_.code
        assert en.message != id_.message, f"no Indonesian message for {en.code} ({en.field})"
        assert "{" not in id_.message and "nilai tidak sah" != id_.message, id_
    by_field = {e.field: e.message for e in indonesian}
    assert by_field["region.regency"] == "kode wilayah 21.01 tidak termasuk wilayah 19"
    assert by_field["kind"].startswith("nilai tidak dikenal; pilihan: 'potential'")
    assert " atau " in by_field["kind"]


# --- what is stored and published ------------------------------------------------------------------


def test_prepare_publishes_the_facts_without_reporter_plus_receipt() -> None:
    parsed = parse(report(reporter={"phone": "+62 811 111"}))
    assert parsed.report is not None
    received = datetime(2024, 11, 27, 3, 0, 1, tzinfo=UTC)
    prepared = prepare(parsed.report, received, "19")
    published = orjson.loads(prepared.payload)
    assert "reporter" not in published and b"+62 811 111" not in prepared.payload
    accepted = AcceptedReport.model_validate_json(prepared.payload)
    assert accepted.received_at == received and accepted.submitted_by == "19"
    assert accepted.report_id == parsed.report.report_id


def test_content_hash_ignores_reporter_and_receipt_but_not_facts() -> None:
    a = parse(report(report_id="same", reporter={"phone": "1"})).report
    b = parse(report(report_id="same", reporter={"phone": "2"})).report
    c = parse(report(report_id="same", summary="different")).report
    assert a is not None and b is not None and c is not None
    t1, t2 = NOW, NOW + timedelta(hours=1)
    assert prepare(a, t1, "19").content_hash == prepare(b, t2, "national").content_hash
    assert prepare(a, t1, "19").content_hash != prepare(c, t1, "19").content_hash


def test_content_hash_is_independent_of_key_order_and_defaults() -> None:
    obj = report(report_id="order")
    reordered = dict(reversed(list(obj.items())))
    explicit = {**obj, "tags": [], "impact": {**obj["impact"], "deaths": 0}}
    hashes = {
        prepare(ReportIn.model_validate(o, context={"now": NOW}), NOW, "19").content_hash
        for o in (obj, reordered, explicit)
    }
    assert len(hashes) == 1
