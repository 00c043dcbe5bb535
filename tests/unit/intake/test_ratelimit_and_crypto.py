"""The per-key token bucket, and the reporter's encryption at rest."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from waspada_intake.adapters.crypto import CannotDecrypt, ReporterCipher
from waspada_intake.domain.ratelimit import RateLimiter
from waspada_shared.contracts.report import Reporter


def test_bucket_allows_a_burst_then_the_rate() -> None:
    limiter = RateLimiter(burst_seconds=2.0)
    allowed = sum(limiter.allow("k", 5.0, 100.0) for _ in range(20))
    assert allowed == 10  # two seconds' worth
    assert not limiter.allow("k", 5.0, 100.0)
    assert limiter.allow("k", 5.0, 100.2)  # one token refilled after 1/rate
    assert not limiter.allow("k", 5.0, 100.2)


def test_buckets_are_per_key() -> None:
    limiter = RateLimiter(burst_seconds=1.0)
    assert limiter.allow("a", 1.0, 0.0)
    assert not limiter.allow("a", 1.0, 0.0)
    assert limiter.allow("b", 1.0, 0.0)


def test_bucket_never_grows_beyond_its_capacity() -> None:
    limiter = RateLimiter(burst_seconds=1.0)
    limiter.allow("k", 2.0, 0.0)
    assert sum(limiter.allow("k", 2.0, 1000.0) for _ in range(10)) == 2


def test_reporter_is_encrypted_and_round_trips() -> None:
    cipher = ReporterCipher(Fernet.generate_key())
    reporter = Reporter(name="Ibu Siti", phone="+62 812-3456-7890", email="siti@example.id")
    token = cipher.encrypt(reporter, "r-1")
    assert token is not None
    for plain in (b"Siti", b"3456", b"example.id"):
        assert plain not in token
    assert cipher.decrypt(token, "r-1") == reporter
    assert cipher.encrypt(None, "r-1") is None and cipher.decrypt(None, "r-1") is None


def test_same_reporter_encrypts_differently_each_time() -> None:
    cipher = ReporterCipher(Fernet.generate_key())
    reporter = Reporter(phone="+62 1")
    assert cipher.encrypt(reporter, "r") != cipher.encrypt(reporter, "r")


def test_another_key_cannot_read_it() -> None:
    token = ReporterCipher(Fernet.generate_key()).encrypt(Reporter(phone="1"), "r")
    with pytest.raises(CannotDecrypt):
        ReporterCipher(Fernet.generate_key()).decrypt(token, "r")


def test_a_token_moved_to_another_report_does_not_decrypt() -> None:
    cipher = ReporterCipher(Fernet.generate_key())
    token = cipher.encrypt(Reporter(phone="1"), "report-a")
    with pytest.raises(CannotDecrypt):
        cipher.decrypt(token, "report-b")
    assert token is not None
    tampered = token[:-1] + bytes([token[-1] ^ 1])
    with pytest.raises(CannotDecrypt):
        cipher.decrypt(tampered, "report-a")


def test_tokens_of_the_earlier_fernet_format_are_still_read() -> None:
    key = Fernet.generate_key()
    old = Fernet(key).encrypt(Reporter(phone="+62 2").model_dump_json(exclude_none=True).encode())
    assert ReporterCipher(key).decrypt(old, "any") == Reporter(phone="+62 2")


def test_keys_must_be_32_bytes() -> None:
    with pytest.raises(ValueError):
        ReporterCipher(b"c2hvcnQ=")


def test_reporter_repr_is_redacted() -> None:
    reporter = Reporter(phone="+62 812-3456-7890")
    assert "3456" not in repr(reporter) and "3456" not in str(reporter)


def test_a_rotated_key_reads_old_tokens_and_reseals_them_with_the_new_key() -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    reporter = Reporter(name="Pak Budi", phone="+62 811 000")
    old_token = ReporterCipher(old_key).encrypt(reporter, "r-9")
    assert old_token is not None
    rotating = ReporterCipher.from_setting(f"{new_key.decode()}, {old_key.decode()}")
    assert rotating.decrypt(old_token, "r-9") == reporter and rotating.needs_rotation(old_token)
    fresh = rotating.rotate(old_token, "r-9")
    assert not rotating.needs_rotation(fresh)
    assert ReporterCipher(new_key).decrypt(fresh, "r-9") == reporter  # the old key is no longer needed
    with pytest.raises(CannotDecrypt):
        ReporterCipher(old_key).decrypt(fresh, "r-9")
    new_only = ReporterCipher(new_key)
    with pytest.raises(CannotDecrypt):
        new_only.decrypt(old_token, "r-9")  # dropping the old key before rotating loses the data
