"""Per-subject endpoint derivation for single-arm oncology trials (pure functions, no I/O).

* PFS (RECIST 1.1 progression or death) and OS (death) with explicit event/censoring rules:
  :func:`derive_pfs`, :func:`derive_os`, each returning a :class:`TimeToEvent` that names the
  rule applied; :func:`km_for` turns a list of them into a Kaplan-Meier estimate;
  :func:`pfs_rate_at` / :func:`rate_at_months` read a landmark rate off it.
* Best overall response and ORR (confirmed and unconfirmed) with exact CIs:
  :func:`best_overall_response`, :func:`objective_response_rate`.
* Adverse events by worst CTCAE grade per subject: :func:`ae_worst_grade_table`.

The rules, conventions and sources are in ``docs/endpoints.md``. In short: study day =
date - reference date + 1 (the reference date, C1D1, is day 1); 1 year = 365.25 days; a
subject without an event is censored at the last adequate tumour assessment (PFS) or the last
date known alive (OS); data after the data cut-off are ignored.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ecrf.oncology.stats import (
    BinomialTestResult, KMResult, SurvivalEstimate, clopper_pearson, exact_binomial_test,
    kaplan_meier, survival_at,
)

__all__ = [
    "DAYS_PER_YEAR", "DAYS_PER_MONTH", "OverallResponse", "Endpoint", "PfsRule", "OsRule",
    "Population", "TumourAssessment", "SubjectData", "TimeToEvent", "study_day",
    "derive_pfs", "derive_os", "derive_all", "km_for", "pfs_rate_at", "rate_at_months",
    "best_overall_response", "ResponseRate", "ORRResult", "objective_response_rate",
    "AdverseEvent", "AEGradeRow", "AETable", "ae_worst_grade_table",
]

#: One year in days (Julian year): 1-year PFS is read at t = 365.25 days.
DAYS_PER_YEAR = 365.25
#: One month in days (DAYS_PER_YEAR / 12): OS at 24 months is read at t = 730.5 days.
DAYS_PER_MONTH = DAYS_PER_YEAR / 12


class OverallResponse(StrEnum):
    """RECIST 1.1 overall response at one time point (equal to its plain string spelling)."""

    CR = "CR"
    PR = "PR"
    SD = "SD"
    NON_CR_NON_PD = "NON_CR_NON_PD"
    PD = "PD"
    NE = "NE"


class Endpoint(StrEnum):
    PFS = "PFS"
    OS = "OS"


class PfsRule(StrEnum):
    EVENT_PD = "EVENT_PD"
    EVENT_DEATH = "EVENT_DEATH"
    CENSORED_LAST_ASSESSMENT = "CENSORED_LAST_ASSESSMENT"
    CENSORED_NO_ASSESSMENT = "CENSORED_NO_ASSESSMENT"
    CENSORED_NEW_THERAPY = "CENSORED_NEW_THERAPY"
    CENSORED_MISSED_ASSESSMENTS = "CENSORED_MISSED_ASSESSMENTS"
    CENSORED_CUTOFF = "CENSORED_CUTOFF"
    CENSORED_WITHDRAWAL = "CENSORED_WITHDRAWAL"


class OsRule(StrEnum):
    EVENT_DEATH = "EVENT_DEATH"
    CENSORED_LAST_KNOWN_ALIVE = "CENSORED_LAST_KNOWN_ALIVE"
    CENSORED_CUTOFF = "CENSORED_CUTOFF"


class Population(StrEnum):
    """Denominator rule of the response rate."""

    EVALUABLE = "evaluable"      # measurable disease at baseline AND at least one dose
    TREATED = "treated"          # at least one dose
    ALL = "all"                  # every subject passed in


def _check_date(name: str, value: Any, subject_id: str, *, optional: bool = True) -> None:
    if value is None and optional:
        return
    if not isinstance(value, _dt.date) or isinstance(value, _dt.datetime):
        raise TypeError(f"subject {subject_id}: {name} must be a datetime.date, got {value!r}")


@dataclass(frozen=True)
class TumourAssessment:
    """One RECIST 1.1 time point: the assessment date (earliest scan date of the time point)
    and its overall response. A string response is converted to :class:`OverallResponse`."""

    date: _dt.date
    overall_response: OverallResponse

    def __post_init__(self) -> None:
        _check_date("assessment date", self.date, "?", optional=False)
        try:
            object.__setattr__(self, "overall_response", OverallResponse(self.overall_response))
        except ValueError:
            raise ValueError(f"overall_response must be one of "
                             f"{[r.value for r in OverallResponse]}, "
                             f"got {self.overall_response!r}") from None

    @property
    def adequate(self) -> bool:
        """An adequate assessment is one with an overall response other than NE."""
        return self.overall_response is not OverallResponse.NE


@dataclass(frozen=True)
class SubjectData:
    """What the derivations need about one subject; all dates are :class:`datetime.date`.

    ``reference_date`` is C1D1 (first dose); when it is missing ``enrolment_date`` is used.
    Tumour data come as ``assessments`` and/or, for callers that already derived them,
    ``first_pd_date`` plus ``adequate_assessment_dates``; both sources are merged. Assessments
    on or before the reference date are baseline and are ignored by the derivations.
    ``withdrawal_date`` is the end of all follow-up (consent withdrawn / lost to follow-up),
    not the end of treatment. ``bor_confirmed`` overrides the derived confirmed best overall
    response when given. ``measurable_disease_at_baseline`` and ``dosed`` (received at least
    one dose) decide the ORR population; None means unknown (not in the population).
    """

    subject_id: str
    reference_date: _dt.date | None = None
    enrolment_date: _dt.date | None = None
    assessments: tuple[TumourAssessment, ...] = ()
    first_pd_date: _dt.date | None = None
    adequate_assessment_dates: tuple[_dt.date, ...] = ()
    death_date: _dt.date | None = None
    last_known_alive_date: _dt.date | None = None
    withdrawal_date: _dt.date | None = None
    new_anticancer_therapy_date: _dt.date | None = None
    bor_confirmed: OverallResponse | None = None
    measurable_disease_at_baseline: bool | None = None
    dosed: bool | None = None

    def __post_init__(self) -> None:
        sid = self.subject_id
        if not isinstance(sid, str) or not sid:
            raise ValueError(f"subject_id must be a non-empty string, got {sid!r}")
        object.__setattr__(self, "assessments", tuple(sorted(
            (a if isinstance(a, TumourAssessment) else TumourAssessment(*a)
             for a in self.assessments), key=lambda a: a.date)))
        object.__setattr__(self, "adequate_assessment_dates",
                           tuple(sorted(self.adequate_assessment_dates)))
        for name in ("reference_date", "enrolment_date", "first_pd_date", "death_date",
                     "last_known_alive_date", "withdrawal_date", "new_anticancer_therapy_date"):
            _check_date(name, getattr(self, name), sid)
        for d in self.adequate_assessment_dates:
            _check_date("adequate_assessment_dates[]", d, sid, optional=False)
        if self.bor_confirmed is not None:
            object.__setattr__(self, "bor_confirmed", OverallResponse(self.bor_confirmed))
        ref = self.reference
        if ref is not None:
            if self.death_date is not None and self.death_date < ref:
                raise ValueError(f"subject {sid}: death date {self.death_date} is before the "
                                 f"reference date {ref}")
            if self.first_pd_date is not None and self.first_pd_date <= ref:
                raise ValueError(f"subject {sid}: first PD date {self.first_pd_date} is not after "
                                 f"the reference date {ref}")
        if self.death_date is not None:
            alive = [d for d in self._alive_evidence() if d > self.death_date]
            if alive:
                raise ValueError(f"subject {sid}: data dated {max(alive)} after the death date "
                                 f"{self.death_date}")

    @property
    def reference(self) -> _dt.date | None:
        """C1D1, else the enrolment date."""
        return self.reference_date if self.reference_date is not None else self.enrolment_date

    def _alive_evidence(self) -> list[_dt.date]:
        """Dates on which the subject is known to have been alive."""
        dates = [a.date for a in self.assessments] + list(self.adequate_assessment_dates)
        dates += [d for d in (self.reference, self.last_known_alive_date, self.first_pd_date,
                              self.new_anticancer_therapy_date) if d is not None]
        return dates


@dataclass(frozen=True)
class TimeToEvent:
    """One subject's derived time-to-event value. ``time_days`` = date - reference + 1."""

    subject_id: str
    endpoint: Endpoint
    time_days: int
    event: bool
    rule: str
    rule_text: str
    event_or_censor_date: _dt.date
    reference_date: _dt.date

    def to_dict(self) -> dict[str, Any]:
        return {"subject_id": self.subject_id, "endpoint": str(self.endpoint),
                "time_days": self.time_days, "event": self.event, "rule": str(self.rule),
                "rule_text": self.rule_text,
                "event_or_censor_date": self.event_or_censor_date.isoformat(),
                "reference_date": self.reference_date.isoformat()}


