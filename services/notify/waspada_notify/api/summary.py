"""`GET /v1/summary`: the province picture and reporting performance (SPEC §4)."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from waspada_notify.adapters.summary import ProvinceFigures, figures
from waspada_notify.api.context import ApiContext
from waspada_shared.auth import Principal
from waspada_shared.http import principal_dependency
from waspada_shared.keys import KeyStore
from waspada_shared.regions import reference


class ProvinceSummary(BaseModel):
    province: str
    name: str
    alerts_by_level: dict[str, int] = Field(description="Firing alerts (all audiences) by level")
    alerts_by_category: dict[str, int] = Field(description="Firing alerts (all audiences) by category")
    reports_24h: int
    reports_7d: int
    reports_period: int = Field(description="Reports received in the period")
    regencies_reporting: int = Field(description="Regencies/cities with at least one report in the period")
    regencies_total: int
    median_delay_seconds: float | None = Field(
        description="Median delay from occurred_at to receipt in the period"
    )
    rejected: int = Field(description="Submissions rejected in the period")
    rejected_share: float | None = Field(description="rejected / (accepted + rejected) in the period")
    alerts_requiring_ack: int = Field(
        description="Alerts created in the period that needed an acknowledgement"
    )
    acknowledged_in_time: int
    acknowledged_in_time_share: float | None


class Summary(BaseModel):
    generated_at: datetime
    period_days: int
    report_figures_available: bool = Field(description="False when intake's tables could not be read")
    provinces: list[ProvinceSummary]


def _row(code: str, f: ProvinceFigures) -> ProvinceSummary:
    ref = reference()
    submitted = f.reports_period + f.rejected
    return ProvinceSummary(
        province=code,
        name=ref.province_name(code),
        alerts_by_level=f.alerts_by_level,
        alerts_by_category=f.alerts_by_category,
        reports_24h=f.reports_24h,
        reports_7d=f.reports_7d,
        reports_period=f.reports_period,
        regencies_reporting=f.regencies_reporting,
        regencies_total=len(ref.regencies_of(code)),
        median_delay_seconds=f.median_delay_seconds,
        rejected=f.rejected,
        rejected_share=round(f.rejected / submitted, 4) if submitted else None,
        alerts_requiring_ack=f.ack_required,
        acknowledged_in_time=f.acked_in_time,
        acknowledged_in_time_share=round(f.acked_in_time / f.ack_required, 4) if f.ack_required else None,
    )


def router(keys: KeyStore, ctx: ApiContext) -> APIRouter:
    r = APIRouter(tags=["summary"])
    principal = principal_dependency(keys)
    Who = Annotated[Principal, Depends(principal)]

    @r.get("/summary", response_model=Summary, summary="Per province: alerts and reporting performance")
    async def summary(who: Who, days: Annotated[int, Query(ge=1, le=90)] = 7) -> Summary:
        now = datetime.now(UTC)
        only = None if who.is_national else who.scope
        async with ctx.db().acquire() as conn:
            found, ok = await figures(conn, ctx.intake_schema, only, now, timedelta(days=days))
        codes = [only] if only else sorted(reference().provinces)
        return Summary(
            generated_at=now,
            period_days=days,
            report_figures_available=ok,
            provinces=[_row(c, found.get(c, ProvinceFigures())) for c in codes],
        )

    return r
