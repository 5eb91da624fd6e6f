"""One follow-up assessment: checks, sum of diameters, target / non-target / overall response.

RECIST 1.1 sections 4.3.1-4.3.5 and 4.4.1-4.4.2 (Tables 1 and 2); see ``docs/recist.md``.
All comparisons are exact (:class:`decimal.Decimal` inputs, :class:`fractions.Fraction` ratios).
"""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from .baseline import MIN_NODE_PATHOLOGICAL_SA_MM, baseline_sum
from .lesions import (
    TOO_SMALL_MM, Assessment, Baseline, Finding, MeasurementFlag, NewLesionStatus, NonTargetState,
    Response, TargetMeasurement,
)

__all__ = [
    "PD_MIN_INCREASE_MM", "AssessmentResult", "check_followup", "target_sums", "meets_pd",
    "meets_pr", "target_response", "non_target_response", "new_lesion_status", "overall_response",
    "evaluate_assessment", "percent_change", "round_percent",
]

PD_MIN_INCREASE_MM = Decimal(5)
_PD_RATIO = Fraction(6, 5)   # >= 120 % of the nadir
_PR_RATIO = Fraction(7, 10)  # <= 70 % of the baseline sum


# --------------------------------------------------------------------------- arithmetic helpers

def percent_change(value: Decimal, reference: Decimal) -> Fraction | None:
    """Exact percent change ``(value - reference) / reference * 100``; None if reference is 0."""
    if reference == 0:
        return None
    return (Fraction(value) - Fraction(reference)) * 100 / Fraction(reference)


def round_percent(value: Fraction | None, places: int = 1) -> Decimal | None:
    """Round an exact percentage for display, half away from zero (-29.95 -> -30.0)."""
    if value is None:
        return None
    scale = 10 ** places
    magnitude = math.floor(abs(value) * scale + Fraction(1, 2))
    signed = -magnitude if value < 0 else magnitude
    return (Decimal(signed) / Decimal(scale)).quantize(Decimal(1).scaleb(-places))


def meets_pd(total: Decimal, nadir: Decimal) -> bool:
    """Sum >= 120 % of the nadir AND at least 5 mm above it (section 4.3.1)."""
    return (Fraction(total) >= Fraction(nadir) * _PD_RATIO
            and total - nadir >= PD_MIN_INCREASE_MM)


def meets_pr(total: Decimal, baseline_total: Decimal) -> bool:
    """Sum <= 70 % of the baseline sum, i.e. a decrease of at least 30 % (section 4.3.1)."""
    return Fraction(total) <= Fraction(baseline_total) * _PR_RATIO


# --------------------------------------------------------------------------- follow-up checks