def study_day(date: _dt.date, reference: _dt.date) -> int:
    """Study day of ``date``: the reference date is day 1 (no day 0), i.e. date - reference + 1.
    Dates before the reference date are refused (not needed for PFS/OS)."""
    if date < reference:
        raise ValueError(f"{date} is before the reference date {reference}")
    return (date - reference).days + 1


def _reference(subject: SubjectData) -> _dt.date:
    ref = subject.reference
    if ref is None:
        raise ValueError(f"subject {subject.subject_id}: no reference date (C1D1) and no "
                         f"enrolment date")
    return ref


def _earliest(*dates: _dt.date | None) -> _dt.date | None:
    present = [d for d in dates if d is not None]
    return min(present) if present else None


def _result(subject: SubjectData, endpoint: Endpoint, ref: _dt.date, date: _dt.date,
            event: bool, rule: StrEnum, text: str) -> TimeToEvent:
    return TimeToEvent(subject_id=subject.subject_id, endpoint=endpoint,
                       time_days=study_day(date, ref), event=event, rule=str(rule),
                       rule_text=text, event_or_censor_date=date, reference_date=ref)


def _tumour_dates(subject: SubjectData, ref: _dt.date) -> tuple[list[_dt.date], list[_dt.date]]:
    """(sorted adequate post-baseline assessment dates, sorted PD dates); PD dates are adequate."""
    adequate = {a.date for a in subject.assessments if a.date > ref and a.adequate}
    adequate.update(d for d in subject.adequate_assessment_dates if d > ref)
    pd = {a.date for a in subject.assessments
          if a.date > ref and a.overall_response is OverallResponse.PD}
    if subject.first_pd_date is not None:
        pd.add(subject.first_pd_date)
    adequate.update(pd)
    return sorted(adequate), sorted(pd)


