"""Running a service: logging, then uvicorn (uvloop) on the service's port."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

import uvicorn
from fastapi import FastAPI

from waspada_shared.logging import configure_logging


class _HasHttp(Protocol):
    http_host: str
    http_port: int
    log_level: str


S = TypeVar("S", bound=_HasHttp)


def serve(
    service: str, settings: S, create_app: Callable[[S], FastAPI], *, proxy_headers: bool = True
) -> None:
    """Run the service. `proxy_headers=False` skips uvicorn's X-Forwarded-* rewriting (a per-request cost)
    for services that never look at the client's address."""
    configure_logging(service, settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.http_host,
        port=settings.http_port,
        loop="uvloop",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        proxy_headers=proxy_headers,
    )
