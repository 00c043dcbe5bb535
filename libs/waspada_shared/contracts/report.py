"""Report schema version 1 (SPEC §3): what teams and agencies submit, and what intake accepts.

`ReportIn` is the submitted report (may carry the confidential `reporter`); `AcceptedReport` is what
intake publishes on `reports.accepted.v1`: the same facts without `reporter`, plus receipt metadata.
The reporter is absent from `AcceptedReport` by construction, so it can never reach a topic.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from waspada_shared.regions import reference

SCHEMA_VERSION = 1
MAX_FUTURE = timedelta(minutes=10)
# Earliest accepted `occurred_at`: older dates are typing errors, and year-1 dates overflow on conversion.
MIN_OCCURRED_AT = datetime(1970, 1, 1, tzinfo=UTC)
# Offsets accepted on `occurred_at`: UTC and Indonesia's three zones (WIB, WITA, WIT). Another offset is
# almost always a misconfigured clock, and would shift the report's local day in scoring.
ALLOWED_OFFSETS_HOURS = (0, 7, 8, 9)
_ALLOWED_OFFSETS = frozenset(timedelta(hours=h) for h in ALLOWED_OFFSETS_HOURS)

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


def _no_nul(value: str) -> str:
    # PostgreSQL text and jsonb cannot hold U+0000: refuse it here rather than fail (and retry) at storage.
    if "\x00" in value:
        raise PydanticCustomError("null_character", "must not contain NUL (U+0000) characters")
    return value


def _not_blank(value: str) -> str:
    if not value.strip():
        raise PydanticCustomError("blank", "must not be blank")
    return value


NoNul = AfterValidator(_no_nul)

ReportId = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]
ProvinceCode = Annotated[str, StringConstraints(pattern=r"^\d{2}$")]
RegencyCode = Annotated[str, StringConstraints(pattern=r"^\d{2}\.\d{2}$")]
DistrictCode = Annotated[str, StringConstraints(pattern=r"^\d{2}\.\d{2}\.\d{2}$")]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True), NoNul]
# Strict: `true` or "5" are not counts (JSON numbers only).
Count = Annotated[int, Field(ge=0, le=10_000_000, strict=True)]
Degrees = Annotated[float, Field(strict=True, allow_inf_nan=False)]

_STRICT = ConfigDict(extra="forbid", frozen=True)


class Region(BaseModel):
    """Where it happened, by Kemendagri code: the regency must belong to the province, the district to
    the regency. Legacy Papua Barat Daya codes (92.xx) are normalised by intake before validation."""

    model_config = _STRICT

    province: ProvinceCode = Field(description="Province code `PP`, e.g. `19`", examples=["19"])
    regency: RegencyCode = Field(
        description="Regency/city code `PP.RR` in that province, e.g. `19.06`", examples=["19.06"]
    )
    district: DistrictCode | None = Field(
        None, description="District (kecamatan) code `PP.RR.DD` in that regency", examples=["19.06.01"]
    )
    place: ShortText | None = Field(None, description="Village, street or landmark (free text)")

    @field_validator("province")
    @classmethod
    def _known_province(cls, v: str) -> str:
        if v not in reference().provinces:
            raise PydanticCustomError("unknown_region", "unknown province code {code}", {"code": v})
        return v

    @field_validator("regency")
    @classmethod
    def _regency_in_province(cls, v: str, info: ValidationInfo) -> str:
        regency = reference().regencies.get(v)
        if regency is None:
            raise PydanticCustomError("unknown_region", "unknown regency/city code {code}", {"code": v})
        province = info.data.get("province")
        if province is not None and regency.province_code != province:
            raise PydanticCustomError(
                "region_mismatch",
                "{code} ({name}) is not in province {parent}",
                {"code": v, "name": regency.name, "parent": province},
            )
        return v

    @field_validator("district")
    @classmethod
    def _district_in_regency(cls, v: str | None, info: ValidationInfo) -> str | None:
        if v is None:
            return v
        owner = reference().districts.get(v)
        if owner is None:
            raise PydanticCustomError("unknown_region", "unknown district code {code}", {"code": v})
        regency = info.data.get("regency")
        if regency is not None and owner != regency:
            raise PydanticCustomError(
                "region_mismatch", "{code} is not in regency {parent}", {"code": v, "parent": regency}
            )
        return v


class Location(BaseModel):
    """A point inside Indonesia's bounding box (WGS 84 degrees)."""

    model_config = _STRICT

    lat: Degrees = Field(ge=LAT_RANGE[0], le=LAT_RANGE[1], description="Latitude inside Indonesia")
    lon: Degrees = Field(ge=LON_RANGE[0], le=LON_RANGE[1], description="Longitude inside Indonesia")


