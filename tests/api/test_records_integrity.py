"""Records: ETags and If-Match, reasons for change, per-item audit, nothing changed by a refusal."""

from __future__ import annotations

import pytest

CONSENT = "2026-01-05"


@pytest.fixture
def subject(coord_a):
    response = coord_a.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": CONSENT})
    assert response.status_code == 201, response.json
    return response.json


def new_ecog(client, subject, data=None):
    response = client.post(f"/subjects/{subject['id']}/visits/SCR/forms/F_ECOG",
                           json={"data": data if data is not None else {"ECOGDAT": "2026-01-06", "ECOG": 1}})
    assert response.status_code == 201, response.json
    return response.json, response.headers["ETag"]


def test_a_change_needs_if_match_and_a_stale_one_is_refused(coord_a, subject):
    record, first_etag = new_ecog(coord_a, subject)
    assert coord_a.get(f"/records/{record['id']}").headers["ETag"] == first_etag
    missing = coord_a.patch(f"/records/{record['id']}", json={"data": {"ECOG": 0}})
    assert missing.status_code == 428 and "If-Match" in missing.json["errors"]
    ok = coord_a.patch(f"/records/{record['id']}", json={"data": {"ECOG": 0}}, headers={"If-Match": first_etag})
    assert ok.status_code == 200 and ok.json["data"]["ECOG"] == 0
    assert ok.headers["ETag"] != first_etag
    stale = coord_a.patch(f"/records/{record['id']}", json={"data": {"ECOG": 2}}, headers={"If-Match": first_etag})
    assert stale.status_code == 412
    assert coord_a.get(f"/records/{record['id']}").json["data"]["ECOG"] == 0
    star = coord_a.patch(f"/records/{record['id']}", json={"data": {"ECOG": 2}}, headers={"If-Match": "*"})
    assert star.status_code == 412


def test_completed_data_changes_only_with_a_reason_and_the_audit_keeps_old_and_new(coord_a, as_user, subject):
    record, etag = new_ecog(coord_a, subject)
    completed = coord_a.post(f"/records/{record['id']}/complete", json={}, headers={"If-Match": etag})
    assert completed.status_code == 200 and completed.json["status"] == "complete"
    etag = completed.headers["ETag"]
    no_reason = coord_a.patch(f"/records/{record['id']}", json={"data": {"ECOG": 2}}, headers={"If-Match": etag})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    blank_reason = coord_a.patch(f"/records/{record['id']}", json={"data": {"ECOG": 2}, "reason": "  "},
                                 headers={"If-Match": etag})
    assert blank_reason.status_code == 422
    same = coord_a.patch(f"/records/{record['id']}", json={"data": {"ECOG": 1}}, headers={"If-Match": etag})
    assert same.status_code == 200 and same.headers["ETag"] == etag  # the same value is no change: no reason needed
    changed = coord_a.patch(f"/records/{record['id']}", json={"data": {"ECOG": 2}, "reason": "transcription error"},
                            headers={"If-Match": etag})
    assert changed.status_code == 200 and changed.json["status"] == "complete"
    trail = as_user("monitor_a").get(f"/audit?record={record['id']}&item=ECOG&order=oldest").json["items"]
    assert [(e["action"], e["old_value"], e["new_value"]) for e in trail] == [
        ("item.entered", None, 1), ("item.changed", 1, 2)]
    change = trail[-1]
    assert change["reason"] == "transcription error"
    assert change["username"] == "coord_a" and change["user_name"] == "Chen Coordinator"
    assert change["user_role"] == "coordinator" and change["site"] == "RJH" and change["study"] == "ESCC-N3"
    assert change["subject"] == subject["subject_code"] and change["visit_key"] == "SCR"
    assert change["form_oid"] == "F_ECOG" and change["form_version"] == 1 and change["record_id"] == record["id"]
    assert change["request_id"] and change["occurred_at"].endswith("+00:00")


def test_a_refused_change_leaves_the_record_untouched(coord_a, subject):
    record, etag = new_ecog(coord_a, subject)
    refused = coord_a.patch(f"/records/{record['id']}", json={"data": {"ECOG": "one", "ECOGDAT": "2026-01-07"}},
                            headers={"If-Match": etag})
    assert refused.status_code == 422
    assert refused.json["errors"]["ECOG"][0].startswith("ECOG performance status must be one of")
    after = coord_a.get(f"/records/{record['id']}")
    assert after.json["data"] == {"ECOGDAT": "2026-01-06", "ECOG": 1}
    assert after.headers["ETag"] == etag


def test_completion_runs_the_checks_and_a_hard_failure_is_422_by_item(coord_a, subject):
    record, etag = new_ecog(coord_a, subject, {"ECOG": 1})
    refused = coord_a.post(f"/records/{record['id']}/complete", json={}, headers={"If-Match": etag})
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["ECOGDAT"]
    assert coord_a.get(f"/records/{record['id']}").json["status"] == "draft"


def test_unknown_items_and_forms_are_refused(coord_a, subject):
    unknown = coord_a.post(f"/subjects/{subject['id']}/visits/SCR/forms/F_ECOG", json={"data": {"NOPE": 1}})
    assert unknown.status_code == 422 and "NOPE" in unknown.json["errors"]
    wrong_visit = coord_a.post(f"/subjects/{subject['id']}/visits/SCR/forms/F_DD", json={"data": {}})
    assert wrong_visit.status_code == 422 and "form_oid" in wrong_visit.json["errors"]
    no_visit = coord_a.post(f"/subjects/{subject['id']}/visits/NOPE/forms/F_ECOG", json={"data": {}})
    assert no_visit.status_code == 404
    new_ecog(coord_a, subject)
    again = coord_a.post(f"/subjects/{subject['id']}/visits/SCR/forms/F_ECOG", json={"data": {}})
    assert again.status_code == 409


