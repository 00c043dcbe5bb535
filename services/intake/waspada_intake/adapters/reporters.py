"""The confidential reporter under UU 27/2022 (Pelindungan Data Pribadi): retention, erasure on request,
and rotation of the key that seals it.

Erasing removes the sealed reporter from the report (the report itself, without reporter, stays: it is
the public-interest record of an incident). There is no other copy: the reporter is never on a topic,
alert, log line or metric (docs/security.md), so erasing the column erases the data.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg

from waspada_intake.adapters.crypto import CannotDecrypt, ReporterCipher
from waspada_shared import audit
from waspada_shared.auth import Principal
from waspada_shared.logging import get_logger

log = get_logger(__name__)
SERVICE = "intake"
_BATCH = 1000


def _digits(phone: str) -> str:
    """A phone number as its digits, with Indonesia's 0 prefix as +62 (0812… and +62 812… match)."""
    digits = re.sub(r"\D", "", phone)
    return "62" + digits[1:] if digits.startswith("0") else digits


@dataclass(frozen=True, slots=True)
class Match:
    """Whose data to erase: by reports, or by the reporter's phone or email (compared decrypted)."""

    report_ids: tuple[str, ...] = ()
    phone: str | None = None
    email: str | None = None

    def needs_decryption(self) -> bool:
        return self.phone is not None or self.email is not None


class ReporterVault:
    def __init__(self, pool: asyncpg.Pool, cipher: ReporterCipher) -> None:
        self.pool = pool
        self.cipher = cipher

    async def _sealed(self) -> AsyncIterator[list[asyncpg.Record]]:
        """Every report that still holds a sealed reporter, in batches (keyset pages)."""
        last = ""
        while True:
            rows = await self.pool.fetch(
                "SELECT report_id, reporter_enc FROM intake.reports WHERE reporter_enc IS NOT NULL"
                " AND report_id > $1 ORDER BY report_id LIMIT $2",
                last,
                _BATCH,
            )
            if not rows:
                return
            yield list(rows)
            last = rows[-1]["report_id"]

    async def find(self, match: Match) -> list[str]:
        """The reports whose reporter matches (ids named, or phone/email decrypted and compared)."""
        found = set(match.report_ids)
        if match.needs_decryption():
            phone = _digits(match.phone) if match.phone else None
            email = match.email.strip().lower() if match.email else None
            async for rows in self._sealed():
                for row in rows:
                    try:
                        reporter = self.cipher.decrypt(row["reporter_enc"], row["report_id"])
                    except CannotDecrypt:
                        log.warning(
                            "reporter not readable with the configured keys", report_id=row["report_id"]
                        )
                        continue
                    if reporter is None:
                        continue
                    if (phone and reporter.phone and _digits(reporter.phone) == phone) or (
                        email and reporter.email and reporter.email.strip().lower() == email
                    ):
                        found.add(row["report_id"])
        return sorted(found)

    async def erase(self, match: Match, who: Principal | tuple[str, str]) -> list[str]:
        """Erase the matching reporters (audited, one entry per report); returns the reports erased."""
        ids = await self.find(match)
        if not ids:
            return []
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "UPDATE intake.reports SET reporter_enc = NULL WHERE report_id = ANY($1::text[])"
                " AND reporter_enc IS NOT NULL RETURNING report_id, province",
                ids,
            )
            for row in rows:
                await audit.record(
                    conn,
                    who,
                    "reporter.erased",
                    service=SERVICE,
                    target=row["report_id"],
                    scope=row["province"],
                )
        return sorted(r["report_id"] for r in rows)

    async def purge_older_than(self, days: int, who: tuple[str, str] = ("retention", "admin")) -> int:
        """Erase the reporters of reports received more than `days` ago (the retention period)."""
        async with self.pool.acquire() as conn, conn.transaction():
            erased = await conn.fetchval(
                "WITH e AS (UPDATE intake.reports SET reporter_enc = NULL WHERE reporter_enc IS NOT NULL"
                " AND received_at < now() - make_interval(days => $1) RETURNING 1) SELECT count(*) FROM e",
                days,
            )
            if erased:
                await audit.record(
                    conn,
                    who,
                    "reporter.retention_erased",
                    service=SERVICE,
                    detail={"reports": erased, "retention_days": days},
                )
        return int(erased or 0)

    async def rotate(self, who: tuple[str, str]) -> int:
        """Re-seal every reporter sealed by an older key with the current one; returns how many."""
        rotated = 0
        async for rows in self._sealed():
            stale = [r for r in rows if self.cipher.needs_rotation(r["reporter_enc"])]
            if not stale:
                continue
            fresh = [self.cipher.rotate(r["reporter_enc"], r["report_id"]) for r in stale]
            await self.pool.execute(
                "UPDATE intake.reports r SET reporter_enc = t.enc FROM unnest($1::text[], $2::bytea[]) AS t(id, enc)"
                " WHERE r.report_id = t.id",
                [r["report_id"] for r in stale],
                fresh,
            )
            rotated += len(stale)
        await audit.record(
            self.pool, who, "reporter.key_rotated", service=SERVICE, detail={"reports": rotated}
        )
        return rotated
