"""Per-subject endpoint inputs from collected form data and RECIST derivations (pure).

A :class:`SubjectSource` is what the database layer gathered about one subject; :func:`analyse`
turns it into the engine's :class:`~ecrf.oncology.endpoints.SubjectData`, the best overall
response at the data cut-off, and notes on every imputation or exclusion. The rules are listed
in docs/endpoints.md ("Endpoints report").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ecrf.oncology.endpoints import (
    SubjectData, TimeToEvent, TumourAssessment, derive_os, derive_pfs,
)
from ecrf.oncology.recist import best_overall_response
from ecrf.rules import PartialDate

RELATED = frozenset({"POSSIBLE", "PROBABLE", "DEFINITE"})
ANALYSIS_RULE = ("Treated subjects at the caller's sites: a C1D1 (first dose) date on or before the data "
                 "cut-off. Time origin C1D1 = day 1.")


@dataclass
class SubjectSource:
    """What the database holds about one subject (complete records only)."""

    code: str
    site: str
    status: str
    status_date: dt.date | None
    reference_date: dt.date | None                 # C1D1 anchor
    recist: dict | None = None                     # value of the recist.subject derivation
    recist_engine_version: str | None = None
    death_dates: list[str] = field(default_factory=list)         # F_DD DTHDAT (may be partial)
    followups: list[dict] = field(default_factory=list)          # F_FU data
    adverse_events: list[dict] = field(default_factory=list)     # F_AE data
    visit_dates: list[dt.date] = field(default_factory=list)     # dated non-log visits with data


@dataclass
class SubjectOutcome:
    source: SubjectSource
    excluded_reason: str | None = None
    data: SubjectData | None = None
    pfs: TimeToEvent | None = None
    os: TimeToEvent | None = None
    bor_confirmed: str | None = None
    bor_unconfirmed: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def analysed(self) -> bool:
        return self.excluded_reason is None


# statuses of subjects who never entered the trial (ecrf.entry.subjects.TRANSITIONS)
NOT_ENROLLED = frozenset({"screening", "screen_failed"})


def _date(text) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _partial(text) -> PartialDate | None:
    try:
        return PartialDate.parse(text) if isinstance(text, str) else None
    except ValueError:
        return None


def measurable_disease(source: SubjectSource) -> bool | None:
    baseline = (source.recist or {}).get("baseline")
    return None if baseline is None else bool(baseline.get("measurable_disease"))


def last_known_alive(source: SubjectSource) -> dt.date | None:
    """Latest F_FU date last known alive (or contact date with status alive) and visit date."""
    dates = list(source.visit_dates)
    for fu in source.followups:
        dates.append(_date(fu.get("LKADAT")))
        if fu.get("SSORRES") == "ALIVE":
            dates.append(_date(fu.get("SSDAT")))
    dates = [d for d in dates if d is not None]
    return max(dates) if dates else None


def death_date(source: SubjectSource, alive: list[dt.date], notes: list[str]) -> dt.date | None:
    """F_DD date of death; a partial date is imputed to its earliest possible day, but not before
    the last date the subject is known alive within that period."""
    parsed = [p for p in (_partial(t) for t in source.death_dates) if p is not None]
    if not parsed:
        return None
    death = min(parsed, key=lambda p: p.earliest())
    if death.is_complete:
        return death.to_date()
    imputed = max([death.earliest()] + [d for d in alive if death.earliest() <= d <= death.latest()])
    notes.append(f"DEATH_DATE_IMPUTED: partial date of death {death} imputed as {imputed.isoformat()}")
    return imputed


def new_therapy_date(source: SubjectSource, reference: dt.date, notes: list[str]) -> dt.date | None:
    """Earliest F_FU start of new anticancer therapy; a partial date is imputed to its earliest
    possible day, but not before the day after C1D1."""
    starts = [p for fu in source.followups if fu.get("STHYN") == "Y"
              for p in [_partial(fu.get("STHSTDAT"))] if p is not None]
    if not starts:
        return None
    first = min(starts, key=lambda p: p.earliest())
    if first.is_complete:
        return first.to_date()
    imputed = max(first.earliest(), reference + dt.timedelta(days=1))
    notes.append(f"NEW_THERAPY_DATE_IMPUTED: partial start {first} imputed as {imputed.isoformat()}")
    return imputed


def bor_at(recist: dict, reference: dt.date, limit: dt.date, sd_min: int, confirm_min: int) -> tuple[str, str]:
    """(confirmed, unconfirmed) best overall response from the stored RECIST time line, using only
    time points on or before ``limit`` (cut-off, withdrawal, start of new therapy)."""
    timeline = [(_date(d), r) for d, r in recist.get("bor_timeline", [])]
    timeline = [(d, r) for d, r in timeline if d is not None and d <= limit]
    non_target_only = not ((recist.get("baseline") or {}).get("targets") or 0)
    best = best_overall_response(timeline, reference, sd_min, confirm_min, non_target_only=non_target_only)
    return str(best.confirmed), str(best.unconfirmed)


def analyse(source: SubjectSource, cutoff: dt.date, sd_min: int, confirm_min: int) -> SubjectOutcome:
    """Endpoints of one subject at the data cut-off; exclusions and imputations are noted."""
    out = SubjectOutcome(source)
    ref = source.reference_date
    if source.status in NOT_ENROLLED:
        out.excluded_reason = (f"NOT_ENROLLED: subject status {source.status}; data of a subject who was never "
                               f"enrolled is not analysed")
        return out
    if ref is None:
        out.excluded_reason = "NO_C1D1: no first-dose date (not treated)"
        return out
    if ref > cutoff:
        out.excluded_reason = f"C1D1_AFTER_CUTOFF: C1D1 {ref.isoformat()} is after the data cut-off"
        return out
    notes = out.notes
    recist = source.recist or {}
    if recist.get("status") != "evaluated":
        notes.append(f"RECIST_NOT_EVALUATED: RECIST status {recist.get('status', 'no_data')}; no tumour "
                     f"assessment is used")
        recist = {}
    if recist and recist.get("reference_date") != ref.isoformat():
        notes.append(f"RECIST_REFERENCE_DIFFERS: RECIST derived from reference {recist.get('reference_date')}")
    withdrawal = source.status_date if source.status == "withdrawn" else None
    alive = last_known_alive(source)
    timepoints = [(_date(t["date"]), t["overall_response"]) for t in recist.get("timepoints", [])]
    assessments = tuple(TumourAssessment(d, r) for d, r in timepoints if d is not None and d > ref)
    if len(assessments) < len(timepoints):
        notes.append("ASSESSMENT_BEFORE_C1D1: an assessment on or before C1D1 is not post-baseline; ignored")
    first_pd = _date(recist.get("first_pd_date"))
    if first_pd is not None and first_pd <= ref:
        notes.append(f"PD_BEFORE_C1D1: first PD {first_pd.isoformat()} is not after C1D1; ignored")
        first_pd = None
    evidence = [d for d in [alive, *(a.date for a in assessments)] if d is not None]
    death = death_date(source, evidence, notes)
    therapy = new_therapy_date(source, ref, notes)
    limit = min(d for d in (cutoff, withdrawal, therapy) if d is not None)
    if recist:
        out.bor_confirmed, out.bor_unconfirmed = bor_at(recist, ref, limit, sd_min, confirm_min)
    else:
        out.bor_confirmed = out.bor_unconfirmed = "NE"
    try:
        out.data = SubjectData(
            subject_id=source.code, reference_date=ref, assessments=assessments, first_pd_date=first_pd,
            death_date=death, last_known_alive_date=alive, withdrawal_date=withdrawal,
            new_anticancer_therapy_date=therapy, bor_confirmed=out.bor_confirmed,
            measurable_disease_at_baseline=measurable_disease(source), dosed=True)
        out.pfs = derive_pfs(out.data, data_cutoff=cutoff)
        out.os = derive_os(out.data, data_cutoff=cutoff)
    except ValueError as problem:
        out.excluded_reason = f"INCONSISTENT_DATES: {problem}"
        out.data = out.pfs = out.os = None
    return out


def ae_exclusion(ae: dict, reference: dt.date, cutoff: dt.date) -> str | None:
    """Why an AE is not counted as treatment-emergent by the cut-off (None: it is counted).

    Counted when it may have started on or after C1D1 and not after the cut-off: a partial start
    date counts if any day it stands for qualifies."""
    start = _partial(ae.get("AESTDAT"))
    if start is None:
        return "unreadable_start"
    if start.earliest() > cutoff:
        return "after_cutoff"
    if start.latest() < reference:
        return "before_c1d1"
    if ae.get("AETOXGR") is None or not ae.get("AEDECOD"):
        return "no_term_or_grade"
    return None


def treatment_related(ae: dict) -> bool:
    return any(value in RELATED for key, value in ae.items() if key.startswith("AEREL_"))