def _last_on_or_before(dates: Sequence[_dt.date], limit: _dt.date) -> _dt.date | None:
    before = [d for d in dates if d <= limit]
    return before[-1] if before else None


def _last_before(dates: Sequence[_dt.date], limit: _dt.date) -> _dt.date | None:
    before = [d for d in dates if d < limit]
    return before[-1] if before else None


def _check_interval(assessment_interval_days: int | None, assessment_window_days: int) -> None:
    if assessment_interval_days is not None and (
            isinstance(assessment_interval_days, bool)
            or not isinstance(assessment_interval_days, int) or assessment_interval_days <= 0):
        raise ValueError(f"assessment_interval_days must be a positive int or None, "
                         f"got {assessment_interval_days!r}")
    if (isinstance(assessment_window_days, bool) or not isinstance(assessment_window_days, int)
            or assessment_window_days < 0):
        raise ValueError(f"assessment_window_days must be a non-negative int, "
                         f"got {assessment_window_days!r}")


def derive_pfs(subject: SubjectData, *, data_cutoff: _dt.date | None = None,
               assessment_interval_days: int | None = None,
               assessment_window_days: int = 0) -> TimeToEvent:
    """Progression-free survival of one subject (rules in the order applied; docs/endpoints.md):

    1. Data after ``data_cutoff`` and after ``withdrawal_date`` are ignored.
    2. New anticancer therapy started before PD/death (strictly before the event date, or with
       no event) -> censored at the last adequate assessment on or before the start of the new
       therapy (at the reference date if there is none): ``CENSORED_NEW_THERAPY``.
    3. PD or death after two or more missed assessments -- only when
       ``assessment_interval_days`` is given: the gap from the last adequate assessment before
       the event (or from the reference date) exceeds 2 * interval + window -> censored at that
       assessment (or the reference date): ``CENSORED_MISSED_ASSESSMENTS``.
    4. Event on the earlier of the first PD date (``EVENT_PD``; also when death is on the same
       day) and the death date (``EVENT_DEATH``).
    5. No event: censored at the last adequate assessment (``CENSORED_LAST_ASSESSMENT``), at the
       reference date if there is none (``CENSORED_NO_ASSESSMENT``); when an event was ignored
       because of the cut-off or the withdrawal, ``CENSORED_CUTOFF`` / ``CENSORED_WITHDRAWAL``.
    """
    _check_interval(assessment_interval_days, assessment_window_days)
    ref = _reference(subject)
    if data_cutoff is not None and data_cutoff < ref:
        raise ValueError(f"subject {subject.subject_id}: reference date {ref} is after the data "
                         f"cut-off {data_cutoff}")
    adequate, pd_dates = _tumour_dates(subject, ref)
    death = subject.death_date

    limit = _earliest(data_cutoff, subject.withdrawal_date)
    limit_rule, limit_text = None, ""
    if limit is not None:
        if data_cutoff is not None and limit == data_cutoff:
            limit_rule, limit_text = PfsRule.CENSORED_CUTOFF, f"data cut-off {data_cutoff}"
        else:
            limit_rule, limit_text = PfsRule.CENSORED_WITHDRAWAL, f"withdrawal {limit}"
        events_before = [d for d in pd_dates + ([death] if death else []) if d <= limit]
        events_after = [d for d in pd_dates + ([death] if death else []) if d > limit]
        if events_before or not events_after:
            limit_rule = None                    # nothing was cut away by the limit
        adequate = [d for d in adequate if d <= limit]
        pd_dates = [d for d in pd_dates if d <= limit]
        death = death if death is not None and death <= limit else None
    new_therapy = subject.new_anticancer_therapy_date
    if new_therapy is not None and limit is not None and new_therapy > limit:
        new_therapy = None

    first_pd = pd_dates[0] if pd_dates else None
    event_date = _earliest(first_pd, death)

    if new_therapy is not None and (event_date is None or new_therapy < event_date):
        last = _last_on_or_before(adequate, new_therapy)
        basis = f"last adequate assessment {last}" if last else "reference date (no adequate " \
            "assessment before it)"
        return _result(subject, Endpoint.PFS, ref, last or ref, False,
                       PfsRule.CENSORED_NEW_THERAPY,
                       f"New anticancer therapy started {new_therapy} before progression or "
                       f"death: censored at the {basis}.")

    if event_date is not None:
        kind = "progression" if event_date == first_pd else "death"
        if assessment_interval_days is not None:
            last = _last_before(adequate, event_date)
            gap = (event_date - (last or ref)).days
            allowed = 2 * assessment_interval_days + assessment_window_days
            if gap > allowed:
                basis = f"last adequate assessment {last}" if last else "reference date"
                return _result(subject, Endpoint.PFS, ref, last or ref, False,
                               PfsRule.CENSORED_MISSED_ASSESSMENTS,
                               f"{kind.capitalize()} on {event_date} after two or more missed "
                               f"assessments ({gap} days > {allowed}): censored at the {basis}.")
        if kind == "progression":
            return _result(subject, Endpoint.PFS, ref, event_date, True, PfsRule.EVENT_PD,
                           f"Event: documented progression (RECIST 1.1 PD) on {event_date}.")
        return _result(subject, Endpoint.PFS, ref, event_date, True, PfsRule.EVENT_DEATH,
                       f"Event: death on {event_date} without documented progression.")

    last = adequate[-1] if adequate else None
    if limit_rule is not None:
        basis = f"last adequate assessment {last}" if last else "reference date (no adequate " \
            "assessment)"
        return _result(subject, Endpoint.PFS, ref, last or ref, False, limit_rule,
                       f"Progression/death after the {limit_text} ignored: censored at the "
                       f"{basis}.")
    if last is not None:
        return _result(subject, Endpoint.PFS, ref, last, False, PfsRule.CENSORED_LAST_ASSESSMENT,
                       f"No progression or death: censored at the last adequate assessment "
                       f"{last}.")
    return _result(subject, Endpoint.PFS, ref, ref, False, PfsRule.CENSORED_NO_ASSESSMENT,
                   "No adequate post-baseline assessment and no death: censored at the "
                   "reference date (day 1).")


