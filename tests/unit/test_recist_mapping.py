"""Form data -> RECIST engine inputs, findings -> query warnings, results -> stored values (pure)."""

from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest

from ecrf.oncology.recist import (
    Finding, Method, MeasurementFlag, NewLesionStatus, Response, Severity, check_baseline, evaluate_subject,
)
from ecrf.oncology.recist_wiring import mapping, serialize

BASELINE = {
    "TRDAT": "2026-01-05", "TAMETH": ["CT"], "TUMEASYN": "Y",
    "IG_TL": [
        {"_row": 1, "TRLNKID": "T01", "TULOC": "LIVER", "TULOCDTL": "segment VI", "TRMETHOD": "CT", "TRORRES": "30.0"},
        {"_row": 2, "TRLNKID": "T02", "TULOC": "LYMPH_NODE", "TULOCDTL": "station 4R", "TRMETHOD": "PET_CT",
         "TRORRES": "20.0"},
    ],
    "IG_NTL": [{"_row": 1, "NTLNKID": "NT01", "NTLOC": "BONE", "NTLOCDTL": "T8", "NTMETHOD": "CT",
                "NTSTAT": "PRESENT"}],
}


def followup(day="2026-02-21", t1=("MEASURED", "21.0"), t2=("MEASURED", "14.0"), nt="PRESENT", new=(),
             rsorres="PR", trgresp="PR", ntrgresp="NON_CR_NON_PD", newlind="N"):
    def target(row, lid, status):
        flag, value = status
        return {"_row": row, "TRLNKID": lid, "TRMETHOD": "CT", "TRSTAT": flag,
                **({"TRORRES": value} if value is not None else {})}

    return {"TRDAT": day, "TAMETH": ["CT"], "IG_TL": [target(1, "T01", t1), target(2, "T02", t2)],
            "IG_NTL": [{"_row": 1, "NTLNKID": "NT01", "NTSTAT": nt}],
            "IG_NL": [{"_row": i, "NLLNKID": lid, "NLLOC": "LIVER", "NLLOCDTL": "x", "NLMETHOD": "CT",
                       "NLSTAT": status} for i, (lid, status) in enumerate(new, start=1)],
            "TRGRESP": trgresp, "NTRGRESP": ntrgresp, "NEWLIND": newlind, "RSORRES": rsorres}


def test_baseline_rows_map_to_targets_nodes_by_location_and_exact_decimals():
    baseline, findings = mapping.baseline_from(BASELINE)
    assert findings == []
    assert baseline.date == date(2026, 1, 5)
    liver, node = baseline.targets
    assert (liver.lesion_id, liver.organ, liver.is_node, liver.ld_mm, liver.sa_mm, liver.method) == (
        "T01", "LIVER", False, Decimal("30.0"), None, Method.CT)
    # a lymph node is measured by its short axis; PET-CT is measured on its CT component
    assert (node.is_node, node.ld_mm, node.sa_mm, node.method) == (True, None, Decimal("20.0"), Method.CT)
    [bone] = baseline.non_targets
    assert (bone.lesion_id, bone.organ, bone.is_node) == ("NT01", "BONE", False)


def test_other_organs_are_told_apart_by_their_location_detail():
    data = {**BASELINE, "IG_TL": [
        {"_row": i, "TRLNKID": f"T0{i}", "TULOC": "OTHER", "TULOCDTL": detail, "TRMETHOD": "CT", "TRORRES": "15"}
        for i, detail in enumerate(["thyroid", "thyroid", "parotid"], start=1)]}
    baseline, _ = mapping.baseline_from(data)
    assert [t.organ for t in baseline.targets] == ["other: thyroid", "other: thyroid", "other: parotid"]
    assert [f.code for f in check_baseline(baseline)] == []
    three = {**data, "IG_TL": data["IG_TL"][:2] + [{**data["IG_TL"][2], "TULOCDTL": "thyroid"}]}
    assert [(f.code, f.lesion_id) for f in check_baseline(mapping.baseline_from(three)[0])] == [
        ("TOO_MANY_TARGETS_IN_ORGAN", "T03")]


def test_a_method_that_cannot_measure_is_a_finding_not_an_exception():
    data = {**BASELINE, "IG_TL": [{**BASELINE["IG_TL"][0], "TRMETHOD": "ULTRASOUND"}]}
    baseline, findings = mapping.baseline_from(data)
    assert [(f.code, f.lesion_id, f.severity) for f in findings] == [("METHOD_NOT_MEASURABLE", "T01", Severity.ERROR)]
    assert mapping.has_errors(findings)
    assert mapping.finding_warning(data, findings[0])["item"] == "TRMETHOD"


def test_followup_rows_map_flags_values_new_lesions_and_the_investigator_response():
    data = followup(t1=("TOO_SMALL", None), t2=("NOT_EVALUATED", None), nt="ABSENT",
                    new=[("NL01", "EQUIVOCAL")], rsorres="NE")
    assessment, findings = mapping.assessment_from(data)
    assert findings == []
    assert [(t.lesion_id, t.flag, t.value_mm) for t in assessment.targets] == [
        ("T01", MeasurementFlag.TOO_SMALL, None), ("T02", MeasurementFlag.NOT_EVALUATED, None)]
    assert [(n.lesion_id, n.status) for n in assessment.non_targets] == [("NT01", "ABSENT")]
    assert [(n.lesion_id, n.status) for n in assessment.new_lesions] == [("NL01", NewLesionStatus.EQUIVOCAL)]
    assert assessment.investigator_response is Response.NE


def test_a_record_without_a_date_is_reported():
    assert mapping.assessment_from({})[0] is None
    assert [f.code for f in mapping.baseline_from({})[1]] == ["MISSING_DATE"]


