"""Grafana dashboards of Waspada, as code (grafana-foundation-sdk), written to deploy/grafana/dashboards/.

    .venv/bin/python deploy/grafana/build.py          # rewrite the JSON files
    .venv/bin/python deploy/grafana/build.py --check  # exit 1 if a committed file is not current

Edit the panels here, never the JSON. Every query is declared through `q()`, which also records
whether it must return data once reports have flowed end to end (`may_be_empty=False`, the default)
or may legitimately be empty (error counters that appear only on the first error):
tests/integration/observability/test_dashboard_queries.py runs every query of every dashboard against
the real Prometheus of the test stack and holds each to that. Metric names: docs/observability.md.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from grafana_foundation_sdk.builders import (
    bargauge,
    geomap,
    prometheus,
    stat,
    table,
    text,
    timeseries,
)
from grafana_foundation_sdk.builders import (
    common as common_b,
)
from grafana_foundation_sdk.builders import (
    dashboard as dash,
)
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models.geomap import TooltipMode
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

OUT = Path(__file__).resolve().parent / "dashboards"
# Every panel reads the dashboard's `datasource` variable (default: the provisioned Prometheus), so the
# dashboards work against any Prometheus a deployment has, not only the one with our uid.
PROVISIONED_UID = "waspada-prometheus"
DATASOURCE = dm.DataSourceRef(type_val="prometheus", uid="${datasource}")
SERVICES = 'job=~"intake|scoring|notify", instance=~"$instance"'
# The province variable filters every per-province panel through the province-info join.
PROVINCE_INFO = 'waspada_province_info{province=~"$province"}'
RI = "$__rate_interval"
P = TypeVar("P")


@dataclass(frozen=True)
class Query:
    dashboard: str
    panel: str
    expr: str
    may_be_empty: bool


QUERIES: list[Query] = []  # every query of every dashboard, filled while building
_current: dict[str, str] = {}


def q(
    expr: str,
    legend: str = "",
    *,
    ref: str = "A",
    instant: bool = False,
    table_format: bool = False,
    may_be_empty: bool = False,
) -> prometheus.Dataquery:
    QUERIES.append(Query(_current["dashboard"], _current["panel"], expr, may_be_empty))
    out = prometheus.Dataquery().expr(expr).ref_id(ref).datasource(DATASOURCE)
    if legend:
        out = out.legend_format(legend)
    if instant:
        out = out.instant()
    else:
        out = out.range()
    if table_format:
        out = out.format(PromQueryFormat.TABLE)
    return out


def _panel(builder: P, title: str, description: str, *, w: int, h: int) -> P:
    _current["panel"] = title
    # Every SDK panel builder has these setters, but they share no base class to type against.
    b: Any = builder
    out: P = b.title(title).description(description).datasource(DATASOURCE).span(w).height(h)
    return out


def ts(
    title: str,
    description: str,
    *queries: Callable[[], prometheus.Dataquery],
    unit: str = "short",
    w: int = 12,
    h: int = 8,
    stacked: bool = False,
) -> timeseries.Panel:
    p = _panel(timeseries.Panel(), title, description, w=w, h=h).unit(unit).fill_opacity(10).line_width(1)
    p = p.legend(
        common_b.VizLegendOptions()
        .display_mode(common.LegendDisplayMode.LIST)
        .placement(common.LegendPlacement.BOTTOM)
        .show_legend(True)
    ).tooltip(
        common_b.VizTooltipOptions().mode(common.TooltipDisplayMode.MULTI).sort(common.SortOrder.DESCENDING)
    )
    if stacked:
        p = p.stacking(common_b.StackingConfig().mode(common.StackingMode.NORMAL))
    for make in queries:
        p = p.with_target(make())
    return p


def thresholds(*steps: tuple[float | None, str]) -> dash.ThresholdsConfig:
    return (
        dash.ThresholdsConfig()
        .mode(dm.ThresholdsMode.ABSOLUTE)
        .steps([dm.Threshold(value=v, color=c) for v, c in steps])
    )


LEVEL_COLOURS = {"normal": "green", "waspada": "yellow", "siaga": "orange", "awas": "red"}
LEVEL_STEPS = ((None, "green"), (2, "yellow"), (3, "orange"), (4, "red"))
LEVEL_MAPPINGS: list[dm.ValueMapping] = [
    dm.ValueMap(
        options={
            "1": dm.ValueMappingResult(text="Level 1 (Normal)", color="green", index=0),
            "2": dm.ValueMappingResult(text="Level 2 (Waspada)", color="yellow", index=1),
            "3": dm.ValueMappingResult(text="Level 3 (Siaga)", color="orange", index=2),
            "4": dm.ValueMappingResult(text="Level 4 (Awas)", color="red", index=3),
        }
    )
]


def level_colours(panel: P, *levels: str) -> P:
    """Colour each level's series with its warning colour, the same colours as the level thresholds."""
    for level in levels:
        colour = {"mode": "fixed", "fixedColor": LEVEL_COLOURS[level]}
        panel = panel.override_by_name(level, [dm.DynamicConfigValue(id_val="color", value=colour)])  # type: ignore[attr-defined]
    return panel


