"""Local-profile webhook receiver for the demo: verifies signatures, keeps what it got, logs it.

`python -m waspada_notify.demo_receiver` (port 8089). `GET /received` lists the deliveries. With
`WASPADA_RECEIVER_STORE` set (the local stack sets it under `.local/`), what it got survives restarts,
like a real receiver's records would.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import uvicorn
from fastapi import FastAPI, Request, Response
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from waspada_notify.adapters.receivers.webhook import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from waspada_shared.logging import configure_logging, get_logger

log = get_logger(__name__)


class ReceiverSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WASPADA_", extra="ignore")

    webhook_secret: str = Field("waspada-local-webhook-secret", description="HMAC key shared with notify")
    receiver_host: str = Field("127.0.0.1", description="Address to bind")
    receiver_port: int = Field(8089, description="Port to bind")
    receiver_store: Path | None = Field(None, description="JSON-lines file keeping what was received")


def create_app(secret: bytes, store: Path | None = None) -> FastAPI:
    app = FastAPI(title="Waspada demo webhook receiver")
    received: list[dict[str, Any]] = []
    if store is not None and store.exists():
        received = [orjson.loads(line) for line in store.read_bytes().splitlines() if line.strip()]
    seen: set[tuple[str, int]] = {(d["alert"]["alert_id"], int(d["alert"]["version"])) for d in received}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/hook")
    async def hook(request: Request) -> Response:
        arrived = datetime.now(UTC)  # before any work here: what latency measurements read
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
        entry = {"alert": alert, "duplicate": duplicate, "received_at": arrived.isoformat()}
        received.append(entry)
        if store is not None:
            store.parent.mkdir(parents=True, exist_ok=True)
            with store.open("ab") as f:  # a demo receiver: a small synchronous append is fine
                f.write(orjson.dumps(entry) + b"\n")
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
    s = ReceiverSettings()
    app = create_app(s.webhook_secret.encode(), s.receiver_store)
    uvicorn.run(app, host=s.receiver_host, port=s.receiver_port, log_config=None, access_log=False)


if __name__ == "__main__":
    main()
