"""Encryption of the confidential reporter at rest: AES-256-GCM from `cryptography` (an AEAD).

A token is `0x02 || 4-byte key id || 12-byte random nonce || ciphertext+tag`, with the report's id as
associated data, so a token copied onto another report does not decrypt. Keys are configured as 32
bytes in urlsafe base64 (the format of a Fernet key, so `Fernet.generate_key()` makes one). The key
id (the first bytes of the key's SHA-256) names the key that sealed a token, so keys can be rotated:
the first configured key seals, every configured key opens, and `python -m waspada_intake.reporters
rotate` re-seals old tokens with the first key, after which the old key can be dropped. Tokens of
earlier versions (0x01: no key id, AES-GCM; 0x80: Fernet) are still read with every configured key.
AES-GCM costs about 5 µs per report, Fernet about 20-40 µs: at thousands of reports a second that
matters.
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from waspada_intake.settings import IntakeSettings
from waspada_shared.contracts.report import Reporter

# Only for the local profile, so demos run without configuration; never used elsewhere.
_LOCAL_DEV_KEY = base64.urlsafe_b64encode(hashlib.sha256(b"waspada-local-dev-only").digest())
_VERSION = b"\x02"
_VERSION_WITHOUT_KEY_ID = b"\x01"
_KEY_ID = 4
_NONCE = 12


class CannotDecrypt(Exception):
    """The token was made with another key, for another report, or was altered."""


class ReporterCipher:
    def __init__(self, key: bytes, *previous: bytes) -> None:
        """`key` seals and opens; `previous` keys (after a rotation) only open."""
        self._aeads: dict[bytes, AESGCM] = {}
        self._fernets: list[Fernet] = []
        for k in (key, *previous):
            raw = base64.urlsafe_b64decode(k)
            if len(raw) != 32:
                raise ValueError("a reporter key must be 32 bytes, urlsafe-base64 encoded")
            self._aeads.setdefault(_key_id(raw), AESGCM(raw))
            self._fernets.append(Fernet(k))  # reads tokens of earlier versions
        self.key_id = _key_id(base64.urlsafe_b64decode(key))
        self._aead = self._aeads[self.key_id]

    @classmethod
    def from_setting(cls, value: str) -> ReporterCipher:
        """`WASPADA_REPORTER_KEY`: the current key, then older keys still to be read, comma-separated."""
        keys = [k.strip().encode() for k in value.split(",") if k.strip()]
        if not keys:
            raise ValueError("WASPADA_REPORTER_KEY names no key")
        return cls(keys[0], *keys[1:])

    @classmethod
    def local_dev(cls) -> ReporterCipher:
        return cls(_LOCAL_DEV_KEY)

    def encrypt(self, reporter: Reporter | None, report_id: str) -> bytes | None:
        if reporter is None:
            return None
        return self._seal(reporter.model_dump_json(exclude_none=True).encode(), report_id)

    def _seal(self, plaintext: bytes, report_id: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return _VERSION + self.key_id + nonce + self._aead.encrypt(nonce, plaintext, report_id.encode())

    def decrypt(self, token: bytes | None, report_id: str) -> Reporter | None:
        if token is None:
            return None
        return Reporter.model_validate_json(self._open(token, report_id))

    def needs_rotation(self, token: bytes) -> bool:
        """Sealed by another key than the current one (or in an older format)."""
        return token[:1] != _VERSION or token[1 : 1 + _KEY_ID] != self.key_id

    def rotate(self, token: bytes, report_id: str) -> bytes:
        """The same reporter, sealed with the current key."""
        return self._seal(self._open(token, report_id), report_id)

    def _open(self, token: bytes, report_id: str) -> bytes:
        try:
            if token[:1] == _VERSION:
                aead = self._aeads.get(token[1 : 1 + _KEY_ID])
                if aead is None:
                    raise CannotDecrypt("sealed with a key that is not configured")
                nonce, sealed = token[1 + _KEY_ID : 1 + _KEY_ID + _NONCE], token[1 + _KEY_ID + _NONCE :]
                return aead.decrypt(nonce, sealed, report_id.encode())
            if token[:1] == _VERSION_WITHOUT_KEY_ID:
                nonce, sealed = token[1 : 1 + _NONCE], token[1 + _NONCE :]
                for aead in self._aeads.values():
                    try:
                        return aead.decrypt(nonce, sealed, report_id.encode())
                    except InvalidTag:
                        continue
                raise CannotDecrypt("no configured key opens this token")
            for fernet in self._fernets:
                try:
                    return fernet.decrypt(token)
                except InvalidToken:
                    continue
            raise CannotDecrypt("no configured key opens this token")
        except (InvalidTag, ValueError) as exc:
            raise CannotDecrypt from exc


def cipher_for(settings: IntakeSettings) -> ReporterCipher:
    """The configured cipher: `WASPADA_REPORTER_KEY`, or a fixed development key in the local profile."""
    if settings.reporter_key is not None:
        return ReporterCipher.from_setting(settings.reporter_key.get_secret_value())
    if settings.is_local or settings.profile == "test":
        return ReporterCipher.local_dev()
    raise RuntimeError("WASPADA_REPORTER_KEY is required outside the local profile")


def _key_id(raw: bytes) -> bytes:
    return hashlib.sha256(raw).digest()[:_KEY_ID]
