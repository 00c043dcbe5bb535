"""Submission scopes and the Kafka principals of SPEC §8 (the one definition in waspada_shared)."""

from __future__ import annotations

from datetime import UTC, datetime

import orjson
import pytest

from tests.helpers import make_report
from waspada_intake.adapters.consumers import out_of_scope
from waspada_intake.domain.validation import parse_bytes
from waspada_shared.kafka import client_security
from waspada_shared.kafka_access import (
    NATIONAL_READER,
    agency_user,
    demo_password,
    local_principals,
    service_user,
)
from waspada_shared.regions import reference
from waspada_shared.settings import ServiceSettings
from waspada_shared.topics import Topics

PROVINCES = sorted(reference().provinces)


@pytest.mark.parametrize("prefix", ["", "staging."])
def test_every_scope_has_its_own_submission_topic_and_each_topic_names_its_scope(prefix: str) -> None:
    t = Topics(prefix)
    doors = t.submission_topics(PROVINCES)
    assert doors[0] == f"{prefix}reports.submitted.v1" and len(doors) == 1 + len(PROVINCES) == 39
    assert t.submitted_for("19") == f"{prefix}reports.submitted.v1.19"
    assert t.scope_of(t.submitted) == "national" and t.submitted_for("national") == t.submitted
    assert [t.scope_of(d) for d in doors[1:]] == PROVINCES
    for other in (
        t.accepted,
        f"{prefix}reports.submitted.v1.x",
        "reports.submitted.v1.19" if prefix else "x",
    ):
        assert t.scope_of(other) is None
    with pytest.raises(ValueError):
        t.submitted_for("19; DROP")


def test_an_agency_may_write_only_its_scope_and_read_nothing() -> None:
    t = Topics()
    everyone = {p.user: p for p in local_principals(t, PROVINCES)}
    assert len(everyone) == 3 + 1 + len(PROVINCES) + 1
    agency = everyone[agency_user("19")]
    every_topic = [*t.all(), *t.submission_topics(PROVINCES)[1:]]
    assert [x for x in every_topic if agency.allows("Write", "topic", x)] == [t.submitted_for("19")]
    assert not any(agency.allows("Read", "topic", x) for x in every_topic)
    national = everyone[agency_user("national")]
    assert [x for x in every_topic if national.allows("Write", "topic", x)] == [t.submitted]
    reader = everyone[NATIONAL_READER]
    assert {x for x in every_topic if reader.allows("Read", "topic", x)} == {
        t.alerts_province,
        t.alerts_national,
    }
    assert not any(reader.allows("Write", "topic", x) for x in every_topic)
    assert reader.allows("Read", "group", "national-reader-rollup")
    assert not reader.allows("Read", "group", "waspada-notify")
    intake = everyone[service_user("intake")]
    assert all(intake.allows("Read", "topic", x) for x in t.submission_topics(PROVINCES))
    assert demo_password("agency-19") == "demo-agency-19"


def test_sasl_plaintext_authenticates_without_tls_and_sasl_ssl_with_it() -> None:
    base = {"kafka_sasl_username": "u", "kafka_sasl_password": "p"}
    plain = client_security(
        ServiceSettings.model_validate({**base, "kafka_security_protocol": "SASL_PLAINTEXT"})
    )
    assert plain["security_protocol"] == "SASL_PLAINTEXT" and "ssl_context" not in plain
    tls = client_security(ServiceSettings.model_validate({**base, "kafka_security_protocol": "SASL_SSL"}))
    assert tls["security_protocol"] == "SASL_SSL" and tls["ssl_context"] is not None


def _parsed(**overrides: object):  # type: ignore[no-untyped-def]
    parsed = parse_bytes(orjson.dumps(make_report(**overrides)), datetime.now(UTC))
    assert parsed.ok
    return parsed


def test_a_report_outside_its_topics_scope_is_refused_naming_the_province() -> None:
    inside = _parsed()  # province 19
    assert out_of_scope(inside, "19") is None
    assert out_of_scope(inside, "national") is None  # the national door admits any province
    error = out_of_scope(inside, "21")
    assert error is not None and (error.field, error.code) == ("region.province", "out_of_scope")
    assert out_of_scope(inside, None) is not None  # not a submission topic at all: refused
    # the province compared is the one intake stores: legacy 92.10 is now 96.05 (Papua Barat Daya)
    legacy = _parsed(region={"province": "92", "regency": "92.10"})
    assert out_of_scope(legacy, "96") is None and out_of_scope(legacy, "92") is not None
