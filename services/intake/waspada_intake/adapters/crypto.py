"""Encryption of the confidential reporter at rest (Fernet: AES-128-CBC with HMAC-SHA256)."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet
from waspada_shared.contracts.report import Reporter

# Only for the local profile, so demos run without configuration; never used elsewhere.
_LOCAL_DEV_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"waspada-local-dev-only").digest())


class ReporterCipher:
    def __init__(self, key: bytes) -> None:
        self._fernet = Fernet(key)

    @classmethod
    def local_dev(cls) -> ReporterCipher:
        return cls(_LOCAL_DEV_KEY)

    def encrypt(self, reporter: Reporter | None) -> bytes | None:
        if reporter is None:
            return None
        return self._fernet.encrypt(reporter.model_dump_json(exclude_none=True).encode())

    def decrypt(self, token: bytes | None) -> Reporter | None:
        if token is None:
            return None
        return Reporter.model_validate_json(self._fernet.decrypt(token))
