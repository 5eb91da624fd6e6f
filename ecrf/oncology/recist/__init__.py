"""RECIST 1.1 engine: pure functions over frozen dataclasses (no Flask, no database).

Eisenhauer et al., Eur J Cancer 2009;45:228-247, with the RECIST working group clarifications
(Schwartz et al., Eur J Cancer 2016;62:132-137, and the RECIST committee's published Q&A).
The rules as implemented are in ``docs/recist.md``.

Typical use::

    findings = check_baseline(baseline)            # list[Finding], keyed by lesion_id
    findings += check_followup(baseline, visit)    # per assessment
    result = evaluate_subject(baseline, visits, reference_date=c1d1)
    result.bor_confirmed, result.first_pd_date, result.assessments[0].overall_response
"""

from .baseline import (
    MAX_TARGETS, MAX_TARGETS_PER_ORGAN, MIN_LD_MM, MIN_LD_XRAY_MM, MIN_NODE_PATHOLOGICAL_SA_MM,
    MIN_NODE_TARGET_SA_MM, baseline_sum, check_baseline,
)
from .lesions import (
    ENGINE_VERSION, NODE_ORGAN, TOO_SMALL_MM, Assessment, Baseline, BaselineNonTarget,
    BaselineTarget, Finding, MeasurementFlag, Method, NewLesion, NewLesionStatus, NonTargetState,
    NonTargetStatus, Response, Severity, TargetMeasurement, to_mm,
)
from .subject import (
    BOR_ORDER, BestResponse, Disagreement, SubjectResult, best_overall_response, evaluate_subject,
    investigator_disagreements,
)
from .timepoint import (
    PD_MIN_INCREASE_MM, AssessmentResult, check_followup, evaluate_assessment, meets_pd, meets_pr,
    new_lesion_status, non_target_response, overall_response, percent_change, round_percent,
    target_response, target_sums,
)

__all__ = [
    "ENGINE_VERSION",
    # data types
    "Method", "MeasurementFlag", "NonTargetState", "NewLesionStatus", "Response", "Severity",
    "Finding", "BaselineTarget", "BaselineNonTarget", "Baseline", "TargetMeasurement",
    "NonTargetStatus", "NewLesion", "Assessment", "AssessmentResult", "SubjectResult",
    "BestResponse", "Disagreement",
    # checks
    "check_baseline", "check_followup",
    # derivations
    "baseline_sum", "target_sums", "target_response", "non_target_response", "new_lesion_status",
    "overall_response", "evaluate_assessment", "evaluate_subject", "best_overall_response",
    "investigator_disagreements",
    "meets_pd", "meets_pr", "percent_change", "round_percent", "to_mm",
    # constants
    "TOO_SMALL_MM", "NODE_ORGAN", "MAX_TARGETS", "MAX_TARGETS_PER_ORGAN", "MIN_LD_MM",
    "MIN_LD_XRAY_MM", "MIN_NODE_TARGET_SA_MM", "MIN_NODE_PATHOLOGICAL_SA_MM",
    "PD_MIN_INCREASE_MM", "BOR_ORDER",
]
