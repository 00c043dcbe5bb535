"""Prometheus configuration, recording and alerting rules, checked and unit-tested by promtool."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
PROM = ROOT / "deploy" / "prometheus"
CONFIGS = sorted(PROM.glob("prometheus.*.yml"))
RULES = sorted((PROM / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROM / "tests").glob("*.test.yml"))


def promtool() -> str:
    found = shutil.which("promtool") or ("/usr/bin/promtool" if Path("/usr/bin/promtool").exists() else None)
    # Not a skip: `make test` installs Debian's prometheus package (deploy/local/stack.sh setup).
    assert found, "promtool not found: run `make setup` (installs Debian's prometheus package)"
    return found


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool(), *args], capture_output=True, text=True, timeout=60, check=False)


def test_there_is_a_config_per_deployment_and_rules_with_tests() -> None:
    assert {c.name for c in CONFIGS} == {
        "prometheus.local.yml",
        "prometheus.compose.yml",
        "prometheus.k8s.yml",
    }
    assert {r.name for r in RULES} >= {"pipeline.yml", "recording.yml"}
    assert RULE_TESTS


@pytest.mark.parametrize("config", CONFIGS, ids=lambda p: p.name)
def test_config_is_valid(config: Path) -> None:
    result = run("check", "config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rules_are_valid() -> None:
    result = run("check", "rules", *map(str, RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_rule_unit_tests_pass() -> None:
    result = run("test", "rules", *map(str, RULE_TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_unit_test() -> None:
    import yaml

    alerts = {
        rule["alert"]
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }
    tested = {
        case["alertname"]
        for path in RULE_TESTS
        for test in yaml.safe_load(path.read_text())["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert alerts - tested == set(), "alerts without a firing test case"


def test_every_alert_has_severity_and_summary() -> None:
    import yaml

    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
                    assert rule["annotations"]["summary"], rule["alert"]


def test_every_alert_links_its_runbook_section() -> None:
    import re

    import yaml

    runbooks = (ROOT / "docs" / "runbooks.md").read_text(encoding="utf-8")
    # GitHub-style anchors of the second-level headings: lower case, spaces to dashes
    anchors = {h.strip().lower().replace(" ", "-") for h in re.findall(r"^## (.+)$", runbooks, flags=re.M)}
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    url = rule["annotations"].get("runbook_url", "")
                    assert url == f"docs/runbooks.md#{rule['alert'].lower()}", rule["alert"]
                    assert url.split("#", 1)[1] in anchors, f"docs/runbooks.md has no section {rule['alert']}"


def test_every_recording_rule_is_read_by_a_dashboard_or_an_alert_and_named_by_convention() -> None:
    import re

    import yaml

    readers = (ROOT / "deploy" / "grafana" / "build.py").read_text(encoding="utf-8")
    alerts = [
        rule["expr"]
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]
    for path in RULES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                if "record" in rule:
                    name = rule["record"]
                    # level:metric:operations, the metric one of ours
                    assert re.fullmatch(r"[a-z_]+:waspada_[a-z_]+:[a-z0-9_]+", name), name
                    assert name in readers or any(name in expr for expr in alerts), (
                        f"{name} is read by nothing"
                    )
