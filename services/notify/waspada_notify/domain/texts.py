"""Alert titles and summaries in Bahasa Indonesia. Pure."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from waspada_shared.contracts.report import Category
from waspada_shared.levels import Level
from waspada_shared.regions import reference

CATEGORY_ID = {
    Category.ELECTION: "kerawanan pemilu/pilkada",
    Category.IDENTITY: "konflik bernuansa SARA",
    Category.LAND_RESOURCE: "konflik agraria dan sumber daya alam",
    Category.GOVERNANCE: "konflik tata kelola pemerintahan",
    Category.ECONOMIC_LABOR: "konflik ekonomi dan ketenagakerjaan",
    Category.COMMUNAL_CLASH: "bentrok antarkelompok warga",
    Category.VIGILANTISM: "aksi main hakim sendiri",
    Category.DISASTER_RELATED: "konflik terkait bencana",
    Category.SEPARATISM: "gangguan separatisme",
    Category.OTHER: "potensi konflik sosial",
}

# Indonesia's three time zones by province code (WIB +7, WITA +8, WIT +9).
_WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
_WIT = {"81", "82", "91", "92", "93", "94", "95", "96"}


def local_zone(province: str) -> tuple[timezone, str]:
    if province in _WIT:
        return timezone(timedelta(hours=9)), "WIT"
    if province in _WITA:
        return timezone(timedelta(hours=8)), "WITA"
    return timezone(timedelta(hours=7)), "WIB"


def local_time(at: datetime, province: str) -> str:
    zone, name = local_zone(province)
    return f"{at.astimezone(zone):%d-%m-%Y %H:%M} {name}"


def area_name(province: str, regency: str | None) -> str:
    ref = reference()
    return ref.regency_name(regency) if regency else f"Provinsi {ref.province_name(province)}"


def title(level: Level, category: Category, province: str, regency: str | None) -> str:
    return f"{level.label}: {CATEGORY_ID[category]} di {area_name(province, regency)}"
