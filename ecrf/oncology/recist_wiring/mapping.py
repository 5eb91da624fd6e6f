"""Form data -> RECIST engine inputs, and engine output -> automatic-query warnings (pure).

Works on the ``data`` dict of an F_RECIST_BL / F_RECIST record (decimals as canonical strings,
dates as ISO text, repeating groups as lists of rows with ``_row``). No database, no Flask.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ecrf.oncology.recist import (
    Assessment, AssessmentResult, Baseline, BaselineNonTarget, BaselineTarget, Finding, Method,
    NewLesion, NonTargetStatus, Response, Severity, TargetMeasurement,
)

BASELINE_FORM = "F_RECIST_BL"
FOLLOWUP_FORM = "F_RECIST"
NODE_LOCATION = "LYMPH_NODE"
OTHER_LOCATION = "OTHER"

#: CL_METHOD code -> engine method. PET-CT is measured on its CT component; ultrasound and
#: endoscopy cannot measure a target (the form refuses them; see METHOD_NOT_MEASURABLE).
METHODS = {"CT": Method.CT, "MRI": Method.MRI, "PET_CT": Method.CT, "XRAY": Method.XRAY,
           "CLINICAL": Method.CALIPER}
RESPONSES = {r.value for r in Response}
#: engine new-lesion status -> NEWLIND code
NEWLIND = {"YES": "Y", "NO": "N", "EQUIVOCAL": "EQUIVOCAL"}

# (group, lesion-id item) in which a finding's lesion ID is looked up, in this order
LESION_GROUPS = (("IG_TL", "TRLNKID"), ("IG_NTL", "NTLNKID"), ("IG_NL", "NLLNKID"))
# finding code -> item of the lesion row the query goes on (default: the row's lesion-ID item)
ROW_ITEM = {
    "IG_TL": {"MISSING_ORGAN": "TULOC", "MISSING_MEASUREMENT": "TRORRES", "INVALID_MEASUREMENT": "TRORRES",
              "NOT_MEASURABLE": "TRORRES", "NODE_NOT_MEASURABLE": "TRORRES", "NODE_NORMAL": "TRORRES",
              "NODE_METHOD": "TRMETHOD", "METHOD_NOT_MEASURABLE": "TRMETHOD", "MISSING_VALUE": "TRORRES",
              "INCONSISTENT_VALUE": "TRSTAT"},
    "IG_NTL": {"MISSING_ORGAN": "NTLOC"},
    "IG_NL": {},
}
# findings about the assessment as a whole, on one of its items
RECORD_ITEM = {"NOT_AFTER_BASELINE": "TRDAT", "DUPLICATE_ASSESSMENT_DATE": "TRDAT", "MISSING_DATE": "TRDAT",
               "NO_BASELINE": "TRDAT"}
#: warnings that duplicate a form check of their own (RBL_SOME_DISEASE_RECORDED) raise no query
NOT_QUERIED = {"NO_BASELINE_DISEASE"}


def _rows(data: dict, group: str) -> list[dict]:
    return list(data.get(group) or [])


def _date(value) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _mm(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def organ(location: str | None, detail: str | None) -> str:
    """Organ used for the 'two targets per organ' rule: the location code, or for OTHER the
    location detail (two OTHER lesions in different organs are not one organ)."""
    if location == OTHER_LOCATION:
        return f"other: {(detail or '').strip()}"
    return location or ""


def assessment_date(data: dict) -> dt.date | None:
    return _date(data.get("TRDAT"))


def baseline_from(data: dict) -> tuple[Baseline | None, list[Finding]]:
    """The baseline of an F_RECIST_BL record; None when it has no usable assessment date."""
    day = assessment_date(data)
    if day is None:
        return None, [Finding("MISSING_DATE", None, "The baseline assessment has no date.")]
    findings: list[Finding] = []
    targets = []
    for row in _rows(data, "IG_TL"):
        lid, location = row.get("TRLNKID") or "", row.get("TULOC")
        node = location == NODE_LOCATION
        method = METHODS.get(row.get("TRMETHOD"))
        if method is None:
            findings.append(Finding("METHOD_NOT_MEASURABLE", lid,
                                    f"Method {row.get('TRMETHOD')!r} cannot measure a target lesion; "
                                    f"use the CT or MRI measurement, or record the lesion as non-target."))
            method = Method.CT
        value = _mm(row.get("TRORRES"))
        targets.append(BaselineTarget(lid, organ(location, row.get("TULOCDTL")), is_node=node,
                                      ld_mm=None if node else value, sa_mm=value if node else None,
                                      method=method))
    non_targets = [BaselineNonTarget(row.get("NTLNKID") or "", organ(row.get("NTLOC"), row.get("NTLOCDTL")),
                                     is_node=row.get("NTLOC") == NODE_LOCATION)
                   for row in _rows(data, "IG_NTL")]
    return Baseline(day, targets=tuple(targets), non_targets=tuple(non_targets)), findings


def assessment_from(data: dict) -> tuple[Assessment | None, list[Finding]]:
    """The follow-up assessment of an F_RECIST record; None when it has no usable date."""
    day = assessment_date(data)
    if day is None:
        return None, [Finding("MISSING_DATE", None, "The assessment has no date.")]
    targets = tuple(TargetMeasurement(row.get("TRLNKID") or "", row.get("TRSTAT") or "NOT_EVALUATED",
                                      _mm(row.get("TRORRES")))
                    for row in _rows(data, "IG_TL"))
    non_targets = tuple(NonTargetStatus(row.get("NTLNKID") or "", row.get("NTSTAT") or "NOT_EVALUATED")
                        for row in _rows(data, "IG_NTL"))
    new = tuple(NewLesion(row.get("NLLNKID") or "", row.get("NLSTAT") or "YES", row.get("NLLOC") or "")
                for row in _rows(data, "IG_NL"))
    investigator = data.get("RSORRES")
    return Assessment(day, targets=targets, non_targets=non_targets, new_lesions=new,
                      investigator_response=investigator if investigator in RESPONSES else None), []


def has_errors(findings: list[Finding]) -> bool:
    return any(f.severity is Severity.ERROR for f in findings)


# --------------------------------------------------------------------------- findings -> warnings

def locate(data: dict, finding: Finding) -> tuple[str | None, str | None, int | None, object]:
    """(item, group, row, value) a finding's query goes on: the lesion's row when the record has
    one, an assessment item for record-wide findings, else the record itself."""
    if finding.code in RECORD_ITEM:
        item = RECORD_ITEM[finding.code]
        return item, None, None, data.get(item)
    if finding.lesion_id:
        for group, id_item in LESION_GROUPS:
            row = next((r for r in _rows(data, group) if r.get(id_item) == finding.lesion_id), None)
            if row is not None:
                item = ROW_ITEM[group].get(finding.code, id_item)
                return item, group, row.get("_row"), row.get(item)
    return None, None, None, finding.lesion_id


def finding_warning(data: dict, finding: Finding) -> dict:
    """A warning dict (the shape ``sync_automatic`` takes) for one engine finding."""
    item, group, row, value = locate(data, finding)
    return {"key": finding.lesion_id or "-", "rule": finding.code, "severity": "soft",
            "message": f"RECIST 1.1: {finding.message}", "item": item, "group": group, "row": row,
            "value": value}


def finding_warnings(data: dict, findings: list[Finding]) -> list[dict]:
    return [finding_warning(data, f) for f in findings if f.code not in NOT_QUERIED]


def finding_dict(data: dict, finding: Finding) -> dict:
    item, group, row, _value = locate(data, finding)
    return {"code": finding.code, "lesion_id": finding.lesion_id, "severity": str(finding.severity),
            "message": finding.message, "item": item, "group": group, "row": row}


# --------------------------------------------------------------------------- investigator responses

def _describe(result: AssessmentResult) -> str:
    parts = [f"target {result.target_response}", f"non-target {result.non_target_response}",
             f"new lesions {result.new_lesion_status}"]
    if result.sum_mm is not None:
        parts.insert(0, f"sum {result.sum_mm} mm")
    if result.change_from_baseline_pct_display is not None:
        parts.insert(1, f"{result.change_from_baseline_pct_display:+}% from baseline")
    if result.change_from_nadir_pct_display is not None:
        parts.insert(2, f"{result.change_from_nadir_pct_display:+}% / {result.change_from_nadir_mm:+} mm "
                        f"from the nadir")
    return ", ".join(parts)


def investigator_comparisons(data: dict, result: AssessmentResult) -> list[dict]:
    """Each investigator response of the record next to the derived one (agreement per item)."""
    derived = {"RSORRES": str(result.overall_response), "TRGRESP": str(result.target_response),
               "NTRGRESP": str(result.non_target_response), "NEWLIND": NEWLIND[str(result.new_lesion_status)]}
    return [{"item": item, "investigator": data.get(item), "derived": value,
             "agrees": None if data.get(item) is None else data.get(item) == value}
            for item, value in derived.items()]


RESPONSE_RULES = {"RSORRES": ("RECIST_RESPONSE_MISMATCH", "overall response"),
                  "TRGRESP": ("RECIST_TARGET_RESPONSE_MISMATCH", "target lesion response"),
                  "NTRGRESP": ("RECIST_NON_TARGET_RESPONSE_MISMATCH", "non-target lesion response"),
                  "NEWLIND": ("RECIST_NEW_LESION_MISMATCH", "new lesion answer")}


def response_warnings(data: dict, result: AssessmentResult) -> list[dict]:
    """A warning for every investigator response that differs from the derived one."""
    out = []
    for comparison in investigator_comparisons(data, result):
        if comparison["agrees"] is not False:
            continue
        item = comparison["item"]
        rule, label = RESPONSE_RULES[item]
        out.append({"key": item, "rule": rule, "severity": "soft", "item": item, "group": None, "row": None,
                    "value": comparison["investigator"],
                    "message": (f"The investigator's {label} is {comparison['investigator']}, but RECIST 1.1 "
                                f"derived from the lesion data gives {comparison['derived']} "
                                f"({_describe(result)}). Check the lesion data and the response.")})
    return out