def derive_os(subject: SubjectData, *, data_cutoff: _dt.date | None = None) -> TimeToEvent:
    """Overall survival of one subject: event = death from any cause on or before the cut-off;
    otherwise censored at the last date known alive -- the latest of ``last_known_alive_date``,
    the assessment dates, the new-therapy date and the reference date -- or at the cut-off if
    that is earlier (``CENSORED_CUTOFF``; also when the death is after the cut-off). A death
    recorded after ``withdrawal_date`` still counts (see docs/endpoints.md)."""
    ref = _reference(subject)
    if data_cutoff is not None and data_cutoff < ref:
        raise ValueError(f"subject {subject.subject_id}: reference date {ref} is after the data "
                         f"cut-off {data_cutoff}")
    death = subject.death_date
    if death is not None and (data_cutoff is None or death <= data_cutoff):
        return _result(subject, Endpoint.OS, ref, death, True, OsRule.EVENT_DEATH,
                       f"Event: death on {death}.")
    alive = max(subject._alive_evidence())
    if data_cutoff is not None and (alive > data_cutoff or death is not None):
        why = "death after the cut-off" if death is not None else "known alive after the cut-off"
        return _result(subject, Endpoint.OS, ref, data_cutoff, False, OsRule.CENSORED_CUTOFF,
                       f"Censored at the data cut-off {data_cutoff} ({why}).")
    return _result(subject, Endpoint.OS, ref, alive, False, OsRule.CENSORED_LAST_KNOWN_ALIVE,
                   f"Alive: censored at the last date known alive {alive}.")


