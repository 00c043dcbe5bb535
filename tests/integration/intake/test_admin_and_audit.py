"""Keys over HTTP (admin), expiry, revocation on every service, last use, and the audit log.

Against the running intake and notify: a key revoked through intake's admin API stops working on
notify too within its refresh interval (5 s), an expired key is refused at once, and every human or
administrative action is in the append-only audit log with actor, scope, time and target.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest

from tests.conftest import auth
from tests.helpers import Stack, unique, wait_until

pytestmark = pytest.mark.stack


async def admin_create(http: httpx.AsyncClient, stack: Stack, scope: str, **body: object) -> tuple[str, str]:
    name = unique(f"it-admin-{scope}")
    r = await http.post(
        f"{stack.intake_url}/v1/admin/keys",
        json={"name": name, "scope": scope, **body},
        headers=auth("demo-admin"),
    )
    assert r.status_code == 201, r.text
    return name, r.json()["key"]


async def test_only_admin_keys_administer_keys_and_read_the_audit_log(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    for key in ("demo-19", "demo-national"):
        assert (await http.get(f"{stack.intake_url}/v1/admin/keys", headers=auth(key))).status_code == 403
        assert (await http.get(f"{stack.intake_url}/v1/admin/audit", headers=auth(key))).status_code == 403
    assert (await http.get(f"{stack.intake_url}/v1/admin/audit")).status_code == 401
    me = await http.get(f"{stack.intake_url}/v1/me", headers=auth("demo-19"))
    assert me.json() == {"name": "demo-19", "scope": "19"}


async def test_a_revoked_key_stops_working_on_every_service_within_seconds(
    stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    name, key = await admin_create(http, stack, "19")
    assert (await http.get(f"{stack.notify_url}/v1/alerts", headers=auth(key))).status_code == 200
    assert (await http.get(f"{stack.intake_url}/v1/me", headers=auth(key))).status_code == 200
    revoked = await http.post(f"{stack.intake_url}/v1/admin/keys/{name}/revoke", headers=auth("demo-admin"))
    assert revoked.json() == {"name": name, "revoked": True}
    assert (await http.get(f"{stack.intake_url}/v1/me", headers=auth(key))).status_code == 401  # at once here

    async def refused_by_notify() -> bool:
        return (await http.get(f"{stack.notify_url}/v1/alerts", headers=auth(key))).status_code == 401

    started = datetime.now(UTC)
    await wait_until(refused_by_notify, timeout=15, what="notify to refuse the revoked key")
    assert datetime.now(UTC) - started < timedelta(seconds=10)
    again = await http.post(f"{stack.intake_url}/v1/admin/keys/{name}/revoke", headers=auth("demo-admin"))
    assert again.status_code == 404

    row = await pg.fetchrow("SELECT last_used_at, revoked_by FROM auth.api_keys WHERE name = $1", name)
    assert row is not None and row["revoked_by"] == "demo-admin"
    log = await http.get(
        f"{stack.intake_url}/v1/admin/audit", params={"action": "key.revoked"}, headers=auth("demo-admin")
    )
    entry = next(e for e in log.json()["entries"] if e["target"] == name)
    assert (entry["actor"], entry["actor_scope"], entry["scope"], entry["service"]) == (
        "demo-admin",
        "admin",
        "19",
        "intake",
    )


async def test_an_expired_key_is_refused_and_last_use_is_recorded(
    stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    name, key = await admin_create(http, stack, "national", expires_in_days=30)
    assert (await http.get(f"{stack.intake_url}/v1/me", headers=auth(key))).status_code == 200

    async def last_use_written() -> bool:
        await http.get(f"{stack.intake_url}/v1/me", headers=auth(key))  # refreshes write the last use
        return await pg.fetchval("SELECT last_used_at FROM auth.api_keys WHERE name = $1", name) is not None

    await wait_until(last_use_written, timeout=20, what="the key's last use to be written")
    listed = await http.get(f"{stack.intake_url}/v1/admin/keys", headers=auth("demo-admin"))
    info = next(k for k in listed.json()["keys"] if k["name"] == name)
    assert info["expires_at"] is not None and info["last_used_at"] is not None
    # The key expires (set in the past directly: the API only takes future expiries).
    await pg.execute(
        "UPDATE auth.api_keys SET expires_at = now() - interval '1 second' WHERE name = $1", name
    )

    async def refused() -> bool:
        on_notify = await http.get(f"{stack.notify_url}/v1/alerts", headers=auth(key))
        on_intake = await http.get(f"{stack.intake_url}/v1/me", headers=auth(key))
        return on_notify.status_code == on_intake.status_code == 401

    await wait_until(refused, timeout=15, what="the expired key to be refused by intake and notify")


async def test_the_audit_log_is_append_only_and_records_console_sessions(
    stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    r = await http.post(
        f"{stack.intake_url}/v1/audit/events", json={"action": "console.signed_in"}, headers=auth("demo-63")
    )
    assert r.status_code == 204
    bad = await http.post(
        f"{stack.intake_url}/v1/audit/events", json={"action": "key.revoked"}, headers=auth("demo-63")
    )
    assert bad.status_code == 422  # a client records its own sessions only
    log = await http.get(
        f"{stack.intake_url}/v1/admin/audit",
        params={"action": "console.signed_in", "province": "63"},
        headers=auth("demo-admin"),
    )
    assert any(e["actor"] == "demo-63" for e in log.json()["entries"])
    for statement in ("UPDATE auth.audit_log SET actor = 'x'", "DELETE FROM auth.audit_log"):
        with pytest.raises(asyncpg.RaiseError, match="append-only"):
            await pg.execute(statement)
