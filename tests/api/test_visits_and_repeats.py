"""Repeat keys of repeating forms, unscheduled visits taking data, and the end of the subject lifecycle."""

from __future__ import annotations

import pytest


@pytest.fixture
def subject(coord_a):
    created = coord_a.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": "2026-01-05"})
    assert created.status_code == 201, created.json
    return created.json


def visit(client, subject_id, key, repeat=1):
    return next(v for v in client.get(f"/subjects/{subject_id}/visits").json["items"]
                if v["key"] == key and v["repeat"] == repeat)


def test_a_repeating_form_gets_the_next_repeat_key_and_a_single_form_only_one_record(coord_a, subject):
    sid = subject["id"]
    first = coord_a.post(f"/subjects/{sid}/visits/AELOG/forms/F_AE", json={"data": {"AETERM": "nausea"}})
    second = coord_a.post(f"/subjects/{sid}/visits/AELOG/forms/F_AE", json={"data": {"AETERM": "fatigue"}})
    assert (first.status_code, second.status_code) == (201, 201)
    assert (first.json["repeat"], second.json["repeat"]) == (1, 2)
    listed = next(f for f in visit(coord_a, sid, "AELOG")["forms"] if f["form"] == "F_AE")["records"]
    assert [(r["id"], r["repeat"]) for r in listed] == [(first.json["id"], 1), (second.json["id"], 2)]
    assert coord_a.post(f"/subjects/{sid}/visits/SCR/forms/F_ECOG", json={"data": {}}).status_code == 201
    again = coord_a.post(f"/subjects/{sid}/visits/SCR/forms/F_ECOG", json={"data": {}})
    assert again.status_code == 409 and "already exists" in again.json["message"]


def test_unscheduled_visits_are_numbered_and_take_their_forms(coord_a, subject):
    sid = subject["id"]
    first = coord_a.post(f"/subjects/{sid}/visits", json={"visit_date": "2026-01-20", "reason": "fever"})
    second = coord_a.post(f"/subjects/{sid}/visits", json={"reason": "planned later"})
    assert (first.status_code, second.status_code) == (201, 201), (first.json, second.json)
    assert (first.json["key"], first.json["repeat"], first.json["kind"]) == ("UNS", 1, "unscheduled")
    assert (first.json["status"], first.json["visit_date"]) == ("in_progress", "2026-01-20")
    assert (second.json["repeat"], second.json["status"], second.json["visit_date"]) == (2, "not_started", None)
    assert first.json["name"].endswith(" 1") and second.json["name"].endswith(" 2")
    assert sorted(f["form"] for f in first.json["forms"]) == ["F_ECOG", "F_LB", "F_RECIST"]
    ecog = coord_a.post(f"/subjects/{sid}/visits/UNS/forms/F_ECOG?repeat=1",
                        json={"data": {"ECOGDAT": "2026-01-20", "ECOG": 2, "KPS": 60}})
    assert ecog.status_code == 201, ecog.json
    assert (ecog.json["visit_key"], ecog.json["visit_repeat"]) == ("UNS", 1)
    refused = coord_a.post(f"/subjects/{sid}/visits/UNS/forms/F_EX?repeat=2", json={"data": {}})
    assert refused.status_code == 422 and "form_oid" in refused.json["errors"]


def test_a_subject_reaches_completed_through_treatment_and_follow_up(coord_a, as_user, subject):
    sid, dm = subject["id"], as_user("dm")
    assert dm.post(f"/subjects/{sid}/eligibility/override", json={"reason": "criteria checked on paper"}
                   ).status_code == 201
    for status in ("enrolled", "on_treatment", "follow_up", "completed"):
        moved = coord_a.post(f"/subjects/{sid}/status", json={"status": status})
        assert moved.status_code == 200 and moved.json["status"] == status, moved.json
    final = coord_a.post(f"/subjects/{sid}/status", json={"status": "withdrawn", "reason": "x", "date": "2026-06-01"})
    assert final.status_code == 409  # completed is final
    trail = dm.get(f"/audit?subject={sid}&action=subject.status_changed&order=oldest").json["items"]
    assert [e["new_value"] for e in trail] == ["enrolled", "on_treatment", "follow_up", "completed"]