def derive_all(subjects: Iterable[SubjectData], endpoint: Endpoint | str, *,
               data_cutoff: _dt.date | None = None, **pfs_options: Any) -> list[TimeToEvent]:
    """:func:`derive_pfs` or :func:`derive_os` for every subject (PFS options pass through)."""
    endpoint = Endpoint(endpoint)
    if endpoint is Endpoint.PFS:
        return [derive_pfs(s, data_cutoff=data_cutoff, **pfs_options) for s in subjects]
    if pfs_options:
        raise TypeError(f"OS takes no options {sorted(pfs_options)}")
    return [derive_os(s, data_cutoff=data_cutoff) for s in subjects]


def km_for(results: Sequence[TimeToEvent], *, alpha: float = 0.05,
           ci_method: str = "log-log") -> KMResult:
    """Kaplan-Meier estimate over derived per-subject results (time in study days)."""
    return kaplan_meier([r.time_days for r in results], [r.event for r in results],
                        alpha=alpha, ci_method=ci_method)


def pfs_rate_at(km: KMResult, days: float = DAYS_PER_YEAR) -> SurvivalEstimate:
    """Landmark rate S(days) with its CI; by default the 1-year rate at 365.25 days, which on
    integer study days is S(day 365)."""
    return survival_at(km, days)


def rate_at_months(km: KMResult, months: float) -> SurvivalEstimate:
    """Landmark rate at ``months`` * 30.4375 days (e.g. OS at 24 months = S(730.5))."""
    return survival_at(km, months * DAYS_PER_MONTH)


# --------------------------------------------------------------------------------------------
# Best overall response and ORR
# --------------------------------------------------------------------------------------------

_RESPONDERS = (OverallResponse.CR, OverallResponse.PR)
_SD_OR_BETTER = (OverallResponse.CR, OverallResponse.PR, OverallResponse.SD)


