"""Treatment checks on F_EX and F_RT records: BSA, doses, q3w cycle timing, the radiotherapy plan.

Each problem the treatment engine finds becomes a protocol deviation finding (category
"treatment") and a soft automatic query on the record it concerns; both go away when the data
no longer shows the problem.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.entry.access import where_for
from ecrf.entry.models import Record, Subject, Visit
from ecrf.entry.subjects import study_definition
from ecrf.findings.models import Finding as FindingRow
from ecrf.findings.services import raise_finding, resolve_finding
from ecrf.oncology import treatment
from ecrf.queries.services import sync_automatic

ENGINE = "treatment/1"
BSA_TOLERANCE = Decimal("0.05")  # m2: a recorded BSA further than this from Mosteller is queried
PER_M2_PARAMETER = {"PACLITAXEL": "paclitaxel_dose_mg_m2", "NAB_PACLITAXEL": "nab_paclitaxel_dose_mg_m2"}


def _dec(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _date(value) -> dt.date | None:
    return None if value is None else dt.date.fromisoformat(value)


def _issue(finding: treatment.Finding, key: str, item: str, group: str | None = None, row: int | None = None,
           value=None) -> dict:
    return {"finding": finding, "key": key, "item": item, "group": group, "row": row, "value": value}


def exposure_issues(data: dict, parameters: dict) -> list[dict]:
    """Problems of one F_EX record (pure)."""
    issues: list[dict] = []
    height, weight, recorded = _dec(data.get("HEIGHT")), _dec(data.get("WEIGHT")), _dec(data.get("BSA"))
    bsa = None
    if height is not None and weight is not None:
        try:
            bsa = treatment.bsa_mosteller(height, weight)
        except ValueError:
            bsa = None
    if bsa is not None and recorded is not None and abs(recorded - treatment.round_bsa(bsa)) > BSA_TOLERANCE:
        finding = treatment.Finding("BSA_MISMATCH", treatment.WARNING,
                                    f"recorded BSA {recorded} m2 differs from Mosteller "
                                    f"{treatment.round_bsa(bsa)} m2 (height {height} cm, weight {weight} kg)",
                                    {"recorded": str(recorded), "mosteller": str(treatment.round_bsa(bsa))})
        issues.append(_issue(finding, "BSA", "BSA", value=str(recorded)))
    for row in data.get("IG_EX", []):
        issues += _dose_issues(row, bsa, parameters)
    return issues


def _reduction(row: dict) -> treatment.DoseReduction | None:
    if row.get("EXDOSADJ") != "Y":
        return None
    return treatment.DoseReduction(level=-(row.get("EXREDLVL") or 0), reason=row.get("EXADJ") or "")


def _dose_issues(row: dict, bsa: Decimal | None, parameters: dict) -> list[dict]:
    drug, number = row.get("EXTRT"), row.get("_row")
    key = f"IG_EX[{number}].EXDOSE"
    if row.get("EXOCCUR") == "N":
        planned = parameters.get("camrelizumab_dose_mg")
        if drug == "CAMRELIZUMAB" and planned is not None and not row.get("EXREASND"):
            found = treatment.check_flat_dose(drug, None, planned)
            return [_issue(f, key, "EXDOSE", "IG_EX", number) for f in found]
        return []
    dose, unit = _dec(row.get("EXDOSE")), row.get("EXDOSU")
    if dose is None or unit is None:
        return []
    found: list[treatment.Finding] = []
    if drug in PER_M2_PARAMETER and PER_M2_PARAMETER[drug] in parameters:
        per_m2 = Decimal(str(parameters[PER_M2_PARAMETER[drug]]))
        if unit == "MG" and bsa is not None:
            found = treatment.check_bsa_dose(drug, dose, per_m2, bsa, reduction=_reduction(row))
        elif unit == "MG_M2":
            found = treatment.check_bsa_dose(drug, dose, per_m2, Decimal(1), reduction=_reduction(row))
    elif drug == "CAMRELIZUMAB" and unit == "MG" and parameters.get("camrelizumab_dose_mg") is not None:
        found = treatment.check_flat_dose(drug, dose, parameters["camrelizumab_dose_mg"], reduction=_reduction(row))
    elif drug == "CARBOPLATIN" and unit == "AUC" and "carboplatin_auc" in parameters:
        found = treatment.check_bsa_dose(drug, dose, Decimal(str(parameters["carboplatin_auc"])), Decimal(1),
                                         reduction=_reduction(row))
    return [_issue(f, key, "EXDOSE", "IG_EX", number, str(dose)) for f in found]


def radiotherapy_issues(data: dict, parameters: dict, c2d1: dt.date | None,
                        start_window: tuple[int, int] = (0, 0)) -> list[dict]:
    """Problems of one F_RT record (pure): arithmetic always, the plan where the protocol has one.

    Impossible dates (an end before the start) are the form's hard checks; nothing is derived
    from them here.
    """
    course = treatment.RTCourse(
        start=_date(data.get("RTSTDAT")), end=_date(data.get("RTENDAT")), fractions_delivered=data.get("RTFX"),
        dose_per_fraction_gy=_dec(data.get("RTDPF")), total_dose_gy=_dec(data.get("RTDOSE")),
        interruptions=tuple((_date(r["RTINTST"]), _date(r["RTINTEN"])) for r in data.get("IG_RTINT", [])
                            if r.get("RTINTST") and r.get("RTINTEN")))
    plan_spec = parameters.get("rt_plan") or {}
    plan = None
    if all(plan_spec.get(k) is not None for k in ("total_dose_gy", "fractions", "dose_per_fraction_gy")):
        plan = treatment.RTPlan(Decimal(str(plan_spec["total_dose_gy"])), int(plan_spec["fractions"]),
                                Decimal(str(plan_spec["dose_per_fraction_gy"])))
    try:
        found = treatment.check_radiotherapy(course, plan, c2d1=c2d1 if plan is not None else None,
                                             start_window_before=start_window[0],
                                             start_window_after=start_window[1])
    except ValueError:
        return []
    items = {"RT_START_WINDOW": "RTSTDAT", "RT_OTT_PROLONGED": "RTENDAT", "RT_INTERRUPTED": "RTINTYN",
             "RT_INTERRUPTION_OUTSIDE_COURSE": "RTINTYN", "RT_FRACTIONS_PLAN": "RTFX",
             "RT_DOSE_PER_FRACTION_PLAN": "RTDPF"}
    return [_issue(f, items.get(f.code, "RTDOSE"), items.get(f.code, "RTDOSE")) for f in found]


def _records(db: Session, subject: Subject, form_oid: str, visit_key: str | None = None) -> list[tuple[Record, Visit]]:
    statement = select(Record, Visit).join(Visit, Visit.id == Record.visit_id).where(
        Record.subject_id == subject.id, Record.form_oid == form_oid)
    if visit_key:
        statement = statement.where(Visit.key == visit_key)
    return list(db.execute(statement.order_by(Visit.repeat, Record.id)).all())


def cycle_issues(cycles: list[tuple[Record, Visit]], window: tuple[int, int], interval: int) -> dict[int, list[dict]]:
    """Out-of-window cycle starts, by record id (pure over the records' data)."""
    dated = [(r, _date(r.data.get("CYCDAT"))) for r, _v in cycles]
    dated = [(r, d) for r, d in dated if d is not None]
    reasons = {i + 1: (r.data.get("CYCDLYR") or "") for i, (r, _d) in enumerate(dated) if r.data.get("CYCDLY") == "Y"}
    found = treatment.check_cycles([d for _r, d in dated], interval_days=interval, window_before=window[0],
                                   window_after=window[1], delay_reasons=reasons)
    out: dict[int, list[dict]] = {}
    for finding in found:
        record = dated[finding.details["cycle"] - 1][0]
        out.setdefault(record.id, []).append(_issue(finding, "CYCDAT", "CYCDAT", value=record.data.get("CYCDAT")))
    return out


def _apply(db: Session, subject: Subject, record: Record, visit: Visit, issues: list[dict], scope: str) -> None:
    where = where_for(subject, visit, record)
    wanted = set()
    for issue in issues:
        f = issue["finding"]
        source = f"{scope}:{record.id}:{f.code}:{issue['key']}"
        wanted.add(source)
        raise_finding(db, subject, where, code=f.code, source_key=source, category="treatment", message=f.message,
                      details={k: str(v) for k, v in f.details.items()}, visit_id=visit.id, record_id=record.id,
                      severity=f.severity)
    stale = db.execute(select(FindingRow).where(FindingRow.subject_id == subject.id,
                                                FindingRow.source_key.like(f"{scope}:{record.id}:%"),
                                                FindingRow.status == "open")).scalars()
    for row in list(stale):
        if row.source_key not in wanted:
            resolve_finding(db, subject, where, code=row.code, source_key=row.source_key,
                            why="the data no longer shows this deviation")
    warnings = [{"key": i["key"], "rule": i["finding"].code, "severity": "soft", "item": i["item"],
                 "group": i["group"], "row": i["row"], "value": i["value"], "message": i["finding"].message}
                for i in issues]
    sync_automatic(db, subject, record, warnings, ENGINE, owner=scope)


def check_subject_treatment(db: Session, subject: Subject) -> None:
    definition = study_definition(db, subject)
    parameters = definition.get("parameters", {})
    cycle_visit = next((v for v in definition["schedule"] if v["key"] == "CYCLE"), None)
    cycles = _records(db, subject, "F_EX", "CYCLE")
    per_cycle = {}
    if cycle_visit is not None:
        per_cycle = cycle_issues(cycles, (cycle_visit["window"]["before"], cycle_visit["window"]["after"]),
                                 parameters.get("cycle_days", 21))
    for record, visit in _records(db, subject, "F_EX"):
        _apply(db, subject, record, visit, exposure_issues(record.data, parameters), "treatment")
        _apply(db, subject, record, visit, per_cycle.get(record.id, []), "cycles")
    c2d1 = next((_date(r.data.get("CYCDAT")) for r, v in cycles if v.repeat == 2), None)
    rt_visit = next((v for v in definition["schedule"] if v["key"] == "RT"), None)
    window = (rt_visit["window"]["before"], rt_visit["window"]["after"]) if rt_visit else (0, 0)
    for record, visit in _records(db, subject, "F_RT"):
        _apply(db, subject, record, visit, radiotherapy_issues(record.data, parameters, c2d1, window), "treatment")


def on_record_changed(db: Session, change) -> None:
    if change.record.form_oid in ("F_EX", "F_RT"):
        check_subject_treatment(db, change.subject)
