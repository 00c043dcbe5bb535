from __future__ import annotations

from datetime import UTC, datetime

import orjson
from pydantic import BaseModel

from waspada_shared.jsonutil import json_param


class _Sample(BaseModel):
    name: str
    at: datetime
    score: float
    parts: list[dict[str, int]]


def test_json_param_is_the_json_of_model_dump_through_the_connection_codec() -> None:
    sample = _Sample(
        name="Banjarmasin — siaga", at=datetime(2026, 12, 2, 8, tzinfo=UTC), score=61.5, parts=[{"a": 1}]
    )
    # The pool's codec encodes every json parameter with orjson (waspada_shared.db).
    stored = orjson.dumps(json_param(sample)).decode()
    assert orjson.loads(stored) == sample.model_dump(mode="json")
    assert _Sample.model_validate_json(stored) == sample