def _response_limit(subject: SubjectData, data_cutoff: _dt.date | None) -> _dt.date | None:
    """Last date whose assessments count for the best response."""
    return _earliest(data_cutoff, subject.withdrawal_date, subject.new_anticancer_therapy_date)


def _response_window(subject: SubjectData, ref: _dt.date,
                     data_cutoff: _dt.date | None) -> list[TumourAssessment]:
    """Post-baseline assessments that count for the best response: on or before the cut-off,
    the withdrawal and the start of new anticancer therapy, up to and including the first PD."""
    limit = _response_limit(subject, data_cutoff)
    window = []
    for a in subject.assessments:
        if a.date <= ref or (limit is not None and a.date > limit):
            continue
        if subject.first_pd_date is not None and a.date > subject.first_pd_date:
            break
        window.append(a)
        if a.overall_response is OverallResponse.PD:
            break
    return window


def best_overall_response(subject: SubjectData, *, confirmed: bool = True,
                          data_cutoff: _dt.date | None = None,
                          confirmation_min_days: int = 28,
                          sd_min_days: int = 42) -> OverallResponse:
    """Best overall response (RECIST 1.1 section 4.4, simplified; docs/endpoints.md).

    Over the response window (post-baseline, up to the first PD, the new therapy, the
    withdrawal and the cut-off): confirmed CR = a CR followed by another CR at least
    ``confirmation_min_days`` later; confirmed PR = a CR/PR followed by a CR/PR at least that
    much later (intervening SD/NE allowed). Unconfirmed (``confirmed=False``): any CR, else any
    PR. Otherwise SD (or NON_CR_NON_PD) if such a response was seen at least ``sd_min_days``
    after the reference date, else PD if PD was documented, else NE. With ``confirmed=True`` a
    given ``subject.bor_confirmed`` is returned as is.
    """
    if confirmed and subject.bor_confirmed is not None:
        return subject.bor_confirmed
    ref = _reference(subject)
    window = _response_window(subject, ref, data_cutoff)
    responses = [a.overall_response for a in window]
    if confirmed:
        for best, want in ((OverallResponse.CR, (OverallResponse.CR,)),
                           (OverallResponse.PR, _RESPONDERS)):
            for i, first in enumerate(window):
                if first.overall_response in want and any(
                        later.overall_response in want
                        and (later.date - first.date).days >= confirmation_min_days
                        for later in window[i + 1:]):
                    return best
    else:
        for want in _RESPONDERS:
            if want in responses:
                return want
    late = [a.overall_response for a in window if (a.date - ref).days >= sd_min_days]
    if any(r in _SD_OR_BETTER for r in late):
        return OverallResponse.SD
    if OverallResponse.NON_CR_NON_PD in late:
        return OverallResponse.NON_CR_NON_PD
    limit = _response_limit(subject, data_cutoff)
    if OverallResponse.PD in responses or (
            subject.first_pd_date is not None
            and (limit is None or subject.first_pd_date <= limit)):
        return OverallResponse.PD
    return OverallResponse.NE


@dataclass(frozen=True)
class ResponseRate:
    """Responders / denominator with the exact (Clopper-Pearson) CI and, if a null rate was
    given, the exact binomial test."""

    numerator: int
    denominator: int
    rate: float
    ci_lower: float
    ci_upper: float
    alpha: float
    responder_ids: tuple[str, ...]
    test: BinomialTestResult | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"numerator": self.numerator, "denominator": self.denominator, "rate": self.rate,
                "ci_lower": self.ci_lower, "ci_upper": self.ci_upper,
                "ci_method": "clopper-pearson", "confidence_level": 1.0 - self.alpha,
                "responder_ids": list(self.responder_ids),
                "test": self.test.to_dict() if self.test else None}


@dataclass(frozen=True)
class ORRResult:
    """Objective response rate: confirmed (primary definition) and unconfirmed."""

    population: str
    confirmed: ResponseRate
    unconfirmed: ResponseRate
    best_response_counts: dict[str, int]
    included_ids: tuple[str, ...]
    excluded_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"population": self.population, "confirmed": self.confirmed.to_dict(),
                "unconfirmed": self.unconfirmed.to_dict(),
                "best_response_counts": dict(self.best_response_counts),
                "included_ids": list(self.included_ids), "excluded_ids": list(self.excluded_ids)}


