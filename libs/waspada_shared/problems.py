"""RFC 9457 problem details, and field errors derived from pydantic validation errors.

One error shape for HTTP responses and for `reports.rejected.v1`: every rejected field is named by its
dotted path with a short message, in English or, on request, in Bahasa Indonesia.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from waspada_shared.contracts.rejection import FieldError

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_BASE = "https://waspada.id/problems/"

# Short Indonesian messages per pydantic error type; `{...}` placeholders come from the error's ctx.
_ID_MESSAGES: dict[str, str] = {
    "missing": "wajib diisi",
    "extra_forbidden": "kolom tidak dikenal",
    "enum": "nilai tidak dikenal; pilihan: {expected}",
    "literal_error": "nilai tidak dikenal; pilihan: {expected}",
    "string_too_short": "terlalu pendek (minimal {min_length} karakter)",
    "string_too_long": "terlalu panjang (maksimal {max_length} karakter)",
    "string_pattern_mismatch": "format tidak sesuai",
    "string_type": "harus berupa teks",
    "int_type": "harus berupa bilangan bulat",
    "int_parsing": "harus berupa bilangan bulat",
    "float_type": "harus berupa angka",
    "float_parsing": "harus berupa angka",
    "bool_type": "harus berupa true/false",
    "bool_parsing": "harus berupa true/false",
    "greater_than_equal": "harus lebih besar atau sama dengan {ge}",
    "less_than_equal": "harus lebih kecil atau sama dengan {le}",
    "too_long": "terlalu banyak isi (maksimal {max_length})",
    "list_type": "harus berupa daftar",
    "model_type": "harus berupa objek",
    "dict_type": "harus berupa objek",
    "datetime_parsing": "waktu tidak sah (ISO 8601 dengan zona waktu)",
    "datetime_type": "waktu tidak sah (ISO 8601 dengan zona waktu)",
    "timezone_aware": "waktu harus menyertakan zona waktu (+07:00, +08:00, +09:00 atau Z)",
    "future_time": "waktu kejadian lebih dari 10 menit di masa depan",
    "unknown_region": "kode wilayah tidak dikenal",
    "region_mismatch": "kode wilayah tidak termasuk wilayah induknya",
    "json_invalid": "JSON tidak sah",
    "json_type": "JSON tidak sah",
}


def wants_indonesian(accept_language: str | None) -> bool:
    if not accept_language:
        return False
    first = accept_language.split(",")[0].strip().lower()
    return first.startswith("id") or first.startswith("in")


def field_errors(exc: ValidationError, *, indonesian: bool = False, prefix: str = "") -> list[FieldError]:
    out: list[FieldError] = []
    for err in exc.errors(include_url=False):
        loc = [str(p) for p in err["loc"]]
        ctx: dict[str, Any] = dict(err.get("ctx") or {})
        if "field" in ctx:
            loc.append(str(ctx["field"]))
        path = ".".join(loc) or "body"
        if prefix:
            path = f"{prefix}.{path}" if path != "body" else prefix
        code = err["type"]
        message = err["msg"].removeprefix("Value error, ")
        if indonesian and code in _ID_MESSAGES:
            try:
                message = _ID_MESSAGES[code].format(**ctx)
            except (KeyError, IndexError):
                message = _ID_MESSAGES[code]
        out.append(FieldError(field=path, message=message, code=code))
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
