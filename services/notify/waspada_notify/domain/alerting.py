"""Alert decisions for one group and audience (walking-skeleton version). Pure: `now` is passed in."""

from __future__ import annotations

import uuid
from datetime import datetime

from waspada_shared.contracts.alert import Alert, AlertStatus, Audience, TopFactor
from waspada_shared.contracts.risk import RiskAssessed
from waspada_shared.levels import Level

from waspada_notify.domain.texts import local_time, title

_NAMESPACE = uuid.UUID("6f1d3c52-5b7e-4a55-9d7e-0c2f4b1e9a10")

# Default routing of SPEC §6: the lowest level that reaches each audience.
MIN_LEVEL = {Audience.REGENCY: Level.WASPADA, Audience.PROVINCE: Level.SIAGA, Audience.NATIONAL: Level.AWAS}


def group_key(province: str, regency: str | None, category: str) -> str:
    return f"{province}/{regency or '*'}/{category}"


def audiences_for(level: Level) -> list[Audience]:
    return [a for a, minimum in MIN_LEVEL.items() if level.rank >= minimum.rank]


def decide(current: Alert | None, a: RiskAssessed, audience: Audience, now: datetime) -> Alert | None:
    """The alert after this assessment, or None when nothing changes for this audience.

    The skeleton escalates at once and never de-escalates on a single report (the full lifecycle,
    with resolution by quiet time, lives in the notify issue).
    """
    key = group_key(a.region.province, a.region.regency, a.category.value)
    top = [
        TopFactor(name=f.name, contribution=f.contribution, detail=f.detail)
        for f in sorted(a.factors, key=lambda f: -f.contribution)[:3]
    ]
    summary = f"{a.summary} (skor {a.score:.0f}; {a.reasons}; kejadian {local_time(a.occurred_at, a.region.province)})"
    if current is None or current.status is AlertStatus.RESOLVED:
        if a.level.rank < MIN_LEVEL[audience].rank:
            return None
        first_seen = a.occurred_at
        return Alert(
            alert_id=str(uuid.uuid5(_NAMESPACE, f"{key}/{audience.value}/{first_seen.isoformat()}")),
            group_key=key,
            audience=audience,
            province=a.region.province,
            regency=a.region.regency,
            level=a.level,
            previous_level=None,
            status=AlertStatus.FIRING,
            score=a.score,
            category=a.category,
            title=title(a.level, a.category, a.region.province, a.region.regency),
            summary=summary,
            top_factors=top,
            report_ids=[a.report_id],
            first_seen=first_seen,
            updated_at=now,
            version=1,
        )
    report_ids = [*current.report_ids, a.report_id][-50:]
    if a.level.rank > current.level.rank:
        return current.model_copy(
            update={
                "level": a.level,
                "previous_level": current.level,
                "score": a.score,
                "title": title(a.level, a.category, a.region.province, a.region.regency),
                "summary": summary,
                "top_factors": top,
                "report_ids": report_ids,
                "updated_at": now,
                "version": current.version + 1,
            }
        )
    return current.model_copy(update={"report_ids": report_ids})
