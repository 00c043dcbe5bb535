"""API key scopes and what they may do (SPEC §4), shared by every HTTP API. Pure."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

NATIONAL = "national"
ADMIN = "admin"


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    scope: str  # province code, 'national' or 'admin'
    rate_limit: float | None = None

    @property
    def is_national(self) -> bool:
        return self.scope in (NATIONAL, ADMIN)

    @property
    def is_admin(self) -> bool:
        return self.scope == ADMIN

    def may_submit_for(self, province: str) -> bool:
        return self.is_national or self.scope == province

    def may_read(self, province: str) -> bool:
        return self.is_national or self.scope == province
