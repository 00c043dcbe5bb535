"""The framework-free request handling, with fakes: status mapping, especially 503 and its limits."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from tests.helpers import make_report
from waspada_intake.adapters.crypto import ReporterCipher
from waspada_intake.adapters.store import NewReport, Outcome, StoreResult
from waspada_intake.handlers import BodyTooLarge, Gate, Incoming, Submissions
from waspada_intake.service import IntakeService
from waspada_intake.settings import IntakeSettings
from waspada_shared.auth import Principal
from waspada_shared.topics import Topics

KEYS = {"k19": Principal("k19", "19", None), "slow": Principal("slow", "19", 1.0)}


class FakeKeys:
    async def authenticate(self, key: str) -> Principal | None:
        return KEYS.get(key)


class FakeRejections:
    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.rows: list[Any] = []

    async def record_rejections(self, rows: list[Any], **_: Any) -> None:
        if self.fail:
            raise ConnectionRefusedError("database down")
        self.rows += rows


def submissions(
    store_error: Exception | None = None, rejections: FakeRejections | None = None
) -> Submissions:
    async def store(reports: list[NewReport]) -> list[StoreResult]:
        if store_error is not None:
            raise store_error
        return [StoreResult(Outcome.ACCEPTED, datetime.now(UTC)) for _ in reports]

    gate = Gate(100.0)
    gate.keys = FakeKeys()  # type: ignore[assignment]
    s = Submissions(IntakeSettings.model_construct(profile="test"), gate)
    s.service = IntakeService(store, lambda: None, ReporterCipher.local_dev(), Topics())
    s.store = rejections or FakeRejections()  # type: ignore[assignment]
    return s


def incoming(body: Any, key: str | None = "k19", **headers: str) -> Incoming:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)

    async def read(limit: int) -> bytes:
        if len(raw) > limit:
            raise BodyTooLarge
        return raw

    h = {"authorization": f"Bearer {key}"} if key else {}
    return Incoming({**h, **headers}, read)


async def test_accepted_single() -> None:
    answer = await submissions().single(incoming(make_report()))
    assert answer.status == 202 and orjson.loads(answer.body)["status"] == "accepted"


@pytest.mark.parametrize("error", [ConnectionRefusedError("down"), TimeoutError(), OSError("reset")])
async def test_503_only_when_the_report_could_not_be_stored(error: Exception) -> None:
    answer = await submissions(store_error=error).single(incoming(make_report()))
    assert answer.status == 503 and answer.headers["Retry-After"] == "1"
    assert answer.media_type == "application/problem+json"


async def test_invalid_report_is_422_even_when_rejections_cannot_be_counted() -> None:
    rejections = FakeRejections(fail=True)
    answer = await submissions(rejections=rejections).single(incoming(make_report(kind="x")))
    assert answer.status == 422 and orjson.loads(answer.body)["errors"][0]["field"] == "kind"


async def test_rejections_are_counted_by_province() -> None:
    rejections = FakeRejections()
    await submissions(rejections=rejections).single(incoming(make_report(kind="x")))
    await submissions(rejections=rejections).single(incoming(b"not json"))
    assert rejections.rows == [("19", "enum"), (None, "json_invalid")]


async def test_401_and_429() -> None:
    s = submissions()
    assert (await s.single(incoming(make_report(), key=None))).status == 401
    assert (await s.single(incoming(make_report(), key="unknown"))).status == 401
    statuses = [(await s.single(incoming(make_report(), key="slow"))).status for _ in range(4)]
    assert statuses == [202, 202, 429, 429]


async def test_413_and_forbidden() -> None:
    s = submissions()
    assert (await s.single(incoming(b"{" + b" " * 70_000 + b"}"))).status == 413
    other = make_report(region={"province": "21", "regency": "21.01"})
    answer = await s.single(incoming(other, **{"accept-language": "id"}))
    assert answer.status == 403 and orjson.loads(answer.body)["title"] == "Di luar wewenang kunci"


async def test_batch_answers() -> None:
    s = submissions()
    ok = await s.batch(incoming([make_report(), make_report(kind="x")]))
    body = orjson.loads(ok.body)
    assert ok.status == 200 and [r["status"] for r in body["results"]] == ["accepted", "invalid"]
    assert (await s.batch(incoming({"a": 1}))).status == 422
    assert (await s.batch(incoming([make_report()] * 501))).status == 422
    assert (
        await submissions(store_error=ConnectionRefusedError()).batch(incoming([make_report()]))
    ).status == 503
