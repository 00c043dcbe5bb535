"""Kemendagri region reference (kode wilayah): the one place that knows region codes and names.

The CSVs in ``data/`` are the project's copy of ``shared/data/regions`` (see its README for sources).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

# Regencies that the 2022 decree filed under Papua Barat (92) and the 2025 decree moved to
# Papua Barat Daya (96). Their district suffixes were renumbered, so districts do not carry over.
LEGACY_REGENCY_CODES: dict[str, str] = {
    "92.01": "96.01",
    "92.04": "96.02",
    "92.05": "96.03",
    "92.09": "96.04",
    "92.10": "96.05",
    "92.71": "96.71",
}


@dataclass(frozen=True, slots=True)
class Province:
    code: str
    name: str
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class Regency:
    code: str
    province_code: str
    name: str
    kind: str  # "kabupaten" or "kota"
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class RegionReference:
    provinces: dict[str, Province]
    regencies: dict[str, Regency]
    districts: dict[str, str]  # district code -> regency code
    district_names: dict[str, str]

    def province_name(self, code: str) -> str:
        province = self.provinces.get(code)
        return province.name if province else code

    def regency_name(self, code: str) -> str:
        regency = self.regencies.get(code)
        return regency.name if regency else code

    def regencies_of(self, province_code: str) -> list[Regency]:
        return [r for r in self.regencies.values() if r.province_code == province_code]


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("waspada_shared").joinpath("data", name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def reference() -> RegionReference:
    """Load the reference once per process (about 8,000 rows, a few milliseconds)."""
    provinces = {
        r["code"]: Province(r["code"], r["name"], float(r["lat"]), float(r["lon"]))
        for r in _rows("provinces.csv")
    }
    regencies = {
        r["code"]: Regency(
            r["code"], r["province_code"], r["name"], r["kind"], float(r["lat"]), float(r["lon"])
        )
        for r in _rows("regencies.csv")
    }
    district_rows = _rows("districts.csv")
    districts = {r["code"]: r["regency_code"] for r in district_rows}
    district_names = {r["code"]: r["name"] for r in district_rows}
    return RegionReference(provinces, regencies, districts, district_names)


def normalise_legacy_codes(
    region: dict[str, object], *, indonesian: bool = False
) -> tuple[dict[str, object], list[str]]:
    """Map legacy Papua Barat Daya codes (92.xx) to the 2025 codes (96.xx).

    Returns the (possibly new) region mapping and human-readable notes about what changed.
    A legacy district code cannot be mapped (the suffixes were renumbered), so it is dropped with a note.
    """
    regency = region.get("regency")
    if not isinstance(regency, str) or regency not in LEGACY_REGENCY_CODES:
        return region, []
    new_regency = LEGACY_REGENCY_CODES[regency]
    out = dict(region)
    out["regency"] = new_regency
    if indonesian:
        notes = [f"region.regency: kode lama {regency} diganti {new_regency} (Papua Barat Daya)"]
    else:
        notes = [f"region.regency: legacy code {regency} normalised to {new_regency} (Papua Barat Daya)"]
    if out.get("province") == "92":
        out["province"] = "96"
        notes.append(
            "region.province: kode lama 92 diganti 96 (Papua Barat Daya)"
            if indonesian
            else "region.province: legacy code 92 normalised to 96 (Papua Barat Daya)"
        )
    district = out.get("district")
    if isinstance(district, str) and district.startswith(regency + "."):
        out.pop("district")
        notes.append(
            f"region.district: kode kecamatan lama {district} dihapus (dinomori ulang pada 2025)"
            if indonesian
            else f"region.district: legacy district {district} dropped (renumbered in 2025)"
        )
    return out, notes
