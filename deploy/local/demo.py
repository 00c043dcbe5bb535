"""Play the demo feed through the running local stack and show what happened.

Posts every report of `tests/data/demo-feed.jsonl` (a copy of shared/examples) to intake with its
province's demo key, waits until each one is assessed, then prints the scores, the alerts that fired,
and what the demo webhook receiver was sent. Idempotent: a second run re-submits the same ids
(answered as duplicates) and shows the same results.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from pydantic_settings import BaseSettings, SettingsConfigDict

from waspada_shared.levels import Level
from waspada_shared.regions import reference

FEED = Path(__file__).resolve().parents[2] / "tests" / "data" / "demo-feed.jsonl"


class DemoSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="WASPADA_", extra="ignore")

    intake_url: str = "http://127.0.0.1:8080"
    notify_url: str = "http://127.0.0.1:8082"
    receiver_url: str = "http://127.0.0.1:8089"
    console_url: str = "http://127.0.0.1:8083"
    demo_timeout: float = 60.0


def table(headers: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(out)


def level_label(level: str | None) -> str:
    return Level(level).label if level else "-"


async def main() -> int:
    s = DemoSettings()
    ref = reference()
    reports = [json.loads(line) for line in FEED.read_text(encoding="utf-8").splitlines() if line.strip()]
    started = time.monotonic()
    async with httpx.AsyncClient(timeout=10.0) as http:
        print(f"Posting {len(reports)} demo reports to {s.intake_url}/v1/reports ...")
        for r in reports:
            key = f"demo-{r['region']['province']}"
            resp = await http.post(
                f"{s.intake_url}/v1/reports", json=r, headers={"Authorization": f"Bearer {key}"}
            )
            if resp.status_code not in (200, 202):
                print(f"  {r['report_id']}: HTTP {resp.status_code} {resp.text}", file=sys.stderr)
                return 1
            status = "accepted" if resp.status_code == 202 else "duplicate (already submitted)"
            print(f"  {r['report_id']:<22} {resp.status_code} {status}")

        views: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + s.demo_timeout
        while len(views) < len(reports):
            for r in reports:
                if r["report_id"] in views:
                    continue
                resp = await http.get(
                    f"{s.intake_url}/v1/reports/{r['report_id']}",
                    headers={"Authorization": "Bearer demo-national"},
                )
                if resp.status_code == 200 and resp.json()["state"] == "assessed":
                    views[r["report_id"]] = resp.json()
            if time.monotonic() > deadline:
                print(f"Timed out: {len(views)} of {len(reports)} reports assessed", file=sys.stderr)
                return 1
            if len(views) < len(reports):
                await asyncio.sleep(0.1)
        print(f"\nAll {len(reports)} reports assessed ({time.monotonic() - started:.1f} s).\n")
        rows = []
        for r in reports:
            v = views[r["report_id"]]
            rows.append(
                [
                    r["report_id"],
                    ref.regency_name(r["region"]["regency"]),
                    f"{r['kind']}/{r['category']}",
                    f"{v['score']:.1f}",
                    level_label(v["level"]),
                ]
            )
        print(table(["report", "regency/city", "kind/category", "score", "level"], rows))

        regencies = sorted({r["region"]["regency"] for r in reports})
        alerts: list[dict[str, Any]] = []
        for province in sorted({r["region"]["province"] for r in reports}):
            resp = await http.get(
                f"{s.notify_url}/v1/alerts",
                params={"province": province},
                headers={"Authorization": "Bearer demo-national"},
            )
            resp.raise_for_status()
            alerts += [
                a for a in resp.json()["alerts"] if a.get("regency") in regencies or not a.get("regency")
            ]
        print(f"\nAlerts ({len(alerts)}):")
        print(
            table(
                ["audience", "level", "status", "v", "title"],
                [
                    [a["audience"], level_label(a["level"]), a["status"], str(a["version"]), a["title"]]
                    for a in alerts
                ],
            )
        )
        # Deliveries are asynchronous: wait until every version has arrived, or until nothing new has
        # arrived for two seconds (suppressed, silenced or not-yet-due versions never reach a webhook).
        wanted = {(a["alert_id"], a["version"]) for a in alerts}
        got: list[dict[str, Any]] = []
        seen_count, quiet_since = -1, time.monotonic()
        while time.monotonic() < deadline:
            got = (await http.get(f"{s.receiver_url}/received")).json()
            have = {(d["alert"]["alert_id"], d["alert"]["version"]) for d in got} & wanted
            if have == wanted:
                break
            if len(have) != seen_count:
                seen_count, quiet_since = len(have), time.monotonic()
            elif time.monotonic() - quiet_since > 2.0:
                break
            await asyncio.sleep(0.2)
        mine = [d for d in got if (d["alert"]["alert_id"], d["alert"]["version"]) in wanted]
        print(
            f"\nDemo webhook receiver ({s.receiver_url}) got {len(mine)} signed deliveries for these alerts:"
        )
        print(
            table(
                ["audience", "v", "level", "title"],
                [
                    [
                        d["alert"]["audience"],
                        str(d["alert"]["version"]),
                        level_label(d["alert"]["level"]),
                        d["alert"]["title"],
                    ]
                    for d in mine
                ],
            )
        )
        if not alerts:
            print("\nNo alerts fired: check .local/log/*.log", file=sys.stderr)
            return 1
    print(
        f"\nWeb console: {s.console_url}  (sign in with the demo key demo-national for all of Indonesia,"
        " or demo-19 for Kepulauan Bangka Belitung)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
