"""Fixtures for intake's integration tests, which run against the real stack (`make test`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import asyncpg
import pytest

from tests.helpers import Stack, unique
from waspada_shared.db import apply_migrations
from waspada_shared.keys import KeyStore

ROOT = Path(__file__).resolve().parents[3]

MakeKey = Callable[..., Awaitable[str]]


def log_dir() -> Path:
    """Where the running services write their logs: `.local/log` under the stack, or your own runs'."""
    return Path(os.environ.get("WASPADA_TEST_LOG_DIR", str(ROOT / ".local" / "log")))


@pytest.fixture
async def make_key(pg: asyncpg.Pool) -> AsyncIterator[MakeKey]:
    """Create API keys for a test (revoked afterwards)."""
    store = KeyStore(pg)
    names: list[str] = []

    async def create(scope: str, rate_limit: float | None = None) -> str:
        name = unique(f"test-{scope}")
        names.append(name)
        return await store.create(name, scope, rate_limit)

    yield create
    for name in names:
        await store.revoke(name)


@pytest.fixture(scope="module")
async def scratch_db(stack: Stack) -> AsyncIterator[str]:
    """A fresh database with intake's schema, for tests that write rows the running intake must not see."""
    name = f"intake_test_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(stack.database_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = stack.database_url.rsplit("/", 1)[0] + f"/{name}"
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    assert pool is not None
    try:
        await apply_migrations(pool, "auth", "waspada_shared")
        await apply_migrations(pool, "intake", "waspada_intake")
    finally:
        await pool.close()
    yield dsn
    admin = await asyncpg.connect(stack.database_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()
