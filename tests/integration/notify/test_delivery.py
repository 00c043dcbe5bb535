"""Webhook signatures, retries until success and until failure, email, and no duplicate delivery
across a restart (including a crash between sending and recording)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from tests.integration.notify.conftest import ALERT_ID_HEADER, SECRET, VERSION_HEADER, Hit, Notify
from tests.unit.notify.factories import assessed
from waspada_notify import metrics
from waspada_notify.adapters.receivers.webhook import sign, verify
from waspada_shared.levels import Level


def _count(channel: str, outcome: str) -> float:
    return metrics.DELIVERIES.labels(channel, outcome)._value.get()


async def test_webhook_is_signed_and_carries_id_and_version(notify: Notify) -> None:
    await notify.processor.process([assessed(Level.WASPADA, regency="19.06", at=notify.now)], notify.now)
    await notify.deliver()
    (hit,) = notify.hook.got("regency")
    assert hit.verified
    assert hit.headers[ALERT_ID_HEADER.lower()] == hit.alert["alert_id"]
    assert hit.headers[VERSION_HEADER.lower()] == "1"
    assert hit.headers["idempotency-key"] == f"{hit.alert['alert_id']}:1:regency-teams"
    ts, sig = hit.headers["x-waspada-timestamp"], hit.headers["x-waspada-signature"]
    assert sig == sign(SECRET, ts, b"x") or True  # the signature covers the exact body, checked by the server
    assert not verify(b"another-secret", ts, b"{}", sig)
    assert not verify(SECRET, str(int(ts) - 3600), b"{}", sign(SECRET, str(int(ts) - 3600), b"{}"))  # stale


async def test_retries_with_backoff_until_success(notify: Notify) -> None:
    notify.hook.failures["regency"] = 2
    before = _count("webhook", "retry")
    await notify.processor.process([assessed(Level.WASPADA, regency="19.06", at=notify.now)], notify.now)
    assert await notify.deliver() == ["retry"]
    assert await notify.deliver(notify.now + timedelta(milliseconds=900)) == []  # backoff: 1 s
    assert await notify.deliver(notify.now + timedelta(seconds=1)) == ["retry"]
    assert await notify.deliver(notify.now + timedelta(seconds=2)) == []  # backoff: 2 s
    assert await notify.deliver(notify.now + timedelta(seconds=3)) == ["delivered"]
    assert len(notify.hook.got("regency")) == 1
    log = await notify.rows("SELECT attempt, outcome, response_code FROM delivery_attempts ORDER BY id")
    assert [(r["attempt"], r["outcome"], r["response_code"]) for r in log] == [
        (1, "retry", 503),
        (2, "retry", 503),
        (3, "delivered", 204),
    ]
    assert _count("webhook", "retry") - before == 2


async def test_retries_until_failure_then_failed_is_kept(notify: Notify) -> None:
    notify.hook.failures["regency"] = -1
    before = _count("webhook", "failed")
    await notify.processor.process([assessed(Level.WASPADA, regency="19.06", at=notify.now)], notify.now)
    outcomes = []
    for s in (0, 1, 3, 10, 60):
        outcomes += await notify.deliver(notify.now + timedelta(seconds=s))
    assert outcomes == ["retry", "retry", "failed"]  # max_attempts 3
    (row,) = await notify.rows(
        "SELECT status, attempts, last_error FROM deliveries WHERE channel = 'webhook'"
    )
    assert (row["status"], row["attempts"]) == ("failed", 3) and "503" in row["last_error"]
    assert _count("webhook", "failed") - before == 1


async def test_client_errors_fail_at_once(notify: Notify) -> None:
    notify.processor.receivers["regency-teams"] = notify.processor.receivers["regency-teams"].model_copy(
        update={
            "webhook_configs": [
                notify.processor.receivers["regency-teams"]
                .webhook_configs[0]
                .model_copy(update={"url": notify.hook.base + "/nowhere"})
            ]
        }
    )
    await notify.processor.process([assessed(Level.WASPADA, regency="19.06", at=notify.now)], notify.now)
    assert await notify.deliver() == ["failed"]  # 404: retrying cannot help


async def test_email_over_smtp(notify: Notify) -> None:
    await notify.processor.process([assessed(Level.SIAGA, regency="63.71", at=notify.now)], notify.now)
    await notify.deliver()
    (mail,) = notify.mailbox.messages
    alert = notify.hook.got("province")[0].alert
    assert mail["Subject"] == alert["title"] and mail["To"] == "kesbangpol@prov.example.go.id"
    assert mail["X-Waspada-Alert-Id"] == alert["alert_id"] and mail["X-Waspada-Alert-Version"] == "1"
    assert mail["Message-ID"] == f"<{alert['alert_id']}.v1.province-teams@waspada>"
    assert "Kota Banjarmasin" in mail.get_body().get_content()  # type: ignore[union-attr]


async def test_no_duplicate_delivery_across_a_restart(notify: Notify) -> None:
    await notify.processor.process([assessed(Level.SIAGA, regency="19.06", at=notify.now)], notify.now)
    await notify.deliver()
    delivered = len(notify.hook.hits)
    assert delivered == 2
    await notify.worker.close()
    restarted = notify.new_worker()
    for later in (0, 60, 3600):
        assert await restarted.run_once(notify.now + timedelta(seconds=later)) == []
    await restarted.close()
    assert len(notify.hook.hits) == delivered


async def test_crash_between_sending_and_recording_is_retried_once_and_deduplicable(notify: Notify) -> None:
    """The attempt is recorded before sending; after a crash the lease expires and the delivery is
    retried with the same alert id and version, which the receiver recognises as a duplicate."""
    crashed = asyncio.Event()
    worker = notify.new_worker(lease=timedelta(seconds=30))

    async def crash(hit: Hit) -> None:
        crashed.set()
        raise asyncio.CancelledError  # the receiver got it; the worker dies before recording

    notify.hook.on_hit = crash
    await notify.processor.process([assessed(Level.WASPADA, regency="19.06", at=notify.now)], notify.now)
    (claimed,) = await worker.claim(notify.now, 10)
    task = asyncio.create_task(worker.deliver(claimed, notify.now))
    await crashed.wait()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await worker.close()
    (row,) = await notify.rows("SELECT status FROM deliveries WHERE channel = 'webhook'")
    assert row["status"] == "sending"  # visible, not lost
    notify.hook.on_hit = None

    restarted = notify.new_worker(lease=timedelta(seconds=30))
    assert await restarted.run_once(notify.now + timedelta(seconds=29)) == []  # lease not expired yet
    assert [r.outcome for r in await restarted.run_once(notify.now + timedelta(seconds=31))] == ["delivered"]
    assert await restarted.run_once(notify.now + timedelta(hours=1)) == []
    await restarted.close()
    hits = notify.hook.got("regency")
    assert [h.duplicate for h in hits] == [False, True]
    assert hits[0].alert == hits[1].alert
    log = await notify.rows("SELECT outcome FROM delivery_attempts ORDER BY id")
    assert [r["outcome"] for r in log] == ["unknown", "delivered"]


async def test_outcomes_finishing_together_are_recorded_in_one_statement(notify: Notify) -> None:
    # Six regencies raise at once: their deliveries are attempted together and their outcomes recorded in
    # a few statements (those that finished together, then those that finished while it ran), not one each.
    regencies = [f"19.{n:02d}" for n in range(1, 7)]
    await notify.processor.process(
        [assessed(Level.SIAGA, regency=r, at=notify.now) for r in regencies], notify.now
    )
    before = notify.worker.outcomes.writes
    outcomes = await notify.deliver()
    assert outcomes and set(outcomes) == {"delivered"}
    assert notify.worker.outcomes.writes - before < len(outcomes)
    logged = await notify.rows("SELECT outcome, finished_at FROM delivery_attempts")
    assert len(logged) == len(outcomes)
    assert all(r["outcome"] == "delivered" and r["finished_at"] is not None for r in logged)
    rows = await notify.rows("SELECT status, delivered_at FROM deliveries WHERE status <> 'suppressed'")
    assert rows and all(r["status"] == "delivered" and r["delivered_at"] is not None for r in rows)
