"""CAP 1.2 mapping (SPEC §7, domain.md §5.1), validated against the OASIS schema."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import xmlschema
from lxml import etree

from tests.unit.notify.factories import T0, Sim, assessed
from waspada_notify.domain.cap import ATOM_NS, CAP_NS, Sent, atom_feed, cap_element, certainty, to_bytes
from waspada_shared.contracts.alert import Alert, Audience
from waspada_shared.levels import Level

XSD = Path(__file__).parents[2] / "data" / "cap-1.2.xsd"
NS = {"cap": CAP_NS}


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(XSD))


def cap(alert: Alert, earlier: list[Sent] | None = None, credibility: int | None = 2) -> etree._Element:
    return cap_element(alert, earlier or [], sender="waspada.kemendagri.go.id", credibility=credibility)


def text(el: etree._Element, path: str) -> str:
    found = el.find(path, NS)
    assert found is not None, path
    return str(found.text)


def lifecycle() -> list[Alert]:
    """fired -> escalated -> resolved, for the province audience."""
    sim = Sim()
    out = []
    for batch, at in (
        ([assessed(Level.SIAGA)], T0),
        ([assessed(Level.AWAS, at=T0 + timedelta(hours=1))], T0 + timedelta(hours=1)),
    ):
        for v in sim.feed(*batch, now=at):
            if v.alert.audience is Audience.PROVINCE:
                out.append(v.alert)
    resolved = sim.sweep(T0 + timedelta(days=4), event_now=T0 + timedelta(days=4))
    out += [v.alert for v in resolved if v.alert.audience is Audience.PROVINCE]
    return out


def test_lifecycle_maps_to_alert_update_cancel_and_validates(schema: xmlschema.XMLSchema) -> None:
    fired, escalated, resolved = lifecycle()
    earlier: list[Sent] = []
    kinds = []
    for alert in (fired, escalated, resolved):
        el = cap(alert, earlier)
        schema.validate(etree.tostring(el).decode())
        kinds.append(text(el, "cap:msgType"))
        assert text(el, "cap:status") == "Actual" and text(el, "cap:scope") == "Restricted"
        assert text(el, "cap:restriction")
        assert text(el, "cap:info/cap:category") == "Security"
        ident, sender = text(el, "cap:identifier"), text(el, "cap:sender")
        assert not any(c in ident + sender for c in " ,")
        refs = el.find("cap:references", NS)
        assert (refs is None) == (alert.version == 1)
        if refs is not None:
            assert len(str(refs.text).split(" ")) == alert.version - 1
            assert str(refs.text).startswith(f"waspada.kemendagri.go.id,waspada-{alert.alert_id}-v1,")
        earlier.append(Sent(alert.version, alert.updated_at))
    assert kinds == ["Alert", "Update", "Cancel"]


def test_level_maps_to_severity_and_urgency(schema: xmlschema.XMLSchema) -> None:
    fired, escalated, resolved = lifecycle()
    assert (text(cap(fired), "cap:info/cap:severity"), text(cap(fired), "cap:info/cap:urgency")) == (
        "Severe",
        "Expected",
    )
    assert (text(cap(escalated), "cap:info/cap:severity"), text(cap(escalated), "cap:info/cap:urgency")) == (
        "Extreme",
        "Immediate",
    )
    assert text(cap(resolved), "cap:info/cap:urgency") == "Past"


def test_area_has_the_region_name_and_kemendagri_geocode() -> None:
    fired = lifecycle()[0]
    el = cap(fired)
    assert (
        text(el, "cap:info/cap:area/cap:areaDesc")
        == "Kabupaten Belitung Timur, Provinsi Kepulauan Bangka Belitung"
    )
    assert text(el, "cap:info/cap:area/cap:geocode/cap:valueName") == "KEMENDAGRI"
    assert text(el, "cap:info/cap:area/cap:geocode/cap:value") == "19.06"
    assert text(el, "cap:sent").endswith("+07:00")  # WIB, the region's own zone


def test_national_rollup_has_one_area_per_province(schema: xmlschema.XMLSchema) -> None:
    sim = Sim()
    sim.feed(assessed(Level.SIAGA, regency="19.06"), assessed(Level.SIAGA, regency="63.71"))
    rollup = next(a for a in sim.alerts.values() if a.group_key == "*/*/identity").to_alert()
    el = cap(rollup)
    schema.validate(etree.tostring(el).decode())
    codes = [str(v.text) for v in el.findall("cap:info/cap:area/cap:geocode/cap:value", NS)]
    assert codes == ["19", "63"]


@pytest.mark.parametrize(
    ("grade", "expected"),
    [
        (1, "Observed"),
        (2, "Likely"),
        (3, "Possible"),
        (4, "Unlikely"),
        (5, "Unlikely"),
        (6, "Unknown"),
        (None, "Unknown"),
    ],
)
def test_certainty_from_credibility(grade: int | None, expected: str) -> None:
    assert certainty(grade) == expected


def test_atom_feed_embeds_valid_cap(schema: xmlschema.XMLSchema) -> None:
    fired = lifecycle()[0]
    body = atom_feed(
        [(fired, cap(fired), "http://x/v1/alerts/a/cap")],
        feed_id="urn:x",
        title="t",
        self_url="http://x/feed",
        updated=T0,
    )
    feed = etree.fromstring(body)
    entries = feed.findall(f"{{{ATOM_NS}}}entry")
    assert len(entries) == 1
    embedded = entries[0].find(f"{{{ATOM_NS}}}content/{{{CAP_NS}}}alert")
    assert embedded is not None
    schema.validate(etree.tostring(embedded).decode())
    assert to_bytes(cap(fired)).startswith(b"<?xml")
