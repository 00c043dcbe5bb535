"""`python -m waspada_intake.keys`: create, list, revoke; keys hashed at rest, usable at once."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sys

import asyncpg
import httpx
import orjson
import pytest

from tests.conftest import auth
from tests.helpers import Stack, make_report, unique, wait_until

pytestmark = pytest.mark.stack


async def cli(stack: Stack, *args: str) -> tuple[int, str, str]:
    env = {**os.environ, "WASPADA_DATABASE_URL": stack.database_url}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "waspada_intake.keys",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_create_use_list_revoke(stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool) -> None:
    name = unique("kesbangpol-19")
    rc, out, err = await cli(stack, "create", name, "--scope", "19", "--rate-limit", "50")
    assert rc == 0, err
    key = out.strip()
    assert key.startswith("wsp_") and len(key) > 40 and "not shown again" in err

    # Hashed at rest: the table holds the SHA-256, never the key.
    row = await pg.fetchrow("SELECT * FROM auth.api_keys WHERE name = $1", name)
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert key not in orjson.dumps({k: str(v) for k, v in dict(row).items()}).decode()
    assert (row["scope"], row["rate_limit"]) == ("19", 50.0)

    # Usable at once, within its scope.
    r = await http.post(f"{stack.intake_url}/v1/reports", json=make_report(), headers=auth(key))
    assert r.status_code == 202, r.text
    r = await http.post(
        f"{stack.intake_url}/v1/reports",
        json=make_report(region={"province": "21", "regency": "21.01"}),
        headers=auth(key),
    )
    assert r.status_code == 403

    rc, out, _ = await cli(stack, "list")
    assert rc == 0 and name in out and key not in out
    rc, out, _ = await cli(stack, "list", "--json")
    listed = [orjson.loads(line) for line in out.splitlines()]
    assert {"name": name, "scope": "19"}.items() <= next(k for k in listed if k["name"] == name).items()

    rc, _, err = await cli(stack, "create", name, "--scope", "19")
    assert rc == 2 and "exists" in err

    rc, _, _ = await cli(stack, "revoke", name)
    assert rc == 0

    async def refused() -> bool:
        r = await http.post(f"{stack.intake_url}/v1/reports", json=make_report(), headers=auth(key))
        return r.status_code == 401

    await wait_until(refused, timeout=15, interval=0.5, what="the revoked key to be refused")
    rc, out, _ = await cli(stack, "list")
    assert name not in out
    rc, out, _ = await cli(stack, "list", "--all")
    assert name in out and "revoked" in out
    rc, _, err = await cli(stack, "revoke", name)
    assert rc == 1 and "no active key" in err


@pytest.mark.parametrize("scope", ["77", "province", ""])
async def test_scope_must_be_a_province_national_or_admin(stack: Stack, scope: str) -> None:
    rc, out, err = await cli(stack, "create", unique("bad"), "--scope", scope)
    assert rc == 2 and out == "" and "scope" in err