def _names(expr: str) -> str:
    """Join province names (and codes) onto a per-province expression; only the selected provinces."""
    return f"({expr}) * on (province) group_left (name) max by (province, name) ({PROVINCE_INFO})"


def _all_provinces(expr: str) -> str:
    """Every selected province, 0 where `expr` has no series (a province that never reported is news)."""
    return (
        f"(({expr}) or on (province) (max by (province) (waspada_province_info) * 0))"
        f" and on (province) max by (province) ({PROVINCE_INFO})"
    )


def datasource_variable() -> dash.DatasourceVariable:
    return (
        dash.DatasourceVariable("datasource")
        .label("Prometheus")
        .type("prometheus")
        .current(dm.VariableOption(text="Prometheus (Waspada)", value=PROVISIONED_UID, selected=True))
    )


def query_variable(name: str, label: str, query: str) -> dash.QueryVariable:
    """A multi-value variable from label values, `All` by default (matching every value)."""
    return (
        dash.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(query)
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(dm.VariableOption(text="All", value="$__all", selected=True))
    )


def province_variable() -> dash.QueryVariable:
    return query_variable("province", "Province", "label_values(waspada_province_info, province)")


def instance_variable() -> dash.QueryVariable:
    return query_variable("instance", "Instance", 'label_values(up{job=~"intake|scoring|notify"}, instance)')


def organize(rename: dict[str, str], exclude: tuple[str, ...] = ("Time",)) -> dm.DataTransformerConfig:
    return dm.DataTransformerConfig(
        id_val="organize",
        options={
            "excludeByName": dict.fromkeys(exclude, True),
            "renameByName": rename,
            "indexByName": {name: i for i, name in enumerate(["name", "province", *rename])},
        },
    )


def new_dashboard(uid: str, title: str, description: str, tags: list[str]) -> dash.Dashboard:
    _current["dashboard"] = uid
    return (
        dash.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["waspada", *tags])
        .timezone("browser")
        .time("now-1h", "now")
        .refresh("30s")
        .tooltip(dm.DashboardCursorSync.CROSSHAIR)
        .readonly()
        .with_variable(datasource_variable())
    )


# ----------------------------------------------------------------------------------------------
# 1. Pipeline health
# ----------------------------------------------------------------------------------------------


