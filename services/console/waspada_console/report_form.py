"""The Laporan baru form: its fields (named by the API's dotted paths, so that intake's per-field errors
land next to their field), the report JSON built from a posted form, and the errors mapped back. Pure."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from waspada_shared import indonesian as words

IMPACT_NUMBERS = ("deaths", "injured", "displaced", "buildings_damaged", "crowd_size")
TIMEZONES = {"+07:00": "WIB (UTC+7)", "+08:00": "WITA (UTC+8)", "+09:00": "WIT (UTC+9)"}
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}

FIELDS = (
    "report_id",
    "region.province",
    "region.regency",
    "region.district",
    "region.place",
    "location.lat",
    "location.lon",
    "occurred_at",
    "kind",
    "category",
    "form",
    "election_stage",
    *(f"impact.{n}" for n in IMPACT_NUMBERS),
    "impact.arson",
    "impact.weapons",
    "signals",
    "actors",
    "source.type",
    "source.agency",
    "source.reliability",
    "source.credibility",
    "summary",
    "narrative",
    "reporter.name",
    "reporter.phone",
    "reporter.email",
    "tags",
)
_ALIASES = {
    "region": "region.regency",
    "location": "location.lat",
    "impact": "impact.deaths",
    "source": "source.type",
}


def timezone_of(province: str | None) -> str:
    if province in _WITA:
        return "+08:00"
    if province in _WIT:
        return "+09:00"
    return "+07:00"


def new_report_id() -> str:
    return f"konsol-{datetime.now(UTC):%Y%m%d}-{secrets.token_hex(5)}"


def defaults(province: str | None) -> dict[str, Any]:
    return {
        "report_id": new_report_id(),
        "region.province": province or "",
        "occurred_tz": timezone_of(province),
        "kind": "potential",
        "impact.weapons": "none",
        "source.type": "official",
        "source.reliability": "F",
        "source.credibility": "6",
        **{f"impact.{n}": "0" for n in IMPACT_NUMBERS},
    }


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name, "")
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value).strip()


def _list(form: dict[str, Any], name: str) -> list[str]:
    value = form.get(name, [])
    values = value if isinstance(value, list) else [value]
    return [str(v) for v in values if str(v).strip()]


def to_report(form: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """The v1 report JSON for a posted form, and the errors found before asking intake (numbers, time)."""
    errors: dict[str, str] = {}
    region = {"province": _text(form, "region.province"), "regency": _text(form, "region.regency")}
    for optional in ("district", "place"):
        if _text(form, f"region.{optional}"):
            region[optional] = _text(form, f"region.{optional}")
    report: dict[str, Any] = {
        "report_id": _text(form, "report_id") or new_report_id(),
        "region": region,
        "kind": _text(form, "kind"),
        "category": _text(form, "category"),
        "summary": _text(form, "summary"),
    }
    when = _text(form, "occurred_at")
    if not when:
        errors["occurred_at"] = "wajib diisi"
    else:
        stamp = when if len(when) > 16 else f"{when}:00"
        report["occurred_at"] = stamp + (_text(form, "occurred_tz") or "+07:00")
    for optional in ("form", "election_stage", "narrative"):
        if _text(form, optional):
            report[optional] = _text(form, optional)
    lat, lon = _text(form, "location.lat"), _text(form, "location.lon")
    if lat or lon:
        location: dict[str, float] = {}
        for name, value in (("lat", lat), ("lon", lon)):
            if not value:
                errors[f"location.{name}"] = "isi lintang dan bujur bersama-sama"
                continue
            try:
                location[name] = float(value.replace(",", "."))
            except ValueError:
                errors[f"location.{name}"] = "harus berupa angka (derajat desimal)"
        report["location"] = location
    impact: dict[str, Any] = {
        "arson": bool(_text(form, "impact.arson")),
        "weapons": _text(form, "impact.weapons") or "none",
    }
    for name in IMPACT_NUMBERS:
        raw = _text(form, f"impact.{name}") or "0"
        try:
            impact[name] = int(raw)
        except ValueError:
            errors[f"impact.{name}"] = "harus berupa bilangan bulat"
    report["impact"] = impact
    report["signals"] = _list(form, "signals")
    report["actors"] = [{"type": t} for t in _list(form, "actors")]
    source: dict[str, Any] = {
        "type": _text(form, "source.type"),
        "reliability": _text(form, "source.reliability") or "F",
    }
    try:
        source["credibility"] = int(_text(form, "source.credibility") or "6")
    except ValueError:
        errors["source.credibility"] = "pilih 1 sampai 6"
    if _text(form, "source.agency"):
        source["agency"] = _text(form, "source.agency")
    report["source"] = source
    reporter = {
        n: _text(form, f"reporter.{n}") for n in ("name", "phone", "email") if _text(form, f"reporter.{n}")
    }
    if reporter:
        report["reporter"] = reporter
    tags = [t.strip() for t in _text(form, "tags").split(",") if t.strip()]
    if tags:
        report["tags"] = tags
    return report, errors


def field_for(api_field: str) -> str:
    """The form field an API error names (`signals.2` -> `signals`, `region` -> `region.regency`)."""
    path = api_field.removeprefix("body.")
    parts = path.split(".")
    for n in range(len(parts), 0, -1):
        candidate = ".".join(parts[:n])
        if candidate in FIELDS:
            return candidate
        if candidate in _ALIASES:
            return _ALIASES[candidate]
    return "_umum"


def api_errors(found: list[dict[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for e in found:
        name = field_for(str(e.get("field", "")))
        message = str(e.get("message", "tidak sah"))
        out[name] = f"{out[name]}; {message}" if name in out else message
    return out


def choices() -> dict[str, Any]:
    """Every enumeration of the form with its Indonesian label, for the template."""
    return {
        "kinds": words.KIND_ID,
        "categories": {c.value: t[0].upper() + t[1:] for c, t in words.CATEGORY_ID.items()},
        "forms": words.FORM_ID,
        "stages": words.ELECTION_STAGE_ID,
        "impacts": {n: words.IMPACT_ID[n] for n in IMPACT_NUMBERS},
        "weapons": words.WEAPONS_ID,
        "signals": words.SIGNAL_ID,
        "actors": words.ACTOR_ID,
        "source_types": words.SOURCE_TYPE_ID,
        "reliability": words.RELIABILITY_ID,
        "credibility": words.CREDIBILITY_ID,
        "timezones": TIMEZONES,
    }
