"""Waking delivery processes through PostgreSQL (WASPADA_ROLE=decide / deliver) on the real database:
an announcement after a decision wakes the listener, and a listener whose connection is killed comes
back on its own."""

from __future__ import annotations

import asyncio
from contextlib import suppress

import asyncpg
import pytest

from tests.helpers import Stack, unique, wait_until
from waspada_notify.adapters.wakeups import Announcer, listen_forever

pytestmark = pytest.mark.stack


class Wakes:
    def __init__(self) -> None:
        self.count = 0
        self.event = asyncio.Event()

    def __call__(self) -> None:
        self.count += 1
        self.event.set()

    async def next(self) -> None:
        """The next wake-up (fails the test after ten seconds without one)."""
        await asyncio.wait_for(self.event.wait(), timeout=10)
        self.event.clear()


async def listener_pid(pg: asyncpg.Pool, channel: str) -> int | None:
    """The backend listening on `channel` (its connection is the only one with that LISTEN)."""
    rows = await pg.fetch(
        "SELECT pid FROM pg_stat_activity WHERE query = $1 AND backend_type = 'client backend'",
        f'LISTEN "{channel}"',
    )
    return int(rows[0]["pid"]) if len(rows) == 1 else None


async def test_announced_deliveries_wake_the_listening_process(stack: Stack, pg: asyncpg.Pool) -> None:
    channel = unique("wake").replace("-", "_")
    wakes = Wakes()
    listening = asyncio.create_task(listen_forever(stack.database_url, wakes, channel, retry_seconds=0.1))
    announcer = Announcer(pg, channel)
    try:
        await wakes.next()  # on connecting: whatever was planned while nobody listened
        await wait_until(lambda: listener_pid(pg, channel), what="the LISTEN connection")
        announcer.planned()
        await wakes.next()

        # The database drops the listening connection (a restart, an administrator): it reconnects and
        # the next announcement wakes it again.
        pid = await listener_pid(pg, channel)
        assert pid is not None
        assert await pg.fetchval("SELECT pg_terminate_backend($1)", pid)
        await wakes.next()  # reconnected (and woke, for what it may have missed)

        async def new_listener() -> bool:
            found = await listener_pid(pg, channel)
            return found is not None and found != pid

        await wait_until(new_listener, what="a new LISTEN connection")
        announcer.planned()
        await wakes.next()
    finally:
        await announcer.close()
        listening.cancel()
        with suppress(asyncio.CancelledError):
            await listening


async def test_announcements_made_together_are_coalesced(stack: Stack, pg: asyncpg.Pool) -> None:
    channel = unique("wake").replace("-", "_")
    wakes = Wakes()
    listening = asyncio.create_task(listen_forever(stack.database_url, wakes, channel))
    announcer = Announcer(pg, channel)
    try:
        await wakes.next()
        await wait_until(lambda: listener_pid(pg, channel), what="the LISTEN connection")
        before = wakes.count
        for _ in range(50):  # fifty decisions in one turn of the event loop
            announcer.planned()
        await announcer.close()
        await wakes.next()
        # All fifty before the announcing task first ran: one NOTIFY.
        assert wakes.count - before == 1
    finally:
        listening.cancel()
        with suppress(asyncio.CancelledError):
            await listening