def pipeline_health() -> dash.Dashboard:
    d = new_dashboard(
        "waspada-pipeline",
        "Waspada: pipeline health",
        "Is the pipeline up, keeping up, failing or slow? Rates, Kafka lag, errors and latency of intake,"
        " scoring and notify.",
        ["ops"],
    ).with_variable(instance_variable())
    d = d.with_row(dash.Row("Services"))
    _current["panel"] = "Targets up"
    d = d.with_panel(
        _panel(stat.Panel(), "Targets up", "1 = Prometheus scrapes the service; 0 = down.", w=8, h=5)
        .with_target(q(f"up{{{SERVICES}}}", "{{job}} {{instance}}", instant=True))
        .mappings(
            [
                dm.ValueMap(
                    options={
                        "0": dm.ValueMappingResult(text="DOWN", color="red", index=0),
                        "1": dm.ValueMappingResult(text="UP", color="green", index=1),
                    }
                )
            ]
        )
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.NONE)
    )
    d = d.with_panel(
        _panel(
            stat.Panel(),
            "Pipeline alerts firing",
            "Prometheus alerts of deploy/prometheus/rules/pipeline.yml now firing.",
            w=4,
            h=5,
        )
        .with_target(
            q('count(ALERTS{alertstate="firing", alertname=~"Waspada.*"}) or vector(0)', instant=True)
        )
        .thresholds(thresholds((None, "green"), (1, "red")))
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.NONE)
    )
    d = d.with_panel(
        ts(
            "Memory (RSS)",
            "Resident memory per process; SPEC §9 target: under 200 MB at steady load.",
            lambda: q(f"process_resident_memory_bytes{{{SERVICES}}}", "{{job}} {{instance}}"),
            unit="bytes",
            w=6,
            h=5,
        ).thresholds(thresholds((None, "green"), (200 * 1024 * 1024, "red")))
    )
    d = d.with_panel(
        ts(
            "CPU",
            "CPU seconds per second per process (1 = one core).",
            lambda: q(f"rate(process_cpu_seconds_total{{{SERVICES}}}[{RI}])", "{{job}} {{instance}}"),
            unit="percentunit",
            w=6,
            h=5,
        )
    )

    d = d.with_row(dash.Row("Throughput"))
    d = d.with_panel(
        ts(
            "Reports into intake by outcome",
            "Reports per second over HTTP and Kafka: accepted, duplicate, conflict, invalid, forbidden.",
            lambda: q(f"sum by (outcome) (rate(waspada_intake_reports_total[{RI}]))", "{{outcome}}"),
            unit="reqps",
            stacked=True,
        )
    )
    d = d.with_panel(
        ts(
            "HTTP requests by service and status",
            "Requests per second answered by each service's HTTP API.",
            lambda: q(
                f"sum by (service, status) (rate(waspada_http_request_duration_seconds_count[{RI}]))",
                "{{service}} {{status}}",
            ),
            unit="reqps",
        )
    )
    d = d.with_panel(
        ts(
            "Kafka records consumed per topic",
            "FastStream middleware: records handed to each subscriber (app = service).",
            lambda: q(
                f"sum by (app_name, handler) (rate(faststream_received_messages_total[{RI}]))",
                "{{app_name}} ← {{handler}}",
            ),
            unit="rps",
        )
    )
    d = d.with_panel(
        ts(
            "Kafka records published per topic",
            "FastStream middleware: records sent by each service, by outcome.",
            lambda: q(
                f"sum by (app_name, destination, status) (rate(faststream_published_messages_total[{RI}]))",
                "{{app_name}} → {{destination}} ({{status}})",
            ),
            unit="rps",
        )
    )
    d = d.with_panel(
        ts(
            "Assessments by level",
            "Reports assessed per second by scoring, by level.",
            lambda: q(f"sum by (level) (rate(waspada_scoring_assessments_total[{RI}]))", "{{level}}"),
            unit="rps",
            stacked=True,
        )
    )
    d = d.with_panel(
        ts(
            "Alert lifecycle events",
            "Alert versions created by notify per second: fired, escalated, de-escalated, resolved, ...",
            lambda: q(
                f"sum by (event, audience) (rate(waspada_notify_alert_events_total[{RI}]))",
                "{{event}} ({{audience}})",
            ),
            unit="rps",
        )
    )

    d = d.with_row(dash.Row("Backlog"))
    d = d.with_panel(
        ts(
            "Consumer lag by group and topic",
            "Records not yet processed (high watermark - position), summed over partitions and replicas."
            " Growing lag: scale consumers up to the partition count (docs/scaling.md).",
            lambda: q("sum by (group, topic) (waspada_kafka_consumer_lag)", "{{group}} {{topic}}"),
        )
    )
    d = d.with_panel(
        ts(
            "Consumer lag by partition",
            "A single hot partition points to a skewed key (one busy regency).",
            lambda: q("waspada_kafka_consumer_lag", "{{group}} {{topic}}/{{partition}}"),
        )
    )
    d = d.with_panel(
        ts(
            "Intake outbox backlog",
            "Accepted reports stored but not yet on Kafka. Grows while Kafka is down; must drain after.",
            lambda: q("sum(waspada_intake_outbox_backlog)", "outbox rows"),
            w=8,
        )
    )
    d = d.with_panel(
        ts(
            "Deliveries pending",
            "Alert deliveries waiting for a first attempt or a retry.",
            lambda: q("sum(waspada_notify_deliveries_pending)", "pending"),
            w=8,
        )
    )
    d = d.with_panel(
        ts(
            "Records in process",
            "Records inside a handler right now (FastStream middleware).",
            lambda: q(
                "sum by (app_name, handler) (faststream_received_messages_in_process)",
                "{{app_name}} ← {{handler}}",
            ),
            w=8,
        )
    )

    d = d.with_row(dash.Row("Errors"))
    d = d.with_panel(
        ts(
            "Batch outcomes",
            "acked = committed after the database; nacked/error = redelivered (at least once).",
            lambda: q(
                f"sum by (app_name, handler, status) (rate(faststream_received_processed_messages_total[{RI}]))",
                "{{app_name}} {{handler}} {{status}}",
            ),
            unit="rps",
        )
    )
    d = d.with_panel(
        ts(
            "Handler exceptions",
            "Exceptions raised by Kafka handlers, by type (the batch is redelivered).",
            lambda: q(
                f"sum by (app_name, handler, exception_type) "
                f"(rate(faststream_received_processed_messages_exceptions_total[{RI}]))",
                "{{app_name}} {{handler}} {{exception_type}}",
                may_be_empty=True,
            ),
            unit="rps",
        )
    )
    d = d.with_panel(
        ts(
            "Kafka producer errors",
            "Records Kafka did not acknowledge (retried by the caller), and failed publish calls.",
            lambda: q(
                f"sum by (job, topic) (rate(waspada_kafka_publish_errors_total[{RI}]))",
                "{{job}} → {{topic}} (unacknowledged)",
                may_be_empty=True,
            ),
            lambda: q(
                f"sum by (app_name, destination, exception_type) "
                f"(rate(faststream_published_messages_exceptions_total[{RI}]))",
                "{{app_name}} → {{destination}} {{exception_type}}",
                ref="B",
                may_be_empty=True,
            ),
            unit="rps",
            w=8,
        )
    )
    d = d.with_panel(
        ts(
            "HTTP 5xx",
            "Server errors by service and route (SPEC: 503 only when a report could not be stored).",
            lambda: q(
                f'sum by (service, route, status) (rate(waspada_http_request_duration_seconds_count{{status=~"5.."}}[{RI}]))',
                "{{service}} {{route}} {{status}}",
                may_be_empty=True,
            ),
            unit="reqps",
            w=8,
        )
    )
    d = d.with_panel(
        ts(
            "Rejected inputs by reason",
            "Invalid reports by the first failing field's code and by door (http, kafka).",
            lambda: q(
                f"sum by (reason, door) (rate(waspada_intake_rejections_total[{RI}]))", "{{door}} {{reason}}"
            ),
            unit="rps",
            w=8,
        )
    )
    d = d.with_panel(
        ts(
            "Deliveries by channel and outcome",
            "Delivery attempts: delivered, retry (will try again), failed (gave up; visible in the API).",
            lambda: q(
                f"sum by (channel, outcome) (rate(waspada_notify_deliveries_total[{RI}]))",
                "{{channel}} {{outcome}}",
            ),
            unit="rps",
            w=24,
        )
    )

    d = d.with_row(dash.Row("Latency"))
    d = d.with_panel(
        ts(
            "End to end (p99)",
            "From intake's receipt to the assessment and to the webhook delivery (SPEC §9: 500 ms at"
            " 200 reports/s), and from the event (occurred_at) to the assessment.",
            lambda: q(
                f"histogram_quantile(0.99, sum by (le) (rate(waspada_scoring_receipt_to_assessment_seconds_bucket[{RI}])))",
                "receipt → assessment",
            ),
            lambda: q(
                f"histogram_quantile(0.99, sum by (le) (rate(waspada_notify_receipt_to_delivery_seconds_bucket[{RI}])))",
                "receipt → delivery",
                ref="B",
            ),
            lambda: q(
                f"histogram_quantile(0.99, sum by (le) (rate(waspada_scoring_event_to_assessment_seconds_bucket[{RI}])))",
                "occurred_at → assessment",
                ref="C",
            ),
            unit="s",
        ).thresholds(thresholds((None, "green"), (0.5, "red")))
    )
    d = d.with_panel(
        ts(
            "HTTP p99 by route",
            "SPEC §9: POST /v1/reports p99 ≤ 50 ms at 500/s.",
            lambda: q(
                f"histogram_quantile(0.99, sum by (service, route, le) (rate(waspada_http_request_duration_seconds_bucket[{RI}])))",
                "{{service}} {{route}}",
            ),
            unit="s",
        )
    )
    d = d.with_panel(
        ts(
            "Kafka handler p99 per batch",
            "Time to process one consumed batch (FastStream middleware).",
            lambda: q(
                f"histogram_quantile(0.99, sum by (app_name, handler, le) "
                f"(rate(faststream_received_processed_messages_duration_seconds_bucket[{RI}])))",
                "{{app_name}} ← {{handler}}",
            ),
            unit="s",
        )
    )
    d = d.with_panel(
        ts(
            "Stage p99",
            "Intake storing a batch, scoring a batch, one webhook delivery.",
            lambda: q(
                f"histogram_quantile(0.99, sum by (le) (rate(waspada_intake_store_seconds_bucket[{RI}])))",
                "intake store",
            ),
            lambda: q(
                f"histogram_quantile(0.99, sum by (le) (rate(waspada_scoring_batch_seconds_bucket[{RI}])))",
                "scoring batch",
                ref="B",
            ),
            lambda: q(
                f"histogram_quantile(0.99, sum by (channel, le) (rate(waspada_notify_delivery_seconds_bucket[{RI}])))",
                "delivery {{channel}}",
                ref="C",
            ),
            unit="s",
        )
    )

    d = d.with_row(dash.Row("PostgreSQL"))
    d = d.with_panel(
        ts(
            "Connection pool",
            "asyncpg pool connections in use and idle, against the pool's maximum.",
            lambda: q("sum by (service, state) (waspada_db_pool_connections)", "{{service}} {{state}}"),
            lambda: q("sum by (service) (waspada_db_pool_max_connections)", "{{service}} max", ref="B"),
            w=24,
        )
    )
    return d


