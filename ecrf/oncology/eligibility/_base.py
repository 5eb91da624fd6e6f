"""Shared types and three-valued helpers for the per-protocol eligibility modules.

Status of a criterion says whether the subject satisfies the criterion's *requirement*:

* ``met``      - the requirement holds (inclusion: condition present; exclusion: the excluding
                 condition is absent, i.e. the subject is NOT excluded by it);
* ``not_met``  - the requirement fails (inclusion absent / exclusion present);
* ``missing``  - a value needed to decide is absent (never silently "not met").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Callable, Iterable, Mapping

from ..units import to_decimal
from .ajcc import normalize_m, normalize_n, normalize_t

MET, NOT_MET, MISSING = "met", "not_met", "missing"
INCLUSION, EXCLUSION = "inclusion", "exclusion"


@dataclass(frozen=True)
class CriterionResult:
    id: str
    kind: str                      # 'inclusion' | 'exclusion'
    text: str
    status: str                    # 'met' | 'not_met' | 'missing'
    values_used: Mapping[str, object] = field(default_factory=dict)
    note: str | None = None


@dataclass(frozen=True)
class EligibilityResult:
    study_oid: str
    eligible: bool | None          # None: something missing and nothing failed
    criteria: tuple[CriterionResult, ...]

    @property
    def failed(self) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if c.status == NOT_MET)

    @property
    def missing(self) -> tuple[CriterionResult, ...]:
        return tuple(c for c in self.criteria if c.status == MISSING)


def combine(statuses: Iterable[str]) -> str:
    """Three-valued AND: any not_met -> not_met; else any missing -> missing; else met."""
    statuses = list(statuses)
    if NOT_MET in statuses:
        return NOT_MET
    return MISSING if MISSING in statuses else MET


def overall(criteria: Iterable[CriterionResult]) -> bool | None:
    status = combine(c.status for c in criteria)
    return {MET: True, NOT_MET: False, MISSING: None}[status]


_YES = {"y", "yes", "true"}
_NO = {"n", "no", "false"}


class Data:
    """Typed, validating access to the baseline mapping; absent, None and '' are 'missing'."""

    def __init__(self, data: Mapping[str, object]):
        self._data = data

    def _raw(self, key: str):
        value = self._data.get(key)
        return None if value is None or (isinstance(value, str) and not value.strip()) else value

    def num(self, key: str) -> Decimal | None:
        value = self._raw(key)
        return None if value is None else to_decimal(value, key)

    def integer(self, key: str, low: int, high: int) -> int | None:
        value = self.num(key)
        if value is None:
            return None
        if value != value.to_integral_value() or not low <= value <= high:
            raise ValueError(f"{key}: expected an integer {low}-{high}, got {self._raw(key)!r}")
        return int(value)

    def flag(self, key: str) -> bool | None:
        value = self._raw(key)
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().casefold() in _YES | _NO:
            return value.strip().casefold() in _YES
        raise ValueError(f"{key}: expected yes/no (bool, 'Y'/'N'), got {value!r}")

    def text(self, key: str) -> str | None:
        value = self._raw(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ValueError(f"{key}: expected text, got {value!r}")
        return value.strip()

    def tnm(self, key: str, normalize: Callable[[object], str]) -> str | None:
        value = self._raw(key)
        return None if value is None else normalize(value)

    def t(self) -> str | None:
        return self.tnm("ajcc_t", normalize_t)

    def n(self) -> str | None:
        return self.tnm("ajcc_n", normalize_n)

    def m(self) -> str | None:
        return self.tnm("ajcc_m", normalize_m)


def absent_flags(d: Data, cid: str, text: str, keys: tuple[str, ...],
                 kind: str = EXCLUSION) -> CriterionResult:
    """Requirement: none of the yes/no conditions ``keys`` is present."""
    values = {k: d.flag(k) for k in keys}
    present = [k for k, v in values.items() if v is True]
    if present:
        return CriterionResult(cid, kind, text, NOT_MET, values, f"present: {', '.join(present)}")
    unknown = [k for k, v in values.items() if v is None]
    if unknown:
        return CriterionResult(cid, kind, text, MISSING, values, f"not recorded: {', '.join(unknown)}")
    return CriterionResult(cid, kind, text, MET, values)


def required_flag(d: Data, cid: str, text: str, key: str, kind: str = INCLUSION) -> CriterionResult:
    """Requirement: the yes/no condition ``key`` is present (yes)."""
    value = d.flag(key)
    status = MISSING if value is None else (MET if value else NOT_MET)
    return CriterionResult(cid, kind, text, status, {key: value})


def histology_escc(d: Data, cid: str, text: str, methods: tuple[str, ...]) -> CriterionResult:
    """Requirement: histology 'ESCC' confirmed by one of ``methods`` ('histology', 'cytology')."""
    histology, method = d.text("histology"), d.text("pathology_method")
    used = {"histology": histology, "pathology_method": method}
    parts = [MISSING if histology is None else (MET if histology.upper() == "ESCC" else NOT_MET),
             MISSING if method is None else (MET if method.casefold() in methods else NOT_MET)]
    status = combine(parts)
    note = None if status != NOT_MET else f"requires ESCC confirmed by {' or '.join(methods)}"
    return CriterionResult(cid, INCLUSION, text, status, used, note)


def below_uln_multiple(d: Data, cid: str, text: str, key: str, uln_key: str,
                       multiple: Decimal) -> CriterionResult:
    """Requirement: value < multiple x ULN (strict)."""
    value, uln = d.num(key), d.num(uln_key)
    used = {key: value, uln_key: uln}
    if value is None or uln is None:
        return CriterionResult(cid, INCLUSION, text, MISSING, used)
    if uln <= 0:
        raise ValueError(f"{uln_key}: must be positive, got {uln}")
    status = MET if value < multiple * uln else NOT_MET
    return CriterionResult(cid, INCLUSION, text, status, used, f"limit {multiple * uln} (<, {multiple} x ULN)")


def metastasis_m0(d: Data, cid: str, text: str) -> CriterionResult:
    m = d.m()
    status = MISSING if m is None else (MET if m == "M0" else NOT_MET)
    return CriterionResult(cid, INCLUSION, text, status, {"ajcc_m": m})
