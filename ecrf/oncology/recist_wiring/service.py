"""Recomputing a subject's RECIST 1.1 derivations when its tumour assessments change.

Only **complete** F_RECIST_BL / F_RECIST records are evaluated: a draft may be half entered and
would raise findings the site has not finished fixing. The reference date is the subject's C1D1
anchor; without it, the baseline assessment date (the latest date known to precede treatment),
flagged as such. Results are stored as derivations (``recist.subject`` and one
``recist.assessment`` per follow-up record, with the engine version and the records and
versions used); findings and investigator disagreements become automatic queries.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.entry.models import Record, Subject, Visit
from ecrf.entry.subjects import study_definition
from ecrf.oncology import derived
from ecrf.oncology.recist import (
    ENGINE_VERSION, Assessment, AssessmentResult, Baseline, Finding, SubjectResult, baseline_sum, check_baseline,
    check_followup, evaluate_subject,
)
from ecrf.oncology.recist_wiring import mapping, serialize
from ecrf.queries.services import sync_automatic

SUBJECT_KIND = "recist.subject"
ASSESSMENT_KIND = "recist.assessment"
FINDINGS_OWNER = "recist"             # engine findings about the entered lesion data
RESPONSE_OWNER = "recist-response"    # investigator response vs derived response
REFERENCE_ANCHOR = "c1d1"


@dataclass
class _Entry:
    """One complete RECIST record with what the mapping and the checks made of it."""

    record: Record
    assessment: Assessment | None = None
    findings: list[Finding] = field(default_factory=list)


def _records(db: Session, subject: Subject) -> list[Record]:
    return list(db.execute(select(Record).where(
        Record.subject_id == subject.id, Record.form_oid.in_((mapping.BASELINE_FORM, mapping.FOLLOWUP_FORM)),
        Record.status == "complete").order_by(Record.id)).scalars())


def parameters(definition: dict) -> tuple[int, int]:
    params = definition.get("parameters") or {}
    return int(params.get("sd_min_days", 42)), int(params.get("confirm_min_days", 28))


def reference(subject: Subject, baseline: Baseline | None) -> tuple[dt.date | None, str | None]:
    c1d1 = subject.anchor_dates().get(REFERENCE_ANCHOR)
    if c1d1 is not None:
        return c1d1, REFERENCE_ANCHOR
    if baseline is not None:
        return baseline.date, "baseline_assessment"
    return None, None


def _inputs(records: list[Record], ref: dt.date | None, source: str | None, sd: int, confirm: int) -> dict:
    return {"records": [{"record": r.id, "form": r.form_oid, "version": r.version} for r in records],
            "reference_date": ref.isoformat() if ref else None, "reference_source": source,
            "sd_min_days": sd, "confirm_min_days": confirm}


def _record_meta(record: Record) -> dict:
    return {"record_id": record.id, "visit_key": record.visit.key, "visit_repeat": record.visit.repeat,
            "date": record.data.get("TRDAT")}


def _check(baseline: Baseline | None, baseline_findings: list[Finding], followups: list[_Entry]) -> None:
    """Attach every finding to the record it concerns (the engine reports them by date)."""
    if baseline is None:
        for entry in followups:
            entry.findings.append(Finding("NO_BASELINE", None, "There is no complete baseline assessment "
                                          "(F_RECIST_BL), so responses cannot be derived."))
        return
    baseline_findings.extend(check_baseline(baseline))
    dates = Counter(e.assessment.date for e in followups if e.assessment is not None)
    for entry in followups:
        if entry.assessment is None:
            continue
        if dates[entry.assessment.date] > 1:
            entry.findings.append(Finding("DUPLICATE_ASSESSMENT_DATE", None,
                                          f"{dates[entry.assessment.date]} assessments are dated "
                                          f"{entry.assessment.date.isoformat()}; one assessment per date "
                                          f"(merge them or correct the date).",
                                          assessment_date=entry.assessment.date))
        entry.findings.extend(check_followup(baseline, entry.assessment))


def _read(records: list[Record]) -> tuple[Record | None, Baseline | None, list[Finding], list[_Entry]]:
    baseline_record = next((r for r in records if r.form_oid == mapping.BASELINE_FORM), None)
    baseline, baseline_findings = (mapping.baseline_from(baseline_record.data) if baseline_record
                                   else (None, []))
    followups = [_Entry(r, *mapping.assessment_from(r.data)) for r in records
                 if r.form_oid == mapping.FOLLOWUP_FORM]
    _check(baseline, baseline_findings, followups)
    return baseline_record, baseline, baseline_findings, followups


def _evaluate(baseline: Baseline | None, findings: list[Finding], followups: list[_Entry],
              ref: dt.date | None, sd: int, confirm: int) -> SubjectResult | None:
    """The engine's result, or None when the data cannot be evaluated (no baseline, ERROR findings)."""
    if baseline is None or mapping.has_errors(findings + [f for e in followups for f in e.findings]):
        return None
    result = evaluate_subject(baseline, [e.assessment for e in followups], ref, sd, confirm)
    return result if result.evaluated else None   # the engine runs the same checks: always evaluated


