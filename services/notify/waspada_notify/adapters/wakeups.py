"""Waking a delivery worker in another process: PostgreSQL NOTIFY after a decision planned deliveries,
LISTEN in the process that delivers.

Only a hint: the worker also looks for due deliveries on its own every quarter second, so a lost
notification (the listening connection down) delays a delivery, never loses it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import asyncpg

from waspada_shared.logging import get_logger

log = get_logger(__name__)

CHANNEL = "waspada_deliveries"


class Announcer:
    """Tells listening processes that deliveries were planned: one NOTIFY at a time, coalesced, sent
    after the deciding transaction committed (callers call `planned` after the commit)."""

    def __init__(self, pool: asyncpg.Pool, channel: str = CHANNEL) -> None:
        self.pool = pool
        self.channel = channel
        self.wanted = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def planned(self) -> None:
        self.wanted.set()
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._send(), name="announce-deliveries")

    async def _send(self) -> None:
        while self.wanted.is_set():
            self.wanted.clear()
            try:
                await self.pool.execute("SELECT pg_notify($1, '')", self.channel)
            except Exception as exc:  # the worker's own polling finds the deliveries
                log.warning("could not announce planned deliveries", error=str(exc))
                return

    async def close(self) -> None:
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)


async def listen_forever(
    dsn: str, wake: Callable[[], None], channel: str = CHANNEL, retry_seconds: float = 1.0
) -> None:
    """LISTEN on `channel` on a connection of its own, calling `wake` for each notification; reconnects
    after the connection is lost (the database restarted)."""
    while True:
        lost = asyncio.Event()
        conn: asyncpg.Connection | None = None
        try:
            conn = await asyncpg.connect(dsn)
            conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
            await conn.add_listener(channel, lambda *_args: wake())
            wake()  # anything planned while not listening
            await lost.wait()
            log.warning("delivery wake-up connection lost; reconnecting")
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("delivery wake-ups unavailable; retrying", error=str(exc))
        finally:
            if conn is not None and not conn.is_closed():
                await conn.close()
        await asyncio.sleep(retry_seconds)
