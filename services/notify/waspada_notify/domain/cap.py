"""CAP 1.2 messages and the Atom feed of current alerts (SPEC §7, domain.md §5.1). Pure (lxml only).

Mapping: status Actual; scope Restricted with a restriction text; msgType Alert for the first version,
Update (with `references` to every earlier version) for changes, Cancel on resolution; category
Security; urgency and severity from the level; certainty from the best information credibility of the
alert's reports (Admiralty 1..6); one area per region with its name and its Kemendagri code as geocode.
Each alert version is one CAP message, identified `waspada-<alert_id>-v<version>`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from lxml import etree

from waspada_notify.domain.model import NATIONAL_AREA
from waspada_notify.domain.texts import AUDIENCE_ID, local_zone
from waspada_shared.contracts.alert import Alert, AlertStatus, Audience, Coverage
from waspada_shared.indonesian import CATEGORY_ID
from waspada_shared.levels import Level
from waspada_shared.regions import reference

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
GEOCODE_NAME = "KEMENDAGRI"  # kode wilayah, as BMKG's CAP feed uses for Indonesian areas

SEVERITY = {Level.AWAS: "Extreme", Level.SIAGA: "Severe", Level.WASPADA: "Moderate", Level.NORMAL: "Minor"}
URGENCY = {Level.AWAS: "Immediate", Level.SIAGA: "Expected", Level.WASPADA: "Future", Level.NORMAL: "Past"}
CERTAINTY = {1: "Observed", 2: "Likely", 3: "Possible", 4: "Unlikely", 5: "Unlikely", 6: "Unknown"}
RESTRICTION = (
    "Terbatas untuk Tim Terpadu Penanganan Konflik Sosial dan instansi yang berwenang; "
    "tidak untuk disebarluaskan kepada publik."
)


@dataclass(frozen=True, slots=True)
class Sent:
    """An earlier version of the alert, for `references`."""

    version: int
    sent: datetime


def identifier(alert_id: str, version: int) -> str:
    return f"waspada-{alert_id}-v{version}"


def cap_time(at: datetime, province: str) -> str:
    """CAP's dateTime: seconds precision and an explicit offset (the region's own zone)."""
    zone, _ = local_zone(province)
    return at.astimezone(zone).replace(microsecond=0).isoformat()


def certainty(credibility: int | None) -> str:
    return CERTAINTY.get(credibility or 6, "Unknown")


def msg_type(alert: Alert) -> str:
    if alert.status is AlertStatus.RESOLVED:
        return "Cancel"
    return "Alert" if alert.version == 1 else "Update"


def _areas(alert: Alert) -> list[tuple[str, list[str]]]:
    ref = reference()
    if alert.coverage is Coverage.NATIONAL or alert.province == NATIONAL_AREA:
        return [(f"Provinsi {ref.province_name(p)}", [p]) for p in alert.provinces]
    province = f"Provinsi {ref.province_name(alert.province)}"
    if alert.coverage is Coverage.PROVINCE:
        names = ", ".join(ref.regency_name(r) for r in alert.regencies)
        return [(f"{names} ({province})" if names else province, alert.regencies or [alert.province])]
    if alert.regency:
        return [(f"{ref.regency_name(alert.regency)}, {province}", [alert.regency])]
    return [(province, [alert.province])]


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    el = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        el.text = text
    return el


def _pair(parent: etree._Element, tag: str, name: str, value: str) -> None:
    el = _sub(parent, tag)
    _sub(el, "valueName", name)
    _sub(el, "value", value)


def cap_element(
    alert: Alert,
    earlier: Iterable[Sent],
    *,
    sender: str,
    credibility: int | None = None,
    quiet: timedelta = timedelta(hours=72),
    web: str | None = None,
) -> etree._Element:
    zone_province = alert.province if alert.province != NATIONAL_AREA else "31"
    root = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    _sub(root, "identifier", identifier(alert.alert_id, alert.version))
    _sub(root, "sender", sender)
    _sub(root, "sent", cap_time(alert.updated_at, zone_province))
    _sub(root, "status", "Actual")
    _sub(root, "msgType", msg_type(alert))
    _sub(root, "source", "Waspada")
    _sub(root, "scope", "Restricted")
    _sub(root, "restriction", RESTRICTION)
    _sub(root, "code", f"audience:{alert.audience.value}")
    refs = [
        f"{sender},{identifier(alert.alert_id, e.version)},{cap_time(e.sent, zone_province)}"
        for e in sorted(earlier, key=lambda e: e.version)
        if e.version < alert.version
    ]
    if refs and alert.version > 1:
        _sub(root, "references", " ".join(refs))
    _sub(root, "incidents", alert.alert_id)

    info = _sub(root, "info")
    resolved = alert.status is AlertStatus.RESOLVED
    level = alert.previous_level if resolved and alert.previous_level else alert.level
    _sub(info, "language", "id-ID")
    _sub(info, "category", "Security")
    _sub(info, "event", f"Kerawanan konflik sosial: {CATEGORY_ID[alert.category]}")
    _sub(info, "responseType", "AllClear" if resolved else "Prepare" if level.rank >= 3 else "Monitor")
    _sub(info, "urgency", "Past" if resolved else URGENCY[alert.level])
    _sub(info, "severity", SEVERITY[level])
    _sub(info, "certainty", certainty(credibility))
    _sub(info, "audience", AUDIENCE_ID[alert.audience])
    _pair(info, "eventCode", "WASPADA_LEVEL", alert.level.value)
    _sub(info, "effective", cap_time(alert.updated_at, zone_province))
    _sub(info, "onset", cap_time(alert.first_seen, zone_province))
    if not resolved:
        last = alert.last_report_at or alert.first_seen
        _sub(info, "expires", cap_time(max(last + quiet, alert.updated_at), zone_province))
    _sub(info, "senderName", "Waspada, Ditjen Politik dan PUM Kemendagri")
    _sub(info, "headline", alert.title[:160])
    _sub(info, "description", alert.summary)
    _sub(info, "instruction", _instruction(alert))
    if web:
        _sub(info, "web", web)
    for name, value in (
        ("level", alert.level.label),
        ("score", f"{alert.score:.1f}"),
        ("alert_id", alert.alert_id),
        ("version", str(alert.version)),
        ("audience", alert.audience.value),
        ("coverage", alert.coverage.value),
        ("event", alert.event.value if alert.event else ""),
    ):
        _pair(info, "parameter", name, value)
    for desc, codes in _areas(alert):
        area = _sub(info, "area")
        _sub(area, "areaDesc", desc)
        for code in codes:
            _pair(area, "geocode", GEOCODE_NAME, code)
    return root


def _instruction(alert: Alert) -> str:
    if alert.status is AlertStatus.RESOLVED:
        return "Tidak ada tindakan lanjutan yang diperlukan dari peringatan ini."
    text = {
        Level.AWAS: "Segera koordinasikan Forkopimda dan konfirmasi penerimaan (ack) peringatan ini.",
        Level.SIAGA: "Lakukan langkah pencegahan dan konfirmasi penerimaan (ack) peringatan ini.",
    }.get(alert.level, "Pantau perkembangan di wilayah ini.")
    if alert.level is Level.AWAS and alert.audience is Audience.NATIONAL:
        text += " Pertimbangkan penetapan status keadaan konflik."
    return text


def to_bytes(el: etree._Element) -> bytes:
    return bytes(etree.tostring(el, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def atom_feed(
    entries: Iterable[tuple[Alert, etree._Element, str]],
    *,
    feed_id: str,
    title: str,
    self_url: str,
    updated: datetime,
) -> bytes:
    """An Atom feed of current alerts; each entry embeds its CAP message and links to it."""

    def sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
        el = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            el.text = text
        return el

    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    sub(feed, "id", feed_id)
    sub(feed, "title", title)
    sub(feed, "updated", updated.replace(microsecond=0).isoformat())
    sub(feed, "link", rel="self", href=self_url)
    author = sub(feed, "author")
    sub(author, "name", "Waspada, Kemendagri")
    for alert, cap, url in entries:
        entry = sub(feed, "entry")
        sub(entry, "id", f"urn:waspada:{identifier(alert.alert_id, alert.version)}")
        sub(entry, "title", alert.title)
        sub(entry, "updated", alert.updated_at.replace(microsecond=0).isoformat())
        sub(entry, "link", rel="alternate", type="application/cap+xml", href=url)
        sub(entry, "summary", alert.summary)
        content = sub(entry, "content", type="application/cap+xml")
        content.append(cap)
    return bytes(etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True))
