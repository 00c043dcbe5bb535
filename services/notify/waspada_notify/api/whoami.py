"""`GET /v1/whoami`: the calling key's name and scope, for clients (the console) that act on a key."""

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from waspada_shared.auth import Principal
from waspada_shared.http import principal_dependency
from waspada_shared.keys import KeyStore


class WhoAmI(BaseModel):
    name: str = Field(description="The key's name")
    scope: str = Field(description="A province code, `national` or `admin`")


def router(keys: KeyStore) -> APIRouter:
    r = APIRouter(tags=["keys"])
    principal = principal_dependency(keys)

    @r.get("/whoami", response_model=WhoAmI, summary="The calling key's name and scope")
    async def whoami(who: Annotated[Principal, Depends(principal)]) -> WhoAmI:
        return WhoAmI(name=who.name, scope=who.scope)

    return r
