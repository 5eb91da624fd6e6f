"""CTCAE v5.0: lab-derived grades, the AE term list, AE record checks, lab-vs-AE discrepancies.

Pure module (no Flask, no database). Sources and every interpretation are in
``docs/oncology-rules.md``. Edge rule ("a lower bound belongs to its grade"):

* decreased terms: a band ``<1500 - 1000`` holds ``1000 <= v < 1500``; ``v == LLN`` is grade 0;
  absolute thresholds are applied before the LLN (``v < 1500`` is grade 2 even if LLN < 1500);
* increased terms: the inner edges belong to the higher grade (``3.0 x ULN`` is grade 2,
  ``20.0 x ULN`` grade 4); the reference value itself is normal (``ULN`` -> grade 0,
  bilirubin ``1.0 x baseline`` -> grade 0); ALT/AST ``1.5 x baseline`` is grade 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Iterable, Mapping

import yaml

from .units import UnitError, convert, normalize_analyte, normalize_unit, to_decimal

__all__ = ["LAB_TERMS", "LabGrade", "AETerm", "AERecord", "LabObservation", "LabAEDiscrepancy",
           "UnitError", "UnknownTermError", "MissingReferenceError", "grade_lab", "load_terms",
           "term", "allowed_grades", "check_ae", "lab_grade_exceeds_ae"]

LAB_TERMS: Mapping[str, str] = MappingProxyType({
    "Hb": "Anemia",
    "ANC": "Neutrophil count decreased",
    "PLT": "Platelet count decreased",
    "WBC": "White blood cell decreased",
    "ALT": "Alanine aminotransferase increased",
    "AST": "Aspartate aminotransferase increased",
    "BILI": "Blood bilirubin increased",
    "CREAT": "Creatinine increased",
})
_ANALYTE_OF = {t.casefold(): a for a, t in LAB_TERMS.items()}


class UnknownTermError(ValueError):
    """A term that is not a CTCAE lab term (grade_lab) or not in the shipped AE term list."""


class MissingReferenceError(ValueError):
    """LLN/ULN needed to grade the value was not given (or is not positive)."""


@dataclass(frozen=True)
class LabGrade:
    term: str
    grade: int              # 0-4 (anemia: 0-3, grades 4/5 are clinical)
    band: str               # the CTCAE v5.0 text of the band (or the grade-0 condition)
    value_converted: D      # the value in unit_used
    unit_used: str
    basis: str              # 'LLN' | 'ULN' | 'baseline'


# --- decreased terms: unit family -> (grading unit, lower bounds of grades 2..n, band texts 0..n)
_CELLS_MM3 = "/mm3"
_DECREASED: dict[str, dict[str, tuple[str, tuple[D, ...], tuple[str, ...]]]] = {
    "Neutrophil count decreased": {
        "/mm3": ("10^9/L", (D("1.5"), D("1.0"), D("0.5")), (">=LLN", "<LLN - 1500/mm3",
                 "<1500 - 1000/mm3", "<1000 - 500/mm3", "<500/mm3")),
        "10^9/L": ("10^9/L", (D("1.5"), D("1.0"), D("0.5")), (">=LLN", "<LLN - 1.5 x 10e9 /L",
                   "<1.5 - 1.0 x 10e9 /L", "<1.0 - 0.5 x 10e9 /L", "<0.5 x 10e9 /L")),
    },
    "Platelet count decreased": {
        "/mm3": ("10^9/L", (D("75.0"), D("50.0"), D("25.0")), (">=LLN", "<LLN - 75,000/mm3",
                 "<75,000 - 50,000/mm3", "<50,000 - 25,000/mm3", "<25,000/mm3")),
        "10^9/L": ("10^9/L", (D("75.0"), D("50.0"), D("25.0")), (">=LLN", "<LLN - 75.0 x 10e9 /L",
                   "<75.0 - 50.0 x 10e9 /L", "<50.0 - 25.0 x 10e9 /L", "<25.0 x 10e9 /L")),
    },
    "White blood cell decreased": {
        "/mm3": ("10^9/L", (D("3.0"), D("2.0"), D("1.0")), (">=LLN", "<LLN - 3000/mm3",
                 "<3000 - 2000/mm3", "<2000 - 1000/mm3", "<1000/mm3")),
        "10^9/L": ("10^9/L", (D("3.0"), D("2.0"), D("1.0")), (">=LLN", "<LLN - 3.0 x 10e9 /L",
                   "<3.0 - 2.0 x 10e9 /L", "<2.0 - 1.0 x 10e9 /L", "<1.0 x 10e9 /L")),
    },
    "Anemia": {
        "g/L": ("g/L", (D("100"), D("80")), (">=LLN", "<LLN - 100 g/L", "<100 - 80 g/L", "<80 g/L")),
        "g/dL": ("g/L", (D("100"), D("80")), (">=LLN", "<LLN - 10.0 g/dL", "<10.0 - 8.0 g/dL",
                 "<8.0 g/dL")),
        # CTCAE gives its own mmol/L edges (6.2, 4.9), not exact conversions of 10.0/8.0 g/dL:
        # grade in mmol/L against the document's numbers.
        "mmol/L": ("mmol/L", (D("6.2"), D("4.9")), (">=LLN", "<LLN - 6.2 mmol/L",
                   "<6.2 - 4.9 mmol/L", "<4.9 mmol/L")),
    },
}

# --- increased terms: (G1 floor, G1 floor inclusive?, lower bounds of grades 2-4, texts G0-G4)
_ULN_TEXTS = {"ALT": ">ULN - 3.0 x ULN|>3.0 - 5.0 x ULN|>5.0 - 20.0 x ULN|>20.0 x ULN",
              "BILI": ">ULN - 1.5 x ULN|>1.5 - 3.0 x ULN|>3.0 - 10.0 x ULN|>10.0 x ULN",
              "CREAT": ">ULN - 1.5 x ULN|>1.5 - 3.0 x ULN|>3.0 - 6.0 x ULN|>6.0 x ULN"}
_INCREASED = {
    ("ALT", "ULN"): (D(1), False, (D(3), D(5), D(20)), ("<=ULN", *_ULN_TEXTS["ALT"].split("|"))),
    ("ALT", "baseline"): (D("1.5"), True, (D(3), D(5), D(20)), (
        "<1.5 x baseline (baseline abnormal)", "1.5 - 3.0 x baseline", ">3.0 - 5.0 x baseline",
        ">5.0 - 20.0 x baseline", ">20.0 x baseline")),
    ("BILI", "ULN"): (D(1), False, (D("1.5"), D(3), D(10)), ("<=ULN", *_ULN_TEXTS["BILI"].split("|"))),
    ("BILI", "baseline"): (D(1), False, (D("1.5"), D(3), D(10)), (
        "<=1.0 x baseline (baseline abnormal)", ">1.0 - 1.5 x baseline", ">1.5 - 3.0 x baseline",
        ">3.0 - 10.0 x baseline", ">10.0 x baseline")),
    ("CREAT", "ULN"): (D(1), False, (D("1.5"), D(3), D(6)), ("<=ULN", *_ULN_TEXTS["CREAT"].split("|"))),
    # creatinine x baseline criteria exist only for grades 2 and 3 (index = grade)
    ("CREAT", "baseline"): (None, False, (D("1.5"), D(3)), (
        "<1.5 x baseline", "(none)", ">1.5 - 3.0 x baseline", ">3.0 x baseline")),
}
_INCREASED[("AST", "ULN")] = _INCREASED[("ALT", "ULN")]
_INCREASED[("AST", "baseline")] = _INCREASED[("ALT", "baseline")]


def _lab_term(name: str) -> tuple[str, str]:
    """(CTCAE term, analyte code) from a term name or an analyte code/alias."""
    if isinstance(name, str) and name.strip().casefold() in _ANALYTE_OF:
        code = _ANALYTE_OF[name.strip().casefold()]
        return LAB_TERMS[code], code
    try:
        code = normalize_analyte(name)
    except UnitError:
        raise UnknownTermError(f"{name!r} is not a lab-derivable CTCAE term; known: "
                               f"{', '.join(LAB_TERMS.values())}") from None
    return LAB_TERMS[code], code


def _positive(value, name: str, term_name: str) -> D:
    number = to_decimal(value, name)
    if number <= 0:
        raise MissingReferenceError(f"{term_name}: {name} must be positive, got {number}")
    return number


def _grade_decreased(term_name, code, value, unit, lln) -> LabGrade:
    family = _CELLS_MM3 if unit == _CELLS_MM3 else unit
    grading_unit, edges, texts = _DECREASED[term_name][family]
    as_grading = (lambda x: x) if grading_unit == unit else (
        lambda x: convert(x, unit, grading_unit, code))
    v = as_grading(value)
    grade = next((i + 2 for i in reversed(range(len(edges))) if v < edges[i]), None)
    if grade is None:
        if lln is None:
            raise MissingReferenceError(f"{term_name}: LLN is required to grade {value} {unit} "
                                        f"(at or above the grade 2 band)")
        grade = 1 if v < as_grading(_positive(lln, "LLN", term_name)) else 0
    return LabGrade(term_name, grade, texts[grade], v, grading_unit, "LLN")


def _ratio_grade(v: D, ref: D, floor: D | None, floor_inclusive: bool, edges) -> int:
    for i in reversed(range(len(edges))):
        if v >= edges[i] * ref:
            return i + 2
    if floor is not None and (v >= floor * ref if floor_inclusive else v > floor * ref):
        return 1
    return 0


def _grade_increased(term_name, code, value, unit, uln, baseline) -> LabGrade:
    if uln is None:
        raise MissingReferenceError(f"{term_name}: ULN is required")
    canonical = "U/L" if code in ("ALT", "AST") else "umol/L"
    conv = (lambda x: convert(x, unit, canonical, code))
    v, uln_c = conv(value), conv(_positive(uln, "ULN", term_name))
    base_c = None if baseline is None else conv(_positive(baseline, "baseline", term_name))
    if code == "CREAT":
        floor, incl, edges, texts = _INCREASED[(code, "ULN")]
        g_uln = _ratio_grade(v, uln_c, floor, incl, edges)
        grade, band, basis = g_uln, texts[g_uln], "ULN"
        if base_c is not None:
            _, _, b_edges, b_texts = _INCREASED[(code, "baseline")]
            g_base = _ratio_grade(v, base_c, None, False, b_edges)
            if g_base > g_uln:
                grade, band, basis = g_base, b_texts[g_base], "baseline"
        return LabGrade(term_name, grade, band, v, canonical, basis)
    basis = "baseline" if base_c is not None and base_c > uln_c else "ULN"
    floor, incl, edges, texts = _INCREASED[(code, basis)]
    grade = _ratio_grade(v, base_c if basis == "baseline" else uln_c, floor, incl, edges)
    return LabGrade(term_name, grade, texts[grade], v, canonical, basis)


def grade_lab(term: str, value, unit: str, lln=None, uln=None, baseline=None) -> LabGrade:
    """CTCAE v5.0 grade of one lab value. LLN/ULN/baseline are in the same unit as ``value``.

    ``term`` is the CTCAE term or an analyte code (``'ANC'``, ``'Hb'`` ...). A missing baseline
    means "baseline normal". Raises UnitError (unit), MissingReferenceError (LLN/ULN needed),
    UnknownTermError, ValueError (negative or non-numeric value).
    """
    term_name, code = _lab_term(term)
    number = to_decimal(value, "value")
    if number < 0:
        raise ValueError(f"{term_name}: value must not be negative, got {number}")
    unit_c = normalize_unit(unit)
    convert(number, unit_c, unit_c, code)  # raises UnitError if the unit does not apply
    if term_name in _DECREASED:
        return _grade_decreased(term_name, code, number, unit_c, lln)
    return _grade_increased(term_name, code, number, unit_c, uln, baseline)


# --------------------------------------------------------------------------- AE term list
@dataclass(frozen=True)
class AETerm:
    term: str
    soc: str
    grades: tuple[int, ...]
    meddra_code: int | None = None
    ctcae: bool = True
    note: str | None = None


def _key(name: str) -> str:
    return " ".join(str(name).split()).casefold()


@lru_cache(maxsize=1)
def load_terms() -> Mapping[str, AETerm]:
    """The shipped term list (``data/ctcae_v5_terms.yaml``), keyed by case-folded term name."""
    text = resources.files("ecrf.oncology").joinpath("data/ctcae_v5_terms.yaml").read_text("utf-8")
    doc = yaml.safe_load(text)
    terms: dict[str, AETerm] = {}
    for soc, entries in doc["socs"].items():
        for e in entries:
            item = AETerm(term=e["term"], soc=soc, grades=tuple(e["grades"]),
                          meddra_code=e.get("meddra"), ctcae=e.get("ctcae", True),
                          note=e.get("note"))
            if _key(item.term) in terms:
                raise ValueError(f"duplicate AE term in data file: {item.term}")
            terms[_key(item.term)] = item
    return MappingProxyType(terms)


def term(name: str) -> AETerm:
    try:
        return load_terms()[_key(name)]
    except KeyError:
        raise UnknownTermError(f"unknown AE term {name!r}") from None


def allowed_grades(name: str) -> tuple[int, ...]:
    return term(name).grades


def check_ae(term_name: str, grade, has_death_record: bool) -> list[str]:
    """Problems of one AE record (empty list when fine)."""
    problems: list[str] = []
    known = load_terms().get(_key(term_name)) if isinstance(term_name, str) else None
    if known is None:
        problems.append(f"unknown AE term {term_name!r}: not a CTCAE v5.0 term of this study's list")
    if isinstance(grade, bool) or not isinstance(grade, int) or not 1 <= grade <= 5:
        problems.append(f"grade must be an integer from 1 to 5, got {grade!r}")
        return problems
    if known is not None and grade not in known.grades:
        allowed = ", ".join(map(str, known.grades))
        problems.append(f"grade {grade} is not defined for {known.term!r} (allowed: {allowed})")
    if grade == 5 and not has_death_record:
        problems.append("grade 5 (death related to AE) requires a death record")
    return problems


# --------------------------------------------------------------- lab grade vs AE discrepancies
@dataclass(frozen=True)
class LabObservation:
    term: str
    grade: int
    date: date


@dataclass(frozen=True)
class AERecord:
    term: str
    grade: int
    start: date
    end: date | None = None     # None: ongoing


@dataclass(frozen=True)
class LabAEDiscrepancy:
    kind: str                   # 'lab_grade_above_ae' | 'no_ae_recorded'
    severity: str               # 'discrepancy' | 'warning'
    term: str
    lab_date: date
    lab_grade: int
    ae_grade: int | None
    message: str


def lab_grade_exceeds_ae(lab_grades: Iterable[LabObservation], ae_grades: Iterable[AERecord],
                         min_unrecorded_grade: int = 2) -> list[LabAEDiscrepancy]:
    """Compare lab-derived grades with AE records of the same term whose period covers the lab date.

    * an AE of the term covers the date and its (highest) grade is lower -> 'lab_grade_above_ae'
      (severity 'discrepancy');
    * no AE of the term covers the date and the lab grade >= ``min_unrecorded_grade`` ->
      'no_ae_recorded' (severity 'warning': the investigator may judge it not clinically
      significant, so this is a weaker finding).
    """
    aes = list(ae_grades)
    found: list[LabAEDiscrepancy] = []
    for lab in sorted(lab_grades, key=lambda x: (x.date, _key(x.term))):
        if lab.grade < 1:
            continue
        covering = [a.grade for a in aes if _key(a.term) == _key(lab.term)
                    and a.start <= lab.date and (a.end is None or lab.date <= a.end)]
        if covering and lab.grade > max(covering):
            ae = max(covering)
            found.append(LabAEDiscrepancy(
                "lab_grade_above_ae", "discrepancy", lab.term, lab.date, lab.grade, ae,
                f"{lab.term}: lab-derived grade {lab.grade} on {lab.date.isoformat()} is above the "
                f"recorded AE grade {ae}"))
        elif not covering and lab.grade >= min_unrecorded_grade:
            found.append(LabAEDiscrepancy(
                "no_ae_recorded", "warning", lab.term, lab.date, lab.grade, None,
                f"{lab.term}: lab-derived grade {lab.grade} on {lab.date.isoformat()} has no AE "
                f"recorded for that date"))
    return found
