"""The route tree: Alertmanager's matching (first match, continue, inheritance) over our labels."""

from __future__ import annotations

from datetime import timedelta

from tests.unit.notify.factories import default_config
from waspada_notify.domain.loader import load_routing
from waspada_notify.domain.routing import Router
from waspada_shared.contracts.alert import Audience


def labels(
    level: str, coverage: str = "region", province: str = "19", escalation: str = ""
) -> dict[str, str]:
    regency = "19.06" if coverage == "region" else ""
    return {
        "coverage": coverage,
        "province": province,
        "regency": regency,
        "category": "identity",
        "level": level,
        "escalation": escalation,
    }


def test_default_table_of_spec_section_6() -> None:
    router = Router(default_config())
    assert set(router.targets(labels("normal"))) == set()
    assert set(router.targets(labels("waspada"))) == {Audience.REGENCY}
    assert set(router.targets(labels("siaga"))) == {Audience.REGENCY, Audience.PROVINCE}
    assert set(router.targets(labels("awas"))) == {Audience.REGENCY, Audience.PROVINCE, Audience.NATIONAL}
    assert set(router.targets(labels("siaga", "province"))) == {Audience.PROVINCE}
    assert set(router.targets(labels("siaga", "national", "00"))) == {Audience.NATIONAL}
    assert router.targets(labels("awas"))[Audience.NATIONAL].receivers == ("national-desk",)


def test_default_timings_by_level() -> None:
    router = Router(default_config())
    timing = {
        lvl: router.targets(labels(lvl))[Audience.REGENCY].timing for lvl in ("waspada", "siaga", "awas")
    }
    assert timing["awas"].repeat_interval == timedelta(hours=6)
    assert timing["siaga"].repeat_interval == timedelta(hours=12)
    assert timing["waspada"].repeat_interval == timedelta(hours=24)
    assert all(
        t.group_wait == timedelta(0) and t.group_interval == timedelta(minutes=5) for t in timing.values()
    )


def test_escalation_label_selects_the_next_audience_up() -> None:
    router = Router(default_config())
    assert Audience.NATIONAL in router.targets(labels("siaga", escalation="national"))
    assert Audience.NATIONAL not in router.targets(labels("siaga"))


def test_first_match_wins_unless_continue_and_children_inherit() -> None:
    config = load_routing(
        """
receivers: [{name: root}, {name: a}, {name: b}, {name: c}]
route:
  receiver: root
  repeat_interval: 1h
  routes:
    - matchers: ['province="19"']
      audience: province
      receiver: a
      routes:
        - matchers: ['level="awas"']
          receiver: c
          group_wait: 10s
    - matchers: ['level=~"siaga|awas"']
      audience: province
      receiver: b
""",
        "t.yml",
    )
    router = Router(config, extra_receivers=("demo",))
    awas19 = router.targets(labels("awas"))[Audience.PROVINCE]
    assert awas19.receivers == ("c", "demo")  # deepest match; sibling b not reached (no continue)
    assert awas19.timing.group_wait == timedelta(seconds=10) and awas19.timing.repeat_interval == timedelta(
        hours=1
    )
    assert router.targets(labels("siaga"))[Audience.PROVINCE].receivers == ("a", "demo")
    assert router.targets(labels("siaga", province="63"))[Audience.PROVINCE].receivers == ("b", "demo")
    assert router.targets(labels("waspada", province="63")) == {}  # fell back to root: no audience