# ----------------------------------------------------------------------------------------------
# 2. Risk picture
# ----------------------------------------------------------------------------------------------


def risk_picture() -> dash.Dashboard:
    d = new_dashboard(
        "waspada-risk",
        "Waspada: risk picture",
        "Where conflict risk stands now: firing alerts by province and level, and the assessments behind them.",
        ["risk"],
    ).with_variable(province_variable())
    _current["panel"] = "Highest alert level by province"
    geo_expr = (
        "province:waspada_notify_alerts_active:max_level * on (province) group_left (name, lat, lon)"
        f" max by (province, name, lat, lon) ({PROVINCE_INFO})"
    )
    markers = (
        common_b.MapLayerOptions()
        .type("markers")
        .name("Provinces")
        .location(
            common_b.FrameGeometrySource()
            .mode(common.FrameGeometrySourceMode.COORDS)
            .latitude("lat")
            .longitude("lon")
        )
        .config(
            {
                "showLegend": True,
                "style": {
                    "color": {"field": "Value", "fixed": "green"},
                    "opacity": 0.8,
                    "size": {"field": "Value", "fixed": 8, "min": 6, "max": 22},
                    "symbol": {"fixed": "img/icons/marker/circle.svg", "mode": "fixed"},
                    "text": {"field": "name", "fixed": "", "mode": "field"},
                    "textConfig": {
                        "fontSize": 9,
                        "offsetY": -12,
                        "textAlign": "center",
                        "textBaseline": "bottom",
                    },
                },
            }
        )
        .tooltip(True)
    )
    d = d.with_panel(
        _panel(
            geomap.Panel(),
            "Highest alert level by province",
            "Each province at its centroid (Kemendagri reference), coloured by the highest level of its"
            " firing alerts: Level 1 (Normal) green to Level 4 (Awas) red.",
            w=16,
            h=14,
        )
        .with_target(q(geo_expr, instant=True, table_format=True))
        .with_transformation(
            dm.DataTransformerConfig(
                id_val="convertFieldType",
                options={
                    "conversions": [
                        {"targetField": "lat", "destinationType": "number"},
                        {"targetField": "lon", "destinationType": "number"},
                    ],
                    "fields": {},
                },
            )
        )
        .view(geomap.MapViewConfig().id("coords").lat(-2).lon(118).zoom(4))
        .controls(geomap.ControlsOptions().show_zoom(True).mouse_wheel_zoom(True))
        .basemap(common_b.MapLayerOptions().type("default").name("Basemap"))
        .layers([markers])
        .tooltip(geomap.TooltipOptions().mode(TooltipMode.DETAILS))
        .min(1)
        .max(4)
        .thresholds(thresholds(*LEVEL_STEPS))
        .color_scheme(dash.FieldColor().mode(dm.FieldColorModeId.THRESHOLDS))
        .mappings(LEVEL_MAPPINGS)
    )
    d = d.with_panel(
        level_colours(
            _panel(
                stat.Panel(),
                "Firing alerts by level",
                "Alerts now firing, all audiences (one alert per region group, category and audience).",
                w=8,
                h=7,
            )
            .with_target(
                q(
                    'sum by (level) (waspada_notify_alerts_active{level=~"waspada|siaga|awas"}) or on (level) ('
                    'label_replace(vector(0), "level", "waspada", "", "")'
                    ' or label_replace(vector(0), "level", "siaga", "", "")'
                    ' or label_replace(vector(0), "level", "awas", "", ""))',
                    "{{level}}",
                    instant=True,
                )
            )
            .color_mode(common.BigValueColorMode.BACKGROUND)
            .graph_mode(common.BigValueGraphMode.NONE),
            "waspada",
            "siaga",
            "awas",
        )
    )
    d = d.with_panel(
        _panel(
            bargauge.Panel(),
            "Firing alerts by audience",
            "regency = Tim Terpadu of the regency/city, province = of the province, national = Kemendagri desk.",
            w=8,
            h=7,
        )
        .with_target(q("sum by (audience) (waspada_notify_alerts_active)", "{{audience}}", instant=True))
        .orientation(common.VizOrientation.HORIZONTAL)
        .display_mode(common.BarGaugeDisplayMode.GRADIENT)
    )
    d = d.with_panel(
        _panel(
            table.Panel(),
            "Firing alerts by province and level",
            "Provinces with firing alerts; one column per level.",
            w=12,
            h=10,
        )
        .with_target(
            q(
                _names("sum by (province, level) (waspada_notify_alerts_active) > 0"),
                instant=True,
                table_format=True,
            )
        )
        .with_transformation(
            dm.DataTransformerConfig(
                id_val="groupingToMatrix",
                options={
                    "columnField": "level",
                    "rowField": "name",
                    "valueField": "Value",
                    "emptyValue": "zero",
                },
            )
        )
        .filterable(True)
    )
    d = d.with_panel(
        _panel(
            bargauge.Panel(),
            "Assessments at waspada or higher, last 24 h",
            "Provinces by the number of reports scored waspada, siaga or awas in the last 24 hours.",
            w=12,
            h=10,
        )
        .with_target(
            q(
                "sort_desc(topk(15, "
                + _names(
                    'sum by (province) (increase(waspada_scoring_assessments_total{level=~"waspada|siaga|awas"}[24h]))'
                )
                + "))",
                "{{name}}",
                instant=True,
            )
        )
        .orientation(common.VizOrientation.HORIZONTAL)
        .display_mode(common.BarGaugeDisplayMode.GRADIENT)
        .decimals(0)
    )
    d = d.with_panel(
        level_colours(
            ts(
                "Assessments by level",
                "Reports assessed per second, by level.",
                lambda: q(f"sum by (level) (rate(waspada_scoring_assessments_total[{RI}]))", "{{level}}"),
                unit="rps",
                stacked=True,
            ),
            "normal",
            "waspada",
            "siaga",
            "awas",
        )
    )
    d = d.with_panel(
        ts(
            "Firing alerts per province over time",
            "Firing alerts (all audiences and levels) per province.",
            lambda: q(_names("sum by (province) (waspada_notify_alerts_active) > 0"), "{{name}}"),
        )
    )
    d = d.with_panel(
        ts(
            "Alert lifecycle events",
            "Alert versions per second: fired, escalated, de-escalated, resolved, by audience.",
            lambda: q(
                f"sum by (event, audience) (rate(waspada_notify_alert_events_total[{RI}]))",
                "{{event}} ({{audience}})",
            ),
            unit="rps",
        )
    )
    d = d.with_panel(
        _panel(
            stat.Panel(),
            "Regions tracked by scoring",
            "Regencies with scoring state (grows with regions, not with reports).",
            w=12,
            h=8,
        )
        .with_target(q("sum(waspada_scoring_regions_tracked)", instant=True))
        .graph_mode(common.BigValueGraphMode.AREA)
    )
    return d