def check_followup(baseline: Baseline, assessment: Assessment) -> list[Finding]:
    """Check one follow-up assessment against the baseline; returns findings (all ERROR).

    Codes: NOT_AFTER_BASELINE, MISSING_TARGET, UNKNOWN_TARGET, DUPLICATE_TARGET,
    MISSING_VALUE, INVALID_MEASUREMENT, INCONSISTENT_VALUE, MISSING_NON_TARGET,
    UNKNOWN_NON_TARGET, DUPLICATE_NON_TARGET, NEW_LESION_ID_CONFLICT, DUPLICATE_NEW_LESION,
    EMPTY_LESION_ID. Every finding carries ``assessment_date``.
    """
    day = assessment.date
    out: list[Finding] = []

    def add(code: str, lesion_id: str | None, message: str) -> None:
        out.append(Finding(code, lesion_id, message, assessment_date=day))

    if day <= baseline.date:
        add("NOT_AFTER_BASELINE", None,
            f"Assessment date {day.isoformat()} is not after the baseline date "
            f"{baseline.date.isoformat()}.")

    target_ids = [t.lesion_id for t in baseline.targets]
    non_target_ids = [n.lesion_id for n in baseline.non_targets]

    seen: set[str] = set()
    for m in assessment.targets:
        lid = m.lesion_id
        if lid in seen:
            add("DUPLICATE_TARGET", lid, f"Target lesion {lid!r} is recorded more than once.")
            continue
        seen.add(lid)
        if lid not in target_ids:
            where = (" It is a baseline non-target lesion: record its status with the non-target "
                     "lesions." if lid in non_target_ids else
                     " Only baseline target lesions are measured; record a new lesion in the new-lesion "
                     "list.")
            add("UNKNOWN_TARGET", lid, f"{lid!r} is not a baseline target lesion.{where}")
            continue
        out.extend(_measurement_findings(m, day))
    for lid in target_ids:
        if lid not in seen:
            add("MISSING_TARGET", lid,
                f"Target lesion {lid!r} has no entry: measure it or mark it NOT_EVALUATED.")

    seen = set()
    for s in assessment.non_targets:
        lid = s.lesion_id
        if lid in seen:
            add("DUPLICATE_NON_TARGET", lid, f"Non-target lesion {lid!r} is recorded more than once.")
            continue
        seen.add(lid)
        if lid not in non_target_ids:
            add("UNKNOWN_NON_TARGET", lid,
                f"{lid!r} is not a baseline non-target lesion; record a new lesion in the new-lesion list.")
    for lid in non_target_ids:
        if lid not in seen:
            add("MISSING_NON_TARGET", lid,
                f"Non-target lesion {lid!r} has no status: record it or mark it NOT_EVALUATED.")

    baseline_ids = set(target_ids) | set(non_target_ids)
    seen = set()
    for n in assessment.new_lesions:
        lid = n.lesion_id
        if not lid.strip():
            add("EMPTY_LESION_ID", None, "Every new lesion needs a lesion ID.")
            continue
        if lid in seen:
            add("DUPLICATE_NEW_LESION", lid, f"New lesion {lid!r} is recorded more than once.")
            continue
        seen.add(lid)
        if lid in baseline_ids:
            add("NEW_LESION_ID_CONFLICT", lid,
                f"New lesion ID {lid!r} is the ID of a baseline lesion; new lesions need their own IDs.")
    return out


def _measurement_findings(m: TargetMeasurement, day: _dt.date) -> list[Finding]:
    lid, value, flag = m.lesion_id, m.value_mm, m.flag

    def f(code: str, message: str) -> list[Finding]:
        return [Finding(code, lid, message, assessment_date=day)]

    if flag is MeasurementFlag.MEASURED:
        if value is None:
            return f("MISSING_VALUE", "A measured target lesion needs a value (or another flag).")
        if value <= 0:
            return f("INVALID_MEASUREMENT",
                     "A measured value must be greater than 0 mm; use DISAPPEARED for a lesion that is "
                     "no longer seen.")
    elif flag is MeasurementFlag.TOO_SMALL:
        if value is not None and value != TOO_SMALL_MM:
            return f("INCONSISTENT_VALUE",
                     f"'Too small to measure' is recorded as {TOO_SMALL_MM} mm, not {value} mm; record a "
                     f"measurable lesion as MEASURED.")
    elif flag is MeasurementFlag.DISAPPEARED:
        if value is not None and value != 0:
            return f("INCONSISTENT_VALUE", f"A disappeared lesion is recorded as 0 mm, not {value} mm.")
    elif value is not None:
        return f("INCONSISTENT_VALUE", "A lesion that was not evaluated cannot have a value.")
    return []


# --------------------------------------------------------------------------- responses

def _measurements(assessment: Assessment) -> dict[str, TargetMeasurement]:
    found: dict[str, TargetMeasurement] = {}
    for m in assessment.targets:
        found.setdefault(m.lesion_id, m)
    return found


def target_sums(baseline: Baseline, assessment: Assessment) -> tuple[Decimal | None, Decimal | None]:
    """``(sum, measured_sum)`` of the assessment's target lesions.

    ``sum`` is None when any baseline target is not evaluated (or missing); ``measured_sum`` adds
    the lesions that do have a value. Both are None when the baseline has no target lesions.
    """
    if not baseline.targets:
        return None, None
    measured = _measurements(assessment)
    values = [measured[t.lesion_id].effective_mm if t.lesion_id in measured else None
              for t in baseline.targets]
    partial = sum((v for v in values if v is not None), Decimal(0))
    return (None if any(v is None for v in values) else partial), partial


