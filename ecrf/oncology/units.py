"""Laboratory unit conversion for the CTCAE lab terms, in exact decimal arithmetic.

Pure module: no Flask, no database. Every number is a :class:`decimal.Decimal`; floats are only
accepted through :func:`to_decimal`, which goes through ``str()`` so ``0.1`` stays ``0.1``.

Analytes (case-insensitive codes, long names accepted as aliases):

=======  ==========================  ===============================================
code     canonical unit              other accepted units (factor to canonical)
=======  ==========================  ===============================================
Hb       g/L                         g/dL (x10), mmol/L (/0.06206, Hb monomer)
ANC      10^9/L                      /mm3 = cells/uL = 10^6/L (x0.001), 10^3/uL (x1)
PLT      10^9/L                      as ANC
WBC      10^9/L                      as ANC
ALT      U/L                         IU/L (x1)
AST      U/L                         IU/L (x1)
BILI     umol/L                      mg/dL (x17.1)
CREAT    umol/L                      mg/dL (x88.42)
=======  ==========================  ===============================================

Conversions that multiply are exact; conversions that divide (into g/dL, mmol/L, mg/dL) are
rounded to 28 significant digits by the decimal context.
"""

from __future__ import annotations

from decimal import Decimal, localcontext

__all__ = ["UnitError", "ANALYTES", "canonical_unit", "convert", "normalize_analyte", "normalize_unit",
           "to_decimal"]


class UnitError(ValueError):
    """Unknown unit or analyte, or a unit that does not apply to the analyte."""


# unit spelling -> canonical spelling (case-insensitive lookup; micro sign variants folded)
_UNIT_ALIASES = {
    "g/l": "g/L", "g/dl": "g/dL", "mmol/l": "mmol/L",
    "10^9/l": "10^9/L", "x10^9/l": "10^9/L", "10e9/l": "10^9/L", "x10e9/l": "10^9/L",
    "10*9/l": "10^9/L",
    "10^3/ul": "10^9/L", "x10^3/ul": "10^9/L", "10^3/mm3": "10^9/L", "k/ul": "10^9/L",
    "10e3/ul": "10^9/L",
    "/mm3": "/mm3", "cells/mm3": "/mm3", "/ul": "/mm3", "cells/ul": "/mm3", "10^6/l": "/mm3",
    "u/l": "U/L", "iu/l": "U/L",
    "umol/l": "umol/L", "mg/dl": "mg/dL",
}

# analyte code -> (canonical unit, {unit: factor to canonical})
ANALYTES: dict[str, tuple[str, dict[str, Decimal]]] = {
    "Hb": ("g/L", {"g/L": Decimal(1), "g/dL": Decimal(10), "mmol/L": Decimal(1) / Decimal("0.06206")}),
    "ANC": ("10^9/L", {"10^9/L": Decimal(1), "/mm3": Decimal("0.001")}),
    "PLT": ("10^9/L", {"10^9/L": Decimal(1), "/mm3": Decimal("0.001")}),
    "WBC": ("10^9/L", {"10^9/L": Decimal(1), "/mm3": Decimal("0.001")}),
    "ALT": ("U/L", {"U/L": Decimal(1)}),
    "AST": ("U/L", {"U/L": Decimal(1)}),
    "BILI": ("umol/L", {"umol/L": Decimal(1), "mg/dL": Decimal("17.1")}),
    "CREAT": ("umol/L", {"umol/L": Decimal(1), "mg/dL": Decimal("88.42")}),
}
# exact inverse factors (canonical -> unit) where the forward factor is not exact
_EXACT_FROM_CANONICAL = {("Hb", "mmol/L"): Decimal("0.06206")}

_ANALYTE_ALIASES = {
    "hb": "Hb", "hgb": "Hb", "hemoglobin": "Hb", "haemoglobin": "Hb",
    "anc": "ANC", "neut": "ANC", "neutrophils": "ANC", "neutrophil": "ANC",
    "plt": "PLT", "platelets": "PLT", "platelet": "PLT",
    "wbc": "WBC", "leukocytes": "WBC", "white blood cells": "WBC",
    "alt": "ALT", "sgpt": "ALT", "ast": "AST", "sgot": "AST",
    "bili": "BILI", "tbil": "BILI", "bilirubin": "BILI", "total bilirubin": "BILI",
    "creat": "CREAT", "crea": "CREAT", "creatinine": "CREAT",
}


def to_decimal(value: object, name: str = "value") -> Decimal:
    """Return ``value`` as a finite Decimal (int, str, Decimal; float via ``str``); reject bools."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{name}: a number is required, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        try:
            result = Decimal(str(value).strip())
        except ArithmeticError:
            raise ValueError(f"{name}: not a number: {value!r}") from None
    elif isinstance(value, float):
        result = Decimal(str(value))
    else:
        raise ValueError(f"{name}: a number is required, got {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{name}: must be finite, got {value!r}")
    return result


def normalize_unit(unit: str) -> str:
    """Canonical spelling of a unit (``'cells/uL'`` -> ``'/mm3'``); UnitError when unknown."""
    if not isinstance(unit, str) or not unit.strip():
        raise UnitError(f"unit is required, got {unit!r}")
    key = unit.strip().replace("µ", "u").replace("μ", "u").replace(" ", "").lower()
    try:
        return _UNIT_ALIASES[key]
    except KeyError:
        raise UnitError(f"unknown unit {unit!r}") from None


def normalize_analyte(analyte: str) -> str:
    """Analyte code (``'hemoglobin'`` -> ``'Hb'``); UnitError when unknown."""
    if isinstance(analyte, str):
        key = analyte.strip()
        if key in ANALYTES:
            return key
        found = _ANALYTE_ALIASES.get(key.lower())
        if found:
            return found
    raise UnitError(f"unknown analyte {analyte!r}; known: {', '.join(ANALYTES)}")


def canonical_unit(analyte: str) -> str:
    return ANALYTES[normalize_analyte(analyte)][0]


def _factor(analyte: str, unit: str) -> Decimal:
    factors = ANALYTES[analyte][1]
    if unit not in factors:
        raise UnitError(f"unit {unit!r} does not apply to {analyte}; allowed: {', '.join(factors)}")
    return factors[unit]


def convert(value: Decimal, from_unit: str, to_unit: str, analyte: str) -> Decimal:
    """Convert ``value`` of ``analyte`` from ``from_unit`` to ``to_unit`` (exact where possible)."""
    code = normalize_analyte(analyte)
    src, dst = normalize_unit(from_unit), normalize_unit(to_unit)
    number = to_decimal(value)
    f_src, f_dst = _factor(code, src), _factor(code, dst)
    if src == dst:
        return number
    with localcontext() as ctx:
        ctx.prec = 28
        canonical = number * f_src if (code, src) not in _EXACT_FROM_CANONICAL \
            else number / _EXACT_FROM_CANONICAL[(code, src)]
        if (code, dst) in _EXACT_FROM_CANONICAL:
            return canonical * _EXACT_FROM_CANONICAL[(code, dst)]
        return canonical if f_dst == 1 else canonical / f_dst
