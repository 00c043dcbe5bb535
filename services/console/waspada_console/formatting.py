"""How values read in the console: levels, regions, times, numbers, all in Bahasa Indonesia (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from waspada_shared import indonesian as words
from waspada_shared.levels import Level
from waspada_shared.regions import reference

WIB = timezone(timedelta(hours=7), "WIB")
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"]


def level_rank(level: str | None) -> int:
    try:
        return Level(level).rank if level else 0
    except ValueError:
        return 0


def level_label(level: str | None) -> str:
    """ "Level 3 (Siaga)": the number and the word, never the word alone (SPEC §6)."""
    try:
        return Level(level).label if level else "Belum dinilai"
    except ValueError:
        return str(level)


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def when(value: Any) -> str:
    """A time as officials read it, in WIB: "2 Des 2026 09:38 WIB"."""
    t = parse_time(value)
    if t is None:
        return "-"
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    t = t.astimezone(WIB)
    return f"{t.day} {_MONTHS[t.month - 1]} {t.year} {t:%H:%M} WIB"


def duration(seconds: Any) -> str:
    if seconds is None:
        return "-"
    s = float(seconds)
    if s < 60:
        return f"{s:.0f} detik"
    if s < 3600:
        return f"{s / 60:.0f} menit"
    if s < 86400:
        return f"{s / 3600:.1f} jam".replace(".", ",")
    return f"{s / 86400:.1f} hari".replace(".", ",")


def percent(share: Any) -> str:
    return "-" if share is None else f"{float(share) * 100:.0f}%"


def number(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{float(value):.{digits}f}".replace(".", ",")


def region_name(code: str | None) -> str:
    if not code:
        return "-"
    ref = reference()
    if code == "00":
        return "Lintas provinsi"
    if "." in code:
        return ref.regency_name(code) if code.count(".") == 1 else ref.district_names.get(code, code)
    return ref.province_name(code)


def category(value: str | None) -> str:
    if not value:
        return "-"
    for key, text in words.CATEGORY_ID.items():
        if key.value == value:
            return text[0].upper() + text[1:]
    return value


def factor_name(name: str) -> str:
    return words.FACTOR_ID.get(name, name.replace("_", " ").capitalize())


def label(value: Any, table: str) -> str:
    """A value in words, from one of the tables of `waspada_shared.indonesian` (e.g. "SIGNAL_ID")."""
    found: dict[str, str] = getattr(words, table)
    return found.get(str(value), str(value))


FILTERS = {
    "level_label": level_label,
    "level_rank": level_rank,
    "when": when,
    "duration": duration,
    "percent": percent,
    "number": number,
    "region": region_name,
    "category": category,
    "factor": factor_name,
    "label": label,
}
