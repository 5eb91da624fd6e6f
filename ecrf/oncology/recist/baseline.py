"""Baseline checks (RECIST 1.1 sections 3.1, 3.2 and 4.2) and the baseline sum of diameters."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from .lesions import (
    NODE_ORGAN, Baseline, BaselineTarget, Finding, Method, Severity,
)

__all__ = [
    "MAX_TARGETS", "MAX_TARGETS_PER_ORGAN", "MIN_LD_MM", "MIN_LD_XRAY_MM", "MIN_NODE_TARGET_SA_MM",
    "MIN_NODE_PATHOLOGICAL_SA_MM", "check_baseline", "baseline_sum",
]

MAX_TARGETS = 5
MAX_TARGETS_PER_ORGAN = 2
MIN_LD_MM = Decimal(10)              # CT/MRI (slice <= 5 mm) and caliper
MIN_LD_XRAY_MM = Decimal(20)         # chest X-ray
MIN_NODE_TARGET_SA_MM = Decimal(15)  # node measurable (target candidate)
MIN_NODE_PATHOLOGICAL_SA_MM = Decimal(10)  # 10 to < 15: pathological, non-target only; < 10 normal


def baseline_sum(baseline: Baseline) -> Decimal | None:
    """Sum of diameters at baseline (LD of non-nodal + SA of nodal targets); None if no targets.

    Targets without a usable diameter are skipped (``check_baseline`` reports them).
    """
    if not baseline.targets:
        return None
    return sum((t.diameter_mm for t in baseline.targets if t.diameter_mm is not None), Decimal(0))


def _target_findings(t: BaselineTarget) -> list[Finding]:
    out: list[Finding] = []
    lid = t.lesion_id
    if not t.is_node and not (t.organ or "").strip():
        out.append(Finding("MISSING_ORGAN", lid, "Organ is required for a non-nodal target lesion."))
    value = t.diameter_mm
    axis = "short axis" if t.is_node else "longest diameter"
    if value is None:
        out.append(Finding("MISSING_MEASUREMENT", lid,
                           f"Baseline {axis} is required for a {'nodal' if t.is_node else 'non-nodal'} "
                           f"target lesion."))
        return out
    if value <= 0:
        out.append(Finding("INVALID_MEASUREMENT", lid, f"Baseline {axis} must be greater than 0 mm."))
        return out
    if t.is_node:
        if t.method not in (Method.CT, Method.MRI):
            out.append(Finding("NODE_METHOD", lid,
                               "A target lymph node must be measured on CT or MRI (short axis)."))
        if value < MIN_NODE_PATHOLOGICAL_SA_MM:
            out.append(Finding("NODE_NORMAL", lid,
                               f"Lymph node short axis {value} mm is < 10 mm: a normal node is not a "
                               f"lesion and must not be recorded."))
        elif value < MIN_NODE_TARGET_SA_MM:
            out.append(Finding("NODE_NOT_MEASURABLE", lid,
                               f"Lymph node short axis {value} mm is 10 to < 15 mm: pathological but not "
                               f"measurable; record it as a non-target lesion."))
    else:
        minimum = MIN_LD_XRAY_MM if t.method is Method.XRAY else MIN_LD_MM
        if value < minimum:
            out.append(Finding("NOT_MEASURABLE", lid,
                               f"Longest diameter {value} mm is below the {minimum} mm minimum for a "
                               f"measurable lesion by {t.method.value}; record it as a non-target lesion."))
    return out


def check_baseline(baseline: Baseline) -> list[Finding]:
    """Check the baseline lesion selection; returns findings (empty list when all is well).

    Codes (all ERROR unless noted): EMPTY_LESION_ID, DUPLICATE_LESION_ID, MISSING_ORGAN,
    MISSING_MEASUREMENT, INVALID_MEASUREMENT, NOT_MEASURABLE, NODE_NOT_MEASURABLE, NODE_NORMAL,
    NODE_METHOD, TOO_MANY_TARGETS (one per target beyond the 5th, in entry order),
    TOO_MANY_TARGETS_IN_ORGAN (one per target beyond the 2nd of its organ, in entry order),
    NO_BASELINE_DISEASE (WARNING).
    """
    findings: list[Finding] = []

    seen: set[str] = set()
    for lesion in (*baseline.targets, *baseline.non_targets):
        lid = lesion.lesion_id
        if not lid.strip():
            findings.append(Finding("EMPTY_LESION_ID", None, "Every lesion needs a lesion ID."))
            continue
        if lid in seen:
            findings.append(Finding("DUPLICATE_LESION_ID", lid,
                                    f"Lesion ID {lid!r} is used more than once (IDs are unique across "
                                    f"target and non-target lesions)."))
        seen.add(lid)

    for t in baseline.targets:
        findings.extend(_target_findings(t))

    for n in baseline.non_targets:
        if not n.is_node and not (n.organ or "").strip():
            findings.append(Finding("MISSING_ORGAN", n.lesion_id,
                                    "Organ is required for a non-nodal non-target lesion."))
        if n.sa_mm is not None and not n.is_node:
            findings.append(Finding("SA_ON_NON_NODAL", n.lesion_id,
                                    "A short axis is only recorded for lymph nodes.", Severity.WARNING))
        if n.is_node and n.sa_mm is not None and n.sa_mm < MIN_NODE_PATHOLOGICAL_SA_MM:
            findings.append(Finding("NODE_NORMAL", n.lesion_id,
                                    f"Lymph node short axis {n.sa_mm} mm is < 10 mm: a normal node is not "
                                    f"a lesion and must not be recorded."))

    for extra in baseline.targets[MAX_TARGETS:]:
        findings.append(Finding("TOO_MANY_TARGETS", extra.lesion_id,
                                f"At most {MAX_TARGETS} target lesions in total; record further lesions "
                                f"as non-target."))

    per_organ: dict[str, list[BaselineTarget]] = defaultdict(list)
    for t in baseline.targets:
        per_organ[t.organ_group].append(t)
    for organ, lesions in per_organ.items():
        label = "lymph nodes (all stations are one organ)" if organ == NODE_ORGAN else repr(organ)
        for extra in lesions[MAX_TARGETS_PER_ORGAN:]:
            findings.append(Finding("TOO_MANY_TARGETS_IN_ORGAN", extra.lesion_id,
                                    f"At most {MAX_TARGETS_PER_ORGAN} target lesions per organ: "
                                    f"{len(lesions)} in {label}."))

    if not baseline.targets and not baseline.non_targets:
        findings.append(Finding("NO_BASELINE_DISEASE", None,
                                "No target or non-target lesion at baseline: only a new lesion can be "
                                "assessed (PD); every other time point response is NE.",
                                Severity.WARNING))
    return findings