class Impact(BaseModel):
    model_config = _STRICT

    deaths: Count = 0
    injured: Count = 0
    displaced: Count = 0
    buildings_damaged: Count = 0
    crowd_size: Count = 0
    arson: bool = Field(False, strict=True)
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
    reliability: Literal["A", "B", "C", "D", "E", "F"] = Field(
        "F", description="Admiralty source reliability: A (reliable) .. E (unreliable), F (cannot be judged)"
    )
    credibility: int = Field(
        6,
        ge=1,
        le=6,
        strict=True,
        description="Admiralty information credibility: 1 (confirmed) .. 5 (improbable), 6 (cannot be judged)",
    )


class Reporter(BaseModel):
    """Confidential: stored only by intake, encrypted at rest; never on a topic, alert, log or metric."""

    model_config = _STRICT

    name: ShortText | None = None
    phone: Annotated[str, StringConstraints(max_length=40), NoNul] | None = None
    email: Annotated[str, StringConstraints(max_length=254), NoNul] | None = None

    def __repr__(self) -> str:  # keeps it out of tracebacks and debug logs
        return "Reporter(<redacted>)"

    __str__ = __repr__


Tag = Annotated[str, StringConstraints(min_length=1, max_length=40, strip_whitespace=True), NoNul]
Summary = Annotated[str, StringConstraints(min_length=1, max_length=2000), NoNul, AfterValidator(_not_blank)]
Narrative = Annotated[str, StringConstraints(max_length=20000), NoNul]


class ReportFacts(BaseModel):
    """The facts of a report shared by the submitted and the accepted form (everything but `reporter`)."""

    model_config = _STRICT

    report_id: ReportId = Field(
        description="Submitter-chosen id, 1..64 of `A-Za-z0-9._:-`; the idempotency key",
        examples=["polres-beltim-2024-0001"],
    )
    region: Region
    location: Location | None = None
    occurred_at: AwareDatetime = Field(
        description="ISO 8601 with offset: WIB +07:00, WITA +08:00, WIT +09:00 or Z; "
        "not more than 10 minutes in the future",
        examples=["2024-11-27T09:30:00+07:00"],
    )
    kind: Kind
    category: Category
    form: Form | None = None
    election_stage: ElectionStage | None = None
    impact: Impact = Field(default_factory=Impact)
    # Repeats are dropped (after the length check, which only bounds the input).
    signals: list[Signal] = Field(default_factory=list, max_length=50)
    actors: list[Actor] = Field(default_factory=list, max_length=50)
    source: Source
    summary: Summary = Field(description="1..2,000 characters")
    narrative: Narrative | None = Field(None, description="Up to 20,000 characters")
    tags: list[Tag] = Field(default_factory=list, max_length=20, description="Up to 20 short tags")

    @field_validator("signals")
    @classmethod
    def _unique_signals(cls, v: list[Signal]) -> list[Signal]:
        return v if len(v) < 2 else list(dict.fromkeys(v))


class ReportIn(ReportFacts):
    """A report as submitted over HTTP or on `reports.submitted.v1`.

    Validate with ``context={"now": <aware datetime>}`` to check `occurred_at` against a given clock.
    """

    reporter: Reporter | None = Field(
        None, description="Confidential: stored encrypted by intake, readable only by admin keys"
    )

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _iso_text(cls, v: Any) -> Any:
        # Submissions carry ISO 8601 text; a bare number would be read as a Unix time, silently.
        if not isinstance(v, str | datetime):
            raise PydanticCustomError("datetime_type", "must be an ISO 8601 date-time with offset")
        return v

    @field_validator("occurred_at")
    @classmethod
    def _plausible_time(cls, v: datetime, info: ValidationInfo) -> datetime:
        offset = v.utcoffset()
        if offset not in _ALLOWED_OFFSETS:
            raise PydanticCustomError(
                "timezone_offset", "offset must be WIB +07:00, WITA +08:00, WIT +09:00 or Z"
            )
        if v.year < MIN_OCCURRED_AT.year:  # before comparing: year-1 dates overflow when converted
            raise PydanticCustomError("too_old", "occurred_at is before 1970")
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
