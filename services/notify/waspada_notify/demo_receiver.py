"""Local-profile webhook receiver for the demo: verifies signatures, keeps what it got, logs it.

`python -m waspada_notify.demo_receiver` (port 8089). `GET /received` lists the deliveries.
"""

from __future__ import annotations

import os
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI, Request, Response

from waspada_notify.adapters.receivers.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from waspada_shared.logging import configure_logging, get_logger

log = get_logger(__name__)


def create_app(secret: bytes) -> FastAPI:
    app = FastAPI(title="Waspada demo webhook receiver")
    received: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        body = await request.body()
        # Verify the signature (constant time) and refuse stale timestamps (replays).
        if not verify(
            secret, request.headers.get(TIMESTAMP_HEADER, ""), body, request.headers.get(SIGNATURE_HEADER, "")
        ):
            log.warning("rejected webhook with a bad signature or a stale timestamp")
            return Response(status_code=401)
        alert = orjson.loads(body)
        key = (alert["alert_id"], int(alert["version"]))
        duplicate = key in seen
        seen.add(key)
        received.append({"alert": alert, "duplicate": duplicate})
        log.info(
            "webhook received",
            alert_id=alert["alert_id"],
            version=alert["version"],
            audience=alert["audience"],
            title=alert["title"],
            duplicate=duplicate,
        )
        return Response(status_code=204)

    @app.get("/received")
    async def list_received() -> list[dict[str, Any]]:
        return received

    return app


def main() -> None:
    configure_logging("receiver")
    secret = os.environ.get("WASPADA_WEBHOOK_SECRET", "waspada-local-webhook-secret").encode()
    port = int(os.environ.get("WASPADA_RECEIVER_PORT", "8089"))
    uvicorn.run(create_app(secret), host="127.0.0.1", port=port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
