"""`python -m waspada_intake.keys`: manage API keys (stored hashed, in schema `auth`).

    python -m waspada_intake.keys create NAME --scope 19 [--rate-limit 50] [--expires-in-days 365]
    python -m waspada_intake.keys list [--json] [--all]
    python -m waspada_intake.keys revoke NAME

Every change is written to the audit log (`auth.audit_log`) as the operator `<user>@<host> (keys CLI)`;
admin keys can do the same over HTTP (`/v1/admin/keys`, docs/security.md).

The database comes from `WASPADA_DATABASE_URL`, as for the services. A key is shown only when created:
only its SHA-256 is stored, so a lost key is revoked and replaced, never recovered. Running services
pick up new keys at once and revocations within a few seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import socket
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import orjson

from waspada_intake.settings import IntakeSettings
from waspada_shared.db import apply_migrations, create_pool
from waspada_shared.keys import KeyStore


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m waspada_intake.keys", description="Manage Waspada API keys (stored hashed)."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    create = sub.add_parser("create", help="create a key and print it (shown once)")
    create.add_argument("name", help="unique name, e.g. polda-jabar or kesbangpol-19")
    create.add_argument("--scope", required=True, help="a province code (e.g. 19), national or admin")
    create.add_argument(
        "--rate-limit", type=float, default=None, help="requests per second (default: the service's)"
    )
    create.add_argument(
        "--expires-in-days", type=int, default=None, help="days until the key expires (default: never)"
    )
    listing = sub.add_parser("list", help="list keys (names, scopes, limits; never the keys)")
    listing.add_argument("--json", action="store_true", help="one JSON object per line")
    listing.add_argument("--all", action="store_true", help="include revoked keys")
    revoke = sub.add_parser("revoke", help="revoke a key by name")
    revoke.add_argument("name")
    return parser


async def run(args: argparse.Namespace, settings: IntakeSettings) -> int:
    pool = await create_pool(settings.database_url, min_size=1, max_size=2)
    try:
        await apply_migrations(pool, "auth", "waspada_shared")
        keys = KeyStore(pool)
        operator = (f"{getpass.getuser()}@{socket.gethostname()} (keys CLI)", "admin")
        if args.command == "create":
            days = args.expires_in_days
            if days is not None and days < 1:
                print("error: --expires-in-days must be at least 1", file=sys.stderr)
                return 2
            expires = datetime.now(UTC) + timedelta(days=days) if days else None
            try:
                key = await keys.create(args.name, args.scope, args.rate_limit, expires, by=operator)
            except ValueError as exc:
                print(f"error: {exc}", file=sys.stderr)
                return 2
            except asyncpg.UniqueViolationError:
                print(f"error: a key named {args.name!r} exists already", file=sys.stderr)
                return 2
            print(key)
            print(f"created key {args.name!r} (scope {args.scope}); it is not shown again", file=sys.stderr)
            return 0
        if args.command == "list":
            for row in await keys.list():
                if row["revoked_at"] is not None and not args.all:
                    continue
                if args.json:
                    print(orjson.dumps(dict(row)).decode())
                else:
                    limit = "default" if row["rate_limit"] is None else f"{row['rate_limit']:g}/s"
                    state = [
                        f"{label} {row[col]:%Y-%m-%d %H:%M}"
                        for label, col in (
                            ("expires", "expires_at"),
                            ("last used", "last_used_at"),
                            ("revoked", "revoked_at"),
                        )
                        if row[col] is not None
                    ]
                    print(f"{row['name']:<32} {row['scope']:<9} {limit:>10}  {', '.join(state)}".rstrip())
            return 0
        if args.command == "revoke":
            if await keys.revoke(args.name, by=operator):
                print(f"revoked {args.name!r}", file=sys.stderr)
                return 0
            print(f"error: no active key named {args.name!r}", file=sys.stderr)
            return 1
        return 2
    finally:
        await pool.close()


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    return asyncio.run(run(args, IntakeSettings()))


if __name__ == "__main__":
    sys.exit(main())