def target_response(baseline: Baseline, assessment: Assessment, nadir_mm: Decimal | None,
                    previous_overall_cr: bool = False) -> tuple[Response, str]:
    """Target lesion response and the rule that decided it.

    Order: PD (reappearance after an overall CR; sum, or measured lesions alone, >= 120 % of the
    nadir and >= +5 mm), NE (a target not evaluated), CR, PR, SD. Bases: ``NO_TARGETS``,
    ``PD_REAPPEARANCE_AFTER_CR``, ``PD_SUM``, ``PD_MEASURED_SUBSET``, ``NOT_ALL_EVALUATED``,
    ``CR``, ``PR``, ``SD``.
    """
    if not baseline.targets:
        return Response.NA, "NO_TARGETS"
    if nadir_mm is None:
        raise ValueError("nadir_mm is required when the baseline has target lesions")
    measured = _measurements(assessment)
    pairs = [(t, measured[t.lesion_id].effective_mm if t.lesion_id in measured else None)
             for t in baseline.targets]

    if previous_overall_cr:
        for t, v in pairs:
            if v is None:
                continue
            if (t.is_node and v >= MIN_NODE_PATHOLOGICAL_SA_MM) or (not t.is_node and v > 0):
                return Response.PD, "PD_REAPPEARANCE_AFTER_CR"

    total, partial = target_sums(baseline, assessment)
    assert partial is not None
    if meets_pd(partial, nadir_mm):
        return Response.PD, ("PD_SUM" if total is not None else "PD_MEASURED_SUBSET")
    if total is None:
        return Response.NE, "NOT_ALL_EVALUATED"
    if all((v < MIN_NODE_PATHOLOGICAL_SA_MM) if t.is_node else (v == 0) for t, v in pairs
           if v is not None):
        return Response.CR, "CR"
    base = baseline_sum(baseline)
    assert base is not None
    if meets_pr(total, base):
        return Response.PR, "PR"
    return Response.SD, "SD"


def non_target_response(baseline: Baseline, assessment: Assessment,
                        previous_overall_cr: bool = False) -> Response:
    """Non-target response from the per-lesion states (section 4.3.3).

    NA without baseline non-target lesions; PD if any lesion is UNEQUIVOCAL_PROGRESSION, or if a
    non-nodal lesion is PRESENT again after an overall CR; otherwise NE if any lesion is
    NOT_EVALUATED (or has no status); CR if all are ABSENT; else NON_CR_NON_PD.
    """
    if not baseline.non_targets:
        return Response.NA
    states: dict[str, NonTargetState] = {}
    for s in assessment.non_targets:
        states.setdefault(s.lesion_id, s.status)
    pairs = [(n, states.get(n.lesion_id, NonTargetState.NOT_EVALUATED)) for n in baseline.non_targets]
    if any(st is NonTargetState.UNEQUIVOCAL_PROGRESSION for _, st in pairs):
        return Response.PD
    if previous_overall_cr and any(st is NonTargetState.PRESENT and not n.is_node for n, st in pairs):
        return Response.PD
    if any(st is NonTargetState.NOT_EVALUATED for _, st in pairs):
        return Response.NE
    if all(st is NonTargetState.ABSENT for _, st in pairs):
        return Response.CR
    return Response.NON_CR_NON_PD


def new_lesion_status(assessment: Assessment) -> NewLesionStatus:
    """YES if any new lesion is unequivocal, EQUIVOCAL if only equivocal ones, else NO."""
    statuses = {n.status for n in assessment.new_lesions}
    if NewLesionStatus.YES in statuses:
        return NewLesionStatus.YES
    if NewLesionStatus.EQUIVOCAL in statuses:
        return NewLesionStatus.EQUIVOCAL
    return NewLesionStatus.NO


_TARGET_VALUES = {Response.CR, Response.PR, Response.SD, Response.PD, Response.NE, Response.NA}
_NON_TARGET_VALUES = {Response.CR, Response.NON_CR_NON_PD, Response.PD, Response.NE, Response.NA}


