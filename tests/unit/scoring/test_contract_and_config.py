"""The published payload matches the RiskAssessed contract; configuration is strictly validated."""

from __future__ import annotations

from collections import namedtuple
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pytest
import yaml
from hypothesis import given, settings
from pydantic import ValidationError

from tests.helpers import load_jsonl
from tests.unit.scoring.factories import Scorer
from tests.unit.scoring.test_properties import raw_reports
from waspada_scoring.adapters.pipeline import in_processing_order
from waspada_scoring.configfiles import load_model, shipped_model
from waspada_scoring.domain.batch import encode, to_event, to_payload
from waspada_scoring.replay import run_name
from waspada_shared.contracts.report import AcceptedReport
from waspada_shared.contracts.risk import RiskAssessed

CONFIG = Path(__file__).resolve().parents[3] / "services/scoring/waspada_scoring/config"


def _demo() -> list[AcceptedReport]:
    out = []
    for raw in load_jsonl("demo-feed.jsonl"):
        raw.pop("reporter", None)
        out.append(
            AcceptedReport.model_validate(
                {**raw, "received_at": "2024-11-28T01:00:00Z", "submitted_by": "19"}
            )
        )
    return out


def test_payload_is_exactly_the_contracts_json() -> None:
    now = datetime(2024, 11, 28, 2, 0, tzinfo=UTC)
    for s in Scorer().score(*_demo()):
        written = encode(to_payload(s, "risk-test", now))
        assert orjson.loads(written) == to_event(s, "risk-test", now).model_dump(mode="json")
        again = RiskAssessed.model_validate_json(written)
        assert again.model_dump(mode="json") == orjson.loads(written)


@settings(max_examples=40, deadline=None)
@given(raw_reports(("incident", "potential", "recovery")))
def test_payload_matches_the_contract_for_any_report(raw: dict[str, object]) -> None:
    r = AcceptedReport.model_validate(
        {
            **raw,
            "report_id": "p-1",
            "summary": "x",
            "received_at": raw["occurred_at"],
            "submitted_by": "kafka",
        }
    )
    (s,) = Scorer().score(r)
    now = datetime.now(UTC)
    written = encode(to_payload(s, "v", now))
    assert orjson.loads(written) == to_event(s, "v", now).model_dump(mode="json")


def test_the_shipped_model_is_versioned_and_pinned_to_its_data_files() -> None:
    m = shipped_model()
    assert m.version == "risk-2.0"
    assert {e.id for e in m.calendar.elections} == {"pemilu-2024", "pilkada-2024"}
    assert m.baseline.version.startswith("ikp-2024")


def _write_model(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load((CONFIG / "model.yaml").read_text())
    data.update(changes)
    path = tmp_path / "model.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_another_model_file_loads_with_the_shipped_data_files(tmp_path: Path) -> None:
    m = load_model(_write_model(tmp_path, version="risk-1.1-test"))
    assert m.version == "risk-1.1-test" and m.calendar.elections


def test_a_bad_model_file_names_what_is_wrong(tmp_path: Path) -> None:
    data = yaml.safe_load((CONFIG / "model.yaml").read_text())
    del data["election"]["stage_weights"]["campaign"]
    (tmp_path / "model.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ValidationError, match="campaign"):
        load_model(tmp_path / "model.yaml")
    with pytest.raises(ValidationError, match="unknown_factor"):
        load_model(_write_model(tmp_path, unknown_factor=1))
    with pytest.raises(ValidationError, match="version"):
        load_model(_write_model(tmp_path, version="has spaces"))


Rec = namedtuple("Rec", "partition offset timestamp")


def test_batches_merge_partitions_by_time_and_keep_each_partitions_order() -> None:
    records = [Rec(0, 5, 300), Rec(1, 1, 100), Rec(0, 4, 400), Rec(1, 2, 200), Rec(2, 9, 150)]
    ordered = in_processing_order(records)
    assert [(r.partition, r.offset) for r in ordered if r.partition == 0] == [(0, 4), (0, 5)]
    assert [(r.partition, r.offset) for r in ordered] == [(1, 1), (2, 9), (1, 2), (0, 4), (0, 5)]


def test_replay_run_names_are_schema_safe() -> None:
    assert run_name("risk-1.1") == "risk_1_1"
    with pytest.raises(ValueError):
        run_name("--")


def test_every_factor_the_model_writes_has_indonesian_words() -> None:
    """The console shows each factor by name: a factor the model adds needs its label too."""
    from waspada_scoring.domain.config import FACTOR_NAMES
    from waspada_shared.indonesian import FACTOR_ID

    assert set(FACTOR_NAMES) | {"confidence", "recovery", "cap"} <= set(FACTOR_ID)
