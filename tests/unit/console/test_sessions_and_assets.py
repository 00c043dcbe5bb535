"""Sessions (signed ids, fresh id on sign-in, CSRF, expiry) and fingerprinted static files."""

from __future__ import annotations

import time
from pathlib import Path

from waspada_console.assets import Assets
from waspada_console.sessions import SessionStore


def test_a_cookie_names_its_session_only_with_a_valid_signature() -> None:
    store = SessionStore(b"k" * 32, 3600, 100)
    s = store.load(None)
    assert s.new and not s.signed_in
    assert store.load(store.cookie_value(s)) is s
    forged = s.sid + ".0000"
    assert store.load(forged) is not s
    assert store.load(SessionStore(b"x" * 32, 3600, 100).cookie_value(s)) is not s


def test_signing_in_replaces_the_session_and_keeps_the_key_server_side() -> None:
    store = SessionStore(b"k" * 32, 3600, 100)
    anonymous = store.load(None)
    signed = store.sign_in(anonymous, "demo-19", "demo-19", "19")
    assert signed.sid != anonymous.sid and signed.csrf != anonymous.csrf
    assert "demo-19" not in store.cookie_value(signed)
    assert store.load(store.cookie_value(anonymous)) is not anonymous  # the old id is gone
    assert signed.province == "19" and not signed.is_national
    assert store.csrf_ok(signed, signed.csrf) and not store.csrf_ok(signed, anonymous.csrf)
    assert not store.csrf_ok(signed, None) and not store.csrf_ok(signed, "")
    out = store.sign_out(signed)
    assert not out.signed_in and store.load(store.cookie_value(signed)) is not signed


def test_idle_sessions_expire_and_the_store_is_bounded() -> None:
    store = SessionStore(b"k" * 32, 60, 3)
    s = store.load(None)
    s.seen = time.monotonic() - 120
    assert store.load(store.cookie_value(s)) is not s
    for _ in range(10):
        store.load(None)
    assert len(store._sessions) <= 3


def test_assets_get_content_fingerprinted_names(tmp_path: Path) -> None:
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "a.css").write_text("body{}")
    first = Assets(tmp_path).url("css/a.css")
    assert first.startswith("/static/css/a.") and first.endswith(".css")
    (tmp_path / "css" / "a.css").write_text("body{color:red}")
    second = Assets(tmp_path)
    assert second.url("css/a.css") != first
    assert second.file(second.url("css/a.css").removeprefix("/static/")) == tmp_path / "css" / "a.css"
    assert second.file(first.removeprefix("/static/")) is None
