"""Real Kafka and PostgreSQL: the scoring service consumes, publishes, re-publishes on redelivery, and
a replay of the demo feed under the same model version reproduces every stored assessment exactly."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import orjson
import pytest
import yaml
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from tests.helpers import Stack, load_jsonl, read_topic
from waspada_scoring.app import create_app
from waspada_scoring.configfiles import load_model, shipped_model
from waspada_scoring.domain.config import Model
from waspada_scoring.replay import ReplayOptions, format_result, replay
from waspada_scoring.settings import ScoringSettings
from waspada_shared.db import create_pool
from waspada_shared.kafka import client_security
from waspada_shared.topics import RISK_ASSESSED, headers

pytestmark = pytest.mark.stack
CONFIG = Path(__file__).resolve().parents[3] / "services/scoring/waspada_scoring/config"


@pytest.fixture
async def isolated(stack: Stack) -> AsyncIterator[ScoringSettings]:
    """Scoring settings on a fresh topic prefix and schema; topics and schemas removed afterwards."""
    tag = uuid.uuid4().hex[:10]
    settings = ScoringSettings(
        kafka_bootstrap=stack.kafka_bootstrap,
        database_url=stack.database_url,
        topic_prefix=f"it-scoring-{tag}.",
        db_schema=f"scoring_it_{tag}",
        db_pool_min=1,
        db_pool_max=3,
    )
    topics = [settings.topics.accepted, settings.topics.assessed]
    admin = AIOKafkaAdminClient(**stack.kafka)
    await admin.start()
    await admin.create_topics([NewTopic(t, 4, 1) for t in topics])
    try:
        yield settings
    finally:
        await admin.delete_topics(topics)
        await admin.close()
        conn = await asyncpg.connect(stack.database_url)
        for (schema,) in await conn.fetch(
            "SELECT nspname FROM pg_namespace WHERE nspname = $1 OR nspname LIKE $2",
            settings.db_schema,
            f"scoring_replay_it_{tag}%",
        ):
            await conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        await conn.close()


async def _produce(settings: ScoringSettings, reports: list[dict[str, object]]) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap, acks="all", **client_security(settings)
    )
    await producer.start()
    try:
        for r in reports:
            await producer.send_and_wait(
                settings.topics.accepted,
                r if isinstance(r, bytes) else orjson.dumps(r),
                key=b"19.02" if isinstance(r, bytes) else r["region"]["regency"].encode(),  # type: ignore[index]
                headers=[(k, v.encode()) for k, v in headers().items()],
            )
    finally:
        await producer.stop()


def _demo(tag: str) -> list[dict[str, object]]:
    out = []
    for raw in load_jsonl("demo-feed.jsonl"):
        raw.pop("reporter", None)
        raw["report_id"] = f"{raw['report_id']}-{tag}"
        out.append(
            {**raw, "received_at": datetime.now(UTC).isoformat(), "submitted_by": raw["region"]["province"]}
        )
    return out


def _heavier_signals(tmp_path: Path) -> Model:
    data = yaml.safe_load((CONFIG / "model.yaml").read_text())
    data["version"] = "risk-it-heavier-signals"
    data["weights"]["signals"] = 40
    (tmp_path / "model.yaml").write_text(yaml.safe_dump(data))
    return load_model(tmp_path / "model.yaml")


async def test_service_assesses_republishes_and_a_replay_reproduces_it(
    isolated: ScoringSettings, stack: Stack, tmp_path: Path
) -> None:
    settings = isolated
    feed = _demo(uuid.uuid4().hex[:6])
    ids = {r["report_id"] for r in feed}
    in_topic = Stack(kafka_bootstrap=stack.kafka_bootstrap, topic_prefix=settings.topic_prefix)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await _produce(settings, [b"not a report"])  # type: ignore[list-item]  # logged and skipped
        await _produce(settings, feed)
        first = await read_topic(
            in_topic, RISK_ASSESSED, lambda k, v, h: v.get("report_id") in ids, count=len(ids)
        )
        assert {v["report_id"] for _, v, _ in first} == ids
        assert all(k == v["region"]["regency"] and h["schema-version"] == "1" for k, v, h in first)
        brawl = next(v for _, v, _ in first if v["report_id"].startswith("babel-belitung-0001"))
        assert brawl["level"] in ("siaga", "awas") and brawl["model_version"] == shipped_model().version
        # A redelivered report: the stored event is published again, byte for byte; nothing is re-scored.
        await _produce(settings, feed[:1])
        again = await read_topic(
            in_topic, RISK_ASSESSED, lambda k, v, h: v.get("report_id") == feed[0]["report_id"], count=2
        )
        assert again[0][1] == again[1][1]
    async with await create_pool(settings.database_url, min_size=1, max_size=2) as pool:
        assert await pool.fetchval(f'SELECT count(*) FROM "{settings.db_schema}".assessments') == len(ids)
        tag = settings.db_schema.removeprefix("scoring_it_")
        same = await replay(
            settings, ReplayOptions(model=shipped_model(), run=f"it_{tag}", baseline=settings.db_schema), pool
        )
        assert (same.read, same.assessed) == (len(ids) + 2, len(ids))  # + the garbage and the redelivery
        c = same.comparison
        assert c.compared == len(ids) and c.same_assessment == len(ids) and c.max_score_diff == 0.0
        assert c.baseline_levels == c.replay_levels and not c.earlier and not c.later
        # A backtest of another model version: same history, different weights, separate storage.
        other = await replay(
            settings,
            ReplayOptions(model=_heavier_signals(tmp_path), run=f"it_{tag}_b", baseline=settings.db_schema),
            pool,
        )
        assert other.comparison.compared == len(ids)
        assert other.comparison.same_score < len(ids)  # signals weigh more: scores move
        assert sum(other.comparison.replay_levels.get(lv, 0) for lv in ("siaga", "awas")) >= sum(
            c.replay_levels.get(lv, 0) for lv in ("siaga", "awas")
        )
        # From a date: records (and assessments) received since then; nothing earlier is read.
        since = await replay(
            settings,
            ReplayOptions(
                model=shipped_model(),
                run=f"it_{tag}_c",
                baseline=settings.db_schema,
                since=datetime.now(UTC) + timedelta(hours=1),
                warmup=timedelta(0),
            ),
            pool,
        )
        assert (since.read, since.comparison.compared) == (0, 0)
        text = format_result(other)
        assert "risk-it-heavier-signals" in text and "level changes" in text
        stored = await pool.fetchval(
            f'SELECT count(*) FROM "scoring_replay_it_{tag}_b".assessments WHERE model_version = $1',
            "risk-it-heavier-signals",
        )
        assert stored == len(ids)
