"""Per-subject evaluation: nadir, first progression, best overall response (RECIST 1.1 section 4.4.3,
Table 3, and section 4.6 on confirmation). See ``docs/recist.md`` for the rules as implemented."""

from __future__ import annotations

import datetime as _dt
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable

from .baseline import baseline_sum, check_baseline
from .lesions import (
    ENGINE_VERSION, Assessment, Baseline, Finding, NewLesionStatus, Response, Severity,
)
from .timepoint import AssessmentResult, check_followup, evaluate_assessment

__all__ = ["SubjectResult", "BestResponse", "Disagreement", "evaluate_subject",
           "best_overall_response", "investigator_disagreements", "BOR_ORDER"]

#: Best first. Used for the unconfirmed best overall response.
BOR_ORDER: tuple[Response, ...] = (Response.CR, Response.PR, Response.SD, Response.NON_CR_NON_PD,
                                   Response.PD, Response.NE)
_RANK = {r: i for i, r in enumerate(BOR_ORDER)}
_STABLE = (Response.SD, Response.NON_CR_NON_PD)
_RESPONSE = (Response.CR, Response.PR)


@dataclass(frozen=True)
class SubjectResult:
    """The derived RECIST 1.1 outcome of one subject.

    When ``evaluated`` is False the input had ERROR findings: nothing was derived and every
    derived field is None / empty. ``bor_confirmed_date`` is the first date of the response that
    was confirmed (CR/PR), the first assessment meeting the SD minimum duration (SD /
    NON_CR_NON_PD) or the first PD date (PD); ``bor_confirmation_date`` the assessment that
    confirmed a CR/PR.
    """

    engine_version: str
    evaluated: bool
    findings: tuple[Finding, ...]
    reference_date: _dt.date
    sd_min_days: int
    confirm_min_days: int
    baseline_sum_mm: Decimal | None = None
    nadir_mm: Decimal | None = None
    nadir_date: _dt.date | None = None
    first_pd_date: _dt.date | None = None
    first_pd_backdated: bool = False
    bor_unconfirmed: Response | None = None
    bor_unconfirmed_date: _dt.date | None = None
    bor_confirmed: Response | None = None
    bor_confirmed_date: _dt.date | None = None
    bor_confirmation_date: _dt.date | None = None
    assessments: tuple[AssessmentResult, ...] = ()


@dataclass(frozen=True)
class BestResponse:
    """Best overall response. ``confirmed_date``: first date of the confirmed CR/PR, first time
    point meeting the SD minimum duration (SD / NON_CR_NON_PD) or first PD date (PD);
    ``confirmation_date``: the time point that confirmed a CR/PR. ``unconfirmed_date``: the
    first time point with the unconfirmed best response."""

    unconfirmed: Response
    unconfirmed_date: _dt.date | None
    confirmed: Response
    confirmed_date: _dt.date | None
    confirmation_date: _dt.date | None


@dataclass(frozen=True)
class Disagreement:
    date: _dt.date
    investigator_response: Response
    derived_response: Response