def test_other_sites_see_nothing_of_the_subject(coord_a, as_user, subject):
    record, _ = new_ecog(coord_a, subject)
    coord_b = as_user("coord_b")
    for path in (f"/subjects/{subject['id']}", f"/subjects/{subject['id']}/visits", f"/records/{record['id']}"):
        response = coord_b.get(path)
        assert response.status_code == 404, path
        assert "not found" in response.json["message"]
    assert coord_b.patch(f"/records/{record['id']}", json={"data": {"ECOG": 0}},
                         headers={"If-Match": '"x"'}).status_code == 404
    assert coord_b.get(f"/audit?subject={subject['id']}").json["items"] == []
    everything = coord_b.get("/audit?limit=1000").json["items"]
    assert all(e["site"] != "RJH" for e in everything)
    assert all(e["subject_id"] != subject["id"] for e in everything)
    listed = coord_b.get("/studies/ESCC-N3/subjects").json
    assert listed["items"] == [] and listed["total"] == 0
    assert as_user("dm").get("/studies/ESCC-N3/subjects").json["total"] == 1


def test_oversight_roles_read_but_cannot_enter_data(as_user, subject):
    for username in ("monitor_a", "dm"):
        client = as_user(username)
        assert client.get(f"/subjects/{subject['id']}").status_code == 200
        refused = client.post(f"/subjects/{subject['id']}/visits/SCR/forms/F_ECOG", json={"data": {}})
        assert refused.status_code == 403, username
    assert as_user("admin").get(f"/subjects/{subject['id']}").status_code == 404


def test_subject_search_and_scope(coord_a, as_user, subject):
    other = coord_a.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": CONSENT,
                                                              "subject_code": "RJH-777"})
    assert other.status_code == 201
    found = coord_a.get("/studies/ESCC-N3/subjects?q=777").json
    assert [s["subject_code"] for s in found["items"]] == ["RJH-777"]
    assert coord_a.get("/studies/ESCC-N3/subjects?status=withdrawn").json["total"] == 0
    duplicate = coord_a.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": CONSENT,
                                                                  "subject_code": "RJH-777"})
    assert duplicate.status_code == 409
    bad = coord_a.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": CONSENT,
                                                            "subject_code": "XX-1"})
    assert bad.status_code == 422 and "subject_code" in bad.json["errors"]
    elsewhere = coord_a.post("/studies/ESCC-N3/subjects", json={"site": "N3-B", "consent_date": CONSENT})
    assert elsewhere.status_code == 422 and "site" in elsewhere.json["errors"]
    future = coord_a.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": "2999-01-01"})
    assert future.status_code == 422


def test_subject_lifecycle(coord_a, as_user, subject):
    path = f"/subjects/{subject['id']}/status"
    assert coord_a.post(path, json={"status": "on_treatment"}).status_code == 409
    unconfirmed = coord_a.post(path, json={"status": "enrolled"})  # no screening data: eligibility unknown
    assert unconfirmed.status_code == 409 and "eligibility" in unconfirmed.json["errors"]
    override = as_user("dm").post(f"/subjects/{subject['id']}/eligibility/override",
                                  json={"reason": "screening data entered on paper, verified by monitor"})
    assert override.status_code == 201
    assert coord_a.post(path, json={"status": "enrolled"}).json["status"] == "enrolled"
    assert coord_a.post(path, json={"status": "on_treatment"}).json["status"] == "on_treatment"
    no_reason = coord_a.post(path, json={"status": "withdrawn"})
    assert no_reason.status_code == 422 and set(no_reason.json["errors"]) == {"reason", "date"}
    withdrawn = coord_a.post(path, json={"status": "withdrawn", "reason": "withdrew consent", "date": "2026-03-01"})
    assert withdrawn.status_code == 200
    assert withdrawn.json["status_reason"] == "withdrew consent" and withdrawn.json["status_date"] == "2026-03-01"
    assert coord_a.post(path, json={"status": "follow_up"}).status_code == 409
    trail = as_user("dm").get(f"/audit?subject={subject['id']}&action=subject.status_changed&order=oldest").json
    assert [(e["old_value"], e["new_value"]) for e in trail["items"]] == [
        ("screening", "enrolled"), ("enrolled", "on_treatment"), ("on_treatment", "withdrawn")]


def test_a_screen_failure_takes_screening_data_and_adverse_events_only(coord_a, subject):
    failed = coord_a.post(f"/subjects/{subject['id']}/status", json={
        "status": "screen_failed", "reason": "ANC below the protocol minimum", "date": "2026-01-08"})
    assert failed.status_code == 200, failed.json
    treatment = coord_a.post(f"/subjects/{subject['id']}/visits/CYCLE/forms/F_EX", json={"data": {}})
    assert treatment.status_code == 409
    assert "never enrolled" in treatment.json["errors"]["visit"][0]
    assert coord_a.post(f"/subjects/{subject['id']}/visits/SCR/forms/F_ECOG", json={"data": {}}).status_code == 201
    assert coord_a.post(f"/subjects/{subject['id']}/visits/AELOG/forms/F_AE", json={"data": {}}).status_code == 201
