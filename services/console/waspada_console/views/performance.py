"""Kinerja pelaporan: the provinces ranked by how well they report (notify's `GET /v1/summary`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from waspada_console.client import Service
from waspada_console.web import get_ok, render, signed_in

# column -> (heading, sort key); None sorts last either way.
COLUMNS: dict[str, tuple[str, Callable[[dict[str, Any]], Any]]] = {
    "provinsi": ("Provinsi", lambda p: p["name"]),
    "laporan": ("Laporan", lambda p: p.get("reports_period")),
    "melapor": ("Kab/kota melapor", lambda p: _share(p.get("regencies_reporting"), p.get("regencies_total"))),
    "keterlambatan": ("Median keterlambatan", lambda p: p.get("median_delay_seconds")),
    "ditolak": ("Laporan ditolak", lambda p: p.get("rejected_share")),
    "tanggap": ("Ditanggapi tepat waktu", lambda p: p.get("acknowledged_in_time_share")),
}
# Which direction is "better first" for each column by default.
_DEFAULT_DESC = {
    "laporan": True,
    "melapor": True,
    "keterlambatan": False,
    "ditolak": False,
    "tanggap": True,
    "provinsi": False,
}


def _share(a: Any, b: Any) -> float | None:
    return None if not b else float(a or 0) / float(b)


def ranked(provinces: list[dict[str, Any]], column: str, descending: bool) -> list[dict[str, Any]]:
    key = COLUMNS.get(column, COLUMNS["laporan"])[1]
    present = [p for p in provinces if key(p) is not None]
    missing = [p for p in provinces if key(p) is None]
    return sorted(present, key=key, reverse=descending) + sorted(missing, key=lambda p: p["name"])


def router() -> APIRouter:
    r = APIRouter()

    async def summary(request: Request, days: int) -> dict[str, Any]:
        found: dict[str, Any] = await get_ok(request, Service.NOTIFY, "/v1/summary", {"days": days})
        return found

    def order(urut: str, arah: str) -> tuple[str, bool]:
        column = urut if urut in COLUMNS else "laporan"
        descending = _DEFAULT_DESC[column] if arah not in ("naik", "turun") else arah == "turun"
        return column, descending

    @r.get("/kinerja")
    async def performance(
        request: Request, urut: str = "laporan", arah: str = "", hari: int = 30
    ) -> Response:
        signed_in(request)
        days = max(1, min(90, hari))
        body = await summary(request, days)
        column, descending = order(urut, arah)
        return render(
            request,
            "kinerja.html",
            provinces=ranked(body.get("provinces", []), column, descending),
            columns=COLUMNS,
            column=column,
            descending=descending,
            days=days,
            available=body.get("report_figures_available", True),
        )

    @r.get("/kinerja.csv")
    async def performance_csv(
        request: Request, urut: str = "laporan", arah: str = "", hari: int = 30
    ) -> Response:
        signed_in(request)
        days = max(1, min(90, hari))
        body = await summary(request, days)
        column, descending = order(urut, arah)
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(
            [
                "peringkat",
                "kode",
                "provinsi",
                "laporan",
                "kabkota_melapor",
                "kabkota_total",
                "median_keterlambatan_detik",
                "ditolak",
                "porsi_ditolak",
                "perlu_tanggapan",
                "ditanggapi_tepat_waktu",
                "porsi_tepat_waktu",
            ]
        )
        for i, p in enumerate(ranked(body.get("provinces", []), column, descending), 1):
            w.writerow(
                [
                    i,
                    p["province"],
                    p["name"],
                    p.get("reports_period"),
                    p.get("regencies_reporting"),
                    p.get("regencies_total"),
                    p.get("median_delay_seconds"),
                    p.get("rejected"),
                    p.get("rejected_share"),
                    p.get("alerts_requiring_ack"),
                    p.get("acknowledged_in_time"),
                    p.get("acknowledged_in_time_share"),
                ]
            )
        return Response(
            out.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="kinerja-pelaporan-{days}hari.csv"'},
        )

    return r
