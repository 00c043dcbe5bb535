"""The routing configuration (one YAML file, shaped like Alertmanager's): strict pydantic models. Pure.

Parsing from YAML text, with errors that name the line, is in `domain.loader`; the semantic checks that
span several sections (receiver names, group_by) are in `check()` below, so that they can name the key
path of the culprit too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, field_validator

from waspada_notify.domain.durations import format_duration, parse_duration
from waspada_notify.domain.matchers import LABELS, Matcher
from waspada_shared.contracts.alert import Audience
from waspada_shared.levels import Level


def _matcher(value: Any) -> Matcher:
    if isinstance(value, Matcher):
        return value
    if not isinstance(value, str):
        raise ValueError(f'a matcher is text such as province="19", not {value!r}')
    return Matcher.parse(value)


def _label(value: Any) -> str:
    if value not in LABELS:
        raise ValueError(f"unknown label {value!r}; labels are: {', '.join(LABELS)}")
    return str(value)


MatcherField = Annotated[Matcher, BeforeValidator(_matcher), PlainSerializer(str)]
Duration = Annotated[timedelta, BeforeValidator(parse_duration), PlainSerializer(format_duration)]
Label = Annotated[str, BeforeValidator(_label)]
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,62}$")]

# Alertmanager's defaults, used when the root route does not set them.
DEFAULT_GROUP_WAIT = timedelta(seconds=30)
DEFAULT_GROUP_INTERVAL = timedelta(minutes=5)
DEFAULT_REPEAT_INTERVAL = timedelta(hours=4)
GROUP_BY = ("province", "regency", "category")


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, arbitrary_types_allowed=True, populate_by_name=True
    )


class WebhookConfig(Strict):
    url: str = Field(pattern=r"^https?://[^\s]+$", description="Where the signed alert JSON is POSTed")


class EmailConfig(Strict):
    to: list[Annotated[str, Field(pattern=r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")]] = Field(min_length=1)


class ReceiverConfig(Strict):
    name: Name
    webhook_configs: list[WebhookConfig] = Field(default_factory=list)
    email_configs: list[EmailConfig] = Field(default_factory=list)


class RouteConfig(Strict):
    receiver: Name | None = None
    audience: Audience | None = Field(None, description="The audience this route's alerts are for")
    matchers: list[MatcherField] = Field(default_factory=list)
    continue_: bool = Field(False, alias="continue")
    group_by: list[Label] | None = None
    group_wait: Duration | None = None
    group_interval: Duration | None = None
    repeat_interval: Duration | None = None
    routes: list[RouteConfig] = Field(default_factory=list)


class InhibitRule(Strict):
    source_matchers: list[MatcherField] = Field(min_length=1)
    target_matchers: list[MatcherField] = Field(min_length=1)
    equal: list[Label] = Field(default_factory=list)
    source_level_at_least_target: bool = Field(
        True, description="Mute only targets whose level is not above the source's"
    )


class ProvinceRollup(Strict):
    enabled: bool = True
    min_regencies: int = Field(2, ge=2)
    min_level: Level = Level.SIAGA
    window: Duration = timedelta(hours=72)


class NationalRollup(Strict):
    enabled: bool = True
    min_provinces: int = Field(2, ge=2)
    min_level: Level = Level.SIAGA
    window: Duration = timedelta(hours=72)


class Rollups(Strict):
    province: ProvinceRollup = Field(default_factory=ProvinceRollup)
    national: NationalRollup = Field(default_factory=NationalRollup)


class AckEscalation(Strict):
    timeouts: dict[Level, Duration] = Field(
        default_factory=lambda: {Level.AWAS: timedelta(hours=2), Level.SIAGA: timedelta(hours=12)}
    )

    @field_validator("timeouts")
    @classmethod
    def _positive(cls, value: dict[Level, timedelta]) -> dict[Level, timedelta]:
        if Level.NORMAL in value:
            raise ValueError("normal alerts do not exist, so they have no acknowledgement timeout")
        if any(v <= timedelta(0) for v in value.values()):
            raise ValueError("timeouts must be longer than 0s")
        return value


class Candidates(Strict):
    """Level-4 candidates (SPEC §6): both desks are asked at once; without a decision, reminders."""

    decision_timeout: Duration = Field(
        timedelta(hours=1), description="Wall-clock time without a decision before a reminder goes out"
    )
    max_reminders: int = Field(3, ge=0, le=24)

    @field_validator("decision_timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("decision_timeout must be longer than 0s")
        return value


class GlobalConfig(Strict):
    resolve_timeout: Duration = Field(
        timedelta(hours=72), description="Quiet time (event time) after which an alert resolves"
    )
    smtp_smarthost: str | None = Field(None, pattern=r"^[^\s:]+:\d{1,5}$", description="host:port")
    smtp_from: str = Field("waspada@localhost", pattern=r"^[^@\s,]+@[^@\s,]+$")
    smtp_starttls: bool = False


class RoutingConfig(Strict):
    global_: GlobalConfig = Field(default_factory=GlobalConfig, alias="global")
    receivers: list[ReceiverConfig] = Field(min_length=1)
    route: RouteConfig
    inhibit_rules: list[InhibitRule] = Field(default_factory=list)
    rollups: Rollups = Field(default_factory=Rollups)
    ack_escalation: AckEscalation = Field(default_factory=AckEscalation)
    candidates: Candidates = Field(default_factory=Candidates)

    def receiver(self, name: str) -> ReceiverConfig | None:
        return next((r for r in self.receivers if r.name == name), None)


Path = tuple[str | int, ...]


def check(config: RoutingConfig) -> list[tuple[Path, str]]:
    """Checks spanning sections: (key path of the culprit, message). Empty when the file is sound."""
    problems: list[tuple[Path, str]] = []
    names: set[str] = set()
    for i, r in enumerate(config.receivers):
        if r.name in names:
            problems.append((("receivers", i, "name"), f"receiver {r.name!r} is defined twice"))
        names.add(r.name)
        if r.email_configs and not config.global_.smtp_smarthost:
            problems.append(
                (("receivers", i, "email_configs"), "email needs global.smtp_smarthost (host:port)")
            )
    root = config.route
    if root.receiver is None:
        problems.append((("route", "receiver"), "the root route needs a receiver (the fallback)"))
    if root.matchers:
        problems.append((("route", "matchers"), "the root route matches every alert; it takes no matchers"))
    if root.continue_:
        problems.append((("route", "continue"), "the root route cannot continue (it has no siblings)"))

    def walk(route: RouteConfig, path: Path) -> None:
        if route.receiver is not None and route.receiver not in names:
            problems.append(((*path, "receiver"), f"no receiver named {route.receiver!r}"))
        if route.group_by is not None and sorted(route.group_by) != sorted(GROUP_BY):
            problems.append(
                (
                    (*path, "group_by"),
                    "alerts group by [province, regency, category] (one alert per region, category and "
                    "audience); wider groups are the roll-ups (see `rollups`)",
                )
            )
        for key in ("group_interval", "repeat_interval"):
            value = getattr(route, key)
            if value is not None and value <= timedelta(0):
                problems.append(((*path, key), f"{key} must be longer than 0s"))
        for j, child in enumerate(route.routes):
            walk(child, (*path, "routes", j))

    walk(root, ("route",))
    for i, rule in enumerate(config.inhibit_rules):
        if "category" not in rule.equal:
            # Inhibition is evaluated among the firing alerts of the category being changed.
            problems.append((("inhibit_rules", i, "equal"), "equal must include category"))
    return problems
