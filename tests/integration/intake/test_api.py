"""Intake's HTTP API against the running service, database and broker (SPEC §4)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from tests.conftest import auth
from tests.helpers import Stack, make_report, unique, wait_until
from tests.integration.intake.conftest import MakeKey

pytestmark = pytest.mark.stack

PROBLEM = "application/problem+json"


def url(stack: Stack, path: str = "") -> str:
    return f"{stack.intake_url}/v1/reports{path}"


async def post(
    http: httpx.AsyncClient, stack: Stack, body: Any, key: str = "demo-19", **headers: str
) -> httpx.Response:
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return await http.post(
        url(stack), content=content, headers={**auth(key), "Content-Type": "application/json", **headers}
    )


# --- acceptance, idempotency -----------------------------------------------------------------------


async def test_accepted_then_duplicate_then_conflict(stack: Stack, http: httpx.AsyncClient) -> None:
    report = make_report()
    first = await post(http, stack, report)
    assert first.status_code == 202, first.text
    body = first.json()
    assert (
        body["status"] == "accepted"
        and body["duplicate"] is False
        and body["report_id"] == report["report_id"]
    )
    received_at = body["received_at"]

    again = await post(http, stack, report)
    assert again.status_code == 200
    assert again.json()["duplicate"] is True and again.json()["received_at"] == received_at

    # Same facts, other key order and explicit defaults: still the same content.
    reordered = dict(reversed(list(report.items())))
    reordered["tags"] = []
    assert (await post(http, stack, reordered)).status_code == 200

    changed = {**report, "summary": "Isi yang berbeda."}
    conflict = await post(http, stack, changed)
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == PROBLEM
    problem = conflict.json()
    assert problem["received_at"] == received_at and received_at in problem["detail"]
    assert problem["errors"][0]["field"] == "report_id" and problem["errors"][0]["code"] == "conflict"

    conflict_id = await post(http, stack, changed, **{"Accept-Language": "id"})
    assert conflict_id.status_code == 409
    assert "pertama diterima" in conflict_id.json()["errors"][0]["message"]


async def test_202_only_once_stored(stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool) -> None:
    report = make_report()
    r = await post(http, stack, report)
    assert r.status_code == 202
    row = await pg.fetchrow(
        "SELECT received_at, province, regency FROM intake.reports WHERE report_id = $1", report["report_id"]
    )
    assert row is not None, "a 202 must mean the report is already committed"
    assert row["received_at"] == datetime.fromisoformat(r.json()["received_at"])
    assert (row["province"], row["regency"]) == ("19", "19.06")


async def test_concurrent_duplicates_yield_exactly_one_acceptance(stack: Stack) -> None:
    report = make_report()
    # Separate connections, so the submissions really are concurrent at the server.
    async with httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=40)) as client:
        responses = await asyncio.gather(*(post(client, stack, report) for _ in range(40)))
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 39 + [202], codes
    assert len({r.json()["received_at"] for r in responses}) == 1


async def test_concurrent_conflicting_submissions(stack: Stack) -> None:
    rid = unique("race")
    base = make_report(report_id=rid)
    variants = [{**base, "summary": f"Versi {i % 2}"} for i in range(20)]
    async with httpx.AsyncClient(timeout=30.0, limits=httpx.Limits(max_connections=20)) as client:
        responses = await asyncio.gather(*(post(client, stack, v) for v in variants))
    winner = [r for r in responses if r.status_code == 202]
    assert len(winner) == 1
    first_at = winner[0].json()["received_at"]
    winning_summary = next(
        v["summary"] for v, r in zip(variants, responses, strict=True) if r.status_code == 202
    )
    for v, r in zip(variants, responses, strict=True):
        if r.status_code == 202:
            continue
        expected = 200 if v["summary"] == winning_summary else 409
        assert r.status_code == expected, r.text
        assert (r.json()["received_at"]) == first_at


async def test_reports_from_other_submitters_are_idempotent_too(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    report = make_report()
    assert (await post(http, stack, report, key="demo-19")).status_code == 202
    # The national desk resubmitting the same facts is a duplicate, not a new report.
    assert (await post(http, stack, report, key="demo-national")).status_code == 200


# --- rejections ------------------------------------------------------------------------------------


async def test_422_lists_every_offending_field(
    stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    bad = make_report(
        region={"province": "19", "regency": "21.01"},
        occurred_at="2024-01-01T10:00:00",
        kind="riot",
        impact={"deaths": -2, "weapons": "laser"},
        source={"type": "official", "credibility": 9},
        summary="",
        colour="red",
    )
    before = await pg.fetchval("SELECT count(*) FROM intake.rejections WHERE door = 'http'")
    r = await post(http, stack, bad)
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    problem = r.json()
    assert problem["status"] == 422 and problem["type"].endswith("/invalid-report")
    assert problem["report_id"] == bad["report_id"]
    fields = {e["field"]: e for e in problem["errors"]}
    assert set(fields) == {
        "region.regency",
        "occurred_at",
        "kind",
        "impact.deaths",
        "impact.weapons",
        "source.credibility",
        "summary",
        "colour",
    }
    assert all(e["message"] and e["code"] for e in problem["errors"])
    assert await pg.fetchval("SELECT count(*) FROM intake.rejections WHERE door = 'http'") > before

    r_id = await post(http, stack, bad, **{"Accept-Language": "id-ID,id;q=0.9,en;q=0.5"})
    problem_id = r_id.json()
    assert problem_id["title"] == "Laporan tidak sah"
    messages = {e["field"]: e["message"] for e in problem_id["errors"]}
    assert messages["summary"].startswith("terlalu pendek")
    assert messages["colour"] == "kolom tidak dikenal"
    assert messages["region.regency"] == "kode wilayah 21.01 tidak termasuk wilayah 19"
    assert messages["occurred_at"].startswith("waktu harus menyertakan zona waktu")


async def test_422_for_bodies_that_are_not_a_report(stack: Stack, http: httpx.AsyncClient) -> None:
    for body, code in [(b"{nope", "json_invalid"), (b"[]", "model_type"), (b"", "json_invalid")]:
        r = await post(http, stack, body)
        assert r.status_code == 422, body
        assert r.json()["errors"][0] == {**r.json()["errors"][0], "field": "body", "code": code}


async def test_401_without_a_valid_key(stack: Stack, http: httpx.AsyncClient) -> None:
    body = orjson.dumps(make_report())
    for headers in ({}, {"Authorization": "demo-19"}, {"Authorization": "Bearer"}, auth("no-such-key")):
        r = await http.post(url(stack), content=body, headers=headers)
        assert r.status_code == 401, headers
        assert r.headers["content-type"] == PROBLEM and r.headers["www-authenticate"] == "Bearer"
    r = await http.get(url(stack, "/anything"), headers=auth("no-such-key"))
    assert r.status_code == 401


async def test_403_outside_the_keys_province(stack: Stack, http: httpx.AsyncClient) -> None:
    r = await post(http, stack, make_report(), key="demo-21")
    assert r.status_code == 403
    assert r.json()["errors"][0]["field"] == "region.province"
    r = await post(http, stack, make_report(), key="demo-21", **{"Accept-Language": "id"})
    assert r.json()["title"] == "Di luar wewenang kunci"


async def test_413_above_64_kib(stack: Stack, http: httpx.AsyncClient) -> None:
    # Valid JSON just over the limit (insignificant whitespace counts: the limit is on bytes).
    body = orjson.dumps(make_report())[:-1] + b" " * (64 * 1024) + b"}"
    r = await post(http, stack, body)
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM

    async def chunks() -> Any:  # no Content-Length: the limit holds for streamed bodies too
        for _ in range(70):
            yield b" " * 1024

    r = await http.post(url(stack), content=chunks(), headers=auth("demo-19"))
    assert r.status_code == 413
    # The connection is still usable afterwards.
    assert (await post(http, stack, make_report())).status_code == 202


async def test_429_over_the_keys_rate_limit(stack: Stack, make_key: MakeKey) -> None:
    key = await make_key("19", rate_limit=1.0)
    async with httpx.AsyncClient(timeout=10.0) as client:
        codes = [(await post(client, stack, make_report(), key=key)).status_code for _ in range(6)]
        assert codes[:2] == [202, 202]  # a burst of two seconds' worth
        assert 429 in codes
        limited = await post(client, stack, make_report(), key=key)
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "1" and limited.headers["content-type"] == PROBLEM


# --- legacy codes, read API ------------------------------------------------------------------------


async def test_legacy_codes_are_normalised_and_noted(stack: Stack, http: httpx.AsyncClient) -> None:
    report = make_report(region={"province": "92", "regency": "92.71", "district": "92.71.01"})
    r = await post(http, stack, report, key="demo-96")
    assert r.status_code == 202, r.text
    notes = r.json()["notes"]
    assert any("92.71 normalised to 96.71" in n for n in notes)
    assert any("92 normalised to 96" in n for n in notes)
    assert any("92.71.01" in n for n in notes)
    view = (await http.get(url(stack, f"/{report['report_id']}"), headers=auth("demo-96"))).json()
    assert view["report"]["region"] == {
        **view["report"]["region"],
        "province": "96",
        "regency": "96.71",
        "district": None,
    }
    # A province 92 key cannot file a report that now belongs to 96.
    assert (
        await post(http, stack, make_report(region={"province": "92", "regency": "92.01"}), key="demo-92")
    ).status_code == 403


async def test_read_api_visibility_and_state(stack: Stack, http: httpx.AsyncClient) -> None:
    report = make_report(reporter={"name": "Pak Budi", "phone": "+62 811-0000-1111"})
    assert (await post(http, stack, report)).status_code == 202
    rid = report["report_id"]
    for key in ("demo-19", "demo-national", "demo-admin"):
        r = await http.get(url(stack, f"/{rid}"), headers=auth(key))
        assert r.status_code == 200, key
        view = r.json()
        assert view["report"]["report_id"] == rid and view["submitted_by"] == "19"
        assert view["state"] in ("accepted", "published", "assessed")
        assert "reporter" not in view["report"] and "0000-1111" not in r.text
    # Other provinces cannot tell a foreign report from a missing one.
    foreign = await http.get(url(stack, f"/{rid}"), headers=auth("demo-21"))
    missing = await http.get(url(stack, f"/{unique('none')}"), headers=auth("demo-21"))
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()

    async def published() -> bool:
        r = await http.get(url(stack, f"/{rid}"), headers=auth("demo-19"))
        return r.json()["state"] in ("published", "assessed")

    await wait_until(published, what="the report to be relayed to Kafka")


async def test_reporter_is_admin_only_and_encrypted_at_rest(
    stack: Stack, http: httpx.AsyncClient, pg: asyncpg.Pool
) -> None:
    phone = "+62 812-9999-" + unique("p")[-4:]
    reporter = {"name": "Ibu Rahma", "phone": phone, "email": "rahma@example.id"}
    report = make_report(reporter=reporter)
    assert (await post(http, stack, report)).status_code == 202
    rid = report["report_id"]
    row = await pg.fetchrow(
        "SELECT reporter_enc, facts::text AS facts FROM intake.reports WHERE report_id = $1", rid
    )
    assert row["reporter_enc"] is not None
    for secret in (phone, "Rahma", "example.id"):
        assert secret.encode() not in bytes(row["reporter_enc"]) and secret not in row["facts"]

    r = await http.get(url(stack, f"/{rid}/reporter"), headers=auth("demo-admin"))
    assert r.status_code == 200 and r.json() == reporter
    for key in ("demo-19", "demo-national"):
        denied = await http.get(url(stack, f"/{rid}/reporter"), headers=auth(key))
        assert denied.status_code == 403 and phone not in denied.text
    assert (
        await http.get(url(stack, f"/{unique('none')}/reporter"), headers=auth("demo-admin"))
    ).status_code == 404
    no_reporter = make_report()
    assert (await post(http, stack, no_reporter)).status_code == 202
    r = await http.get(url(stack, f"/{no_reporter['report_id']}/reporter"), headers=auth("demo-admin"))
    assert r.status_code == 404


# --- batch -----------------------------------------------------------------------------------------


async def test_batch_results_in_order_with_valid_items_accepted(
    stack: Stack, http: httpx.AsyncClient
) -> None:
    earlier = make_report()
    assert (await post(http, stack, earlier)).status_code == 202
    good = make_report()
    items: list[Any] = [
        good,
        make_report(kind="riot"),
        earlier,
        {**earlier, "summary": "berubah"},
        make_report(region={"province": "21", "regency": "21.01"}),
        "not an object",
        good,
        make_report(region={"province": "92", "regency": "92.01"}),
    ]
    r = await http.post(url(stack, "/batch"), content=orjson.dumps(items), headers=auth("demo-national"))
    assert r.status_code == 200, r.text
    out = r.json()
    statuses = [x["status"] for x in out["results"]]
    assert statuses == [
        "accepted",
        "invalid",
        "duplicate",
        "conflict",
        "accepted",
        "invalid",
        "duplicate",
        "accepted",
    ]
    assert (out["accepted"], out["duplicates"], out["failed"]) == (3, 2, 3)
    results = out["results"]
    assert results[0]["report_id"] == good["report_id"]
    assert results[1]["errors"][0]["field"] == "kind"
    assert results[1]["report_id"] == items[1]["report_id"]
    assert results[3]["errors"][0]["code"] == "conflict"
    assert results[5]["errors"][0]["field"] == "body"
    assert results[7]["notes"]
    assert results[6]["received_at"] == results[0]["received_at"]


async def test_batch_respects_the_keys_scope_per_item(stack: Stack, http: httpx.AsyncClient) -> None:
    items = [make_report(), make_report(region={"province": "21", "regency": "21.01"})]
    r = await http.post(url(stack, "/batch"), content=orjson.dumps(items), headers=auth("demo-19"))
    assert [x["status"] for x in r.json()["results"]] == ["accepted", "forbidden"]
    assert r.json()["results"][1]["errors"][0]["field"] == "region.province"


async def test_batch_of_500_and_limits(stack: Stack, http: httpx.AsyncClient) -> None:
    items = [make_report() for _ in range(500)]
    r = await http.post(url(stack, "/batch"), content=orjson.dumps(items), headers=auth("demo-19"))
    assert r.status_code == 200 and r.json()["accepted"] == 500
    assert [x["report_id"] for x in r.json()["results"]] == [i["report_id"] for i in items]

    too_many = await http.post(
        url(stack, "/batch"), content=orjson.dumps([*items, make_report()]), headers=auth("demo-19")
    )
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["code"] == "too_long"
    for body in (b"{}", b"[", b'{"report_id": 1}'):
        r = await http.post(url(stack, "/batch"), content=body, headers=auth("demo-19"))
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body"
    empty = await http.post(url(stack, "/batch"), content=b"[]", headers=auth("demo-19"))
    assert empty.status_code == 200 and empty.json()["results"] == []


# --- metrics ---------------------------------------------------------------------------------------


async def test_metrics(stack: Stack, http: httpx.AsyncClient) -> None:
    report = make_report()
    assert (await post(http, stack, report)).status_code == 202
    assert (await http.get(url(stack, f"/{report['report_id']}"), headers=auth("demo-19"))).status_code == 200
    text = (await http.get(f"{stack.intake_url}/metrics")).text
    assert (
        'waspada_http_request_duration_seconds_bucket{le="0.05",method="POST",route="/v1/reports",service="intake",status="202"}'
        in text
    )
    assert 'method="GET",route="/v1/reports/{report_id}",service="intake",status="200"' in text
    assert report["report_id"] not in text  # ids never become label values
    for name in (
        "waspada_intake_reports_total",
        "waspada_intake_rejections_total",
        "waspada_intake_outbox_backlog",
        "waspada_intake_store_seconds_bucket",
        "waspada_intake_commit_reports_bucket",
        "waspada_intake_published_total",
    ):
        assert name in text, name
    assert 'waspada_intake_reports_total{outcome="accepted",province="19"}' in text
