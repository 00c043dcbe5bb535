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


def json_param(model: BaseModel) -> orjson.Fragment:
    """A model as a `json` query parameter, written once by pydantic's serialiser: the connections'
    JSON codec (orjson) passes a Fragment through as it is, where a dict from `model_dump` would be
    built in Python first and then encoded again."""
    return orjson.Fragment(model.model_dump_json())
