"""HTTP API of notify (SPEC §4): alerts, deliveries, acknowledgements, CAP, silences, summary.

Scopes: a province key sees (and acts for) its own province only; national and admin keys see all.
An alert belongs to its province, and a cross-province roll-up to each province it covers.
"""

from fastapi import APIRouter

from waspada_notify.api import alerts, cap, silences, summary, whoami
from waspada_notify.api.context import ApiContext
from waspada_shared.keys import KeyStore


def build_router(keys: KeyStore, ctx: ApiContext) -> APIRouter:
    router = APIRouter(prefix="/v1")
    router.include_router(alerts.router(keys, ctx))
    router.include_router(cap.router(keys, ctx))
    router.include_router(silences.router(keys, ctx))
    router.include_router(summary.router(keys, ctx))
    router.include_router(whoami.router(keys))
    return router
