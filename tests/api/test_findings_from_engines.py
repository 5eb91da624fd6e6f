"""Protocol deviation findings raised by the treatment engine, driven through the API, as the review
listings show them: the subject's findings, the study listing (site-scoped, filtered) and its CSV
export carry the deviation with its code, category, severity, record, visit, message and details;
correcting the data resolves them there too."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.support.casebook import mosteller_bsa
from tests.support.treatment import cycle

STUDY = "ESCC-LDRT"
HEIGHT, WEIGHT = "170.0", "70.0"
with (Path(__file__).resolve().parents[2] / "forms" / "studies" / f"{STUDY}.v1.yaml").open(encoding="utf-8") as _f:
    PARAMETERS = yaml.safe_load(_f)["parameters"]


@pytest.fixture
def overdose(coord_a):
    """Cycle 1 of an ESCC-LDRT subject at site WCH: paclitaxel 300 mg and a recorded BSA of 2.10 m2."""
    subject = coord_a.post(f"/studies/{STUDY}/subjects", json={"site": "WCH", "consent_date": "2026-01-05"})
    assert subject.status_code == 201, subject.json
    created = coord_a.post(f"/subjects/{subject.json['id']}/visits/CYCLE/forms/F_EX?repeat=1",
                           json={"data": cycle(1, "2026-01-19", paclitaxel_mg="300", bsa="2.10")})
    assert created.status_code == 201, created.json
    return subject.json, created


def treatment_findings(page: dict) -> dict:
    return {f["code"]: f for f in page["items"] if f["category"] == "treatment"}


def assert_dose_deviation(finding: dict, subject: dict, record_id: int) -> None:
    bsa = Decimal(HEIGHT) * Decimal(WEIGHT) / 3600
    expected_mg = Decimal(str(PARAMETERS["paclitaxel_dose_mg_m2"])) * bsa.sqrt()
    assert (finding["subject"], finding["site"], finding["category"], finding["severity"], finding["status"]) == (
        subject["subject_code"], "WCH", "treatment", "deviation", "open")
    assert (finding["record_id"], finding["visit_key"], finding["visit_repeat"]) == (record_id, "CYCLE", 1)
    details = finding["details"]
    assert details["drug"] == "PACLITAXEL" and Decimal(details["actual_mg"]) == 300
    assert abs(Decimal(details["expected_mg"]) - expected_mg) < Decimal("0.01")
    assert abs(Decimal(details["deviation_pct"]) - (300 - expected_mg) / expected_mg * 100) < Decimal("0.01")
    assert Decimal(details["tolerance_pct"]) == 10
    assert "PACLITAXEL" in finding["message"] and "300 mg" in finding["message"]
    assert f"{expected_mg.quantize(Decimal('0.01'))} mg" in finding["message"]


def assert_bsa_mismatch(finding: dict, record_id: int) -> None:
    assert (finding["category"], finding["severity"], finding["status"]) == ("treatment", "warning", "open")
    assert (finding["record_id"], finding["visit_key"], finding["visit_repeat"]) == (record_id, "CYCLE", 1)
    assert finding["details"] == {"recorded": "2.10", "mosteller": str(mosteller_bsa(HEIGHT, WEIGHT))}
    assert "2.10" in finding["message"] and str(mosteller_bsa(HEIGHT, WEIGHT)) in finding["message"]


def test_the_subjects_findings_carry_the_treatment_deviations_with_their_details(as_user, overdose):
    subject, created = overdose
    page = as_user("coord_a").get(f"/subjects/{subject['id']}/findings").json
    assert sorted(f["code"] for f in page["items"]) == ["BSA_MISMATCH", "DOSE_DEVIATION"]
    found = treatment_findings(page)
    assert_dose_deviation(found["DOSE_DEVIATION"], subject, created.json["id"])
    assert_bsa_mismatch(found["BSA_MISMATCH"], created.json["id"])
    # the same finding the audit trail says the engine raised
    raised = {e["details"]["finding"]: e["details"]["code"] for e in as_user("dm").get(
        f"/audit?subject={subject['id']}&action=finding.raised").json["items"]}
    assert raised == {f["id"]: code for code, f in found.items()}


def test_the_study_listing_shows_them_at_the_subjects_site_only(as_user, overdose):
    subject, created = overdose
    for username in ("dm", "monitor_a", "inv_a"):
        page = as_user(username).get(f"/studies/{STUDY}/findings").json
        found = treatment_findings(page)
        assert set(found) == {"DOSE_DEVIATION", "BSA_MISMATCH"}, username
        assert_dose_deviation(found["DOSE_DEVIATION"], subject, created.json["id"])
        assert_bsa_mismatch(found["BSA_MISMATCH"], created.json["id"])
    dm = as_user("dm")
    filtered = dm.get(f"/studies/{STUDY}/findings?category=treatment&code=DOSE_DEVIATION&site=WCH").json
    assert filtered["total"] == 1 and filtered["items"][0]["code"] == "DOSE_DEVIATION"
    assert dm.get(f"/studies/{STUDY}/findings?category=treatment&site=LDRT-B").json["total"] == 0
    assert as_user("coord_b").get(f"/studies/{STUDY}/findings").json["items"] == []
    assert as_user("coord_b").get(f"/subjects/{subject['id']}/findings").status_code == 404


def test_the_csv_export_has_the_treatment_deviations(as_user, overdose):
    subject, created = overdose
    dm = as_user("dm")
    listed = treatment_findings(dm.get(f"/studies/{STUDY}/findings").json)
    response = dm.get(f"/studies/{STUDY}/findings.csv?category=treatment")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = {r["code"]: r for r in csv.DictReader(io.StringIO(response.get_data(as_text=True)))}
    assert set(rows) == {"DOSE_DEVIATION", "BSA_MISMATCH"}
    for code, row in rows.items():
        finding = listed[code]
        assert (row["id"], row["study"], row["site"], row["subject"]) == (
            str(finding["id"]), STUDY, "WCH", subject["subject_code"])
        assert (row["record_id"], row["visit_key"], row["visit_repeat"]) == (str(created.json["id"]), "CYCLE", "1")
        assert (row["category"], row["severity"], row["status"]) == ("treatment", finding["severity"], "open")
        assert row["message"] == finding["message"]
    assert rows["DOSE_DEVIATION"]["severity"] == "deviation" and rows["BSA_MISMATCH"]["severity"] == "warning"
    exported = dm.get(f"/audit?study={STUDY}&action=findings.exported").json["items"][0]
    assert exported["details"]["rows"] == 2 and exported["details"]["filters"] == {"category": "treatment"}
    assert "WCH" not in as_user("coord_b").get(f"/studies/{STUDY}/findings.csv").get_data(as_text=True)


def test_corrected_doses_resolve_the_findings_in_the_listings(as_user, coord_a, overdose):
    subject, created = overdose
    fixed = coord_a.patch(f"/records/{created.json['id']}", json={"data": {"BSA": "1.82", "IG_EX": [
        {"_row": 1, "EXDOSE": "245"}, {"_row": 2}, {"_row": 3}]}}, headers={"If-Match": created.headers["ETag"]})
    assert fixed.status_code == 200, fixed.json
    dm = as_user("dm")
    assert treatment_findings(dm.get(f"/subjects/{subject['id']}/findings?status=open").json) == {}
    resolved = treatment_findings(dm.get(f"/subjects/{subject['id']}/findings?status=resolved").json)
    assert set(resolved) == {"DOSE_DEVIATION", "BSA_MISMATCH"}
    assert all(f["status"] == "resolved" and f["resolved_at"] for f in resolved.values())
    assert dm.get(f"/studies/{STUDY}/findings?category=treatment&status=open").json["total"] == 0
    rows = list(csv.DictReader(io.StringIO(dm.get(f"/studies/{STUDY}/findings.csv?category=treatment")
                                           .get_data(as_text=True))))
    assert sorted((r["code"], r["status"]) for r in rows) == [("BSA_MISMATCH", "resolved"),
                                                               ("DOSE_DEVIATION", "resolved")]
    assert all(r["resolved_at"] for r in rows)


def test_a_late_cycle_without_a_reason_is_a_finding_of_its_own_visit(as_user, coord_a):
    subject = coord_a.post(f"/studies/{STUDY}/subjects", json={"site": "WCH", "consent_date": "2026-01-05"}).json
    for n, day1 in ((1, "2026-01-19"), (2, "2026-02-16")):   # day 28: the window is +3
        data = cycle(n, day1, paclitaxel_mg="245", bsa="1.82") | ({"CYCDLY": "N"} if n > 1 else {})
        created = coord_a.post(f"/subjects/{subject['id']}/visits/CYCLE/forms/F_EX?repeat={n}", json={"data": data})
        assert created.status_code == 201, created.json
    found = treatment_findings(as_user("monitor_a").get(f"/subjects/{subject['id']}/findings").json)
    assert "CYCLE_DELAY_NO_REASON" in found
    late = found["CYCLE_DELAY_NO_REASON"]
    assert (late["record_id"], late["visit_key"], late["visit_repeat"]) == (created.json["id"], "CYCLE", 2)
    assert (late["category"], late["severity"], late["status"]) == ("treatment", "deviation", "open")
    assert late["details"]["cycle"] == "2" and "delayed 7 days without a recorded reason" in late["message"]
    assert {"DOSE_DEVIATION", "BSA_MISMATCH"}.isdisjoint(found)
