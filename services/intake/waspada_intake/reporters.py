"""`python -m waspada_intake.reporters`: the confidential reporter under UU 27/2022.

    python -m waspada_intake.reporters erase --phone "+62 812 ..." [--email ...] [--report-id ID ...]
    python -m waspada_intake.reporters purge [--older-than-days N]   # default WASPADA_REPORTER_RETENTION_DAYS
    python -m waspada_intake.reporters rotate                          # re-seal with the first key

Key rotation: put the new key first in `WASPADA_REPORTER_KEY` and the old one after it
(`NEW,OLD`), restart intake (it then seals with the new key and still reads the old), run `rotate`,
then drop the old key from the setting. Every run is recorded in the audit log as the operator.
Admin keys can erase over HTTP too: `POST /v1/admin/reporters/erase` (docs/operations.md).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import socket
import sys
from collections.abc import Sequence

from waspada_intake.adapters.crypto import cipher_for
from waspada_intake.adapters.reporters import Match, ReporterVault
from waspada_intake.settings import IntakeSettings
from waspada_shared.db import apply_migrations, create_pool


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m waspada_intake.reporters", description="Erase, expire and re-seal reporter data."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    erase = sub.add_parser("erase", help="erase one reporter's data (by phone, email or reports)")
    erase.add_argument("--phone", help="the reporter's phone number (any format)")
    erase.add_argument("--email", help="the reporter's email address")
    erase.add_argument("--report-id", action="append", default=[], help="a report whose reporter to erase")
    purge = sub.add_parser("purge", help="erase the reporters of reports older than the retention period")
    purge.add_argument("--older-than-days", type=int, default=None)
    sub.add_parser("rotate", help="re-seal every reporter with the current (first) key")
    return parser


async def run(args: argparse.Namespace, settings: IntakeSettings) -> int:
    operator = (f"{getpass.getuser()}@{socket.gethostname()} (reporters CLI)", "admin")
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        await apply_migrations(pool, "auth", "waspada_shared")
        await apply_migrations(pool, "intake", "waspada_intake")
        vault = ReporterVault(pool, cipher_for(settings))
        if args.command == "erase":
            match = Match(tuple(args.report_id), args.phone, args.email)
            if not (match.report_ids or match.needs_decryption()):
                print("error: name --phone, --email or --report-id", file=sys.stderr)
                return 2
            erased = await vault.erase(match, operator)
            print(f"erased the reporter of {len(erased)} report(s): {', '.join(erased) or '-'}")
            return 0
        if args.command == "purge":
            days = args.older_than_days or settings.reporter_retention_days
            if days < 1:
                print("error: --older-than-days must be at least 1", file=sys.stderr)
                return 2
            print(
                f"erased the reporter of {await vault.purge_older_than(days, operator)} report(s) older than {days} days"
            )
            return 0
        print(f"re-sealed {await vault.rotate(operator)} reporter(s) with the current key")
        return 0
    finally:
        await pool.close()


def main(argv: Sequence[str] | None = None) -> int:
    return asyncio.run(run(_parser().parse_args(argv), IntakeSettings()))


if __name__ == "__main__":
    sys.exit(main())
