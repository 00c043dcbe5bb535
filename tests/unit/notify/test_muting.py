"""Silences and inhibition, with the default inhibit rules."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.notify.factories import T0, default_config
from waspada_notify.domain.matchers import Matcher
from waspada_notify.domain.model import AlertRecord
from waspada_notify.domain.muting import Muter, Silence
from waspada_shared.contracts.alert import Audience, Coverage
from waspada_shared.contracts.report import Category
from waspada_shared.levels import Level


def alert(
    alert_id: str,
    audience: Audience,
    level: Level,
    *,
    coverage: Coverage = Coverage.REGION,
    regency: str | None = "19.06",
    province: str = "19",
    category: Category = Category.IDENTITY,
) -> AlertRecord:
    return AlertRecord(
        alert_id=alert_id,
        group_key=f"{province}/{regency or '*'}/{category.value}",
        audience=audience,
        coverage=coverage,
        province=province,
        regency=regency,
        category=category,
        level=level,
        first_seen=T0,
        last_report_at=T0,
        created_at=T0,
        updated_at=T0,
    )


def silence(*matchers: str, start: int = 0, hours: int = 2) -> Silence:
    return Silence(
        "s1",
        tuple(Matcher.parse(m) for m in matchers),
        T0 + timedelta(hours=start),
        T0 + timedelta(hours=start + hours),
        "ops",
        "latihan",
    )


def test_silence_mutes_matching_alerts_inside_its_window_only() -> None:
    muter = Muter([silence('province="19"', 'category="identity"')], [])
    target = alert("a", Audience.REGENCY, Level.SIAGA)
    assert str(muter.mute(target, T0 + timedelta(minutes=1))) == "silenced:s1"
    assert muter.mute(target, T0 + timedelta(hours=2)) is None  # ended
    assert muter.mute(target, T0 - timedelta(seconds=1)) is None  # not started
    assert muter.mute(alert("b", Audience.REGENCY, Level.SIAGA, province="63", regency="63.71"), T0) is None


def test_province_rollup_inhibits_region_alerts_for_the_province_team() -> None:
    rollup = alert("r", Audience.PROVINCE, Level.SIAGA, coverage=Coverage.PROVINCE, regency=None)
    muter = Muter([], default_config().inhibit_rules, [rollup])
    for_province = alert("p", Audience.PROVINCE, Level.SIAGA)
    for_regency = alert("g", Audience.REGENCY, Level.SIAGA)
    assert str(muter.mute(for_province, T0)) == "inhibited:r"
    assert muter.mute(for_regency, T0) is None  # the regency team still hears its own alert
    higher = alert("p2", Audience.PROVINCE, Level.AWAS, regency="19.02")
    assert muter.mute(higher, T0) is None  # the roll-up is below it: not redundant
    other = alert("p3", Audience.PROVINCE, Level.SIAGA, category=Category.ELECTION)
    assert muter.mute(other, T0) is None  # another category


def test_awas_inhibits_siaga_for_the_same_upper_audience() -> None:
    awas = alert("a", Audience.PROVINCE, Level.AWAS, regency="19.02")
    muter = Muter([], default_config().inhibit_rules, [awas])
    siaga = alert("s", Audience.PROVINCE, Level.SIAGA)
    assert str(muter.mute(siaga, T0)) == "inhibited:a"
    assert muter.mute(alert("s2", Audience.REGENCY, Level.SIAGA), T0) is None


def test_national_rollup_inhibits_national_region_alerts() -> None:
    rules = default_config().inhibit_rules
    rollup = alert(
        "n", Audience.NATIONAL, Level.AWAS, coverage=Coverage.NATIONAL, regency=None, province="00"
    )
    region = alert("x", Audience.NATIONAL, Level.AWAS, province="63", regency="63.71")
    assert str(Muter([], rules, [rollup]).mute(region, T0)) == "inhibited:n"
    rollup_resolved = rollup.model_copy(update={"status": "resolved"})
    assert Muter([], rules, [rollup_resolved]).mute(region, T0) is None