def _check_days(value: int, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a non-negative int, got {value!r}")


def evaluate_subject(baseline: Baseline, assessments: Iterable[Assessment],
                     reference_date: _dt.date, sd_min_days: int = 42, confirm_min_days: int = 28,
                     *, max_ne_between: int = 1) -> SubjectResult:
    """Evaluate a subject's baseline and follow-up assessments (in any order).

    ``reference_date`` is the start of treatment (C1D1) from which the SD minimum duration
    (``sd_min_days``) is counted; ``confirm_min_days`` is the minimum interval between a CR/PR
    and the assessment confirming it, with at most ``max_ne_between`` NE time points in between.
    Runs :func:`check_baseline` and :func:`check_followup`; two assessments on the same date are
    refused (DUPLICATE_ASSESSMENT_DATE). Any ERROR finding leaves the result unevaluated.
    """
    if not isinstance(reference_date, _dt.date) or isinstance(reference_date, _dt.datetime):
        raise TypeError("reference_date must be a datetime.date")
    _check_days(sd_min_days, "sd_min_days")
    _check_days(confirm_min_days, "confirm_min_days")
    _check_days(max_ne_between, "max_ne_between")

    ordered = sorted(assessments, key=lambda a: a.date)
    findings: list[Finding] = list(check_baseline(baseline))
    counts = Counter(a.date for a in ordered)
    for day, n in sorted(counts.items()):
        if n > 1:
            findings.append(Finding("DUPLICATE_ASSESSMENT_DATE", None,
                                    f"{n} assessments are dated {day.isoformat()}; one assessment per "
                                    f"date (merge them or correct the date).", assessment_date=day))
    for a in ordered:
        findings.extend(check_followup(baseline, a))

    params = dict(engine_version=ENGINE_VERSION, reference_date=reference_date,
                  sd_min_days=sd_min_days, confirm_min_days=confirm_min_days)
    if any(f.severity is Severity.ERROR for f in findings):
        return SubjectResult(evaluated=False, findings=tuple(findings), **params)

    # equivocal -> confirmed new lesion: earliest earlier assessment listing the id as EQUIVOCAL
    first_equivocal: dict[str, _dt.date] = {}
    backdates: list[_dt.date | None] = []
    for a in ordered:
        dates = [first_equivocal[n.lesion_id] for n in a.new_lesions
                 if n.status is NewLesionStatus.YES and n.lesion_id in first_equivocal]
        backdates.append(min(dates) if dates else None)
        for n in a.new_lesions:
            if n.status is NewLesionStatus.EQUIVOCAL:
                first_equivocal.setdefault(n.lesion_id, a.date)

    base = baseline_sum(baseline)
    nadir, nadir_date = base, (baseline.date if base is not None else None)
    previous_cr = False
    results: list[AssessmentResult] = []
    for a, backdate in zip(ordered, backdates):
        r = evaluate_assessment(baseline, a, nadir_mm=nadir, previous_overall_cr=previous_cr,
                                reference_date=reference_date, confirms_equivocal_from=backdate)
        results.append(r)
        if r.sum_mm is not None and nadir is not None and r.sum_mm < nadir:
            nadir, nadir_date = r.sum_mm, r.date
        if r.overall_response is not Response.NE:
            previous_cr = r.overall_response is Response.CR

    pd_dates = [r.date for r in results if r.overall_response is Response.PD]
    pd_dates += [r.confirms_equivocal_from for r in results if r.confirms_equivocal_from is not None]
    first_pd = min(pd_dates) if pd_dates else None
    backdated = first_pd is not None and not any(
        r.date == first_pd and r.overall_response is Response.PD for r in results)

    # the time points that count for best response: up to the first PD, which counts as PD
    timeline: list[tuple[_dt.date, Response]] = []
    for r in results:
        if first_pd is not None and r.date > first_pd:
            break
        timeline.append((r.date, Response.PD if r.date == first_pd else r.overall_response))

    best = best_overall_response(timeline, reference_date, sd_min_days, confirm_min_days,
                                 non_target_only=not baseline.targets, max_ne_between=max_ne_between)

    return SubjectResult(
        evaluated=True, findings=tuple(findings), **params,
        baseline_sum_mm=base, nadir_mm=nadir, nadir_date=nadir_date,
        first_pd_date=first_pd, first_pd_backdated=backdated,
        bor_unconfirmed=best.unconfirmed, bor_unconfirmed_date=best.unconfirmed_date,
        bor_confirmed=best.confirmed, bor_confirmed_date=best.confirmed_date,
        bor_confirmation_date=best.confirmation_date, assessments=tuple(results),
    )


def _meets_sd_duration(day: _dt.date, reference_date: _dt.date, sd_min_days: int) -> bool:
    return (day - reference_date).days >= sd_min_days


def best_overall_response(timepoints: Iterable[tuple[_dt.date, Response]], reference_date: _dt.date,
                          sd_min_days: int = 42, confirm_min_days: int = 28, *,
                          non_target_only: bool = False, max_ne_between: int = 1) -> BestResponse:
    """Best overall response, unconfirmed and confirmed, from dated time point responses.

    Time points are sorted by date; those after the first PD are ignored. ``non_target_only``
    selects NON_CR_NON_PD instead of SD as the fallback of the confirmed best response
    (RECIST 1.1 Table 2). Raises ValueError for two time points on one date.
    """
    _check_days(sd_min_days, "sd_min_days")
    _check_days(confirm_min_days, "confirm_min_days")
    _check_days(max_ne_between, "max_ne_between")
    ordered = sorted(((day, Response(resp)) for day, resp in timepoints), key=lambda p: p[0])
    timeline: list[tuple[_dt.date, Response]] = []
    for day, resp in ordered:
        if resp is Response.NA:
            raise ValueError("NA is not a time point response")
        if timeline and timeline[-1][0] == day:
            raise ValueError(f"two time points dated {day.isoformat()}")
        timeline.append((day, resp))
        if resp is Response.PD:
            break
    first_pd = timeline[-1][0] if timeline and timeline[-1][1] is Response.PD else None

    unconfirmed, unconfirmed_date = Response.NE, None
    for day, resp in timeline:
        if resp in _STABLE and not _meets_sd_duration(day, reference_date, sd_min_days):
            continue  # too early for SD: NE for best-response purposes
        if resp is not Response.NE and _RANK[resp] < _RANK[unconfirmed]:
            unconfirmed, unconfirmed_date = resp, day

    confirmed = _confirmed_pair(timeline, confirm_min_days, max_ne_between)
    if confirmed is not None:
        level, start, end = confirmed
        return BestResponse(unconfirmed, unconfirmed_date, level, start, end)
    stable = Response.NON_CR_NON_PD if non_target_only else Response.SD
    for day, resp in timeline:
        if resp in (*_RESPONSE, *_STABLE) and _meets_sd_duration(day, reference_date, sd_min_days):
            return BestResponse(unconfirmed, unconfirmed_date, stable, day, None)
    if first_pd is not None:
        return BestResponse(unconfirmed, unconfirmed_date, Response.PD, first_pd, None)
    return BestResponse(unconfirmed, unconfirmed_date, Response.NE, None, None)


def _confirmed_pair(timeline: list[tuple[_dt.date, Response]], confirm_min_days: int,
                    max_ne_between: int) -> tuple[Response, _dt.date, _dt.date] | None:
    """Best (then earliest) CR/PR confirmed by a later CR/PR >= confirm_min_days later, with only
    CR/PR and at most ``max_ne_between`` NE time points in between; the confirmed level is PR as
    soon as the first, an intermediate or the confirming time point is PR."""
    best: tuple[Response, _dt.date, _dt.date] | None = None
    for i, (start, resp) in enumerate(timeline):
        if resp not in _RESPONSE:
            continue
        level, ne_between = resp, 0
        for day, later in timeline[i + 1:]:
            if later is Response.NE:
                ne_between += 1
                if ne_between > max_ne_between:
                    break
                continue
            if later not in _RESPONSE:
                break
            if later is Response.PR:
                level = Response.PR
            if (day - start).days >= confirm_min_days:
                if best is None or _RANK[level] < _RANK[best[0]]:
                    best = (level, start, day)
                break
    return best


def investigator_disagreements(result: SubjectResult) -> list[Disagreement]:
    """Assessments whose investigator-reported response differs from the derived time point
    response (assessments without an investigator response are skipped)."""
    return [Disagreement(r.date, r.investigator_response, r.overall_response)
            for r in result.assessments
            if r.investigator_response is not None and r.investigator_response != r.overall_response]
