"""Engine results -> JSON-ready derivation values (pure).

Millimetres are decimal strings exactly as computed (``"35.0"``). Percent changes are exact:
a terminating decimal when the fraction has one (``"-30"``, ``"-29.95"``), else the fraction
itself (``"-100/3"``); ``*_display`` is the 0.1 % rounding (half away from zero) for display only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

from ecrf.oncology.recist import AssessmentResult, SubjectResult


def mm_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def exact_text(value: Fraction | None) -> str | None:
    """A fraction as an exact decimal string when it terminates, else as ``"n/d"``."""
    if value is None:
        return None
    rest, twos, fives = value.denominator, 0, 0
    while rest % 2 == 0:
        rest, twos = rest // 2, twos + 1
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1:
        return f"{value.numerator}/{value.denominator}"
    places = max(twos, fives)
    scaled = value.numerator * 10 ** places // value.denominator  # exact: the denominator divides 10**places
    return format(Decimal(scaled).scaleb(-places), "f")


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _text(value) -> str | None:
    return None if value is None else str(value)


def change(mm: Decimal | None, pct: Fraction | None, display: Decimal | None) -> dict:
    return {"mm": mm_text(mm), "pct": exact_text(pct), "pct_display": _text(display)}


def assessment_value(result: AssessmentResult) -> dict:
    """The derived part of one assessment's value."""
    return {
        "days_from_reference": result.days_from_reference,
        "sum_mm": mm_text(result.sum_mm),
        "measured_sum_mm": mm_text(result.measured_sum_mm),
        "nadir_mm": mm_text(result.nadir_mm),
        "change_from_baseline": change(result.change_from_baseline_mm, result.change_from_baseline_pct,
                                       result.change_from_baseline_pct_display),
        "change_from_nadir": change(result.change_from_nadir_mm, result.change_from_nadir_pct,
                                    result.change_from_nadir_pct_display),
        "target_response": str(result.target_response),
        "target_basis": result.target_basis,
        "non_target_response": str(result.non_target_response),
        "new_lesions": str(result.new_lesion_status),
        "overall_response": str(result.overall_response),
        "confirms_equivocal_from": _iso(result.confirms_equivocal_from),
    }


def bor_timeline(result: SubjectResult) -> list[list[str]]:
    """The (date, response) time points that count for best response: up to the first PD,
    which counts as PD (also when it was backdated to an equivocal new lesion)."""
    out = []
    for r in result.assessments:
        if result.first_pd_date is not None and r.date > result.first_pd_date:
            break
        response = "PD" if r.date == result.first_pd_date else str(r.overall_response)
        out.append([r.date.isoformat(), response])
    return out


def subject_value(result: SubjectResult) -> dict:
    """The derived part of the subject's value (when evaluated)."""
    return {
        "baseline_sum_mm": mm_text(result.baseline_sum_mm),
        "nadir_mm": mm_text(result.nadir_mm),
        "nadir_date": _iso(result.nadir_date),
        "first_pd_date": _iso(result.first_pd_date),
        "first_pd_backdated": result.first_pd_backdated,
        "bor_unconfirmed": {"response": _text(result.bor_unconfirmed), "date": _iso(result.bor_unconfirmed_date)},
        "bor_confirmed": {"response": _text(result.bor_confirmed), "date": _iso(result.bor_confirmed_date),
                          "confirmation_date": _iso(result.bor_confirmation_date)},
        "timepoints": [{"date": r.date.isoformat(), "overall_response": str(r.overall_response)}
                       for r in result.assessments],
        "bor_timeline": bor_timeline(result),
    }