def _in_population(subject: SubjectData, population: Population | str | Callable) -> bool:
    if callable(population):
        return bool(population(subject))
    population = Population(population)
    if population is Population.ALL:
        return True
    if population is Population.TREATED:
        return subject.dosed is True
    return subject.dosed is True and subject.measurable_disease_at_baseline is True


def _rate(ids: list[str], n: int, alpha: float, null_rate: float | None) -> ResponseRate:
    k = len(ids)
    lower, upper = clopper_pearson(k, n, alpha)
    test = exact_binomial_test(k, n, null_rate, alpha=alpha) if null_rate is not None else None
    return ResponseRate(numerator=k, denominator=n, rate=k / n, ci_lower=lower, ci_upper=upper,
                        alpha=alpha, responder_ids=tuple(ids), test=test)


def objective_response_rate(subjects: Iterable[SubjectData], *,
                            population: Population | str | Callable[[SubjectData], bool]
                            = Population.EVALUABLE,
                            alpha: float = 0.05, null_rate: float | None = None,
                            data_cutoff: _dt.date | None = None,
                            confirmation_min_days: int = 28,
                            sd_min_days: int = 42) -> ORRResult:
    """ORR = subjects with best overall response CR or PR / subjects in ``population``.

    ``population``: ``"evaluable"`` (measurable disease at baseline and at least one dose,
    default), ``"treated"``, ``"all"`` or a predicate on :class:`SubjectData`. Confirmed ORR
    uses the confirmed BOR, unconfirmed ORR counts a subject with any CR/PR (or a confirmed
    one). Exact Clopper-Pearson CI; exact binomial test against ``null_rate`` if given.
    Raises ValueError when the population is empty.
    """
    subjects = list(subjects)
    label = getattr(population, "__name__", None) if callable(population) else \
        str(Population(population))
    included, excluded = [], []
    for s in subjects:
        (included if _in_population(s, population) else excluded).append(s)
    if not included:
        raise ValueError(f"the ORR population {label!r} is empty")
    opts = dict(data_cutoff=data_cutoff, confirmation_min_days=confirmation_min_days,
                sd_min_days=sd_min_days)
    counts = {r.value: 0 for r in OverallResponse}
    confirmed_ids, unconfirmed_ids = [], []
    for s in included:
        bor = best_overall_response(s, confirmed=True, **opts)
        counts[bor.value] += 1
        if bor in _RESPONDERS:
            confirmed_ids.append(s.subject_id)
        if bor in _RESPONDERS or best_overall_response(s, confirmed=False, **opts) in _RESPONDERS:
            unconfirmed_ids.append(s.subject_id)
    n = len(included)
    return ORRResult(population=label or "custom",
                     confirmed=_rate(confirmed_ids, n, alpha, null_rate),
                     unconfirmed=_rate(unconfirmed_ids, n, alpha, null_rate),
                     best_response_counts=counts,
                     included_ids=tuple(s.subject_id for s in included),
                     excluded_ids=tuple(s.subject_id for s in excluded))


# --------------------------------------------------------------------------------------------
# Adverse events by worst grade
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AdverseEvent:
    """One AE record: coded term (MedDRA PT) and SOC, CTCAE v5.0 grade 1-5, causality."""

    subject_id: str
    term: str
    soc: str
    grade: int
    treatment_related: bool = False

    def __post_init__(self) -> None:
        for name in ("subject_id", "term", "soc"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"AE {name} must be a non-empty string, got {value!r}")
        if isinstance(self.grade, bool) or not isinstance(self.grade, int) \
                or not 1 <= self.grade <= 5:
            raise ValueError(f"AE grade must be an int 1-5 (CTCAE v5.0), got {self.grade!r}")
        if not isinstance(self.treatment_related, bool):
            raise ValueError(f"treatment_related must be a bool, got {self.treatment_related!r}")