# ----------------------------------------------------------------------------------------------
# 3. Reporting performance
# ----------------------------------------------------------------------------------------------

ACCEPTED = 'waspada_intake_reports_total{outcome="accepted"}'


def reporting_performance() -> dash.Dashboard:
    d = new_dashboard(
        "waspada-reporting",
        "Waspada: reporting performance by province",
        "How well each province reports: volume, rejected share, duplicates, silence. GET /v1/summary of"
        " notify has the authoritative figures (regencies reporting, delays, acknowledgements in time).",
        ["reporting"],
    ).with_variable(province_variable())
    _current["panel"] = "Reporting by province"
    rename = {
        "Value #A": "Accepted 24 h",
        "Value #B": "Accepted 7 d",
        "Value #C": "Rejected share 7 d",
        "Value #D": "Duplicates 7 d",
        "Value #E": "Reported in 3 d",
    }
    d = d.with_panel(
        _panel(
            table.Panel(),
            "Reporting by province",
            "All 38 provinces. Rejected share = invalid, conflicting or out-of-scope submissions over all"
            " submissions. Reported in 3 d = 0 means the WaspadaProvinceSilent alert is due.",
            w=24,
            h=14,
        )
        .with_target(
            q(
                _all_provinces(f"sum by (province) (increase({ACCEPTED}[24h]))"),
                ref="A",
                instant=True,
                table_format=True,
            )
        )
        .with_target(
            q(
                _all_provinces(f"sum by (province) (increase({ACCEPTED}[7d]))"),
                ref="B",
                instant=True,
                table_format=True,
            )
        )
        .with_target(
            q(
                _all_provinces(
                    'sum by (province) (increase(waspada_intake_reports_total{outcome=~"invalid|conflict|forbidden"}[7d]))'
                    " / sum by (province) (increase(waspada_intake_reports_total[7d]))"
                ),
                ref="C",
                instant=True,
                table_format=True,
            )
        )
        .with_target(
            q(
                _all_provinces(
                    'sum by (province) (increase(waspada_intake_reports_total{outcome="duplicate"}[7d]))'
                ),
                ref="D",
                instant=True,
                table_format=True,
            )
        )
        .with_target(
            q(
                _all_provinces("province:waspada_intake_reports:reported_3d"),
                ref="E",
                instant=True,
                table_format=True,
            )
        )
        .with_target(
            q("max by (province, name) (waspada_province_info)", ref="F", instant=True, table_format=True)
        )
        .with_transformation(dm.DataTransformerConfig(id_val="merge", options={}))
        .with_transformation(organize(rename, exclude=("Time", "Value #F")))
        .override_by_name("Rejected share 7 d", [dm.DynamicConfigValue(id_val="unit", value="percentunit")])
        .override_by_name(
            "Reported in 3 d",
            [
                dm.DynamicConfigValue(
                    id_val="mappings",
                    value=[
                        {
                            "type": "value",
                            "options": {
                                "0": {"text": "no", "color": "red", "index": 0},
                                "1": {"text": "yes", "color": "green", "index": 1},
                            },
                        }
                    ],
                ),
                dm.DynamicConfigValue(id_val="custom.cellOptions", value={"type": "color-text"}),
            ],
        )
        .decimals(0)
        .filterable(True)
        .sort_by([common_b.TableSortByFieldState().display_name("Accepted 7 d").desc(True)])
    )
    d = d.with_panel(
        _panel(
            stat.Panel(),
            "Provinces silent for 3 days",
            "Provinces without a single accepted report in the last 3 days.",
            w=6,
            h=8,
        )
        .with_target(
            q(
                "count(max by (province) (waspada_province_info) unless on (province) province:waspada_intake_reports:reported_3d)"
                " or vector(0)",
                instant=True,
            )
        )
        .thresholds(thresholds((None, "green"), (1, "orange"), (10, "red")))
        .color_mode(common.BigValueColorMode.BACKGROUND)
        .graph_mode(common.BigValueGraphMode.NONE)
    )
    d = d.with_panel(
        ts(
            "Accepted reports per province",
            "Accepted reports per second, per province (HTTP and Kafka).",
            lambda: q(_names(f"sum by (province) (rate({ACCEPTED}[{RI}]))"), "{{name}}"),
            unit="rps",
            w=18,
            h=8,
        )
    )
    d = d.with_panel(
        ts(
            "Submissions by outcome",
            "All submissions per second: accepted, duplicate (resubmitted), conflict (same id, other"
            " content), invalid, forbidden (region outside the key's province).",
            lambda: q(f"sum by (outcome) (rate(waspada_intake_reports_total[{RI}]))", "{{outcome}}"),
            unit="rps",
            stacked=True,
        )
    )
    d = d.with_panel(
        ts(
            "Rejections by reason",
            "What goes wrong in rejected submissions (first failing field's code), HTTP and Kafka.",
            lambda: q(
                f"sum by (reason, door) (rate(waspada_intake_rejections_total[{RI}]))",
                "{{reason}} ({{door}})",
            ),
            unit="rps",
            stacked=True,
        )
    )
    d = d.with_panel(
        ts(
            "Delay from event to assessment",
            "How long after the event (occurred_at) its report was assessed: mostly the reporting delay.",
            lambda: q(
                f"histogram_quantile(0.5, sum by (le) (rate(waspada_scoring_event_to_assessment_seconds_bucket[{RI}])))",
                "median",
            ),
            lambda: q(
                f"histogram_quantile(0.9, sum by (le) (rate(waspada_scoring_event_to_assessment_seconds_bucket[{RI}])))",
                "p90",
                ref="B",
            ),
            unit="s",
        )
    )
    d = d.with_panel(
        ts(
            "Time to acknowledge alerts",
            "From an alert's delivery to its acknowledgement by the province team (SPEC: awas within 2 h,"
            " siaga within 12 h).",
            lambda: q(
                f"histogram_quantile(0.5, sum by (le) (rate(waspada_notify_ack_latency_seconds_bucket[{RI}])))",
                "median",
            ),
            lambda: q(
                f"histogram_quantile(0.9, sum by (le) (rate(waspada_notify_ack_latency_seconds_bucket[{RI}])))",
                "p90",
                ref="B",
            ),
            unit="s",
        )
    )
    d = d.with_panel(
        _panel(
            text.Panel(),
            "About these figures",
            "Where these numbers come from, and where the official ranking does.",
            w=24,
            h=4,
        ).content(
            "Counts come from intake's counters (`waspada_intake_reports_total{outcome, province}`) and reset"
            " with Prometheus' retention, not with the service. The ranking Kemendagri uses (regencies that"
            " reported, median delay from `occurred_at` to receipt, alerts acknowledged in time) is served by"
            " notify at `GET /v1/summary`, computed from the database."
        )
    )
    return d


