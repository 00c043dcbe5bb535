"""Retention: processed ids beyond the replay horizon and the delivery log of long-resolved alerts go;
what is recent, and every firing alert's log, stays."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.notify.conftest import Notify
from tests.unit.notify.factories import assessed
from waspada_notify.adapters import store
from waspada_shared.levels import Level


async def test_old_processed_ids_and_old_delivery_logs_are_forgotten(notify: Notify) -> None:
    t = notify.now - timedelta(hours=1)
    await notify.processor.process(
        [assessed(Level.WASPADA, regency="19.06", at=t, report_id="old")], notify.now
    )
    await notify.processor.process(
        [assessed(Level.WASPADA, regency="19.02", at=t, report_id="new")], notify.now
    )
    await notify.deliver()
    old_alert = (await notify.rows("SELECT alert_id FROM alerts WHERE regency = '19.06'"))[0]["alert_id"]
    await notify.pool.execute(
        "UPDATE alerts SET status = 'resolved', resolved_at = now() - interval '800 days' WHERE alert_id = $1",
        old_alert,
    )
    await notify.pool.execute(
        "UPDATE processed SET processed_at = now() - interval '40 days' WHERE report_id = 'old'"
    )
    async with notify.pool.acquire() as conn:
        processed, attempts = await store.forget_old(
            conn, notify.now - timedelta(days=30), notify.now - timedelta(days=730)
        )
    assert processed == 1 and attempts >= 1
    assert [r["report_id"] for r in await notify.rows("SELECT report_id FROM processed")] == ["new"]
    assert await notify.rows("SELECT 1 FROM delivery_attempts WHERE alert_id = $1", old_alert) == []
    assert await notify.rows("SELECT 1 FROM deliveries WHERE alert_id = $1", old_alert) == []
    assert await notify.rows("SELECT 1 FROM delivery_attempts WHERE alert_id <> $1", old_alert) != []
