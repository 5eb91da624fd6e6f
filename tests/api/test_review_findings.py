"""Protocol deviation findings: out-of-window and missed visits, treatment deviations, per subject and
per study (site-scoped), as JSON and CSV."""

from __future__ import annotations

import csv
import io

import pytest

from ecrf.findings.models import Finding


def enrol(client, site):
    response = client.post("/studies/ESCC-N3/subjects", json={"site": site, "consent_date": "2026-01-05"})
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def deviations(app, as_user):
    coord_a, coord_b = as_user("coord_a"), as_user("coord_b")
    a, b = enrol(coord_a, "RJH"), enrol(coord_b, "N3-B")
    late = coord_a.patch(f"/subjects/{a['id']}/visits/SCR", json={"visit_date": "2026-02-20"})
    assert late.status_code == 200 and late.json["days_outside_window"] == 18
    missed = coord_a.patch(f"/subjects/{a['id']}/visits/CYCLE?repeat=1",
                           json={"status": "missed", "reason": "hospitalised for pneumonia"})
    assert missed.status_code == 200, missed.json
    assert coord_b.patch(f"/subjects/{b['id']}/visits/SCR", json={"visit_date": "2026-02-10"}).status_code == 200
    with app.app_context():  # a deviation another domain raises (the oncology treatment checks)
        from ecrf.db import get_session

        db = get_session()
        db.add(Finding(study_id=a_study(db), site_id=a_site(db, a["id"]), subject_id=a["id"],
                       code="TREATMENT_DOSE_DEVIATION", source_key="cycle:1", category="treatment",
                       message="Paclitaxel dose 20% above the protocol dose", details={"cycle": 1}))
        db.commit()
    return {"a": a, "b": b}


def a_study(db):
    from sqlalchemy import select

    from ecrf.studies.models import Study

    return db.execute(select(Study.id).where(Study.oid == "ESCC-N3")).scalar_one()


def a_site(db, subject_id):
    from ecrf.entry.models import Subject

    return db.get(Subject, subject_id).site_id


def codes(page):
    return sorted((f["subject"], f["code"]) for f in page["items"])


def test_a_subjects_findings_list_windows_missed_visits_and_treatment_deviations(as_user, deviations):
    a = deviations["a"]
    page = as_user("coord_a").get(f"/subjects/{a['id']}/findings").json
    assert codes(page) == [(a["subject_code"], "TREATMENT_DOSE_DEVIATION"), (a["subject_code"], "VISIT_MISSED"),
                           (a["subject_code"], "VISIT_OUT_OF_WINDOW")]
    window = next(f for f in page["items"] if f["code"] == "VISIT_OUT_OF_WINDOW")
    assert (window["category"], window["status"], window["visit_key"], window["site"]) == (
        "visit_window", "open", "SCR", "RJH")
    assert window["details"]["days_outside"] == 18 and "18 day(s) after" in window["message"]
    missed = next(f for f in page["items"] if f["code"] == "VISIT_MISSED")
    assert missed["category"] == "missed_visit" and "hospitalised for pneumonia" in missed["message"]
    assert as_user("coord_b").get(f"/subjects/{a['id']}/findings").status_code == 404


def test_study_findings_are_scoped_to_the_callers_sites_and_filtered(as_user, deviations):
    a, b = deviations["a"], deviations["b"]
    assert codes(as_user("monitor_a").get("/studies/ESCC-N3/findings").json) == [
        (a["subject_code"], "TREATMENT_DOSE_DEVIATION"), (a["subject_code"], "VISIT_MISSED"),
        (a["subject_code"], "VISIT_OUT_OF_WINDOW")]
    assert codes(as_user("coord_b").get("/studies/ESCC-N3/findings").json) == [(b["subject_code"], "VISIT_OUT_OF_WINDOW")]
    dm = as_user("dm")
    everything = dm.get("/studies/ESCC-N3/findings").json
    assert everything["total"] == 4 and [f["site"] for f in everything["items"]] == ["N3-B", "RJH", "RJH", "RJH"]
    assert codes(dm.get("/studies/ESCC-N3/findings?category=treatment").json) == [
        (a["subject_code"], "TREATMENT_DOSE_DEVIATION")]
    assert dm.get("/studies/ESCC-N3/findings?code=VISIT_OUT_OF_WINDOW&site=N3-B").json["total"] == 1
    assert dm.get("/studies/ESCC-N3/findings?per_page=2&page=2").json["items"][0]["site"] == "RJH"
    assert dm.get("/studies/ESCC-N3/findings?site=NOPE").status_code == 422
    assert as_user("admin").get("/studies/ESCC-N3/findings").status_code == 403


def test_a_corrected_visit_date_resolves_its_finding(as_user, deviations):
    a = deviations["a"]
    as_user("coord_a").patch(f"/subjects/{a['id']}/visits/SCR", json={"visit_date": "2026-01-20",
                                                                     "reason": "wrong date entered"})
    dm = as_user("dm")
    resolved = dm.get(f"/subjects/{a['id']}/findings?status=resolved").json["items"]
    assert [(f["code"], f["status"]) for f in resolved] == [("VISIT_OUT_OF_WINDOW", "resolved")]
    assert resolved[0]["resolved_at"]
    assert dm.get(f"/subjects/{a['id']}/findings?status=open").json["total"] == 2


def test_findings_export_as_csv_and_the_export_is_audited(as_user, deviations):
    dm, path = as_user("dm"), "/studies/ESCC-N3/findings.csv"
    response = dm.get(path)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert sorted((r["site"], r["code"]) for r in rows) == [
        ("N3-B", "VISIT_OUT_OF_WINDOW"), ("RJH", "TREATMENT_DOSE_DEVIATION"), ("RJH", "VISIT_MISSED"),
        ("RJH", "VISIT_OUT_OF_WINDOW")]
    assert rows[0]["study"] == "ESCC-N3" and rows[0]["status"] == "open"
    exported = dm.get("/audit?action=findings.exported").json["items"]
    assert exported[0]["username"] == "dm" and exported[0]["details"]["rows"] == 4
    mine = as_user("coord_b").get(path).get_data(as_text=True)
    assert "RJH" not in mine and "N3-B" in mine
    filtered = list(csv.DictReader(io.StringIO(dm.get(path + "?category=missed_visit").get_data(as_text=True))))
    assert [r["code"] for r in filtered] == ["VISIT_MISSED"]