@dataclass(frozen=True)
class AEGradeRow:
    """Subjects by worst grade for one level: ``ANY`` (any AE), ``SOC`` or ``TERM``."""

    level: str
    soc: str | None
    term: str | None
    by_grade: tuple[int, int, int, int, int]       # subjects whose worst grade is 1..5
    population_n: int

    @property
    def any_grade(self) -> int:
        return sum(self.by_grade)

    @property
    def grade_3_plus(self) -> int:
        return sum(self.by_grade[2:])

    def _pct(self, count: int) -> float:
        return 100.0 * count / self.population_n

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "soc": self.soc, "term": self.term,
                "by_grade": {str(g): c for g, c in enumerate(self.by_grade, start=1)},
                "any_grade": self.any_grade, "grade_3_plus": self.grade_3_plus,
                "pct_by_grade": {str(g): self._pct(c) for g, c in enumerate(self.by_grade,
                                                                          start=1)},
                "pct_any_grade": self._pct(self.any_grade),
                "pct_grade_3_plus": self._pct(self.grade_3_plus)}


@dataclass(frozen=True)
class AETable:
    population_n: int
    treatment_related_only: bool
    rows: tuple[AEGradeRow, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {"population_n": self.population_n,
                "treatment_related_only": self.treatment_related_only,
                "rows": [r.to_dict() for r in self.rows]}


def _row(level: str, soc: str | None, term: str | None, worst: dict[str, int],
         n: int) -> AEGradeRow:
    by_grade = [0] * 5
    for grade in worst.values():
        by_grade[grade - 1] += 1
    return AEGradeRow(level=level, soc=soc, term=term, by_grade=tuple(by_grade), population_n=n)


def ae_worst_grade_table(events: Iterable[AdverseEvent],
                         safety_population: int | Iterable[str], *,
                         treatment_related_only: bool = False) -> AETable:
    """Subjects by worst CTCAE grade: one ``ANY`` row, then per SOC a ``SOC`` row followed by
    its ``TERM`` rows. A subject counts once per row, at the worst grade of the AEs in it.
    SOCs, and terms within a SOC, are sorted by subjects with any grade (descending), then by
    name. Percentages are of the safety population N (an int, or the subject ids, in which case
    an AE of a subject outside it is an error). ``treatment_related_only`` keeps only AEs
    assessed as related to study treatment.
    """
    events = list(events)
    if isinstance(safety_population, int) and not isinstance(safety_population, bool):
        n, members = safety_population, None
    else:
        members = set(safety_population)
        n = len(members)
    if n < 1:
        raise ValueError("the safety population is empty")
    subjects_with_ae = {e.subject_id for e in events}
    if members is not None:
        outside = sorted(subjects_with_ae - members)
        if outside:
            raise ValueError(f"AEs of subjects outside the safety population: {outside}")
    elif len(subjects_with_ae) > n:
        raise ValueError(f"{len(subjects_with_ae)} subjects have AEs but the safety population "
                         f"N is {n}")
    if treatment_related_only:
        events = [e for e in events if e.treatment_related]

    def worst(items: Iterable[AdverseEvent]) -> dict[str, int]:
        out: dict[str, int] = {}
        for e in items:
            out[e.subject_id] = max(out.get(e.subject_id, 0), e.grade)
        return out

    by_soc: dict[str, list[AdverseEvent]] = {}
    for e in events:
        by_soc.setdefault(e.soc, []).append(e)
    rows = [_row("ANY", None, None, worst(events), n)]
    soc_rows = [(_row("SOC", soc, None, worst(items), n), items) for soc, items in by_soc.items()]
    soc_rows.sort(key=lambda pair: (-pair[0].any_grade, pair[0].soc))
    for soc_row, items in soc_rows:
        rows.append(soc_row)
        by_term: dict[str, list[AdverseEvent]] = {}
        for e in items:
            by_term.setdefault(e.term, []).append(e)
        term_rows = [_row("TERM", soc_row.soc, term, worst(t_items), n)
                     for term, t_items in by_term.items()]
        term_rows.sort(key=lambda r: (-r.any_grade, r.term))
        rows.extend(term_rows)
    return AETable(population_n=n, treatment_related_only=treatment_related_only,
                   rows=tuple(rows))

