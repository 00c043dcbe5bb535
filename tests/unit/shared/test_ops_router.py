"""/readyz gates on required checks only; degraded ones are reported."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from waspada_shared.http import ops_router


async def ok() -> None:
    return None


async def broken() -> None:
    raise ConnectionError("broker not reachable")


def client(**kwargs: object) -> TestClient:
    app = FastAPI()
    app.include_router(ops_router(registry=CollectorRegistry(), **kwargs))  # type: ignore[arg-type]
    return TestClient(app)


def test_required_check_failing_makes_the_service_unready() -> None:
    r = client(checks={"postgres": ok, "kafka": broken}).get("/readyz")
    assert r.status_code == 503
    assert r.json()["checks"]["kafka"].startswith("error: ConnectionError")


def test_degraded_check_failing_is_reported_but_keeps_the_service_ready() -> None:
    r = client(checks={"postgres": ok}, degraded={"kafka": broken}).get("/readyz")
    assert r.status_code == 200
    assert r.json() == {
        "ready": True,
        "degraded": True,
        "checks": {"postgres": "ok", "kafka": "error: ConnectionError: broker not reachable"},
    }


def test_healthz_and_metrics_answer() -> None:
    c = client(checks={})
    assert c.get("/healthz").json() == {"status": "ok"}
    assert c.get("/metrics").status_code == 200
