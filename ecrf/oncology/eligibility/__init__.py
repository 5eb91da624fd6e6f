"""Eligibility of a subject for one of the two ESCC protocols, from baseline data.

``evaluate_eligibility(study_oid, data)`` evaluates every inclusion and exclusion criterion of the
protocol and returns an :class:`EligibilityResult`. A criterion's ``status`` says whether the
subject satisfies the criterion's requirement (``met``), fails it (``not_met``) or lacks a value to
decide (``missing``); for an exclusion ``met`` means "not excluded by it". Input keys and units:
docs/oncology-rules.md.
"""

from __future__ import annotations

from typing import Callable, Mapping

from . import escc_ldrt, escc_n3
from ._base import (EXCLUSION, INCLUSION, MET, MISSING, NOT_MET, CriterionResult,
                    EligibilityResult, overall)
from .ajcc import stage_group_escc

__all__ = ["CriterionResult", "EligibilityResult", "UnknownStudyError", "evaluate_eligibility",
           "stage_group_escc", "STUDIES", "MET", "NOT_MET", "MISSING", "INCLUSION", "EXCLUSION"]

STUDIES: Mapping[str, Callable[[Mapping], tuple[CriterionResult, ...]]] = {
    escc_n3.STUDY_OID: escc_n3.criteria,
    escc_ldrt.STUDY_OID: escc_ldrt.criteria,
}


class UnknownStudyError(ValueError):
    """No eligibility rules for this study OID."""


def evaluate_eligibility(study_oid: str, data: Mapping[str, object]) -> EligibilityResult:
    """Evaluate all criteria. ``eligible`` is True (all met), False (any not met) or None
    (nothing failed but something is missing). Malformed values raise ValueError."""
    try:
        rules = STUDIES[study_oid]
    except KeyError:
        raise UnknownStudyError(f"no eligibility rules for study {study_oid!r}; "
                                f"known: {', '.join(STUDIES)}") from None
    results = rules(data)
    return EligibilityResult(study_oid, overall(results), results)
