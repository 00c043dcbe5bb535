"""Scoring's integration fixtures: a fresh schema per test on the real PostgreSQL (scoring's
migrations applied into it, as the service applies them into `scoring`), dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.helpers import Stack
from waspada_shared.db import apply_migrations, create_pool


@pytest.fixture
async def db(stack: Stack) -> AsyncIterator[tuple[asyncpg.Pool, str]]:
    schema = f"scoring_it_{uuid.uuid4().hex[:10]}"
    pool = await create_pool(stack.database_url, min_size=1, max_size=4)
    await apply_migrations(pool, schema, "waspada_scoring")
    try:
        yield pool, schema
    finally:
        await pool.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await pool.close()