def _store_assessment(db: Session, subject: Subject, entry: _Entry, outcome: AssessmentResult | None,
                      inputs: dict) -> None:
    record = entry.record
    value = {**_record_meta(record), "evaluated": outcome is not None,
             "investigator_response": record.data.get("RSORRES"), "agrees": None,
             "findings": [mapping.finding_dict(record.data, f) for f in entry.findings]}
    if outcome is not None:
        value.update(serialize.assessment_value(outcome))
        value["investigator"] = mapping.investigator_comparisons(record.data, outcome)
        value["agrees"] = next(c["agrees"] for c in value["investigator"] if c["item"] == "RSORRES")
    derived.store(db, subject, kind=ASSESSMENT_KIND, value=value, engine_version=ENGINE_VERSION,
                  inputs={**inputs, "record": record.id, "version": record.version}, record=record)
    sync_automatic(db, subject, record, mapping.finding_warnings(record.data, entry.findings),
                   ENGINE_VERSION, owner=FINDINGS_OWNER)
    if outcome is not None:  # without a derived response, the response queries are left as they are
        sync_automatic(db, subject, record, mapping.response_warnings(record.data, outcome),
                       ENGINE_VERSION, owner=RESPONSE_OWNER)


def recompute(db: Session, subject: Subject) -> dict | None:
    """Derive and store the subject's RECIST results; sync the automatic queries. Returns the
    subject value (None when the subject never had a complete RECIST record)."""
    records = _records(db, subject)
    if not records and not derived.load(db, subject.id, SUBJECT_KIND):
        return None
    sd, confirm = parameters(study_definition(db, subject))
    baseline_record, baseline, baseline_findings, followups = _read(records)
    ref, source = reference(subject, baseline)
    result = _evaluate(baseline, baseline_findings, followups, ref, sd, confirm)
    inputs = _inputs(records, ref, source, sd, confirm)
    outcomes = {r.date: r for r in result.assessments} if result else {}
    for entry in followups:
        outcome = outcomes.get(entry.assessment.date) if entry.assessment else None
        _store_assessment(db, subject, entry, outcome, inputs)
    if baseline_record is not None:
        sync_automatic(db, subject, baseline_record, mapping.finding_warnings(baseline_record.data,
                                                                              baseline_findings),
                       ENGINE_VERSION, owner=FINDINGS_OWNER)
    status = "evaluated" if result else ("no_baseline" if baseline is None else "not_evaluated")
    value = {"status": status, "reference_date": inputs["reference_date"], "reference_source": source,
             "sd_min_days": sd, "confirm_min_days": confirm,
             "baseline": _baseline_value(baseline_record, baseline),
             "findings": [{**mapping.finding_dict(rec.data, f), "record_id": rec.id}
                          for rec, fs in _all_findings(baseline_record, baseline_findings, followups)
                          for f in fs]}
    if result is not None:
        value.update(serialize.subject_value(result))
    derived.store(db, subject, kind=SUBJECT_KIND, value=value, engine_version=ENGINE_VERSION, inputs=inputs)
    return value


def _all_findings(baseline_record, baseline_findings, followups):
    if baseline_record is not None:
        yield baseline_record, baseline_findings
    for entry in followups:
        yield entry.record, entry.findings


def _baseline_value(record: Record | None, baseline: Baseline | None) -> dict | None:
    if record is None:
        return None
    return {"record_id": record.id, "date": record.data.get("TRDAT"),
            "measurable_disease": record.data.get("TUMEASYN") == "Y",
            "targets": len(baseline.targets) if baseline else None,
            "non_targets": len(baseline.non_targets) if baseline else None,
            "sum_mm": serialize.mm_text(baseline_sum(baseline)) if baseline else None}


def _is_reference_source(db: Session, subject: Subject, visit: Visit, record: Record) -> bool:
    for anchor in study_definition(db, subject).get("anchors", []):
        source = anchor.get("source") or {}
        if anchor["key"] == REFERENCE_ANCHOR and source.get("form") == record.form_oid \
                and source.get("visit") == visit.key and visit.repeat == 1:
            return True
    return False


def on_record_changed(db: Session, change) -> None:
    """Listener (ecrf.entry.hooks): a RECIST record changed, or the record C1D1 comes from."""
    record = change.record
    if record.form_oid in (mapping.BASELINE_FORM, mapping.FOLLOWUP_FORM):
        recompute(db, change.subject)
    elif _is_reference_source(db, change.subject, change.visit, record):
        stored = derived.load(db, change.subject.id, SUBJECT_KIND)
        if stored and stored[0].inputs.get("reference_date") != _current_reference(change.subject, stored[0]):
            recompute(db, change.subject)


def _current_reference(subject: Subject, stored) -> str | None:
    c1d1 = subject.anchor_dates().get(REFERENCE_ANCHOR)
    if c1d1 is not None:
        return c1d1.isoformat()
    baseline = (stored.value.get("baseline") or {}) if stored.value else {}
    return baseline.get("date")
