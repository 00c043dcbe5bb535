"""Alert titles and summaries in Bahasa Indonesia, from templates. Pure.

Region names come from the Kemendagri reference; times are shown in the region's own zone (WIB, WITA,
WIT), national roll-ups in WIB. Levels always read "Level n (Kata)" so that they are not mistaken for
Polri's internal "Siaga I" readiness order.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from waspada_notify.domain.model import NATIONAL_AREA, AlertRecord, Resolution
from waspada_shared.contracts.alert import AlertEvent, Audience, Coverage
from waspada_shared.contracts.report import Category, Form, Kind
from waspada_shared.indonesian import CATEGORY_ID
from waspada_shared.levels import Level
from waspada_shared.regions import reference

# "<what happened> <of which kind>": "kerusuhan bernuansa SARA", "bentrokan terkait pemilu/pilkada".
QUALIFIER_ID = {
    Category.ELECTION: "terkait pemilu/pilkada",
    Category.IDENTITY: "bernuansa SARA",
    Category.LAND_RESOURCE: "terkait agraria dan sumber daya alam",
    Category.GOVERNANCE: "terkait tata kelola pemerintahan",
    Category.ECONOMIC_LABOR: "terkait ekonomi dan ketenagakerjaan",
    Category.COMMUNAL_CLASH: "antarkelompok warga",
    Category.VIGILANTISM: "berupa main hakim sendiri",
    Category.DISASTER_RELATED: "terkait bencana",
    Category.SEPARATISM: "terkait separatisme",
    Category.OTHER: "sosial",
}

FORM_ID = {
    Form.DEMONSTRATION: "unjuk rasa",
    Form.CLASH: "bentrokan",
    Form.RIOT: "kerusuhan",
    Form.ATTACK: "penyerangan",
    Form.FIGHT: "perkelahian",
    Form.MOB_BEATING: "pengeroyokan",
    Form.KIDNAPPING: "penculikan",
    Form.BLOCKADE: "pemblokiran",
    Form.INTIMIDATION: "intimidasi",
    Form.PROPERTY_DESTRUCTION: "perusakan",
    Form.ARSON: "pembakaran",
}

KIND_ID = {Kind.POTENTIAL: "potensi konflik", Kind.INCIDENT: "konflik", Kind.RECOVERY: "konflik"}

AUDIENCE_ID = {
    Audience.REGENCY: "Tim Terpadu kabupaten/kota",
    Audience.PROVINCE: "Tim Terpadu provinsi",
    Audience.NATIONAL: "desk nasional (Ditjen Polpum Kemendagri)",
}

# Indonesia's three time zones by province code (WIB +7, WITA +8, WIT +9).
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}


def local_zone(province: str) -> tuple[timezone, str]:
    if province in _WIT:
        return timezone(timedelta(hours=9)), "WIT"
    if province in _WITA:
        return timezone(timedelta(hours=8)), "WITA"
    return timezone(timedelta(hours=7)), "WIB"  # also national roll-ups: Jakarta's time


def local_time(at: datetime, province: str) -> str:
    zone, name = local_zone(province)
    return f"{at.astimezone(zone):%d-%m-%Y %H:%M} {name}"


def hours(value: timedelta) -> str:
    h = value.total_seconds() / 3600
    return f"{h:.0f} jam" if h >= 1 else f"{value.total_seconds() / 60:.0f} menit"


def area_name(province: str, regency: str | None) -> str:
    ref = reference()
    if province == NATIONAL_AREA:
        return "Indonesia"
    return ref.regency_name(regency) if regency else f"Provinsi {ref.province_name(province)}"


def where(r: AlertRecord) -> str:
    ref = reference()
    if r.coverage is Coverage.PROVINCE:
        return f"{len(r.members)} kabupaten/kota di Provinsi {ref.province_name(r.province)}"
    if r.coverage is Coverage.NATIONAL:
        return f"{len(r.members)} provinsi ({', '.join(ref.province_name(c) for c in sorted(r.members))})"
    return area_name(r.province, r.regency)


def what(r: AlertRecord) -> str:
    if r.coverage is not Coverage.REGION:
        return CATEGORY_ID[r.category]
    noun = FORM_ID[r.form] if r.form else KIND_ID[r.kind] if r.kind else "konflik"
    return f"{noun} {QUALIFIER_ID[r.category]}"


def title(r: AlertRecord, event: AlertEvent) -> str:
    subject = f"{what(r)} di {where(r)}"
    if event is AlertEvent.ESCALATED:
        return f"Naik ke {r.level.label}: {subject}"
    if event is AlertEvent.DEESCALATED:
        return f"Turun ke {r.level.label}: {subject}"
    if event is AlertEvent.RESOLVED:
        return f"Selesai: {subject}"
    if event is AlertEvent.ACK_ESCALATED:
        return f"Belum ditanggapi, {r.level.label}: {subject}"
    if event is AlertEvent.REPEATED:
        return f"Pengingat, {r.level.label}: {subject}"
    if event is AlertEvent.CANDIDATE:
        return f"Kandidat Level 4 — perlu keputusan: {subject}"
    if event is AlertEvent.CANDIDATE_REMINDER:
        return f"Pengingat: Kandidat Level 4 belum diputuskan: {subject}"
    if event is AlertEvent.CONFIRMED:
        return f"Level 4 (Awas) dikonfirmasi: {subject}"
    if event is AlertEvent.DECLINED:
        return f"Kandidat Level 4 ditolak, {r.level.label}: {subject}"
    return f"{r.level.label}: {subject}"


def _candidate(r: AlertRecord, event: AlertEvent) -> str | None:
    """The sentence about a Level-4 candidate, for the events that concern it."""
    c = r.candidate
    if c is None:
        return None
    if event is AlertEvent.CANDIDATE:
        return (
            f"Kandidat Level 4 (Awas): {'; '.join(c.reasons)}. Perlu keputusan Tim Terpadu provinsi atau "
            "Ditjen Polpum Kemendagri: konfirmasi Level 4 atau tolak dengan alasan."
        )
    if event is AlertEvent.CANDIDATE_REMINDER:
        return (
            f"Belum ada keputusan atas kandidat Level 4 sejak {local_time(c.requested_at, r.province)} "
            f"(pengingat ke-{c.reminders}): konfirmasi Level 4 atau tolak dengan alasan."
        )
    if event is AlertEvent.CONFIRMED and c.decided_at:
        why = f": {c.decision_reason.rstrip('.')}" if c.decision_reason else ""
        return f"Level 4 (Awas) dikonfirmasi oleh {c.decided_by} pada {local_time(c.decided_at, r.province)}{why}."
    if event is AlertEvent.DECLINED and c.decided_at:
        return f"Kandidat Level 4 ditolak oleh {c.decided_by} pada {local_time(c.decided_at, r.province)}. Alasan: {c.decision_reason}."
    return None


def _members(r: AlertRecord) -> str:
    ref = reference()
    name = ref.province_name if r.coverage is Coverage.NATIONAL else ref.regency_name
    return ", ".join(f"{name(code)} ({level.label})" for code, level in sorted(r.members.items()))


def _resolution(r: AlertRecord, quiet: timedelta) -> str:
    if r.resolution is Resolution.CANDIDATE_DECLINED:
        c = r.candidate
        why = f" Alasan: {c.decision_reason}." if c and c.decision_reason else ""
        return f"Kandidat Level 4 ditolak; desk ini tidak lagi menerima peringatan ini.{why}"
    if r.resolution is Resolution.ROLLUP_ENDED:
        return "Eskalasi tidak lagi meluas ke beberapa wilayah dalam jendela waktu yang ditetapkan; peringatan gabungan selesai."
    return (
        f"Tidak ada laporan yang memenuhi syarat selama {hours(quiet)} sejak laporan terakhir "
        f"({local_time(r.last_report_at, r.province)}); peringatan dinyatakan selesai."
    )


def summary(
    r: AlertRecord, event: AlertEvent, *, quiet: timedelta, ack_timeout: timedelta | None = None
) -> str:
    parts: list[str] = []
    if event is AlertEvent.RESOLVED:
        parts.append(_resolution(r, quiet))
    elif event is AlertEvent.ESCALATED and r.previous_level and r.previous_level != r.level:
        parts.append(f"Tingkat risiko naik dari {r.previous_level.label} ke {r.level.label}.")
    elif event is AlertEvent.ESCALATED:
        parts.append("Eskalasi meluas ke wilayah lain.")
    elif event is AlertEvent.DEESCALATED and r.previous_level and r.previous_level != r.level:
        parts.append(f"Tingkat risiko turun dari {r.previous_level.label} ke {r.level.label}.")
    elif event is AlertEvent.ACK_ESCALATED and r.escalated_from:
        waited = f" dalam {hours(ack_timeout)}" if ack_timeout else ""
        parts.append(
            f"Peringatan untuk {AUDIENCE_ID[r.escalated_from]} belum ditanggapi{waited}; diteruskan ke "
            f"{AUDIENCE_ID[r.audience]}."
        )
    elif event is AlertEvent.REPEATED:
        parts.append("Pengingat: peringatan ini masih berlaku.")
    elif event is AlertEvent.ACKNOWLEDGED and r.acknowledged_at:
        parts.append(f"Ditanggapi oleh {r.acknowledged_by} pada {local_time(r.acknowledged_at, r.province)}.")
    elif (about := _candidate(r, event)) is not None:
        parts.append(about)
    if r.coverage is Coverage.REGION:
        if r.report_summary:
            parts.append(r.report_summary.rstrip(".") + ".")
        detail = f"Skor risiko {r.score:.0f} dari 100"
        parts.append(f"{detail} ({r.reasons})." if r.reasons else f"{detail}.")
        parts.append(
            f"Laporan terakhir: {local_time(r.last_report_at, r.province)}; {len(r.report_ids)} laporan."
        )
    else:
        scope = "kabupaten/kota" if r.coverage is Coverage.PROVINCE else "provinsi"
        parts.append(
            f"{len(r.members)} {scope} mencapai Level 3 (Siaga) atau lebih untuk {CATEGORY_ID[r.category]}: {_members(r)}."
        )
        parts.append(f"Laporan terakhir: {local_time(r.last_report_at, r.province)}.")
    if r.level is Level.AWAS and r.audience is Audience.NATIONAL and event is not AlertEvent.RESOLVED:
        parts.append("Pertimbangkan penetapan status keadaan konflik (UU 7/2012).")
    return " ".join(parts)
