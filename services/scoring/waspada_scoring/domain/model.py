"""The escalation-risk model (SPEC §6): one report against its region+category state. Pure.

score = sum of factor contributions, each weight x sub-score (0..1):
  severity, harm,            the strongest of this report's facts (x its source's confidence) and the
  scale, signals             region+category's remembered facts (decaying in event time); the
                             confidence deduction of this report's facts is its own line
  momentum                   reports in 24 h / 7 d against the region+category's own 90-day baseline
  spread                     the category elevated in other regencies of the province (72 h)
  election                   the election stage around the local date x the category's relevance
  recurrence, vulnerability, the standing context: earlier years, the IKP band (election matters),
  history, category          the region's own conflict history, the category; each x the gate, which
                             opens with tension (violence, signals, a non-peaceful form), momentum or
                             an election stage, so a peaceful demonstration alone raises nothing
  recovery (negative)        a recovery report removes strength x confidence of the score
The level is the region+category's level: escalation at once, de-escalation with hysteresis.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from operator import itemgetter

from waspada_scoring.domain import texts
from waspada_scoring.domain.config import Model, ModelConfig
from waspada_scoring.domain.context import (
    STAGE_ID,
    day_of_year,
    election_context,
    local_date,
    vulnerability_band,
)
from waspada_scoring.domain.facts import Facts, facts
from waspada_scoring.domain.facts import crowd_part as facts_crowd
from waspada_scoring.domain.spread import SpreadResult, SpreadView
from waspada_scoring.domain.state import INCIDENT, POTENTIAL, CellState, Memory
from waspada_shared.contracts.report import Kind, ReportFacts, Signal
from waspada_shared.contracts.risk import AWAS_CANDIDATE
from waspada_shared.indonesian import CATEGORY_ID
from waspada_shared.levels import Level, LevelThresholds

_NO_FACTS = Facts(0.0, (), 0.0, 0.0, (), 1.0, False)
_DAY_S = 86400.0
_DAYS_IN_YEAR = 365


@dataclass(slots=True)  # not frozen: a frozen init costs 4x in this hot path
class Line:
    """One factor of an assessment (the contract's `Factor`, without validation in the hot path)."""

    name: str
    value: float
    contribution: float
    detail: str = ""


@dataclass(slots=True)  # not frozen: a frozen init costs 4x in this hot path
class RegionSnapshot:
    """The contract's `RegionState` (same fields), without validation in the hot path."""

    count_24h: int
    count_7d: int
    baseline_daily: float
    level_since: datetime | None
    elevated_neighbours: int
    vulnerability: str | None
    election_stage: str | None


@dataclass(slots=True)  # not frozen: a frozen init costs 4x in this hot path
class Assessment:
    score: float
    level: Level
    previous_level: Level | None
    score_level: Level
    factors: list[Line]
    reasons: str
    region_state: RegionSnapshot
    flags: list[str]


@dataclass(slots=True)  # not frozen: a frozen init costs 4x in this hot path
class _Floor:
    level: Level
    flagged: tuple[tuple[str, str | None], ...]  # (reason, flag) of each rule that matched

    @property
    def reasons(self) -> list[str]:
        return [reason for reason, _ in self.flagged]

    @property
    def flags(self) -> list[str]:
        return [flag for _, flag in self.flagged if flag]


def _decay(value: float, seconds: float, half_life_s: float) -> float:
    return value * 0.5 ** (seconds / half_life_s) if seconds > 0 else value


def _slot_half_life(slot: str, cfg: ModelConfig) -> float:
    return cfg.decay.half_life_s(Kind.POTENTIAL if slot == POTENTIAL else Kind.INCIDENT)


def decayed_memory(cell: CellState, to: float, cfg: ModelConfig) -> dict[str, Memory]:
    """Each slot's memory as of `to` (never decayed backwards: a late report sees it as it is now)."""
    if cell.t is None:
        return {}
    dt = to - cell.t
    return {
        slot: m.scaled(0.5 ** (dt / _slot_half_life(slot, cfg))) if dt > 0 else m
        for slot, m in cell.memory.items()
    }


def _combined(memory: dict[str, Memory]) -> Memory:
    out = Memory()
    for m in memory.values():
        out = out.merged(m)
    return out


def momentum(cell: CellState, t: float, cfg: ModelConfig) -> tuple[float, int, int, float]:
    """(sub-score, reports in 24 h, reports in the recent days, baseline per day) before this report."""
    mc = cfg.momentum
    n24 = cell.reports_in_hours(t, 24)
    n7 = cell.reports_in_hours(t, 24 * mc.recent_days)
    baseline = (
        cell.reports_in_days(t, mc.recent_days + mc.baseline_days, mc.recent_days + 1) / mc.baseline_days
    )
    r24 = (n24 + 1) / (baseline + 1)
    r7 = (n7 + 1) / (mc.recent_days * baseline + 1)
    value = max(0.0, min(1.0, max(math.log2(r24), math.log2(r7)) / mc.log2_full))
    return value, n24, n7, baseline


def recurrence(
    cell: CellState, year: int, day: int, flagged: float, cfg: ModelConfig
) -> tuple[float, int, bool]:
    """(sub-score, earlier years with reports, near last year's date)."""
    rc = cfg.recurrence
    years = sum(1 for y in range(year - rc.years, year) if cell.years.get(y))
    near = any(
        min(abs(day - d), _DAYS_IN_YEAR - abs(day - d)) <= rc.anniversary_days
        for d in cell.years.get(year - 1, [])
    )
    value = min(1.0, years / rc.years + (rc.anniversary if near else 0.0) + rc.flagged * flagged)
    return value, years, near


def floors(report: ReportFacts, confidence: float, cfg: ModelConfig) -> _Floor:
    level = Level.NORMAL
    matched: list[tuple[str, str | None]] = []
    for rule in cfg.minimum_levels:
        if (
            report.kind in rule.kinds
            and report.impact.deaths >= rule.min_deaths
            and (report.impact.arson or not rule.arson)
            and (rule.categories is None or report.category in rule.categories)
            and confidence >= rule.min_confidence
        ):
            if rule.level.rank > level.rank:
                level = rule.level
            matched.append((rule.reason, rule.flag))
    return _Floor(level, tuple(matched))


def candidate_reason(
    report: ReportFacts, confidence: float, high_neighbours: int, cfg: ModelConfig
) -> str | None:
    """Why this report makes its region+category a Level-4 candidate (domain.md §7.2), or None."""
    rule = cfg.awas_candidate
    i = report.impact
    if report.kind is not Kind.INCIDENT or confidence < rule.min_confidence:
        return None
    if i.deaths >= rule.min_deaths:
        return rule.reason_deaths
    violent = i.deaths > 0 or i.arson
    if violent and high_neighbours + 1 >= rule.min_regencies:
        return rule.reason_regencies
    return None


def history_value(remembered: float, cfg: ModelConfig) -> float:
    return -math.expm1(-remembered / cfg.history.scale)


def _ts(t: float | None) -> datetime | None:
    return datetime.fromtimestamp(t, UTC) if t is not None else None


def assess(
    report: ReportFacts, cell: CellState, spread: SpreadView, model: Model
) -> tuple[Assessment, CellState]:
    """Assess one report against the state of its region+category; return the assessment and new state.

    `cell` is not modified (`spread` is only read). See `apply` for the rules.
    """
    working = cell.copy()
    return apply(report, working, spread, model), working


def apply(report: ReportFacts, cell: CellState, spread: SpreadView, model: Model) -> Assessment:
    """Assess one report and update `cell`, the caller's working copy of its region+category state.

    A report older than the state's newest event time (late) is scored at its own event time against
    the state as it is now, updates counts and memory at its own time, and may raise the level but
    never lowers it.
    """
    cfg = model.config
    w = cfg.weights
    t = report.occurred_at.timestamp()
    province, regency, category = report.region.province, report.region.regency, report.category
    first = cell.t is None
    late = cell.t is not None and t < cell.t
    recovery = report.kind is Kind.RECOVERY
    now = t if cell.t is None else max(t, cell.t)

    memory = decayed_memory(cell, now, cfg)
    mem = _combined(memory)
    f = _NO_FACTS if recovery else facts(report, cfg)
    m = facts(report, cfg).confidence if recovery else f.confidence
    local = local_date(report.occurred_at, province)

    # --- facts: this report's (x confidence) or the remembered ones, whichever is stronger ------
    candidates: list[tuple[float, str]] = []  # (points, phrase) for the reasons sentence
    details: dict[str, str] = {}
    deduction = 0.0
    fact_values: dict[str, float] = {}
    effective: dict[str, float] = {}  # each fact as it counts (own x confidence, or remembered)
    for name, own, remembered, weight in (
        ("severity", f.severity, mem.severity, w.severity),
        ("harm", f.harm, mem.harm, w.harm),
        ("scale", f.scale, mem.scale, w.scale),
        ("signals", f.signals, mem.signals, w.signals),
    ):
        if own > 0 and m * own >= remembered:
            fact_values[name] = own
            effective[name] = m * own
            deduction += weight * (1.0 - m) * own
            if name != "scale":
                phrase_of = texts.signal_phrase if name == "signals" else texts.severity_phrase
                own_parts = {"severity": f.severity_parts, "harm": f.harm_parts, "signals": f.signal_parts}
                phrases = []
                for p in own_parts[name]:
                    phrase = phrase_of(p.key, report)
                    phrases.append(phrase)
                    candidates.append((weight * m * p.share, phrase))
                details[name] = ", ".join(phrases)
            else:
                crowd = min(own, facts_crowd(report, cfg))
                if crowd > 0:
                    candidates.append((weight * m * crowd, texts.crowd_phrase(report)))
                if own > crowd:
                    candidates.append(
                        (weight * m * (own - crowd), texts.SIGNAL_ID[Signal.OUTSIDE_MOBILISATION])
                    )
                details[name] = ", ".join(
                    p
                    for p, present in (
                        (texts.crowd_phrase(report), crowd > 0),
                        (texts.SIGNAL_ID[Signal.OUTSIDE_MOBILISATION], own > crowd),
                    )
                    if present
                )
        else:
            fact_values[name] = remembered
            effective[name] = remembered
            if remembered > 0:
                candidates.append(
                    (weight * remembered, "insiden sebelumnya di wilayah ini masih berpengaruh")
                )
                details[name] = "dari laporan sebelumnya di wilayah ini, meluruh menurut waktu kejadian"

    mom, n24, n7, baseline = momentum(cell, t, cfg)
    if mom > 0:
        days = cfg.momentum.recent_days
        details["momentum"] = (
            f"{n24} laporan lain dalam 24 jam, {n7} dalam {days} hari; rata-rata sebelumnya {baseline:.2f} per hari"
        )
        surge = mom >= 0.5 and n7 >= 3
        candidates.append(
            (
                w.momentum * mom,
                f"lonjakan laporan ({n7} dalam {days} hari)"
                if surge
                else f"{n7} laporan lain dalam {days} hari",
            )
        )

    sp: SpreadResult = spread.measure(category.value, regency, t, cfg.spread)
    if sp.value > 0:
        details["spread"] = (
            f"{sp.neighbours} kabupaten/kota lain di provinsi ini meningkat untuk kategori yang sama"
            f" dalam {cfg.spread.window_hours:g} jam"
        )
        candidates.append((w.spread * sp.value, "eskalasi serupa di wilayah sekitar"))

    ec = election_context(model, province, regency, local, report.election_stage)
    relevance = cfg.election.relevance_of(category)
    election = ec.value * relevance
    if election > 0 and ec.stage is not None:
        stage = STAGE_ID.get(ec.stage, ec.stage)
        when = "" if ec.days == 0 else ("menjelang " if ec.days > 0 else "sesudah ")
        phrase = f"{when}{stage}" + (f" {ec.election}" if ec.election else "")
        details["election"] = f"{phrase} (bobot tahapan {ec.value:.2f}, relevansi kategori {relevance:.2f})"
        candidates.append((w.election * election, phrase))

    # --- the standing context counts as far as the gate opens ------------------------------------
    tension = max(effective["severity"], effective["signals"], m * f.form)
    # An election stage opens the gate for a gathering of some size; a demonstration of unknown size
    # gets the election points only.
    gathering = min(1.0, effective["scale"] / cfg.gate.scale_full)
    gate = max(min(1.0, tension / cfg.gate.full), mom, election * gathering)
    gated = "" if gate >= 1.0 else f" × {gate:.2f} (ketegangan, lonjakan laporan atau tahapan pemilu)"

    flagged = m if f.flagged_recurring else 0.0
    rec, rec_years, near = recurrence(cell, local.year, day_of_year(local), flagged, cfg)
    if rec > 0:
        parts = []
        if rec_years:
            parts.append(f"terjadi pada {rec_years} dari {cfg.recurrence.years} tahun terakhir")
        if near:
            parts.append("sekitar tanggal yang sama tahun lalu")
        if f.flagged_recurring:
            parts.append("dilaporkan sebagai konflik berulang")
        details["recurrence"] = "; ".join(parts) + gated
        candidates.append((w.recurrence * rec * gate, "konflik berulang"))
    rec *= gate

    band = vulnerability_band(model, province, regency)
    ikp_relevance = cfg.vulnerability.categories.get(category, 0.0)
    vulnerability = cfg.vulnerability.bands[band] * ikp_relevance * gate
    details["vulnerability"] = (
        f"kerawanan pemilu (IKP) {texts.BAND_ID[band]}, relevansi kategori {ikp_relevance:.2f}"
        f" (baseline {model.baseline.version}){gated}"
    )
    if band == "high" and vulnerability > 0:
        candidates.append((w.vulnerability * vulnerability, "wilayah dengan kerawanan pemilu tinggi"))

    remembered_history = _decayed_history(cell, now, cfg)
    history = history_value(remembered_history, cfg) * gate
    if history > 0:
        details["history"] = f"riwayat kekerasan wilayah ini dalam kategori yang sama{gated}"
        candidates.append((w.history * history, "riwayat konflik di wilayah ini"))

    cat = cfg.category[category] * gate
    details["category"] = CATEGORY_ID[category] + gated
    # The category is context rather than news: it names the reason only when little else does.
    candidates.append((w.category * cat * 0.25, CATEGORY_ID[category]))

    factors = [
        Line(
            "severity",
            _r3(fact_values["severity"]),
            w.severity * fact_values["severity"],
            details.get("severity", ""),
        ),
        Line("harm", _r3(fact_values["harm"]), w.harm * fact_values["harm"], details.get("harm", "")),
        Line(
            "scale",
            _r3(fact_values["scale"]),
            w.scale * fact_values["scale"],
            details.get("scale", ""),
        ),
        Line(
            "signals",
            _r3(fact_values["signals"]),
            w.signals * fact_values["signals"],
            details.get("signals", ""),
        ),
        Line("confidence", _r3(m), -deduction, _source_detail(report, m)),
        Line(
            "momentum",
            _r3(mom),
            w.momentum * mom,
            details.get("momentum", ""),
        ),
        Line(
            "spread",
            _r3(sp.value),
            w.spread * sp.value,
            details.get("spread", ""),
        ),
        Line(
            "recurrence",
            _r3(rec),
            w.recurrence * rec,
            details.get("recurrence", ""),
        ),
        Line(
            "election",
            _r3(election),
            w.election * election,
            details.get("election", ""),
        ),
        Line(
            "vulnerability",
            _r3(vulnerability),
            w.vulnerability * vulnerability,
            details["vulnerability"],
        ),
        Line("history", _r3(history), w.history * history, details.get("history", "")),
        Line("category", _r3(cat), w.category * cat, details["category"]),
    ]
    pre = sum([x.contribution for x in factors])  # unrounded: `_rounded` rounds once, at the end
    if pre > 100.0:
        # The weights add up to more than 100 (history factors are a bonus on top of what a single
        # report can reach); the excess is shown as its own line so the contributions still add up.
        factors.append(Line("cap", 100.0, 100.0 - pre, "skor maksimum 100"))
        pre = 100.0

    # --- recovery: lowers the score and the remembered facts, unless newer activity supersedes it --
    applies = recovery and (cell.last_active is None or t >= cell.last_active)
    share = cfg.recovery.strength * m if applies else 0.0
    if recovery:
        removed = share * pre
        detail = (
            f"laporan pemulihan menurunkan skor {share * 100:.0f}%"
            if applies
            else "laporan pemulihan lebih lama dari laporan terbaru di wilayah ini: tidak menurunkan"
        )
        factors.append(Line("recovery", _r3(share), -removed, detail))
    score = _rounded(factors)

    # --- level of the region+category ------------------------------------------------------------
    thresholds = cfg.levels
    score_level = thresholds.level_for(score)
    floor = _Floor(Level.NORMAL, ()) if recovery else floors(report, m, cfg)
    target = score_level if floor.level.rank <= score_level.rank else floor.level
    prev = cell.level
    level, since, held = prev, cell.since, cell.held
    if applies:
        level = Level.from_rank(min(target.rank, max(1, prev.rank - 1)))
        since, held = (t if level is not prev else since), t
    elif recovery:
        pass  # a superseded recovery report changes nothing
    elif target.rank > prev.rank:
        level, since, held = target, t, t if held is None else max(held, t)
    elif target is prev:
        held = t if held is None else max(held, t)
    elif not late:
        low = _lower_bound(prev, thresholds)
        hold_s = cfg.hysteresis.hold_hours[prev.value] * 3600.0  # type: ignore[index]
        if score >= low - cfg.hysteresis.margin:
            held = t
        elif held is None or t - held >= hold_s:
            level, since, held = target, t, t
    if first:
        since = since if since is not None else t
        held = held if held is not None else t

    # --- new state -------------------------------------------------------------------------------
    _update(cell, report, f, m, t, now, memory, share, cfg, local.year, day_of_year(local))
    cell.level, cell.since, cell.held = level, since, held
    if not late:
        cell.score = score

    # --- reasons sentence: what changed the level first, then the facts with the most points ----
    lead: list[str] = []
    if applies:
        lead.append("laporan pemulihan/perdamaian")
    if floor.level.rank > score_level.rank:
        lead.extend(floor.reasons)
    if level.rank > target.rank and not applies:
        lead.append(f"level dipertahankan sejak {_fmt(since, province)}")
    points: dict[str, float] = {}
    for pts, phrase in candidates:
        points[phrase] = points.get(phrase, 0.0) + pts
    ranked = [
        p
        for p, pts in sorted(points.items(), key=itemgetter(1), reverse=True)
        if pts >= 0.5 and p not in lead
    ]
    flags = list(dict.fromkeys(floor.flags))
    why_candidate = None if recovery else candidate_reason(report, m, sp.high, cfg)
    tail = [] if floor.level.rank > score_level.rank else [r for r, flag in floor.flagged if flag]
    if why_candidate is not None:
        flags.append(AWAS_CANDIDATE)
        tail.append(why_candidate)
    reasons = texts.sentence([*lead, *ranked[: max(1, 3 - len(lead))], *tail]) or texts.NOTHING_ESCALATES

    state = RegionSnapshot(
        count_24h=n24,
        count_7d=n7,
        baseline_daily=round(baseline, 4),
        level_since=_ts(since),
        elevated_neighbours=sp.neighbours,
        vulnerability=band,
        election_stage=ec.stage if election > 0 else None,
    )
    return Assessment(
        score=score,
        level=level,
        previous_level=None if first else prev,
        score_level=score_level,
        factors=factors,
        reasons=reasons,
        region_state=state,
        flags=list(dict.fromkeys(flags)),
    )


def _update(
    cell: CellState,
    report: ReportFacts,
    f: Facts,
    m: float,
    t: float,
    now: float,
    memory: dict[str, Memory],
    recovery_share: float,
    cfg: ModelConfig,
    year: int,
    day_of_year: int,
) -> None:
    """Memory as of `now`; counts and days at the report's own time."""
    cell.history = _decayed_history(cell, now, cfg)
    cell.memory, cell.t = memory, now
    if report.kind is Kind.RECOVERY:
        if recovery_share > 0:
            cell.memory = {k: v.scaled(1.0 - recovery_share) for k, v in memory.items()}
        return
    slot = POTENTIAL if report.kind is Kind.POTENTIAL else INCIDENT
    own = Memory(m * f.severity, m * f.scale, m * f.signals, m * f.harm)
    history = m * f.severity
    if t < now:  # late: its facts enter the memory decayed from its own time to the state's time
        own = own.scaled(_decay(1.0, now - t, _slot_half_life(slot, cfg)))
        history = _decay(history, now - t, cfg.history.half_life_days * _DAY_S)
    cell.history += history
    cell.memory[slot] = memory.get(slot, Memory()).merged(own)
    cell.count(t)
    cell.mark_day(year, day_of_year)
    cell.last_active = t if cell.last_active is None else max(cell.last_active, t)


def _decayed_history(cell: CellState, to: float, cfg: ModelConfig) -> float:
    """The cell's remembered history as of `to` (never decayed backwards)."""
    if cell.t is None or to <= cell.t:
        return cell.history
    return _decay(cell.history, to - cell.t, cfg.history.half_life_days * _DAY_S)


def _lower_bound(level: Level, thresholds: LevelThresholds) -> float:
    """The score at which `level` begins (0 for normal)."""
    return float(getattr(thresholds, level.value, 0.0))


def _source_detail(report: ReportFacts, m: float) -> str:
    s = report.source
    return (
        f"sumber {s.type.value} {s.reliability}{s.credibility}: keyakinan {m:.2f} atas fakta yang dilaporkan"
    )


def _fmt(t: float | None, province: str) -> str:
    if t is None:
        return "-"
    return local_date(datetime.fromtimestamp(t, UTC), province).strftime("%d-%m-%Y")


def _rounded(lines: list[Line]) -> float:
    """Round every contribution to 0.01 so that they add up to the rounded score, and return it.

    Rounding each line on its own could make the sum fall by 0.01 where the true score rose; the
    remainder goes to the largest line instead, so the score is the true sum rounded (monotone).
    """
    score = max(0.0, min(100.0, round(sum([x.contribution for x in lines]), 2)))
    largest = max(lines, key=lambda x: abs(x.contribution))
    for x in lines:
        x.contribution = _r2(x.contribution)
    largest.contribution = _r2(largest.contribution + score - sum([x.contribution for x in lines]))
    return score


def _r2(x: float) -> float:
    return round(x, 2) + 0.0  # + 0.0 turns -0.0 into 0.0


def _r3(x: float) -> float:
    return round(x, 3) + 0.0