def overall_response(target: Response | str, non_target: Response | str,
                     new_lesions: NewLesionStatus | str) -> Response:
    """Time point response: RECIST 1.1 Table 1 (target disease) and Table 2 (non-target only).

    ``target`` NA means no target lesions at baseline (Table 2); ``non_target`` NA means no
    non-target lesions at baseline (read as CR in Table 1). EQUIVOCAL new lesions count as NO.
    Without any baseline disease the answer is PD with a new lesion, else NE.
    """
    target, non_target = Response(target), Response(non_target)
    new = NewLesionStatus(new_lesions)
    if target not in _TARGET_VALUES:
        raise ValueError(f"not a target response: {target}")
    if non_target not in _NON_TARGET_VALUES:
        raise ValueError(f"not a non-target response: {non_target}")
    if new is NewLesionStatus.YES or target is Response.PD or non_target is Response.PD:
        return Response.PD
    if target is Response.NA:                      # Table 2 (or no disease at all)
        return Response.NE if non_target is Response.NA else non_target
    if target is Response.NE:
        return Response.NE
    if target is Response.CR:
        return Response.CR if non_target in (Response.CR, Response.NA) else Response.PR
    return target                                   # PR or SD with non-target non-PD or NE


# --------------------------------------------------------------------------- one assessment

@dataclass(frozen=True)
class AssessmentResult:
    """Everything derived for one assessment. Percentages are exact fractions (``*_pct``);
    ``*_pct_display`` rounds them to 0.1 % for display only."""

    date: _dt.date
    days_from_reference: int | None
    sum_mm: Decimal | None
    measured_sum_mm: Decimal | None
    nadir_mm: Decimal | None
    change_from_baseline_mm: Decimal | None
    change_from_baseline_pct: Fraction | None
    change_from_nadir_mm: Decimal | None
    change_from_nadir_pct: Fraction | None
    target_response: Response
    target_basis: str
    non_target_response: Response
    new_lesion_status: NewLesionStatus
    overall_response: Response
    investigator_response: Response | None = None
    confirms_equivocal_from: _dt.date | None = None

    @property
    def change_from_baseline_pct_display(self) -> Decimal | None:
        return round_percent(self.change_from_baseline_pct)

    @property
    def change_from_nadir_pct_display(self) -> Decimal | None:
        return round_percent(self.change_from_nadir_pct)


def evaluate_assessment(baseline: Baseline, assessment: Assessment, *, nadir_mm: Decimal | None,
                        previous_overall_cr: bool = False, reference_date: _dt.date | None = None,
                        confirms_equivocal_from: _dt.date | None = None) -> AssessmentResult:
    """Derive one assessment's result. Assumes ``check_followup`` found no ERROR.

    ``nadir_mm`` is the smallest complete sum so far (baseline included); ``previous_overall_cr``
    whether the last evaluable earlier time point was an overall CR (see docs/recist.md).
    """
    base = baseline_sum(baseline)
    total, partial = target_sums(baseline, assessment)
    t_resp, basis = target_response(baseline, assessment, nadir_mm, previous_overall_cr)
    nt_resp = non_target_response(baseline, assessment, previous_overall_cr)
    new = new_lesion_status(assessment)
    ch_base = ch_nadir = None
    pct_base = pct_nadir = None
    if total is not None and base is not None:
        ch_base, pct_base = total - base, percent_change(total, base)
    if total is not None and nadir_mm is not None:
        ch_nadir, pct_nadir = total - nadir_mm, percent_change(total, nadir_mm)
    return AssessmentResult(
        date=assessment.date,
        days_from_reference=None if reference_date is None else (assessment.date - reference_date).days,
        sum_mm=total, measured_sum_mm=partial, nadir_mm=nadir_mm if baseline.targets else None,
        change_from_baseline_mm=ch_base, change_from_baseline_pct=pct_base,
        change_from_nadir_mm=ch_nadir, change_from_nadir_pct=pct_nadir,
        target_response=t_resp, target_basis=basis, non_target_response=nt_resp,
        new_lesion_status=new, overall_response=overall_response(t_resp, nt_resp, new),
        investigator_response=assessment.investigator_response,
        confirms_equivocal_from=confirms_equivocal_from,
    )
