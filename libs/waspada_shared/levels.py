"""Risk levels: the four Indonesian warning words, shown as "Level 1..4" (SPEC §6)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field, model_validator


class Level(StrEnum):
    NORMAL = "normal"
    WASPADA = "waspada"
    SIAGA = "siaga"
    AWAS = "awas"

    @property
    def rank(self) -> int:
        return _RANK[self]

    @property
    def label(self) -> str:
        """How people see it: "Level 3 (Siaga)", never a bare "Siaga" (confusable with Polri's Siaga I)."""
        return f"Level {self.rank} ({self.value.capitalize()})"

    @classmethod
    def from_rank(cls, rank: int) -> Level:
        return _BY_RANK[max(1, min(4, rank))]


_RANK = {Level.NORMAL: 1, Level.WASPADA: 2, Level.SIAGA: 3, Level.AWAS: 4}
_BY_RANK = {v: k for k, v in _RANK.items()}


class LevelThresholds(BaseModel):
    """Lower score bounds of each level above normal (configurable, SPEC §6 defaults)."""

    waspada: float = Field(25.0, ge=0, le=100)
    siaga: float = Field(50.0, ge=0, le=100)
    awas: float = Field(75.0, ge=0, le=100)

    @model_validator(mode="after")
    def _ordered(self) -> LevelThresholds:
        if not self.waspada < self.siaga < self.awas:
            raise ValueError("thresholds must increase: waspada < siaga < awas")
        return self

    def level_for(self, score: float) -> Level:
        if score >= self.awas:
            return Level.AWAS
        if score >= self.siaga:
            return Level.SIAGA
        if score >= self.waspada:
            return Level.WASPADA
        return Level.NORMAL
