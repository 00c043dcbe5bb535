"""The report form: posted fields become a v1 report; intake's per-field errors land on their fields."""

from __future__ import annotations

from waspada_console import report_form
from waspada_shared.contracts.report import ReportIn


def posted(**extra: object) -> dict[str, object]:
    form: dict[str, object] = {
        "report_id": "konsol-1",
        "region.province": "19",
        "region.regency": "19.06",
        "region.district": "",
        "occurred_at": "2026-12-01T09:30",
        "occurred_tz": "+07:00",
        "kind": "incident",
        "category": "election",
        "impact.deaths": "1",
        "impact.injured": "0",
        "impact.displaced": "0",
        "impact.buildings_damaged": "0",
        "impact.crowd_size": "200",
        "impact.weapons": "sharp",
        "impact.arson": "1",
        "signals": ["provocation", "hoax"],
        "actors": "supporters",
        "source.type": "official",
        "source.reliability": "B",
        "source.credibility": "2",
        "summary": "Unjuk rasa di depan kantor KPU.",
        "tags": "pilkada, kpu",
    }
    form.update(extra)
    return form


def test_a_complete_form_is_a_valid_v1_report() -> None:
    report, errors = report_form.to_report(posted())
    assert errors == {}
    parsed = ReportIn.model_validate(report)
    assert parsed.occurred_at.isoformat() == "2026-12-01T09:30:00+07:00"
    assert parsed.impact.deaths == 1 and parsed.impact.arson and parsed.impact.weapons.value == "sharp"
    assert [s.value for s in parsed.signals] == ["provocation", "hoax"]
    assert [a.type.value for a in parsed.actors] == ["supporters"]
    assert parsed.tags == ["pilkada", "kpu"] and parsed.region.district is None
    assert parsed.reporter is None


def test_numbers_and_the_time_are_checked_before_asking_intake() -> None:
    _, errors = report_form.to_report(
        posted(**{"impact.deaths": "dua", "occurred_at": "", "location.lat": "x"})
    )
    assert set(errors) == {"impact.deaths", "occurred_at", "location.lat", "location.lon"}
    assert errors["location.lon"] == "isi lintang dan bujur bersama-sama"


def test_api_errors_map_to_form_fields() -> None:
    found = report_form.api_errors(
        [
            {"field": "region.regency", "message": "kode wilayah 99.99 tidak dikenal"},
            {"field": "signals.1", "message": "nilai tidak dikenal"},
            {"field": "body.summary", "message": "wajib diisi"},
            {"field": "region", "message": "tidak termasuk"},
            {"field": "", "message": "JSON tidak sah"},
        ]
    )
    assert found == {
        "region.regency": "kode wilayah 99.99 tidak dikenal; tidak termasuk",
        "signals": "nilai tidak dikenal",
        "summary": "wajib diisi",
        "_umum": "JSON tidak sah",
    }


def test_defaults_pick_the_provinces_time_zone_and_a_fresh_id() -> None:
    assert report_form.defaults("63")["occurred_tz"] == "+08:00"
    assert report_form.defaults("94")["occurred_tz"] == "+09:00"
    assert report_form.defaults(None)["occurred_tz"] == "+07:00"
    assert report_form.defaults("19")["report_id"] != report_form.defaults("19")["report_id"]


def test_every_enumeration_has_an_indonesian_label() -> None:
    from waspada_shared.contracts.report import ActorType, ElectionStage, Form, Signal, SourceType, Weapons

    choices = report_form.choices()
    for enum, key in (
        (Form, "forms"),
        (ElectionStage, "stages"),
        (Signal, "signals"),
        (ActorType, "actors"),
        (SourceType, "source_types"),
        (Weapons, "weapons"),
    ):
        assert set(choices[key]) == {e.value for e in enum}, key
