"""Group commit: concurrent submissions share transactions, yet each caller gets exactly its results."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import asyncpg
import pytest

from waspada_intake.adapters.batcher import GroupCommitter
from waspada_intake.adapters.store import NewReport, Outcome, StoreResult

T0 = datetime(2024, 11, 27, tzinfo=UTC)


def new(rid: str) -> NewReport:
    return NewReport(rid, "h", "19", "19.06", b"{}", None, T0, "19", "t")


class FakeStore:
    """Records each call; duplicates an id it has seen; can fail on a poisoned id or all calls."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []
        self.seen: set[str] = set()
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail_all: Exception | None = None

    async def __call__(self, reports: list[NewReport]) -> list[StoreResult]:
        self.calls.append([r.report_id for r in reports])
        await self.gate.wait()
        if self.fail_all is not None:
            raise self.fail_all
        if any(r.report_id == "poison" for r in reports):
            raise asyncpg.exceptions.CharacterNotInRepertoireError("bad byte")
        out = []
        for r in reports:
            out.append(StoreResult(Outcome.DUPLICATE if r.report_id in self.seen else Outcome.ACCEPTED, T0))
            self.seen.add(r.report_id)
        return out


async def test_a_lone_submission_is_stored_at_once() -> None:
    store = FakeStore()
    committer = GroupCommitter(store, max_inflight=1)
    assert [r.outcome for r in await committer.store([new("a"), new("b")])] == [Outcome.ACCEPTED] * 2
    assert store.calls == [["a", "b"]]


async def test_submissions_arriving_during_a_commit_share_the_next() -> None:
    store = FakeStore()
    committer = GroupCommitter(store, max_inflight=1)
    store.gate.clear()
    first = asyncio.create_task(committer.store([new("a")]))
    await asyncio.sleep(0)
    rest = [asyncio.create_task(committer.store([new(f"b{i}"), new(f"c{i}")])) for i in range(10)]
    await asyncio.sleep(0)
    store.gate.set()
    await first
    results = await asyncio.gather(*rest)
    assert store.calls[0] == ["a"]
    assert len(store.calls) == 2 and len(store.calls[1]) == 20  # one transaction for all ten
    assert all(len(r) == 2 for r in results)
    assert committer.commits == 2


async def test_results_go_back_to_their_own_callers_in_order() -> None:
    store = FakeStore()
    committer = GroupCommitter(store, max_inflight=1)
    store.seen.add("dup")
    store.gate.clear()
    blocker = asyncio.create_task(committer.store([new("x")]))
    await asyncio.sleep(0)
    a = asyncio.create_task(committer.store([new("a1"), new("dup")]))
    b = asyncio.create_task(committer.store([new("dup"), new("b1"), new("b2")]))
    await asyncio.sleep(0)
    store.gate.set()
    await blocker
    assert [r.outcome for r in await a] == [Outcome.ACCEPTED, Outcome.DUPLICATE]
    assert [r.outcome for r in await b] == [Outcome.DUPLICATE, Outcome.ACCEPTED, Outcome.ACCEPTED]


async def test_a_failing_submission_fails_alone() -> None:
    store = FakeStore()
    committer = GroupCommitter(store, max_inflight=1)
    store.gate.clear()
    blocker = asyncio.create_task(committer.store([new("x")]))
    await asyncio.sleep(0)
    good = asyncio.create_task(committer.store([new("g")]))
    bad = asyncio.create_task(committer.store([new("poison")]))
    await asyncio.sleep(0)
    store.gate.set()
    await blocker
    assert [r.outcome for r in await good] == [Outcome.ACCEPTED]
    with pytest.raises(asyncpg.exceptions.CharacterNotInRepertoireError):
        await bad


async def test_an_unreachable_database_fails_every_waiter() -> None:
    store = FakeStore()
    store.fail_all = ConnectionRefusedError("down")
    committer = GroupCommitter(store, max_inflight=1)
    tasks = [asyncio.create_task(committer.store([new(str(i))])) for i in range(3)]
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    assert all(isinstance(o, ConnectionRefusedError) for o in outcomes)
    assert len(store.calls) <= 2  # no per-item retries for a connection failure


async def test_groups_respect_max_batch_but_never_split_a_submission() -> None:
    store = FakeStore()
    committer = GroupCommitter(store, max_inflight=1, max_batch=5)
    store.gate.clear()
    blocker = asyncio.create_task(committer.store([new("x")]))
    await asyncio.sleep(0)
    tasks = [asyncio.create_task(committer.store([new(f"{i}-{j}") for j in range(3)])) for i in range(4)]
    big = asyncio.create_task(committer.store([new(f"big{j}") for j in range(8)]))
    await asyncio.sleep(0)
    store.gate.set()
    await asyncio.gather(blocker, *tasks, big)
    assert [len(c) for c in store.calls] == [1, 3, 3, 3, 3, 8]


async def test_a_caller_that_goes_away_does_not_break_the_group() -> None:
    store = FakeStore()
    committer = GroupCommitter(store, max_inflight=1)
    store.gate.clear()
    blocker = asyncio.create_task(committer.store([new("x")]))
    await asyncio.sleep(0)
    gone = asyncio.create_task(committer.store([new("gone")]))
    stays = asyncio.create_task(committer.store([new("stays")]))
    await asyncio.sleep(0)
    gone.cancel()
    store.gate.set()
    await blocker
    assert [r.outcome for r in await stays] == [Outcome.ACCEPTED]
    assert "gone" in store.seen  # stored all the same: a resubmission will be a duplicate
    await committer.drain()
