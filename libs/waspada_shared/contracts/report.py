"""Report schema version 1 (SPEC §3): what teams and agencies submit, and what intake accepts.

`ReportIn` is the submitted report (may carry the confidential `reporter`); `AcceptedReport` is what
intake publishes on `reports.accepted.v1`: the same facts without `reporter`, plus receipt metadata.
The reporter is absent from `AcceptedReport` by construction, so it can never reach a topic.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from waspada_shared.regions import reference

SCHEMA_VERSION = 1
MAX_FUTURE = timedelta(minutes=10)

# Indonesia's bounding box, a little generous at the edges (Sabang to Merauke, Miangas to Rote).
LAT_RANGE = (-11.5, 6.5)
LON_RANGE = (94.5, 141.5)


class Kind(StrEnum):
    POTENTIAL = "potential"
    INCIDENT = "incident"
    RECOVERY = "recovery"


class Category(StrEnum):
    ELECTION = "election"
    IDENTITY = "identity"
    LAND_RESOURCE = "land_resource"
    GOVERNANCE = "governance"
    ECONOMIC_LABOR = "economic_labor"
    COMMUNAL_CLASH = "communal_clash"
    VIGILANTISM = "vigilantism"
    DISASTER_RELATED = "disaster_related"
    SEPARATISM = "separatism"
    OTHER = "other"


class Form(StrEnum):
    DEMONSTRATION = "demonstration"
    CLASH = "clash"
    RIOT = "riot"
    ATTACK = "attack"
    FIGHT = "fight"
    MOB_BEATING = "mob_beating"
    KIDNAPPING = "kidnapping"
    BLOCKADE = "blockade"
    INTIMIDATION = "intimidation"
    PROPERTY_DESTRUCTION = "property_destruction"
    ARSON = "arson"


class ElectionStage(StrEnum):
    VOTER_REGISTRATION = "voter_registration"
    CANDIDATE_REGISTRATION = "candidate_registration"
    CAMPAIGN = "campaign"
    QUIET_PERIOD = "quiet_period"
    VOTING = "voting"
    COUNTING = "counting"
    RECAPITULATION = "recapitulation"
    DISPUTE = "dispute"
    INAUGURATION = "inauguration"


class Weapons(StrEnum):
    NONE = "none"
    BLUNT = "blunt"
    SHARP = "sharp"
    FIREARMS = "firearms"
    EXPLOSIVES = "explosives"


class Signal(StrEnum):
    HATE_SPEECH = "hate_speech"
    HOAX = "hoax"
    PROVOCATION = "provocation"
    OUTSIDE_MOBILISATION = "outside_mobilisation"
    WEAPONS_GATHERING = "weapons_gathering"
    ULTIMATUM = "ultimatum"
    ROAD_BLOCKADE = "road_blockade"
    MASS_RALLY_PLANNED = "mass_rally_planned"
    ATTACK_ON_OFFICIALS = "attack_on_officials"
    ATTACK_ON_WORSHIP_PLACE = "attack_on_worship_place"
    PROPERTY_SEIZURE = "property_seizure"
    ELECTION_FRAUD_ALLEGATION = "election_fraud_allegation"
    RECURRING_CONFLICT = "recurring_conflict"


class ActorType(StrEnum):
    SUPPORTERS = "supporters"
    PARTY = "party"
    CANDIDATE = "candidate"
    ORMAS = "ormas"
    STUDENTS = "students"
    VILLAGERS = "villagers"
    WORKERS = "workers"
    COMPANY = "company"
    SECURITY_FORCES = "security_forces"
    RELIGIOUS_GROUP = "religious_group"
    ETHNIC_GROUP = "ethnic_group"
    GOVERNMENT = "government"
    UNKNOWN = "unknown"


class SourceType(StrEnum):
    OFFICIAL = "official"
    COMMUNITY = "community"
    MEDIA = "media"
    SOCIAL_MEDIA = "social_media"


ReportId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
ProvinceCode = Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
RegencyCode = Annotated[str, StringConstraints(pattern=r"^\d{2}\.\d{2}$")]
DistrictCode = Annotated[str, StringConstraints(pattern=r"^\d{2}\.\d{2}\.\d{2}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]
Count = Annotated[int, Field(ge=0, le=10_000_000)]

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Region(BaseModel):
    """Where it happened, by Kemendagri code. The regency must belong to the province."""

    model_config = _STRICT

    province: ProvinceCode = Field(description="Province code `PP`, e.g. `19`")
    regency: RegencyCode = Field(description="Regency/city code `PP.RR`, e.g. `19.06`")
    district: DistrictCode | None = Field(None, description="District (kecamatan) code `PP.RR.DD`")
    place: ShortText | None = Field(None, description="Village, street or landmark (free text)")

    @model_validator(mode="after")
    def _known_and_nested(self) -> Region:
        ref = reference()
        if self.province not in ref.provinces:
            raise _region_error("province", "unknown_region", f"unknown province code {self.province}")
        regency = ref.regencies.get(self.regency)
        if regency is None:
            raise _region_error("regency", "unknown_region", f"unknown regency code {self.regency}")
        if regency.province_code != self.province:
            raise _region_error(
                "regency",
                "region_mismatch",
                f"{self.regency} ({regency.name}) is not in province {self.province}",
            )
        if self.district is not None:
            owner = ref.districts.get(self.district)
            if owner is None:
                raise _region_error("district", "unknown_region", f"unknown district code {self.district}")
            if owner != self.regency:
                raise _region_error(
                    "district", "region_mismatch", f"{self.district} is not in regency {self.regency}"
                )
        return self


def _region_error(field: str, code: str, message: str) -> PydanticCustomError:
    # `field` in the context lets problems.py name the exact path (region.regency), not just `region`.
    return PydanticCustomError(code, message, {"field": field})


class Location(BaseModel):
    model_config = _STRICT

    lat: float = Field(ge=LAT_RANGE[0], le=LAT_RANGE[1], description="Latitude inside Indonesia")
    lon: float = Field(ge=LON_RANGE[0], le=LON_RANGE[1], description="Longitude inside Indonesia")


class Impact(BaseModel):
    model_config = _STRICT

    deaths: Count = 0
    injured: Count = 0
    displaced: Count = 0
    buildings_damaged: Count = 0
    crowd_size: Count = 0
    arson: bool = False
    weapons: Weapons = Weapons.NONE


class Actor(BaseModel):
    model_config = _STRICT

    type: ActorType
    name: ShortText | None = None


class Source(BaseModel):
    """Who reported it, graded on the Admiralty scale (default F6: cannot be judged)."""

    model_config = _STRICT

    type: SourceType
    agency: ShortText | None = None
    reliability: Literal["A", "B", "C", "D", "E", "F"] = "F"
    credibility: int = Field(6, ge=1, le=6)


class Reporter(BaseModel):
    """Confidential: stored only by intake, encrypted at rest; never on a topic, alert, log or metric."""

    model_config = _STRICT

    name: ShortText | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None

    def __repr__(self) -> str:  # keeps it out of tracebacks and debug logs
        return "Reporter(<redacted>)"

    __str__ = __repr__


Tag = Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True)]


class ReportFacts(BaseModel):
    """The facts of a report shared by the submitted and the accepted form (everything but `reporter`)."""

    model_config = _STRICT

    report_id: ReportId = Field(description="Submitter-chosen id; the idempotency key")
    region: Region
    location: Location | None = None
    occurred_at: AwareDatetime = Field(
        description="ISO 8601 with offset (WIB +07:00, WITA +08:00, WIT +09:00, Z)"
    )
    kind: Kind
    category: Category
    form: Form | None = None
    election_stage: ElectionStage | None = None
    impact: Impact = Field(default_factory=Impact)
    signals: list[Signal] = Field(default_factory=list, max_length=len(Signal))
    actors: list[Actor] = Field(default_factory=list, max_length=50)
    source: Source
    summary: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    narrative: Annotated[str, StringConstraints(max_length=20000)] | None = None
    tags: list[Tag] = Field(default_factory=list, max_length=20)

    @field_validator("signals")
    @classmethod
    def _unique_signals(cls, v: list[Signal]) -> list[Signal]:
        return list(dict.fromkeys(v))


class ReportIn(ReportFacts):
    """A report as submitted over HTTP or on `reports.submitted.v1`.

    Validate with ``context={"now": <aware datetime>}`` to check `occurred_at` against a given clock.
    """

    reporter: Reporter | None = None

    @field_validator("occurred_at")
    @classmethod
    def _not_in_future(cls, v: datetime, info: ValidationInfo) -> datetime:
        now = (info.context or {}).get("now") or datetime.now(UTC)
        if v - now > MAX_FUTURE:
            raise PydanticCustomError("future_time", "occurred_at is more than 10 minutes in the future")
        return v

    def facts(self) -> ReportFacts:
        return ReportFacts.model_validate(self.model_dump(exclude={"reporter"}))


class AcceptedReport(ReportFacts):
    """Value of `reports.accepted.v1` (key: regency)."""

    received_at: AwareDatetime
    submitted_by: str = Field(
        description="Scope of the submitting key (province code, national, admin) or kafka"
    )
