"""The console's only way to data: the intake and notify HTTP APIs, called with the signed-in key.

Every call carries `Authorization: Bearer <key>` and `Accept-Language: id`, so the APIs' scoping and
their Indonesian messages reach the officials unchanged. Answers are returned as they are (status and
JSON); `Unreachable` when a service cannot be reached.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import httpx

from waspada_shared.logging import get_logger

log = get_logger(__name__)


class Service(StrEnum):
    INTAKE = "intake"
    NOTIFY = "notify"


class Unreachable(Exception):
    def __init__(self, service: Service) -> None:
        super().__init__(f"{service.value} cannot be reached")
        self.service = service


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def problem_title(self) -> str:
        if isinstance(self.body, dict):
            return str(self.body.get("title") or self.body.get("detail") or "")
        return ""

    def field_errors(self) -> list[dict[str, str]]:
        if isinstance(self.body, dict) and isinstance(self.body.get("errors"), list):
            return [e for e in self.body["errors"] if isinstance(e, dict)]
        return []


class Api:
    def __init__(self, http: httpx.AsyncClient, intake_url: str, notify_url: str) -> None:
        self.http = http
        self.base = {Service.INTAKE: intake_url.rstrip("/"), Service.NOTIFY: notify_url.rstrip("/")}

    async def call(
        self,
        method: str,
        service: Service,
        path: str,
        key: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
    ) -> Answer:
        headers = {"Authorization": f"Bearer {key}", "Accept-Language": "id", "Accept": "application/json"}
        clean = {k: v for k, v in (params or {}).items() if v is not None and v != ""}
        try:
            r = await self.http.request(
                method, self.base[service] + path, params=clean, json=json, headers=headers
            )
        except httpx.HTTPError as exc:
            log.warning("api unreachable", service=service.value, path=path, error=type(exc).__name__)
            raise Unreachable(service) from exc
        try:
            body = r.json() if r.content else None
        except ValueError:
            body = None
        return Answer(r.status_code, body, {k.lower(): v for k, v in r.headers.items()})

    async def get(
        self, service: Service, path: str, key: str, params: dict[str, Any] | None = None
    ) -> Answer:
        return await self.call("GET", service, path, key, params=params)

    async def post(self, service: Service, path: str, key: str, body: Any) -> Answer:
        return await self.call("POST", service, path, key, json=body)
