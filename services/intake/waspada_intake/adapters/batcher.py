"""Group commit: concurrent submissions share one set-based transaction.

A request's reports are queued; whenever fewer than `max_inflight` stores are running, everything queued
is stored at once. At low load a request is stored immediately (no added wait); under load, requests
arriving while a commit is in flight wait for the next one, which takes them all. Each caller gets its
own results only after the commit that holds its reports, so `202` still means "durably stored".
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

import asyncpg

from waspada_intake import metrics
from waspada_intake.adapters.store import NewReport, StoreResult

StoreFn = Callable[[list[NewReport]], Awaitable[list[StoreResult]]]

# Failures that concern the connection or the server as a whole, not one submission's data.
_TRANSIENT = (
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.exceptions.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.InsufficientResourcesError,
    asyncpg.exceptions.OperatorInterventionError,
)


class GroupCommitter:
    def __init__(self, store: StoreFn, *, max_batch: int = 2000, max_inflight: int = 2) -> None:
        self._store = store
        self.max_batch = max_batch
        self.max_inflight = max_inflight
        self._queue: deque[tuple[list[NewReport], asyncio.Future[list[StoreResult]]]] = deque()
        self._inflight = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self.commits = 0  # transactions run, for tests and metrics

    async def store(self, reports: list[NewReport]) -> list[StoreResult]:
        """Store `reports` in the next group commit; results in input order."""
        future: asyncio.Future[list[StoreResult]] = asyncio.get_running_loop().create_future()
        self._queue.append((reports, future))
        self._kick()
        return await future

    def _kick(self) -> None:
        while self._queue and self._inflight < self.max_inflight:
            group: list[tuple[list[NewReport], asyncio.Future[list[StoreResult]]]] = []
            size = 0
            while self._queue and (not group or size + len(self._queue[0][0]) <= self.max_batch):
                item = self._queue.popleft()
                group.append(item)
                size += len(item[0])
            self._inflight += 1
            task = asyncio.create_task(self._flush(group))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _flush(self, group: list[tuple[list[NewReport], asyncio.Future[list[StoreResult]]]]) -> None:
        try:
            try:
                batch = [r for reports, _ in group for r in reports]
                with metrics.STORE_SECONDS.time():
                    results = await self._store(batch)
                metrics.COMMIT_SIZE.observe(len(batch))
                self.commits += 1
            except _TRANSIENT as exc:
                for _, future in group:
                    _fail(future, exc)
                return
            except Exception as exc:
                if len(group) == 1:
                    _fail(group[0][1], exc)
                    return
                # Something in one submission broke the statement: store each alone, so only it fails.
                for reports, future in group:
                    try:
                        _resolve(future, await self._store(reports))
                        self.commits += 1
                    except Exception as single_exc:
                        _fail(future, single_exc)
                return
            start = 0
            for reports, future in group:
                _resolve(future, results[start : start + len(reports)])
                start += len(reports)
        finally:
            self._inflight -= 1
            self._kick()

    async def drain(self) -> None:
        """Wait for every queued and running store (on shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _resolve(future: asyncio.Future[list[StoreResult]], results: list[StoreResult]) -> None:
    if not future.done():  # the caller may have gone away (client disconnected); the data is stored
        future.set_result(results)


def _fail(future: asyncio.Future[list[StoreResult]], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
