"""Kafka principals and ACLs of the local stack (SPEC §8; docs/security.md, "The Kafka door").

    kafka_auth.py sync                  create every principal that is missing (demo password) and every ACL
    kafka_auth.py passwd USER           set USER's SCRAM password (read from stdin, or --generate one)
    kafka_auth.py agency USER --scope PP   a further agency principal for province PP (password as passwd)
    kafka_auth.py list                  the principals, their ACLs as the broker holds them

Run by deploy/local/stack.sh right after Kafka is ready (`sync`); connects as the super user with the
`WASPADA_KAFKA_*` settings that deploy/local/env.sh exports. Who exists and what each may do is defined
once, in `waspada_shared.kafka_access`. `sync` never changes an existing principal's password, so one
rotated with `passwd` stays rotated across restarts; creating an ACL that exists changes nothing.

aiokafka's admin client has no call for SCRAM credentials or ACLs, so the Kafka protocol requests
(AlterUserScramCredentials, DescribeUserScramCredentials, CreateAcls, DescribeAcls) are declared here
with aiokafka's own protocol types.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import secrets
import sys
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import (
    CreateAclsRequest_v1,
    DeleteAclsRequest,
    DescribeAclsRequest_v1,
)
from aiokafka.protocol.api import Request, RequestStruct, Response
from aiokafka.protocol.types import (
    CompactArray,
    CompactBytes,
    CompactString,
    Int8,
    Int16,
    Int32,
    Schema,
    TaggedFields,
)

from waspada_shared.kafka import client_security
from waspada_shared.kafka_access import Principal, agency_principal, demo_password, local_principals
from waspada_shared.regions import reference
from waspada_shared.settings import ServiceSettings

SCRAM_SHA_512 = 2  # ScramMechanism
SCRAM_ITERATIONS = 4096  # the minimum Kafka accepts for SHA-512
RESOURCE_TYPES = {"topic": 2, "group": 3}
PATTERN_TYPES = {"literal": 3, "prefix": 4}
OPERATIONS = {"Read": 3, "Write": 4, "Describe": 8}
ALLOW = 3
ANY = 1


# --- protocol: AlterUserScramCredentials (51) and DescribeUserScramCredentials (50), flexible v0 -----------


class AlterUserScramCredentialsResponse_v0(Response):
    API_KEY = 51
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class AlterUserScramCredentialsRequest_v0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 51
    API_VERSION = 0
    RESPONSE_TYPE = AlterUserScramCredentialsResponse_v0
    SCHEMA = Schema(
        (
            "deletions",
            CompactArray(("name", CompactString("utf-8")), ("mechanism", Int8), ("tags", TaggedFields)),
        ),
        (
            "upsertions",
            CompactArray(
                ("name", CompactString("utf-8")),
                ("mechanism", Int8),
                ("iterations", Int32),
                ("salt", CompactBytes),
                ("salted_password", CompactBytes),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class AlterUserScramCredentials(Request[AlterUserScramCredentialsRequest_v0]):
    API_KEY = 51

    def __init__(self, upsertions: list[tuple[Any, ...]]) -> None:
        self.upsertions = upsertions

    def build(
        self, request_struct_class: type[AlterUserScramCredentialsRequest_v0]
    ) -> AlterUserScramCredentialsRequest_v0:
        return request_struct_class([], self.upsertions, {})


class DescribeUserScramCredentialsResponse_v0(Response):
    API_KEY = 50
    API_VERSION = 0
    SCHEMA = Schema(
        ("throttle_time_ms", Int32),
        ("error_code", Int16),
        ("error_message", CompactString("utf-8")),
        (
            "results",
            CompactArray(
                ("user", CompactString("utf-8")),
                ("error_code", Int16),
                ("error_message", CompactString("utf-8")),
                (
                    "credential_infos",
                    CompactArray(("mechanism", Int8), ("iterations", Int32), ("tags", TaggedFields)),
                ),
                ("tags", TaggedFields),
            ),
        ),
        ("tags", TaggedFields),
    )


class DescribeUserScramCredentialsRequest_v0(RequestStruct):
    FLEXIBLE_VERSION = True
    API_KEY = 50
    API_VERSION = 0
    RESPONSE_TYPE = DescribeUserScramCredentialsResponse_v0
    SCHEMA = Schema(
        ("users", CompactArray(("name", CompactString("utf-8")), ("tags", TaggedFields))),
        ("tags", TaggedFields),
    )


class DescribeUserScramCredentials(Request[DescribeUserScramCredentialsRequest_v0]):
    API_KEY = 50

    def build(
        self, request_struct_class: type[DescribeUserScramCredentialsRequest_v0]
    ) -> DescribeUserScramCredentialsRequest_v0:
        return request_struct_class(None, {})  # null: every user


class CreateAcls(Request[CreateAclsRequest_v1]):
    """Many ACL bindings in one request (aiokafka's own CreateAclsRequest sends one)."""

    API_KEY = 30

    def __init__(self, creations: list[tuple[Any, ...]]) -> None:
        self.creations = creations

    def build(self, request_struct_class: type[CreateAclsRequest_v1]) -> CreateAclsRequest_v1:
        return request_struct_class(self.creations)


class DescribeAllAcls(Request[DescribeAclsRequest_v1]):
    API_KEY = 29

    def build(self, request_struct_class: type[DescribeAclsRequest_v1]) -> DescribeAclsRequest_v1:
        return request_struct_class(ANY, None, ANY, None, None, ANY, ANY)


# --- operations ------------------------------------------------------------------------------------------


def scram_upsertion(user: str, password: str) -> tuple[Any, ...]:
    salt = secrets.token_bytes(32)
    salted = hashlib.pbkdf2_hmac("sha512", password.encode(), salt, SCRAM_ITERATIONS)
    return (user, SCRAM_SHA_512, SCRAM_ITERATIONS, salt, salted, {})


def acl_bindings(principal: Principal) -> list[tuple[Any, ...]]:
    """CreateAcls v1 creations: (resource type, name, pattern type, principal, host, operation, allow)."""
    return [
        (
            RESOURCE_TYPES[a.resource_type],
            a.name,
            PATTERN_TYPES[a.pattern],
            f"User:{principal.user}",
            "*",
            OPERATIONS[op],
            ALLOW,
        )
        for a in principal.acls
        for op in a.operations
    ]


def _check_alter(response: Any) -> None:
    errors = [f"{user}: error {code} {msg or ''}".strip() for user, code, msg, _ in response.results if code]
    if errors:
        raise RuntimeError(f"setting SCRAM passwords: {'; '.join(errors)}")


async def scram_users(admin: AIOKafkaAdminClient) -> set[str]:
    response = await admin._send_request(DescribeUserScramCredentials())
    if response.error_code not in (0,):
        raise RuntimeError(f"describing SCRAM users: error {response.error_code} {response.error_message}")
    return {user for user, code, _, infos, _ in response.results if code == 0 and infos}


async def set_passwords(admin: AIOKafkaAdminClient, passwords: dict[str, str]) -> None:
    if passwords:
        upsertions = [scram_upsertion(u, p) for u, p in passwords.items()]
        _check_alter(await admin._send_request(AlterUserScramCredentials(upsertions)))


async def create_acls(admin: AIOKafkaAdminClient, principals: list[Principal]) -> int:
    creations = [b for p in principals for b in acl_bindings(p)]
    if creations:
        response = await admin._send_request(CreateAcls(creations))
        errors = [f"{code} {msg or ''}" for code, msg in response.creation_responses if code != 0]
        if errors:
            raise RuntimeError(f"creating ACLs: {'; '.join(errors)}")
    return len(creations)


async def revoke_stale(admin: AIOKafkaAdminClient, principals: list[Principal]) -> int:
    """Delete the ACLs of the services' principals that their definition no longer grants (a consumer
    that was removed keeps no access). Agencies' ACLs are left alone: `agency` adds principals by hand."""
    services = {f"User:{p.user}" for p in principals if p.kind == "service"}
    wanted = {b for p in principals if p.kind == "service" for b in acl_bindings(p)}
    response = await admin._send_request(DescribeAllAcls())
    stale = [
        (rtype, rname, rpattern, principal, host, op, perm)
        for rtype, rname, rpattern, acls in response.resources
        for principal, host, op, perm in acls
        if principal in services and (rtype, rname, rpattern, principal, host, op, perm) not in wanted
    ]
    for binding in stale:
        deleted = await admin._send_request(DeleteAclsRequest(*binding))
        for code, msg, _ in deleted.filter_responses:
            if code:
                raise RuntimeError(f"deleting ACL {binding}: error {code} {msg or ''}")
    return len(stale)


def settings() -> ServiceSettings:
    return ServiceSettings()


def principals(s: ServiceSettings) -> list[Principal]:
    notify_group = os.environ.get("WASPADA_CONSUMER_GROUP", "waspada-notify")
    return local_principals(s.topics, reference().provinces, notify_group)


async def connect(bootstrap: str, s: ServiceSettings, timeout: float) -> AIOKafkaAdminClient:
    """The super user's admin client; retries until the broker authenticates it (it may still be starting)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        admin = AIOKafkaAdminClient(
            bootstrap_servers=bootstrap, request_timeout_ms=10_000, **client_security(s)
        )
        try:
            await admin.start()
            return admin
        except Exception:
            await admin.close()
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


async def sync(bootstrap: str, timeout: float) -> None:
    s = settings()
    everyone = principals(s)
    admin = await connect(bootstrap, s, timeout)
    try:
        existing = await scram_users(admin)
        missing = {p.user: demo_password(p.user) for p in everyone if p.user not in existing}
        await set_passwords(admin, missing)
        count = await create_acls(admin, everyone)
        revoked = await revoke_stale(admin, everyone)
    finally:
        await admin.close()
    print(
        f"kafka principals ready: {len(everyone)} ({len(missing)} created with demo passwords), "
        f"{count} ACL bindings" + (f", {revoked} no longer granted removed" if revoked else "")
    )


async def passwd(bootstrap: str, user: str, password: str) -> None:
    s = settings()
    admin = await connect(bootstrap, s, 30)
    try:
        await set_passwords(admin, {user: password})
    finally:
        await admin.close()


async def add_agency(bootstrap: str, user: str, scope: str, password: str) -> None:
    s = settings()
    if scope not in reference().provinces and scope != "national":
        raise SystemExit(f"unknown scope {scope!r}: a province code or 'national'")
    base = agency_principal(s.topics, scope)
    principal = Principal(user, base.kind, base.acls, scope)
    admin = await connect(bootstrap, s, 30)
    try:
        await set_passwords(admin, {user: password})
        await create_acls(admin, [principal])
    finally:
        await admin.close()
    print(f"{user}: may write to {s.topics.submitted_for(scope)}")


async def list_all(bootstrap: str) -> None:
    s = settings()
    admin = await connect(bootstrap, s, 30)
    try:
        users = await scram_users(admin)
        response = await admin._send_request(DescribeAllAcls())
    finally:
        await admin.close()
    names = {v: k for k, v in OPERATIONS.items()}
    by_user: dict[str, list[str]] = {}
    for rtype, rname, rpattern, acls in response.resources:
        kind = {v: k for k, v in RESOURCE_TYPES.items()}.get(rtype, str(rtype))
        pattern = {v: k for k, v in PATTERN_TYPES.items()}.get(rpattern, str(rpattern))
        for principal, _host, op, _perm in acls:
            by_user.setdefault(principal.removeprefix("User:"), []).append(
                f"{names.get(op, op)} {kind} {rname}{'*' if pattern == 'prefix' else ''}"
            )
    for user in sorted(users | set(by_user)):
        print(f"{user}{'' if user in users else ' (no SCRAM credential)'}")
        for line in sorted(by_user.get(user, [])):
            print(f"    {line}")


def _password(args: argparse.Namespace) -> str:
    if args.generate:
        password = secrets.token_urlsafe(24)
        print(f"new password: {password}")
        return password
    password = sys.stdin.readline().rstrip("\n")
    if len(password) < 12:
        raise SystemExit("refusing a password shorter than 12 characters")
    return password


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bootstrap", default=os.environ.get("WASPADA_KAFKA_BOOTSTRAP", "127.0.0.1:19092"))
    sub = parser.add_subparsers(dest="command", required=True)
    p_sync = sub.add_parser("sync", help="create missing principals (demo passwords) and every ACL")
    p_sync.add_argument("--timeout", type=float, default=30.0, help="seconds to wait for the broker")
    p_passwd = sub.add_parser("passwd", help="set a principal's SCRAM password (stdin, or --generate)")
    p_passwd.add_argument("user")
    p_passwd.add_argument("--generate", action="store_true")
    p_agency = sub.add_parser("agency", help="a further agency principal for one scope")
    p_agency.add_argument("user")
    p_agency.add_argument("--scope", required=True, help="a province code, or 'national'")
    p_agency.add_argument("--generate", action="store_true")
    sub.add_parser("list", help="principals and ACLs as the broker holds them")
    args = parser.parse_args()
    if args.command == "sync":
        asyncio.run(sync(args.bootstrap, args.timeout))
    elif args.command == "passwd":
        asyncio.run(passwd(args.bootstrap, args.user, _password(args)))
    elif args.command == "agency":
        asyncio.run(add_agency(args.bootstrap, args.user, args.scope, _password(args)))
    else:
        asyncio.run(list_all(args.bootstrap))
    return 0


if __name__ == "__main__":
    sys.exit(main())