def test_findings_go_on_the_row_of_their_lesion():
    data = followup()
    target = mapping.finding_warning(data, Finding("INCONSISTENT_VALUE", "T02", "x"))
    assert {k: target[k] for k in ("key", "rule", "item", "group", "row", "value", "severity")} == {
        "key": "T02", "rule": "INCONSISTENT_VALUE", "item": "TRSTAT", "group": "IG_TL", "row": 2,
        "value": "MEASURED", "severity": "soft"}
    non_target = mapping.finding_warning(data, Finding("UNKNOWN_NON_TARGET", "NT01", "x"))
    assert (non_target["item"], non_target["group"], non_target["row"]) == ("NTLNKID", "IG_NTL", 1)
    # a lesion missing from the record: the query goes on the record
    missing = mapping.finding_warning(data, Finding("MISSING_TARGET", "T03", "x"))
    assert (missing["item"], missing["group"], missing["row"], missing["value"]) == (None, None, None, "T03")
    dated = mapping.finding_warning(data, Finding("NOT_AFTER_BASELINE", None, "x"))
    assert (dated["key"], dated["item"], dated["value"]) == ("-", "TRDAT", "2026-02-21")
    baseline_node = mapping.finding_warning(BASELINE, Finding("NODE_METHOD", "T02", "x"))
    assert (baseline_node["item"], baseline_node["row"]) == ("TRMETHOD", 2)


def test_the_no_disease_warning_duplicates_a_form_check_and_raises_no_query():
    warnings = mapping.finding_warnings({}, [Finding("NO_BASELINE_DISEASE", None, "x", Severity.WARNING),
                                             Finding("EMPTY_LESION_ID", None, "y")])
    assert [w["rule"] for w in warnings] == ["EMPTY_LESION_ID"]


def _result(*followups):
    baseline, _ = mapping.baseline_from(BASELINE)
    assessments = [mapping.assessment_from(f)[0] for f in followups]
    result = evaluate_subject(baseline, assessments, date(2026, 1, 10))
    assert result.evaluated, result.findings
    return result


def test_investigator_responses_are_compared_item_by_item():
    data = followup(t1=("MEASURED", "24.0"), t2=("MEASURED", "16.0"), rsorres="PR", trgresp="PR")  # sum 40: SD
    [outcome] = _result(data).assessments
    comparisons = {c["item"]: (c["investigator"], c["derived"], c["agrees"])
                   for c in mapping.investigator_comparisons(data, outcome)}
    assert comparisons == {"RSORRES": ("PR", "SD", False), "TRGRESP": ("PR", "SD", False),
                           "NTRGRESP": ("NON_CR_NON_PD", "NON_CR_NON_PD", True), "NEWLIND": ("N", "N", True)}
    warnings = mapping.response_warnings(data, outcome)
    assert [(w["rule"], w["item"], w["key"], w["value"]) for w in warnings] == [
        ("RECIST_RESPONSE_MISMATCH", "RSORRES", "RSORRES", "PR"),
        ("RECIST_TARGET_RESPONSE_MISMATCH", "TRGRESP", "TRGRESP", "PR")]
    assert "gives SD (sum 40.0 mm, -20.0% from baseline" in warnings[0]["message"]
    agreeing = followup(t1=("MEASURED", "24.0"), t2=("MEASURED", "16.0"), rsorres="SD", trgresp="SD")
    assert mapping.response_warnings(agreeing, _result(agreeing).assessments[0]) == []


def test_new_lesion_answers_use_the_form_codes():
    data = followup(new=[("NL01", "YES")], rsorres="PD", trgresp="PR", newlind="Y")
    [outcome] = _result(data).assessments
    assert outcome.overall_response is Response.PD
    assert mapping.response_warnings(data, outcome) == []


@pytest.mark.parametrize("fraction, text", [
    (Fraction(-30), "-30"), (Fraction(-599, 20), "-29.95"), (Fraction(20), "20"), (Fraction(1, 8), "0.125"),
    (Fraction(100, 3), "100/3"), (Fraction(-50, 7), "-50/7"), (None, None)])
def test_percentages_are_stored_exactly(fraction, text):
    assert serialize.exact_text(fraction) == text


def test_assessment_and_subject_values_carry_exact_strings():
    pr = followup()                                                           # 21 + 14 = 35: -30 % exactly
    pd = followup(day="2026-04-04", t1=("MEASURED", "25.2"), t2=("MEASURED", "16.8"), rsorres="PD",
                  trgresp="PD")                                               # 42 = nadir 35 + 20 %, + 7 mm
    result = _result(pr, pd)
    first, second = (serialize.assessment_value(r) for r in result.assessments)
    assert (first["sum_mm"], first["change_from_baseline"], first["target_response"], first["overall_response"]) == (
        "35.0", {"mm": "-15.0", "pct": "-30", "pct_display": "-30.0"}, "PR", "PR")
    assert (second["nadir_mm"], second["change_from_nadir"], second["target_basis"]) == (
        "35.0", {"mm": "7.0", "pct": "20", "pct_display": "20.0"}, "PD_SUM")
    summary = serialize.subject_value(result)
    assert (summary["baseline_sum_mm"], summary["nadir_mm"], summary["first_pd_date"]) == ("50.0", "35.0", "2026-04-04")
    assert summary["bor_unconfirmed"] == {"response": "PR", "date": "2026-02-21"}
    assert summary["bor_confirmed"]["response"] == "SD"      # PR not confirmed; day 42 after C1D1 counts as SD
    assert summary["bor_timeline"] == [["2026-02-21", "PR"], ["2026-04-04", "PD"]]
