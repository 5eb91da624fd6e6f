"""Eligibility evaluated from screening data, the enrolment guard and the data manager override."""

from __future__ import annotations

from tests.support.screening import screen_n3_subject


def criteria(client, subject_id):
    body = client.get(f"/subjects/{subject_id}/eligibility").json
    return body, {c["id"]: c for c in body["criteria"]}


def test_an_eligible_subject_meets_every_criterion_and_can_be_enrolled(coord_a, as_user):
    subject, records = screen_n3_subject(coord_a)
    body, by_id = criteria(coord_a, subject["id"])
    assert body["eligible"] is True, [c for c in body["criteria"] if c["status"] != "met"]
    assert all(c["status"] == "met" for c in body["criteria"])
    assert body["sources"]["F_LB"]["record_id"] == records["F_LB"]["id"]
    enrolled = coord_a.post(f"/subjects/{subject['id']}/status", json={"status": "enrolled"})
    assert enrolled.status_code == 200
    confirmed = as_user("dm").get(f"/audit?subject={subject['id']}&action=eligibility.confirmed").json["items"]
    assert len(confirmed) == 1


def test_low_haemoglobin_fails_and_blocks_enrolment_until_a_data_manager_overrides(coord_a, as_user):
    subject, _ = screen_n3_subject(coord_a, hgb="95")
    body, by_id = criteria(coord_a, subject["id"])
    assert body["eligible"] is False
    failed = [c for c in body["criteria"] if c["status"] == "not_met"]
    assert len(failed) == 1 and failed[0]["values_used"]["hgb_g_l"] == "95"
    refused = coord_a.post(f"/subjects/{subject['id']}/status", json={"status": "enrolled"})
    assert refused.status_code == 409
    assert any(failed[0]["id"] in item for item in refused.json["errors"]["eligibility"])
    assert coord_a.post(f"/subjects/{subject['id']}/eligibility/override", json={"reason": "x"}).status_code == 403
    dm = as_user("dm")
    assert dm.post(f"/subjects/{subject['id']}/eligibility/override", json={"reason": " "}).status_code == 422
    granted = dm.post(f"/subjects/{subject['id']}/eligibility/override",
                      json={"reason": "Sponsor medical monitor approved (transfusion-independent)"})
    assert granted.status_code == 201 and granted.json["override"]["criteria"] == [f"{failed[0]['id']} not met"]
    assert coord_a.post(f"/subjects/{subject['id']}/status", json={"status": "enrolled"}).status_code == 200
    audit = dm.get(f"/audit?subject={subject['id']}&action=eligibility.overridden").json["items"]
    assert audit[0]["reason"].startswith("Sponsor medical monitor") and audit[0]["username"] == "dm"


def test_chronic_anaemia_exception_applies_with_ecog_0_1(coord_a):
    subject, records = screen_n3_subject(coord_a, hgb="85")
    etag = coord_a.get(f"/records/{records['F_BASELINE']['id']}").headers["ETag"]
    coord_a.patch(f"/records/{records['F_BASELINE']['id']}", json={"data": {"ANEMHX": "Y"},
                                                                    "reason": "history documented"},
                  headers={"If-Match": etag})
    body, _ = criteria(coord_a, subject["id"])
    assert body["eligible"] is True
    noted = [c for c in body["criteria"] if c["note"] and "exception" in c["note"].lower()]
    assert len(noted) == 1
    etag = coord_a.get(f"/records/{records['F_ECOG']['id']}").headers["ETag"]
    coord_a.patch(f"/records/{records['F_ECOG']['id']}", json={"data": {"ECOG": 2, "KPS": 60}, "reason": "re-rated"},
                  headers={"If-Match": etag})
    body, _ = criteria(coord_a, subject["id"])
    assert body["eligible"] is False  # the exception needs ECOG 0-1


def test_missing_screening_data_is_missing_not_failed(coord_a, as_user):
    subject = coord_a.post("/studies/ESCC-LDRT/subjects", json={"site": "WCH", "consent_date": "2026-01-05"}).json
    body, _ = criteria(coord_a, subject["id"])
    assert body["eligible"] is None
    assert {c["status"] for c in body["criteria"]} == {"missing"}
    assert as_user("coord_b").get(f"/subjects/{subject['id']}/eligibility").status_code == 404
