"""API keys: hashed at rest, cached in memory so authentication costs no database round trip."""

from __future__ import annotations

import secrets
import time

import asyncpg

from waspada_shared.auth import ADMIN, NATIONAL, Principal, hash_key
from waspada_shared.regions import reference


class KeyStore:
    def __init__(self, pool: asyncpg.Pool, refresh_seconds: float = 5.0) -> None:
        self.pool = pool
        self.refresh_seconds = refresh_seconds
        self._cache: dict[str, Principal] = {}
        self._loaded_at = 0.0

    async def refresh(self) -> None:
        rows = await self.pool.fetch(
            "SELECT key_hash, name, scope, rate_limit FROM auth.api_keys WHERE revoked_at IS NULL"
        )
        self._cache = {r["key_hash"]: Principal(r["name"], r["scope"], r["rate_limit"]) for r in rows}
        self._loaded_at = time.monotonic()

    async def authenticate(self, key: str) -> Principal | None:
        if time.monotonic() - self._loaded_at > self.refresh_seconds:
            await self.refresh()
        return self._cache.get(hash_key(key))

    async def create(self, name: str, scope: str, rate_limit: float | None = None) -> str:
        """Create a key and return it; only its hash is stored, so it is shown once."""
        validate_scope(scope)
        key = f"wsp_{secrets.token_urlsafe(32)}"
        await self.pool.execute(
            "INSERT INTO auth.api_keys (key_hash, name, scope, rate_limit) VALUES ($1, $2, $3, $4)",
            hash_key(key),
            name,
            scope,
            rate_limit,
        )
        return key

    async def revoke(self, name: str) -> bool:
        result = await self.pool.execute(
            "UPDATE auth.api_keys SET revoked_at = now() WHERE name = $1 AND revoked_at IS NULL", name
        )
        return bool(result.endswith(" 1"))

    async def list(self) -> list[asyncpg.Record]:
        return await self.pool.fetch(
            "SELECT name, scope, rate_limit, created_at, revoked_at FROM auth.api_keys ORDER BY name"
        )

    async def ensure_demo_keys(self) -> None:
        """Local profile only: `demo-<province>` for every province, `demo-national`, `demo-admin`."""
        demo = {f"demo-{code}": code for code in reference().provinces}
        demo["demo-national"] = NATIONAL
        demo["demo-admin"] = ADMIN
        await self.pool.execute(
            "INSERT INTO auth.api_keys (key_hash, name, scope) SELECT * FROM unnest($1::text[], $2::text[],"
            " $3::text[]) ON CONFLICT DO NOTHING",
            [hash_key(k) for k in demo],
            list(demo),
            list(demo.values()),
        )


def validate_scope(scope: str) -> None:
    if scope not in (NATIONAL, ADMIN) and scope not in reference().provinces:
        raise ValueError(f"scope must be a province code, 'national' or 'admin', not {scope!r}")
