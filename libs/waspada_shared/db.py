"""PostgreSQL pool and versioned SQL migrations (one schema per service)."""

from __future__ import annotations

import hashlib
from importlib import resources
from importlib.resources.abc import Traversable

import asyncpg
import orjson

from waspada_shared.logging import get_logger

log = get_logger(__name__)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typename in ("json", "jsonb"):
        await conn.set_type_codec(
            typename, encoder=lambda v: orjson.dumps(v).decode(), decoder=orjson.loads, schema="pg_catalog"
        )


async def keep_session(conn: asyncpg.Connection) -> None:
    """Pool `reset` that leaves the session as it is: asyncpg's default sends a reset query (unlock all,
    close all, unlisten, reset all) on every release, a round trip per use of the pool. No code here
    leaves session state behind (locks are transaction-scoped, settings SET LOCAL or given at connect;
    the migration lock is released explicitly), and an open transaction is still rolled back."""


async def create_pool(
    dsn: str, *, min_size: int = 2, max_size: int = 10, server_settings: dict[str, str] | None = None
) -> asyncpg.Pool:
    """`server_settings` are per-connection PostgreSQL settings, e.g. {"search_path": "notify,public"}."""
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=keep_session,
        server_settings=server_settings,
    )
    assert pool is not None
    return pool


def _migration_files(package: str) -> list[Traversable]:
    folder = resources.files(package).joinpath("migrations")
    return sorted((f for f in folder.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)


async def apply_migrations(pool: asyncpg.Pool, schema: str, package: str) -> list[str]:
    """Apply `<package>/migrations/NNN_name.sql` files not yet applied, each in its own transaction.

    An advisory lock serialises concurrent starts of the same service; an applied file whose content
    changed is an error (migrations are append-only).
    """
    applied_now: list[str] = []
    async with pool.acquire() as conn:
        lock_key = int.from_bytes(hashlib.sha256(schema.encode()).digest()[:8], "big", signed=True)
        await conn.execute("SELECT pg_advisory_lock($1)", lock_key)
        try:
            await conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')
            await conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{schema}".schema_migrations ('
                " name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            rows = await conn.fetch(f'SELECT name, checksum FROM "{schema}".schema_migrations')
            done = {r["name"]: r["checksum"] for r in rows}
            for file in _migration_files(package):
                sql = file.read_text(encoding="utf-8")
                checksum = hashlib.sha256(sql.encode()).hexdigest()
                if file.name in done:
                    if done[file.name] != checksum:
                        raise RuntimeError(f"migration {schema}/{file.name} changed after it was applied")
                    continue
                async with conn.transaction():
                    await conn.execute(f'SET LOCAL search_path TO "{schema}", public')
                    await conn.execute(sql)
                    await conn.execute(
                        f'INSERT INTO "{schema}".schema_migrations (name, checksum) VALUES ($1, $2)',
                        file.name,
                        checksum,
                    )
                applied_now.append(file.name)
                log.info("migration applied", schema=schema, migration=file.name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", lock_key)
    return applied_now
