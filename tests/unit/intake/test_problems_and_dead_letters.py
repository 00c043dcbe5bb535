"""Language negotiation, error messages, and what a dead letter may echo of the input."""

from __future__ import annotations

import orjson
import pytest

from waspada_intake.domain.validation import (
    WITHHELD,
    original_for_dead_letter,
    redact_unparsed,
    strip_reporter,
)
from waspada_shared.problems import field_error, message, wants_indonesian

PHONE = "+62 812-3456-7890"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, False),
        ("", False),
        ("id", True),
        ("ID", True),
        ("id-ID", True),
        ("in", True),
        ("id-ID,id;q=0.9,en;q=0.8", True),
        ("en-US,en;q=0.9,id;q=0.8", False),
        ("en;q=0.5, id", True),
        ("id;q=0", False),
        ("*", False),
        ("idx", False),
        ("id;q=abc, en", False),
        ("de, fr", False),
    ],
)
def test_wants_indonesian(header: str | None, expected: bool) -> None:
    assert wants_indonesian(header) is expected


def test_messages_fall_back_without_their_placeholders() -> None:
    assert message("unknown_region", "x", {}, indonesian=True) == "kode wilayah tidak dikenal"
    assert message("enum", "x", {}, indonesian=True) == "nilai tidak dikenal"
    assert message("string_too_short", "x", {}, indonesian=True) == "terlalu pendek"
    assert message("some_new_code", "English", {}, indonesian=True) == "nilai tidak sah"
    assert message("enum", "English text", {"expected": "a"}, indonesian=False) == "English text"


def test_field_error_carries_code_and_localised_message() -> None:
    e = field_error(
        "report_id", "conflict", "used before", indonesian=True, received_at="2024-01-01T00:00:00Z"
    )
    assert (e.field, e.code) == ("report_id", "conflict")
    assert (
        e.message == "report_id sudah dipakai untuk isi yang berbeda (pertama diterima 2024-01-01T00:00:00Z)"
    )


def test_strip_reporter_at_any_depth() -> None:
    obj = {"reporter": {"phone": PHONE}, "a": [{"reporter": PHONE, "b": 1}], "c": {"reporter": None}}
    assert strip_reporter(obj) == {"a": [{"b": 1}], "c": {}}
    assert strip_reporter([{"reporter": 1}, 2]) == [{}, 2]


@pytest.mark.parametrize(
    "text",
    [
        '{"summary": "x", "reporter": {"name": "A", "phone": "' + PHONE + '"}, "kind": ',
        '{"reporter": {"phone": "' + PHONE,
        '{"reporter": "' + PHONE + '", oops}',
        "{'reporter': {'phone': '" + PHONE + "'}}",
        "phone " + PHONE,
        '{"REPORTER" : {"Phone":"' + PHONE + '"}}',
    ],
)
def test_unparseable_input_never_keeps_a_reporter(text: str) -> None:
    out = redact_unparsed(text)
    assert PHONE not in out
    assert "3456" not in out


def test_unparseable_input_without_reporter_is_kept() -> None:
    assert redact_unparsed("{not json at all") == "{not json at all"


def test_redaction_keeps_the_rest_when_it_can() -> None:
    out = redact_unparsed('{"summary": "tawuran", "reporter": {"phone": "1"}, oops')
    assert out == '{"summary": "tawuran", "reporter":"<redacted>", oops'


def test_original_for_dead_letter() -> None:
    raw = orjson.dumps({"summary": "s", "reporter": {"phone": PHONE}})
    assert orjson.loads(original_for_dead_letter(raw, 1000)) == {"summary": "s"}
    assert len(original_for_dead_letter(b'{"a": "' + b"x" * 5000 + b'"}', 100)) == 100
    assert original_for_dead_letter(b'{"reporter": {"phone": "' + PHONE.encode() + b'"', 1000) != ""
    assert PHONE not in original_for_dead_letter(b'{"reporter": {"phone": "' + PHONE.encode() + b'"', 1000)
    assert original_for_dead_letter(b"\xff\xfe binary", 1000).endswith("binary")
    assert WITHHELD == redact_unparsed("email me at a@b.id, broken json {")
