"""Label matchers, as in Alertmanager (`province="19"`, `category=~"identity|election"`). Pure.

One extension: levels are ordered, so `level>=siaga` and `level<=waspada` are allowed for `level`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from waspada_shared.levels import Level

# The labels an alert carries; routes, silences and inhibit rules match on these.
LABELS = ("audience", "coverage", "province", "regency", "category", "level", "escalation")

_SYNTAX = re.compile(r'^\s*([a-z_]+)\s*(=~|!~|!=|>=|<=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^"\s]*))\s*$')


class Op(StrEnum):
    EQ = "="
    NE = "!="
    RE = "=~"
    NRE = "!~"
    GE = ">="
    LE = "<="


@dataclass(frozen=True, slots=True)
class Matcher:
    name: str
    op: Op
    value: str
    _regex: re.Pattern[str] | None = None

    @classmethod
    def create(cls, name: str, op: Op | str, value: str) -> Matcher:
        op = Op(op)
        if name not in LABELS:
            raise ValueError(f"unknown label {name!r}; labels are: {', '.join(LABELS)}")
        regex = None
        if op in (Op.RE, Op.NRE):
            try:
                regex = re.compile(rf"^(?:{value})$")  # anchored, as Alertmanager does
            except re.error as exc:
                raise ValueError(f"bad regular expression {value!r}: {exc}") from None
        if op in (Op.GE, Op.LE):
            if name != "level":
                raise ValueError(f"{op} compares levels; it works on 'level' only, not {name!r}")
        if name == "level" and op not in (Op.RE, Op.NRE):
            try:
                Level(value)
            except ValueError:
                raise ValueError(
                    f"unknown level {value!r}; levels are: {', '.join(v.value for v in Level)}"
                ) from None
        return cls(name, op, value, regex)

    @classmethod
    def parse(cls, text: str) -> Matcher:
        m = _SYNTAX.match(text)
        if not m:
            raise ValueError(
                f'not a matcher: {text!r} (write e.g. province="19", level>=siaga, category=~"a|b")'
            )
        name, op, quoted, bare = m.groups()
        value = quoted.replace('\\"', '"') if quoted is not None else bare
        return cls.create(name, op, value)

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.name, "")
        if self.op is Op.EQ:
            return actual == self.value
        if self.op is Op.NE:
            return actual != self.value
        if self.op in (Op.GE, Op.LE):
            if not actual:
                return False
            diff = Level(actual).rank - Level(self.value).rank
            return diff >= 0 if self.op is Op.GE else diff <= 0
        assert self._regex is not None
        found = self._regex.match(actual) is not None
        return found if self.op is Op.RE else not found

    def __str__(self) -> str:
        return f'{self.name}{self.op.value}"{self.value}"'


def matches_all(matchers: tuple[Matcher, ...] | list[Matcher], labels: Mapping[str, str]) -> bool:
    return all(m.matches(labels) for m in matchers)
