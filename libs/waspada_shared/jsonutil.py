"""Fast JSON for pydantic models and plain data (orjson)."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import BaseModel


def dumps(value: BaseModel | Any) -> bytes:
    if isinstance(value, BaseModel):
        return orjson.dumps(value.model_dump(mode="json"))
    return orjson.dumps(value)


def loads(data: bytes | str) -> Any:
    return orjson.loads(data)
