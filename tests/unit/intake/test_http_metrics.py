"""The shared HTTP latency middleware: route templates as labels, statuses, bounded cardinality."""

from __future__ import annotations

import httpx
from fastapi import FastAPI, HTTPException
from prometheus_client import CollectorRegistry, Histogram

from waspada_shared.http import HttpMetricsMiddleware


def _app(registry: CollectorRegistry) -> tuple[FastAPI, Histogram]:
    histogram = Histogram(
        "t_http_seconds", "test", ["service", "method", "route", "status"], registry=registry
    )
    app = FastAPI()

    @app.get("/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        if thing_id == "missing":
            raise HTTPException(404)
        return {"id": thing_id}

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("boom")

    app.add_middleware(HttpMetricsMiddleware, service="svc", histogram=histogram)
    return app, histogram


def _count(registry: CollectorRegistry, **labels: str) -> float:
    value = registry.get_sample_value("t_http_seconds_count", labels)
    return value or 0.0


async def test_requests_are_timed_by_route_template_and_status() -> None:
    registry = CollectorRegistry()
    app, _ = _app(registry)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for i in range(3):
            assert (await client.get(f"/v1/things/{i}")).status_code == 200
        assert (await client.get("/v1/things/missing")).status_code == 404
        assert (await client.get("/nowhere/at/all")).status_code == 404
        assert (await client.request("BREW", "/v1/things/1")).status_code == 405
        assert (await client.get("/boom")).status_code == 500
    route = "/v1/things/{thing_id}"
    assert _count(registry, service="svc", method="GET", route=route, status="200") == 3
    assert _count(registry, service="svc", method="GET", route=route, status="404") == 1
    assert _count(registry, service="svc", method="GET", route="unmatched", status="404") == 1
    assert _count(registry, service="svc", method="GET", route="/boom", status="500") == 1
    labels = {s.labels["method"] for m in registry.collect() for s in m.samples if "method" in s.labels}
    assert "BREW" not in labels and "other" in labels
