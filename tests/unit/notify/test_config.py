"""The routing file: strict parsing, errors naming the line and key, the offline checker."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.unit.notify.factories import DEFAULT_ROUTING, default_config
from waspada_notify.check_config import main as check_config
from waspada_notify.domain.durations import format_duration, parse_duration
from waspada_notify.domain.loader import ConfigError, load_routing
from waspada_notify.domain.matchers import Matcher, Op

FIXTURES = Path(__file__).parent / "fixtures"


def test_default_file_implements_spec_defaults() -> None:
    config = default_config()
    assert config.global_.resolve_timeout == timedelta(hours=72)
    assert config.ack_escalation.timeouts["awas"] == timedelta(hours=2)  # type: ignore[index]
    assert config.ack_escalation.timeouts["siaga"] == timedelta(hours=12)  # type: ignore[index]
    assert config.rollups.province.min_regencies == 2 and config.rollups.national.min_provinces == 2
    assert config.rollups.province.window == timedelta(hours=72)
    assert config.route.group_wait == timedelta(0)  # escalations at once


@pytest.mark.parametrize("path", sorted((FIXTURES / "good").glob("*.yml")), ids=lambda p: p.name)
def test_good_fixtures_load(path: Path) -> None:
    load_routing(path.read_text(encoding="utf-8"), str(path))


def _expected(path: Path) -> tuple[int, str]:
    """A bad fixture's first line says what must be reported: `# expect: <line>: <text>`."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), path
    line, _, text = first.removeprefix("# expect: ").partition(": ")
    return int(line), text


@pytest.mark.parametrize("path", sorted((FIXTURES / "bad").glob("*.yml")), ids=lambda p: p.name)
def test_bad_fixtures_name_the_line(path: Path) -> None:
    line, text = _expected(path)
    with pytest.raises(ConfigError) as caught:
        load_routing(path.read_text(encoding="utf-8"), str(path))
    message = str(caught.value)
    assert f"{path}:{line}:" in message, message
    assert text in message, message


def test_several_problems_are_all_reported() -> None:
    text = "receivers:\n  - name: a\n  - name: a\nroute:\n  receiver: b\n"
    with pytest.raises(ConfigError) as caught:
        load_routing(text, "x.yml")
    problems = caught.value.problems
    assert (3, "receivers.1.name", "receiver 'a' is defined twice") in problems
    assert (5, "route.receiver", "no receiver named 'b'") in problems


def test_check_config_command(capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = str(DEFAULT_ROUTING), str(sorted((FIXTURES / "bad").glob("*.yml"))[0])
    assert check_config([good]) == 0
    assert "OK (" in capsys.readouterr().out
    assert check_config([good, bad]) == 1
    assert bad in capsys.readouterr().err
    assert check_config(["/nonexistent/routing.yml"]) == 1


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("30s", timedelta(seconds=30)),
        ("5m", timedelta(minutes=5)),
        ("72h", timedelta(hours=72)),
        ("1h30m", timedelta(minutes=90)),
        ("0s", timedelta(0)),
        ("3d", timedelta(days=3)),
    ],
)
def test_durations(text: str, value: timedelta) -> None:
    assert parse_duration(text) == value
    assert parse_duration(format_duration(value)) == value


@pytest.mark.parametrize("text", ["30", "5 minutes", "h", "", "1x", 30])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration(text)


def test_matchers() -> None:
    labels = {"province": "19", "level": "siaga", "category": "identity"}
    assert Matcher.parse('province="19"').matches(labels)
    assert not Matcher.parse('province!="19"').matches(labels)
    assert Matcher.parse('category=~"identity|election"').matches(labels)
    assert not Matcher.parse('category=~"ident"').matches(labels)  # anchored, as Alertmanager
    assert Matcher.parse("level>=waspada").matches(labels)
    assert not Matcher.parse("level>=awas").matches(labels)
    assert Matcher.parse("level<=siaga").matches(labels)
    assert Matcher.parse('regency=""').matches(labels)  # a missing label is the empty string
    assert Matcher.parse('province="19"').op is Op.EQ
    for bad in ("province", 'planet="mars"', "level>=extreme", 'province>="19"', 'category=~"("'):
        with pytest.raises(ValueError):
            Matcher.parse(bad)
