"""UU 27/2022 (Pelindungan Data Pribadi): a reporter's data is erased on request and after the retention
period, and the key that seals it rotates without losing what it sealed. On a scratch database."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import asyncpg
import pytest
from cryptography.fernet import Fernet

from tests.helpers import make_report
from waspada_intake.adapters.crypto import ReporterCipher
from waspada_intake.adapters.reporters import Match, ReporterVault
from waspada_intake.adapters.store import NewReport, ReportStore
from waspada_intake.domain.validation import parse_obj, prepare
from waspada_shared.contracts.report import Reporter
from waspada_shared.db import create_pool

pytestmark = pytest.mark.stack
OPERATOR = ("it-operator", "admin")
MARKER = "+62 812-7777-1234"  # planted: must be gone everywhere after the erasure


def reports(cipher: ReporterCipher, reporters: list[Reporter | None]) -> list[NewReport]:
    now = datetime.now(UTC)
    out = []
    for reporter in reporters:
        report = parse_obj(make_report(), now).report
        assert report is not None
        p = prepare(report, now, "19")
        sealed = cipher.encrypt(reporter, report.report_id)
        out.append(
            NewReport(report.report_id, p.content_hash, "19", "19.06", p.payload, sealed, now, "19", "t")
        )
    return out


async def _everything_as_text(pool: asyncpg.Pool) -> str:
    """Every row of intake's tables and the audit log as text (sealed bytes as hex): a marker scan."""
    rows = []
    for table in ("intake.reports", "intake.outbox", "auth.audit_log"):
        rows += [str(dict(r)) for r in await pool.fetch(f"SELECT * FROM {table}")]
    return "\n".join(rows)


async def test_erasure_by_phone_retention_and_key_rotation(scratch_db: str) -> None:
    old_key, new_key = Fernet.generate_key(), Fernet.generate_key()
    pool = await create_pool(scratch_db, min_size=1, max_size=2)
    try:
        old = ReporterCipher(old_key)
        store = ReportStore(pool)
        siti, budi = Reporter(name="Ibu Siti", phone=MARKER), Reporter(name="Pak Budi", email="budi@desa.id")
        planted = reports(old, [siti, siti, budi, None])
        await store.store(planted)

        # Rotation: the new key first, the old one still read; every sealed reporter re-sealed.
        rotating = ReporterCipher.from_setting(f"{new_key.decode()},{old_key.decode()}")
        vault = ReporterVault(pool, rotating)
        assert await vault.rotate(OPERATOR) == 3
        assert await vault.rotate(OPERATOR) == 0
        new_only = ReporterVault(pool, ReporterCipher(new_key))  # the old key dropped: nothing lost
        row = await pool.fetchrow(
            "SELECT reporter_enc FROM intake.reports WHERE report_id = $1", planted[2].report_id
        )
        assert new_only.cipher.decrypt(row["reporter_enc"], planted[2].report_id) == budi

        # Erasure on request, the phone written another way: both of Siti's reports, nothing else.
        erased = await new_only.erase(Match(phone="0812 7777 1234"), OPERATOR)
        assert erased == sorted(r.report_id for r in planted[:2])
        left = await pool.fetch("SELECT report_id FROM intake.reports WHERE reporter_enc IS NOT NULL")
        assert [r["report_id"] for r in left] == [planted[2].report_id]
        assert await new_only.find(Match(phone=MARKER)) == []
        assert "7777" not in await _everything_as_text(pool)  # not in any table, in no form

        # Retention: a report older than the period loses its reporter; the report itself stays.
        await pool.execute(
            "UPDATE intake.reports SET received_at = now() - interval '400 days' WHERE report_id = $1",
            planted[2].report_id,
        )
        assert await new_only.purge_older_than(365) == 1
        assert await pool.fetchval("SELECT count(*) FROM intake.reports WHERE reporter_enc IS NOT NULL") == 0
        assert await pool.fetchval("SELECT count(*) FROM intake.reports") == 4
        actions = [r["action"] for r in await pool.fetch("SELECT action FROM auth.audit_log ORDER BY id")]
        assert actions == [
            "reporter.key_rotated",
            "reporter.key_rotated",
            "reporter.erased",
            "reporter.erased",
            "reporter.retention_erased",
        ]
    finally:
        await pool.close()


def test_match_needs_something_to_match() -> None:
    assert not Match().needs_decryption() and Match(email="a@b.c").needs_decryption()
    assert replace(Match(), report_ids=("x",)).report_ids == ("x",)
