"""Grafana dashboards and provisioning: current with their builder, well-formed, parseable PromQL."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.unit.deploy import dashboards as d
from tests.unit.deploy.test_prometheus import promtool

PROVISIONING = d.GRAFANA / "provisioning"


def test_committed_dashboards_are_what_the_builder_writes() -> None:
    rendered = d.builder().render()
    on_disk = {p.name: p.read_text(encoding="utf-8") for p in (d.GRAFANA / "dashboards").glob("*.json")}
    assert set(on_disk) == set(rendered)
    stale = [name for name, text in rendered.items() if on_disk[name] != text]
    assert not stale, f"run .venv/bin/python deploy/grafana/build.py (stale: {stale})"


def test_at_least_the_three_dashboards_of_the_spec() -> None:
    titles = {dash["uid"]: dash["title"] for dash in d.committed().values()}
    assert set(titles) >= {"waspada-pipeline", "waspada-risk", "waspada-reporting"}
    assert len(set(titles.values())) == len(titles)


def test_the_risk_dashboard_has_a_geomap_from_region_centroids() -> None:
    risk = next(x for x in d.committed().values() if x["uid"] == "waspada-risk")
    geo = [p for p in d.panels(risk) if p["type"] == "geomap"]
    assert geo
    layer = geo[0]["options"]["layers"][0]
    assert layer["location"] == {"mode": "coords", "latitude": "lat", "longitude": "lon"}
    (target,) = geo[0]["targets"]
    assert "waspada_province_info" in target["expr"] and "group_left (name, lat, lon)" in target["expr"]
    converted = {
        c["targetField"] for t in geo[0]["transformations"] for c in t["options"].get("conversions", [])
    }
    assert converted == {"lat", "lon"}


def test_panels_have_unique_ids_fit_the_grid_and_read_the_datasource_variable() -> None:
    datasource = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())["datasources"][
        0
    ]
    for name, dash in d.committed().items():
        # No hard-coded uid: a `datasource` variable of type prometheus, defaulting to the provisioned one.
        variables = {v["name"]: v for v in dash["templating"]["list"]}
        assert variables["datasource"]["type"] == "datasource"
        assert variables["datasource"]["query"] == "prometheus"
        assert variables["datasource"]["current"]["value"] == datasource["uid"]
        ids = [p["id"] for p in d.panels(dash)]
        assert len(ids) == len(set(ids)), name
        for panel in d.panels(dash):
            pos = panel["gridPos"]
            assert 0 <= pos["x"] and pos["x"] + pos["w"] <= 24, (name, panel["title"])
            if panel["type"] == "row":
                continue
            assert panel["datasource"]["uid"] == "${datasource}", (name, panel["title"])
            assert panel.get("description"), (name, panel["title"], "every panel says what it shows")
            refs = [t["refId"] for t in panel.get("targets", [])]
            assert len(refs) == len(set(refs)), (name, panel["title"])
            for target in panel.get("targets", []):
                assert target["datasource"]["uid"] == "${datasource}"


def test_province_and_instance_variables_filter_the_panels() -> None:
    wanted = {"waspada-pipeline": "instance", "waspada-risk": "province", "waspada-reporting": "province"}
    for dash in d.committed().values():
        variable = wanted[dash["uid"]]
        found = {v["name"]: v for v in dash["templating"]["list"]}[variable]
        assert found["multi"] and found["includeAll"] and found["allValue"] == ".*"
        exprs = [target["expr"] for _, target in d.targets(dash)]
        assert sum(f'{variable}=~"${variable}"' in e for e in exprs) >= 3, dash["uid"]


def test_every_query_is_declared_with_its_expectation() -> None:
    known = d.expectations()
    for dash in d.committed().values():
        for title, target in d.targets(dash):
            assert (dash["uid"], target["expr"]) in known, (dash["uid"], title)


def test_dashboard_provider_points_where_compose_mounts_the_dashboards() -> None:
    provider = yaml.safe_load((PROVISIONING / "dashboards" / "waspada.yml").read_text())["providers"][0]
    compose = yaml.safe_load((d.ROOT / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in mounts
    assert "./deploy/grafana/provisioning:/etc/grafana/provisioning:ro" in mounts


def test_every_query_parses_as_promql(tmp_path: Path) -> None:
    # promtool parses rule expressions offline: wrap every dashboard query in a recording rule.
    exprs = sorted({d.concrete(t["expr"]) for dash in d.committed().values() for _, t in d.targets(dash)})
    rules = {
        "groups": [
            {"name": "dashboards", "rules": [{"record": f"q{i}", "expr": e} for i, e in enumerate(exprs)]}
        ]
    }
    path = tmp_path / "dashboard-queries.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run(
        [promtool(), "check", "rules", str(path)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
