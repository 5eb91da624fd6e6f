"""CTCAE v5.0 grades derived from laboratory records, and lab grades above the recorded AE grade.

Each F_LB record gets a derivation with the grade of every gradeable analyte. ALT, AST, bilirubin
and creatinine are graded against the baseline (the screening lab record) when that is abnormal,
so a change of the screening record re-grades every lab record of the subject; a change of any
other lab record re-grades that record alone. Whenever a lab or AE record changes, each AE record
is compared with the lab grades of its term inside its period; a lab-derived grade above the AE
grade raises an automatic query on that AE's grade.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.entry.compiled import CompiledForm
from ecrf.entry.models import Record, Subject, Visit
from ecrf.entry.records import compiled_for
from ecrf.oncology import ctcae, derived, units
from ecrf.queries.services import sync_automatic
from ecrf.rules import PartialDate

KIND = "ctcae.lab"
ENGINE = "ctcae-v5.0/1"
# analyte code of the engine -> item stem in F_LB (LB<stem>, LB<stem>U, LB<stem>LO, LB<stem>HI)
ANALYTE_ITEMS = {"Hb": "HGB", "WBC": "WBC", "ANC": "ANC", "PLT": "PLT", "ALT": "ALT", "AST": "AST",
                 "BILI": "BILI", "CREAT": "CREAT"}
BASELINE_ANALYTES = {"ALT", "AST", "BILI", "CREAT"}


def _decimal(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def lab_value(form: CompiledForm, data: dict, analyte: str) -> tuple[Decimal, str, Decimal | None, Decimal | None] | None:
    """(value, unit text, LLN, ULN) of one analyte of a lab record, or None when not entered."""
    stem = ANALYTE_ITEMS[analyte]
    value, unit_code = _decimal(data.get(f"LB{stem}")), data.get(f"LB{stem}U")
    if value is None or unit_code is None:
        return None
    unit = form.items[f"LB{stem}U"].code_labels.get(unit_code, unit_code)
    return value, unit, _decimal(data.get(f"LB{stem}LO")), _decimal(data.get(f"LB{stem}HI"))


def grade_record(form: CompiledForm, data: dict, baseline: dict[str, tuple[Decimal, str]]) -> dict:
    """Grades per CTCAE term of one lab record (pure); problems are reported, not raised."""
    grades, problems = {}, []
    for analyte, term in ctcae.LAB_TERMS.items():
        entered = lab_value(form, data, analyte)
        if entered is None:
            continue
        value, unit, lln, uln = entered
        base = None
        if analyte in BASELINE_ANALYTES and analyte in baseline:
            base_value, base_unit = baseline[analyte]
            base = units.convert(base_value, base_unit, unit, analyte)
        try:
            result = ctcae.grade_lab(analyte, value, unit, lln, uln, baseline=base)
        except (ctcae.MissingReferenceError, units.UnitError, ValueError) as exc:
            problems.append({"term": term, "problem": str(exc)})
            continue
        grades[term] = {"grade": result.grade, "band": result.band, "value": str(value), "unit": unit,
                        "basis": result.basis}
    return {"date": data.get("LBDAT"), "grades": grades, "problems": problems}


BASELINE_VISIT = "SCR"


def _baseline(db: Session, subject: Subject) -> dict[str, tuple[Decimal, str]]:
    row = db.execute(select(Record).join(Visit, Visit.id == Record.visit_id).where(
        Record.subject_id == subject.id, Record.form_oid == "F_LB", Visit.key == BASELINE_VISIT)
        .order_by(Record.id).limit(1)).scalars().first()
    if row is None:
        return {}
    form = compiled_for(db, row)
    out = {}
    for analyte in BASELINE_ANALYTES:
        entered = lab_value(form, row.data, analyte)
        if entered is not None:
            out[analyte] = (entered[0], entered[1])
    return out


def _records(db: Session, subject: Subject, form_oid: str) -> list[Record]:
    return list(db.execute(select(Record).where(Record.subject_id == subject.id, Record.form_oid == form_oid)
                           .order_by(Record.id)).scalars())


def _regrade_labs(db: Session, subject: Subject, changed: Record, visit: Visit) -> None:
    baseline = _baseline(db, subject)
    affected = _records(db, subject, "F_LB") if visit.key == BASELINE_VISIT else [changed]
    for record in affected:
        value = grade_record(compiled_for(db, record), record.data, baseline)
        derived.store(db, subject, kind=KIND, value=value, engine_version=ENGINE, record=record,
                      inputs={"record": record.id, "version": record.version, "baseline": sorted(baseline)})


def _period(data: dict) -> tuple[dt.date, dt.date | None] | None:
    start = data.get("AESTDAT")
    if start is None:
        return None
    begin = PartialDate.parse(start).earliest()
    end = data.get("AEENDAT")
    return begin, (PartialDate.parse(end).latest() if end and data.get("AEONGO") != "Y" else None)


def _compare_with_aes(db: Session, subject: Subject) -> None:
    observations = []
    for row in derived.load(db, subject.id, KIND):
        if row.value.get("date") is None:
            continue
        day = dt.date.fromisoformat(row.value["date"])
        observations += [ctcae.LabObservation(term, g["grade"], day) for term, g in row.value["grades"].items()]
    for ae in _records(db, subject, "F_AE"):
        period, term, grade = _period(ae.data), ae.data.get("AEDECOD"), ae.data.get("AETOXGR")
        warnings = []
        if period is not None and term and grade is not None:
            record = ctcae.AERecord(term, grade, period[0], period[1])
            same_term = [o for o in observations if o.term.casefold() == term.strip().casefold()]
            for finding in ctcae.lab_grade_exceeds_ae(same_term, [record]):
                if finding.kind != "lab_grade_above_ae":
                    continue
                warnings.append({"key": "AETOXGR", "rule": "CTCAE_LAB_GRADE_ABOVE_AE", "severity": "soft",
                                 "item": "AETOXGR", "group": None, "row": None, "value": grade,
                                 "message": f"{finding.message}; review the AE grade against the lab results"})
        # one query per AE record: the highest lab grade speaks for the others
        warnings = sorted(warnings, key=lambda w: w["message"])[-1:]
        sync_automatic(db, subject, ae, warnings, ctcae_rule_version(), owner="ctcae")


def ctcae_rule_version() -> str:
    return ENGINE


def on_record_changed(db: Session, change) -> None:
    if change.action == "completed" and not change.changes:
        return  # grades and AE comparisons follow the values alone, and none changed
    if change.record.form_oid == "F_LB":
        _regrade_labs(db, change.subject, change.record, change.visit)
        _compare_with_aes(db, change.subject)
    elif change.record.form_oid == "F_AE":
        _compare_with_aes(db, change.subject)
