"""Encryption of the confidential reporter at rest: AES-256-GCM from `cryptography` (an AEAD).

A token is `0x01 || 12-byte random nonce || ciphertext+tag`, with the report's id as associated data, so
a token copied onto another report does not decrypt. The key is configured as 32 bytes in urlsafe
base64 (the format of a Fernet key, so `Fernet.generate_key()` makes one). Tokens written by earlier
versions with Fernet (they start with 0x80) are still read. AES-GCM costs about 5 µs per report,
Fernet about 20-40 µs: at thousands of reports a second that matters.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from waspada_shared.contracts.report import Reporter

# Only for the local profile, so demos run without configuration; never used elsewhere.
_LOCAL_DEV_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"waspada-local-dev-only").digest())
_VERSION = b"\x01"
_NONCE = 12


class CannotDecrypt(Exception):
    """The token was made with another key, for another report, or was altered."""


class ReporterCipher:
    def __init__(self, key: bytes) -> None:
        raw = base64.urlsafe_b64decode(key)
        if len(raw) != 32:
            raise ValueError("the reporter key must be 32 bytes, urlsafe-base64 encoded")
        self._aead = AESGCM(raw)
        self._fernet = Fernet(key)  # reads tokens of earlier versions

    @classmethod
    def local_dev(cls) -> ReporterCipher:
        return cls(_LOCAL_DEV_KEY)

    def encrypt(self, reporter: Reporter | None, report_id: str) -> bytes | None:
        if reporter is None:
            return None
        nonce = os.urandom(_NONCE)
        plaintext = reporter.model_dump_json(exclude_none=True).encode()
        return _VERSION + nonce + self._aead.encrypt(nonce, plaintext, report_id.encode())

    def decrypt(self, token: bytes | None, report_id: str) -> Reporter | None:
        if token is None:
            return None
        try:
            if token[:1] == _VERSION:
                nonce, sealed = token[1 : 1 + _NONCE], token[1 + _NONCE :]
                plaintext = self._aead.decrypt(nonce, sealed, report_id.encode())
            else:
                plaintext = self._fernet.decrypt(token)
        except (InvalidTag, InvalidToken, ValueError) as exc:
            raise CannotDecrypt from exc
        return Reporter.model_validate_json(plaintext)
