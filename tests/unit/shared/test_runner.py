"""`frozen_after_start`: the service's own lifespan runs, then the startup heap is frozen."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.testclient import TestClient

from waspada_shared.runner import frozen_after_start


def test_the_heap_is_frozen_after_the_services_own_startup() -> None:
    seen: list[str] = []

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        seen.append(f"started, frozen {gc.get_freeze_count()}")
        yield
        seen.append("stopped")

    gc.unfreeze()
    app = frozen_after_start(FastAPI(lifespan=lifespan))
    try:
        with TestClient(app):
            assert gc.get_freeze_count() > 0
        assert seen == ["started, frozen 0", "stopped"]
    finally:
        gc.unfreeze()