# ----------------------------------------------------------------------------------------------

DASHBOARDS: dict[str, Callable[[], dash.Dashboard]] = {
    "pipeline-health.json": pipeline_health,
    "risk-picture.json": risk_picture,
    "reporting-performance.json": reporting_performance,
}


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard (also fills QUERIES afresh)."""
    QUERIES.clear()
    out: dict[str, str] = {}
    for name, make in DASHBOARDS.items():
        model = make().build()
        data = json.loads(json.dumps(model, cls=JSONEncoder))
        _layout(data["panels"])
        for i, panel in enumerate(_panels(data), start=1):
            panel["id"] = i  # stable ids: Grafana keeps per-panel state by id
        out[name] = json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n"
    return out


def _layout(panels: list[dict[str, Any]]) -> None:
    """Place panels in order, each at the highest free spot (leftmost on ties), as Grafana packs them.

    The SDK only fills left to right, row by row, which leaves holes beside a tall panel.
    """
    skyline = [0] * 24  # lowest free y of each grid column
    for panel in panels:
        pos = panel["gridPos"]
        w, h = pos["w"], pos["h"]
        if panel["type"] == "row":
            x, y = 0, max(skyline)
        else:
            x, y = min(((x, max(skyline[x : x + w])) for x in range(0, 25 - w)), key=lambda c: (c[1], c[0]))
        pos["x"], pos["y"] = x, y
        for col in range(x, x + w):
            skyline[col] = y + h


def _panels(data: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for panel in data.get("panels", []):
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if a committed file differs")
    args = parser.parse_args()
    stale = []
    for name, content in render().items():
        path = OUT / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != content:
                stale.append(name)
        else:
            OUT.mkdir(parents=True, exist_ok=True)
            path.write_text(content, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print(f"stale: {', '.join(stale)}; run deploy/grafana/build.py", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
