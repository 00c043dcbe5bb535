"""Email over SMTP (aiosmtplib): one plain-text message per alert version and receiver target.

The Message-ID is derived from alert id, version and receiver, so a message sent twice (a crash
between sending and recording) is recognisable as the same message by mail systems and people.
"""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib

from waspada_notify.adapters.receivers import Claimed, Outcome
from waspada_notify.domain.texts import area_name
from waspada_shared.contracts.report import Category
from waspada_shared.indonesian import CATEGORY_ID
from waspada_shared.levels import Level

STATUS_ID = {"firing": "berlaku", "resolved": "selesai"}

RETRYABLE_SMTP = range(400, 500)


def message(delivery: Claimed, sender: str) -> EmailMessage:
    alert = delivery.payload
    msg = EmailMessage()
    msg["Subject"] = alert["title"]
    msg["From"] = sender
    msg["To"] = delivery.target
    msg["Message-ID"] = f"<{delivery.alert_id}.v{delivery.version}.{delivery.receiver}@waspada>"
    msg["X-Waspada-Alert-Id"] = delivery.alert_id
    msg["X-Waspada-Alert-Version"] = str(delivery.version)
    lines = [
        alert["title"],
        "",
        alert["summary"],
        "",
        f"Tingkat: {Level(alert['level']).label}  Status: {STATUS_ID.get(alert['status'], alert['status'])}"
        f"  Skor: {alert['score']:.0f}",
        f"Wilayah: {area_name(alert['province'], alert.get('regency'))}  Kategori: {CATEGORY_ID[Category(alert['category'])]}",
        f"ID peringatan: {delivery.alert_id} (versi {delivery.version})",
        "",
        "Konfirmasi penerimaan (ack) melalui API Waspada: POST /v1/alerts/{id}/ack.".replace(
            "{id}", delivery.alert_id
        ),
        "Pesan ini terbatas untuk Tim Terpadu Penanganan Konflik Sosial.",
    ]
    msg.set_content("\n".join(lines))
    return msg


class EmailChannel:
    name = "email"

    def __init__(
        self,
        smarthost: str,
        sender: str,
        *,
        starttls: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 10.0,
    ) -> None:
        host, _, port = smarthost.rpartition(":")
        self.host, self.port = host, int(port)
        self.sender = sender
        self.starttls = starttls
        self.username, self.password = username, password
        self.timeout = timeout

    async def close(self) -> None:
        return None

    async def send(self, delivery: Claimed) -> Outcome:
        try:
            await aiosmtplib.send(
                message(delivery, self.sender),
                hostname=self.host,
                port=self.port,
                start_tls=self.starttls,
                username=self.username,
                password=self.password,
                timeout=self.timeout,
            )
        except aiosmtplib.SMTPResponseException as exc:
            permanent = exc.code >= 500  # 5xx: rejected for good (unknown mailbox, policy)
            return Outcome(False, exc.code, f"SMTP {exc.code}: {exc.message}"[:500], permanent)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500])
        return Outcome(True, 250)
