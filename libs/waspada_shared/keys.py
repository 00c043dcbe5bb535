"""API keys: hashed at rest, cached in memory so authentication costs no database round trip.

Keys are random 256-bit tokens, so a plain SHA-256 is enough to make a leaked table useless (a slow
password hash is for low-entropy secrets). Revocation reaches running services within `refresh_seconds`;
an expired key is refused at once (its expiry is cached with it). When a key was last used is kept in
memory and written with each refresh, one statement for all keys, never a write per request.
"""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime

import asyncpg

from waspada_shared import audit
from waspada_shared.auth import ADMIN, NATIONAL, Principal, hash_key
from waspada_shared.logging import get_logger
from waspada_shared.regions import reference

log = get_logger(__name__)
OPERATOR = ("operator (command line)", ADMIN)  # the actor of key changes made with the keys CLI


class KeyStore:
    def __init__(
        self, pool: asyncpg.Pool, refresh_seconds: float = 5.0, miss_lookups_per_second: int = 20
    ) -> None:
        self.pool = pool
        self.refresh_seconds = refresh_seconds
        # An unknown key is looked up in the database, so a key created a moment ago works at once;
        # at most this many lookups a second, so a flood of bad keys cannot load the database.
        self.miss_lookups_per_second = miss_lookups_per_second
        self._cache: dict[str, Principal] = {}
        self._expires: dict[str, datetime] = {}  # key hash -> expiry, for the keys that have one
        self._used: dict[str, datetime] = {}  # key hash -> last use since the last refresh
        self._loaded_at = 0.0
        self._miss_window = 0
        self._misses = 0

    async def refresh(self) -> None:
        used, self._used = self._used, {}
        try:
            if used:
                await self.pool.execute(
                    "UPDATE auth.api_keys k SET last_used_at = GREATEST(k.last_used_at, u.at)"
                    " FROM unnest($1::text[], $2::timestamptz[]) AS u(h, at) WHERE k.key_hash = u.h",
                    list(used),
                    list(used.values()),
                )
            rows = await self.pool.fetch(
                "SELECT key_hash, name, scope, rate_limit, expires_at FROM auth.api_keys"
                " WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())"
            )
        except BaseException:
            for digest, at in used.items():  # not written: keep them for the next refresh
                self._used[digest] = max(at, self._used.get(digest, at))
            raise
        self._cache = {r["key_hash"]: Principal(r["name"], r["scope"], r["rate_limit"]) for r in rows}
        self._expires = {r["key_hash"]: r["expires_at"] for r in rows if r["expires_at"] is not None}
        self._loaded_at = time.monotonic()

    async def authenticate(self, key: str) -> Principal | None:
        digest = hash_key(key)
        now = time.monotonic()
        try:
            if now - self._loaded_at > self.refresh_seconds:
                await self.refresh()
            found = self._cache.get(digest)
            if found is None and self._may_look_up(now):
                row = await self.pool.fetchrow(
                    "SELECT name, scope, rate_limit, expires_at FROM auth.api_keys"
                    " WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())",
                    digest,
                )
                if row is not None:
                    found = self._cache[digest] = Principal(row["name"], row["scope"], row["rate_limit"])
                    if row["expires_at"] is not None:
                        self._expires[digest] = row["expires_at"]
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            # Database unreachable: keep answering from the last known keys for another interval.
            self._loaded_at = now
            log.warning("api key lookup failed; using cached keys", error=str(exc))
            found = self._cache.get(digest)
        if found is None:
            return None
        wall = datetime.now(UTC)
        expires = self._expires.get(digest)
        if expires is not None and expires <= wall:
            return None  # expired since the last refresh: refused at once
        self._used[digest] = wall
        return found

    def _may_look_up(self, now: float) -> bool:
        window = int(now)
        if window != self._miss_window:
            self._miss_window, self._misses = window, 0
        self._misses += 1
        return self._misses <= self.miss_lookups_per_second

    async def create(
        self,
        name: str,
        scope: str,
        rate_limit: float | None = None,
        expires_at: datetime | None = None,
        *,
        by: tuple[str, str] | None = None,
        service: str = "keys-cli",
    ) -> str:
        """Create a key and return it; only its hash is stored, so it is shown once. Audited as `by`
        (the acting key's name and scope; the operator of the command line when None)."""
        validate_scope(scope)
        if not name.strip():
            raise ValueError("a key needs a name")
        if rate_limit is not None and rate_limit <= 0:
            raise ValueError("rate_limit must be positive (requests per second)")
        if expires_at is not None and expires_at <= datetime.now(UTC):
            raise ValueError("expires_at must be in the future")
        key = f"wsp_{secrets.token_urlsafe(32)}"
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO auth.api_keys (key_hash, name, scope, rate_limit, expires_at)"
                " VALUES ($1, $2, $3, $4, $5)",
                hash_key(key),
                name,
                scope,
                rate_limit,
                expires_at,
            )
            await audit.record(
                conn,
                by or OPERATOR,
                "key.created",
                service=service,
                target=name,
                scope=scope if scope.isdigit() else None,
                detail={"scope": scope, "expires_at": expires_at.isoformat() if expires_at else None},
            )
        return key

    async def revoke(
        self, name: str, *, by: tuple[str, str] | None = None, service: str = "keys-cli"
    ) -> bool:
        """Revoke a key by name (audited); running services refuse it within `refresh_seconds`."""
        actor = by or OPERATOR
        async with self.pool.acquire() as conn, conn.transaction():
            scope = await conn.fetchval(
                "UPDATE auth.api_keys SET revoked_at = now(), revoked_by = $2"
                " WHERE name = $1 AND revoked_at IS NULL RETURNING scope",
                name,
                actor[0],
            )
            if scope is None:
                return False
            await audit.record(
                conn,
                actor,
                "key.revoked",
                service=service,
                target=name,
                scope=scope if scope.isdigit() else None,
            )
        self._loaded_at = 0.0  # this process refuses it at once
        return True

    async def list(self) -> list[asyncpg.Record]:
        return await self.pool.fetch(
            "SELECT name, scope, rate_limit, created_at, expires_at, last_used_at, revoked_at, revoked_by"
            " FROM auth.api_keys ORDER BY name"
        )

    async def ensure_demo_keys(self, rate_limit: float | None = None) -> None:
        """Local profile only: `demo-<province>` for every province, `demo-national`, `demo-admin`.

        With `rate_limit`, the demo keys get that limit (so local benchmarks are not throttled);
        without, existing demo keys are left as they are.
        """
        demo = {f"demo-{code}": code for code in reference().provinces}
        demo["demo-national"] = NATIONAL
        demo["demo-admin"] = ADMIN
        conflict = (
            "ON CONFLICT (key_hash) DO UPDATE SET rate_limit = EXCLUDED.rate_limit"
            " WHERE api_keys.rate_limit IS DISTINCT FROM EXCLUDED.rate_limit"
            if rate_limit is not None
            else "ON CONFLICT DO NOTHING"
        )
        await self.pool.execute(
            "INSERT INTO auth.api_keys (key_hash, name, scope, rate_limit)"
            " SELECT k, n, s, $4::real FROM unnest($1::text[], $2::text[], $3::text[]) AS t(k, n, s) "
            + conflict,
            [hash_key(k) for k in demo],
            list(demo),
            list(demo.values()),
            rate_limit,
        )


def validate_scope(scope: str) -> None:
    if scope not in (NATIONAL, ADMIN) and scope not in reference().provinces:
        raise ValueError(f"scope must be a province code, 'national' or 'admin', not {scope!r}")
