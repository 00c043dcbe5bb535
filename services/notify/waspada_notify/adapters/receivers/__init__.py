"""One module per delivery channel (as Alertmanager's notify/<integration>): webhook, email, kafka.

Each channel sends one claimed delivery and answers with an `Outcome`; retries, backoff and the
delivery log are the worker's (`adapters.retry`, `adapters.delivery`), not the channel's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Claimed:
    """A delivery row claimed for one attempt (status `sending`, recorded before anything is sent)."""

    alert_id: str
    version: int
    receiver: str
    channel: str
    target: str
    attempt: int
    payload: dict[str, Any]
    received_at: datetime | None
    attempt_id: int

    @property
    def delivery_id(self) -> str:
        """Stable across retries of the same delivery: receivers de-duplicate on it (or on id+version)."""
        return f"{self.alert_id}:{self.version}:{self.receiver}"


@dataclass(frozen=True, slots=True)
class Outcome:
    ok: bool
    code: int | None = None
    error: str | None = None
    permanent: bool = False  # retrying cannot help (e.g. HTTP 4xx): fail now


class Channel(Protocol):
    name: str

    async def send(self, delivery: Claimed) -> Outcome: ...

    async def close(self) -> None: ...
