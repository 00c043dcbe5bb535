"""RFC 9457 problem details, and field errors derived from pydantic validation errors.

One error shape for HTTP responses and for `reports.rejected.v1`: every rejected field is named by its
dotted path with a short message, in English or, on request, in Bahasa Indonesia.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from waspada_shared.contracts.rejection import FieldError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://waspada.id/problems/"

# Short Indonesian messages per error code (pydantic's types and ours); `{...}` come from the error's ctx.
_ID_MESSAGES: dict[str, str] = {
    "missing": "wajib diisi",
    "extra_forbidden": "kolom tidak dikenal",
    "enum": "nilai tidak dikenal; pilihan: {expected}",
    "literal_error": "nilai tidak dikenal; pilihan: {expected}",
    "string_too_short": "terlalu pendek (minimal {min_length} karakter)",
    "string_too_long": "terlalu panjang (maksimal {max_length} karakter)",
    "string_pattern_mismatch": "format tidak sesuai (pola {pattern})",
    "string_type": "harus berupa teks",
    "string_unicode": "harus berupa teks Unicode yang sah",
    "null_character": "tidak boleh memuat karakter NUL (U+0000)",
    "blank": "tidak boleh kosong",
    "int_type": "harus berupa bilangan bulat",
    "int_parsing": "harus berupa bilangan bulat",
    "int_from_float": "harus berupa bilangan bulat",
    "float_type": "harus berupa angka",
    "float_parsing": "harus berupa angka",
    "finite_number": "harus berupa angka terhingga",
    "bool_type": "harus berupa true/false",
    "bool_parsing": "harus berupa true/false",
    "greater_than_equal": "harus lebih besar atau sama dengan {ge}",
    "less_than_equal": "harus lebih kecil atau sama dengan {le}",
    "too_long": "terlalu banyak isi (maksimal {max_length})",
    "too_short": "terlalu sedikit isi (minimal {min_length})",
    "list_type": "harus berupa daftar",
    "model_type": "harus berupa objek",
    "model_attributes_type": "harus berupa objek",
    "dict_type": "harus berupa objek",
    "datetime_parsing": "waktu tidak sah (ISO 8601 dengan zona waktu)",
    "datetime_type": "waktu tidak sah (ISO 8601 dengan zona waktu)",
    "datetime_from_date_parsing": "waktu tidak sah (ISO 8601 dengan zona waktu)",
    "timezone_aware": "waktu harus menyertakan zona waktu (+07:00, +08:00, +09:00 atau Z)",
    "timezone_offset": "zona waktu harus WIB +07:00, WITA +08:00, WIT +09:00 atau Z",
    "future_time": "waktu kejadian lebih dari 10 menit di masa depan",
    "too_old": "waktu kejadian sebelum tahun 1970",
    "unknown_region": "kode wilayah {code} tidak dikenal",
    "region_mismatch": "kode wilayah {code} tidak termasuk wilayah {parent}",
    "json_invalid": "JSON tidak sah",
    "json_type": "JSON tidak sah",
    "too_large": "terlalu besar",
    "forbidden": "di luar wewenang kunci ini",
    "out_of_scope": "provinsi di luar cakupan topik pengiriman ini",
    "conflict": "report_id sudah dipakai untuk isi yang berbeda (pertama diterima {received_at})",
}
_ID_FALLBACK = "nilai tidak sah"

# Titles of the problems the APIs answer with, by kind, in Bahasa Indonesia.
_ID_TITLES: dict[str, str] = {
    "unauthorized": "Kunci API tidak ada atau tidak sah",
    "forbidden": "Di luar wewenang kunci",
    "not-found": "Tidak ditemukan",
    "conflict": "report_id sudah dipakai untuk isi yang berbeda",
    "too-large": "Isi permintaan terlalu besar",
    "invalid-report": "Laporan tidak sah",
    "invalid-batch": "Kiriman massal tidak sah",
    "invalid-request": "Permintaan tidak sah",
    "rate-limited": "Terlalu banyak permintaan",
    "unavailable": "Laporan tidak dapat disimpan saat ini",
}


def wants_indonesian(accept_language: str | None) -> bool:
    """True when Bahasa Indonesia (`id`, or the old `in`) ranks above every other language asked for."""
    if not accept_language:
        return False
    best_id, best_other = -1.0, -1.0
    for part in accept_language.split(","):
        lang, _, params = part.strip().partition(";")
        q = 1.0
        params = params.strip()
        if params.startswith("q="):
            try:
                q = float(params[2:])
            except ValueError:
                q = 0.0
        primary = lang.strip().lower().split("-")[0]
        if primary in ("id", "in"):
            best_id = max(best_id, q)
        elif primary:
            best_other = max(best_other, q)
    return best_id > 0 and best_id >= best_other


def message(code: str, english: str, ctx: dict[str, Any] | None = None, *, indonesian: bool) -> str:
    """The message for an error code: `english` as given, or the Indonesian template filled from ctx."""
    if not indonesian:
        return english
    template = _ID_MESSAGES.get(code, _ID_FALLBACK)
    values = {k: str(v).replace(" or ", " atau ") for k, v in (ctx or {}).items()}
    try:
        return template.format(**values)
    except (KeyError, IndexError):  # a placeholder without its value: drop it
        return re.sub(r"\s*(\([^)]*\{[^}]*\}[^)]*\)|;[^;]*\{[^}]*\}.*|\{[^}]*\})", "", template)


def title(kind: str, english: str, *, indonesian: bool) -> str:
    return _ID_TITLES.get(kind, english) if indonesian else english


def field_error(field: str, code: str, english: str, *, indonesian: bool = False, **ctx: Any) -> FieldError:
    return FieldError(field=field, message=message(code, english, ctx, indonesian=indonesian), code=code)


def field_errors(exc: ValidationError, *, indonesian: bool = False, prefix: str = "") -> list[FieldError]:
    out: list[FieldError] = []
    for err in exc.errors(include_url=False, include_input=False):
        loc = [str(p) for p in err["loc"]]
        ctx: dict[str, Any] = dict(err.get("ctx") or {})
        if "field" in ctx:  # a model-level check naming the exact field (region.regency, not region)
            loc.append(str(ctx["field"]))
        path = ".".join(loc) or "body"
        if prefix:
            path = f"{prefix}.{path}" if path != "body" else prefix
        code = err["type"]
        english = err["msg"].removeprefix("Value error, ")
        out.append(
            FieldError(field=path, message=message(code, english, ctx, indonesian=indonesian), code=code)
        )
    return out


class Problem(BaseModel):
    """RFC 9457 problem details with a list of the offending fields."""

    model_config = ConfigDict(extra="allow")

    type: str = Field(description="URI identifying the problem type")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[FieldError] = Field(default_factory=list)


def problem(status: int, kind: str, title: str, detail: str | None = None, **extra: Any) -> Problem:
    return Problem(type=PROBLEM_BASE + kind, title=title, status=status, detail=detail, **extra)
