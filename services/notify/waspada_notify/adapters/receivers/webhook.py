"""Webhook: POST the alert JSON, signed with HMAC-SHA256 over "<timestamp>.<body>".

Headers: `X-Waspada-Timestamp` (Unix seconds), `X-Waspada-Signature` ("sha256=<hex>"),
`X-Waspada-Alert-Id`, `X-Waspada-Alert-Version`, `X-Waspada-Delivery-Id` / `Idempotency-Key` (the same
for every retry of one delivery). A receiver verifies the signature, rejects stale timestamps, and
de-duplicates by alert id + version.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import aiohttp
import orjson

from waspada_notify.adapters.receivers import Claimed, Outcome

SIGNATURE_HEADER = "X-Waspada-Signature"
TIMESTAMP_HEADER = "X-Waspada-Timestamp"
ALERT_ID_HEADER = "X-Waspada-Alert-Id"
VERSION_HEADER = "X-Waspada-Alert-Version"
DELIVERY_HEADER = "X-Waspada-Delivery-Id"


def sign(secret: bytes, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex; receivers recompute it to verify."""
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(
    secret: bytes, timestamp: str, body: bytes, signature: str, *, max_age: float | None = 300.0
) -> bool:
    """What a receiver does: constant-time compare, and refuse replays of old deliveries."""
    if max_age is not None:
        try:
            if abs(time.time() - int(timestamp)) > max_age:
                return False
        except ValueError:
            return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


class WebhookChannel:
    name = "webhook"

    def __init__(self, secret: bytes, timeout: float = 5.0) -> None:
        self.secret = secret
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        # aiohttp rather than httpx: at hundreds of deliveries per second httpx's per-request CPU was
        # the largest single cost in notify (profiled with py-spy).
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:  # created inside the running loop
            self._session = aiohttp.ClientSession(
                timeout=self.timeout, connector=aiohttp.TCPConnector(limit=100)
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()

    async def send(self, delivery: Claimed) -> Outcome:
        body = orjson.dumps(delivery.payload)
        ts = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            TIMESTAMP_HEADER: ts,
            SIGNATURE_HEADER: sign(self.secret, ts, body),
            ALERT_ID_HEADER: delivery.alert_id,
            VERSION_HEADER: str(delivery.version),
            DELIVERY_HEADER: delivery.delivery_id,
            "Idempotency-Key": delivery.delivery_id,
        }
        try:
            async with self._client().post(delivery.target, data=body, headers=headers) as response:
                code = response.status
                if 200 <= code < 300:
                    return Outcome(True, code)
                text = (await response.text(errors="replace"))[:200]
        except (aiohttp.ClientError, TimeoutError) as exc:
            return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
        # As Alertmanager: 4xx means the request itself is wrong (bad URL, bad key), so retrying
        # cannot help; 408 and 429 are the exceptions. 5xx and network errors are retried.
        permanent = 400 <= code < 500 and code not in (408, 429)
        return Outcome(False, code, f"HTTP {code}: {text}", permanent)
