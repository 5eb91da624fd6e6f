"""Locks: record, subject and study freeze refuse every write route (409); unlocking needs a reason;
locking is refused while queries are open or answered; only data managers lock."""

from __future__ import annotations

import pytest

from tests.support.seed import PASSWORD


def enrol(client, site="RJH"):
    response = client.post("/studies/ESCC-N3/subjects", json={"site": site, "consent_date": "2026-01-05"})
    assert response.status_code == 201, response.json
    return response.json


def create(client, subject, form, data, complete=True):
    created = client.post(f"/subjects/{subject['id']}/visits/SCR/forms/{form}", json={"data": data})
    assert created.status_code == 201, created.json
    if not complete:
        return created.json["id"]
    done = client.post(f"/records/{created.json['id']}/complete", json={}, headers={"If-Match": created.headers["ETag"]})
    assert done.status_code == 200, done.json
    return created.json["id"]


@pytest.fixture
def casebook(coord_a):
    subject = enrol(coord_a)
    return {"subject": subject,
            "ecog": create(coord_a, subject, "F_ECOG", {"ECOGDAT": "2026-01-06", "ECOG": 1, "KPS": 80}),
            "lb": create(coord_a, subject, "F_LB", {"LBPERF": "N", "LBREASND": "sample haemolysed"}),
            "draft": create(coord_a, subject, "F_DM", {}, complete=False)}


def etag(client, record_id):
    return client.get(f"/records/{record_id}").headers["ETag"]


def lock_record(dm, record_id, reason=None):
    return dm.post(f"/records/{record_id}/lock", json={"reason": reason} if reason else {},
                   headers={"If-Match": etag(dm, record_id)})


def outcome(response) -> int:
    """The status; a 409 must say the data is locked or frozen (not some other conflict)."""
    if response.status_code == 409:
        message = response.json["message"]
        assert "locked" in message or "frozen" in message, message
    return response.status_code


def record_writes(as_user, casebook) -> dict[str, int]:
    """Every route that changes a record's data, as the role that may use it."""
    coord, monitor, dm = as_user("coord_a"), as_user("monitor_a"), as_user("dm")
    ecog, lb, draft = casebook["ecog"], casebook["lb"], casebook["draft"]
    query = monitor.post("/queries", json={"record_id": ecog, "item": "KPS", "text": "KPS 70 in the source?"})
    assert query.status_code == 201, query.json
    return {
        "patch": outcome(coord.patch(f"/records/{ecog}", json={"data": {"KPS": 70}, "reason": "source"},
                                     headers={"If-Match": etag(coord, ecog)})),
        "complete": outcome(coord.post(f"/records/{draft}/complete", json={},
                                       headers={"If-Match": etag(coord, draft)})),
        "query correction": outcome(coord.post(f"/queries/{query.json['id']}/responses", json={
            "text": "corrected", "correction": {"data": {"KPS": 70}, "etag": etag(coord, ecog)}})),
        "migrate": outcome(dm.post(f"/records/{lb}/migrate", json={"dry_run": False, "reason": "amendment 1"},
                                   headers={"If-Match": etag(dm, lb)})),
        "batch migrate": outcome(dm.post("/studies/ESCC-N3/forms/F_LB/migrate",
                                         json={"dry_run": False, "reason": "amendment 1"})),
    }


def subject_writes(as_user, casebook) -> dict[str, int]:
    coord, sid = as_user("coord_a"), casebook["subject"]["id"]
    return {
        "create record": outcome(coord.post(f"/subjects/{sid}/visits/SCR/forms/F_TNM", json={"data": {}})),
        "visit date": outcome(coord.patch(f"/subjects/{sid}/visits/SCR", json={"visit_date": "2026-01-06"})),
        "unscheduled visit": outcome(coord.post(f"/subjects/{sid}/visits", json={"visit_date": "2026-01-07"})),
        "visit missed": outcome(coord.patch(f"/subjects/{sid}/visits/CYCLE?repeat=1",
                                            json={"status": "missed", "reason": "hospitalised"})),
        "eligibility override": outcome(as_user("dm").post(f"/subjects/{sid}/eligibility/override",
                                                           json={"reason": "criteria checked on paper"})),
        "subject status": outcome(coord.post(f"/subjects/{sid}/status", json={
            "status": "withdrawn", "reason": "withdrew consent", "date": "2026-01-08"})),
    }


def test_a_locked_record_refuses_every_change_and_keeps_its_data(as_user, casebook):
    dm = as_user("dm")
    for record_id in (casebook["ecog"], casebook["lb"], casebook["draft"]):
        locked = lock_record(dm, record_id, "data clean")
        assert locked.status_code == 200, locked.json
        assert locked.json["lock"]["locked"] is True and locked.json["lock"]["level"] == "record"
        assert locked.json["lock"]["locked_by"] == "Dana Manager"
    assert record_writes(as_user, casebook) == {"patch": 409, "complete": 409, "query correction": 409,
                                                "migrate": 409, "batch migrate": 409}
    record = as_user("coord_a").get(f"/records/{casebook['ecog']}").json
    assert record["data"]["KPS"] == 80 and record["version"] == 2
    assert as_user("dm").get(f"/audit?record={casebook['ecog']}&action=item.changed").json["items"] == []
    # a record lock covers that record only: the rest of the subject stays open for entry
    assert subject_writes(as_user, casebook) == {"create record": 201, "visit date": 200, "subject status": 200,
                                                 "unscheduled visit": 201, "visit missed": 200,
                                                 "eligibility override": 201}


def test_a_locked_subject_refuses_every_change(as_user, casebook):
    dm, sid = as_user("dm"), casebook["subject"]["id"]
    locked = dm.post(f"/subjects/{sid}/lock", json={"reason": "casebook clean"})
    assert locked.status_code == 200, locked.json
    assert locked.json["lock"]["level"] == "subject"
    assert as_user("coord_a").get(f"/records/{casebook['ecog']}").json["lock"]["level"] == "subject"
    assert record_writes(as_user, casebook) == {"patch": 409, "complete": 409, "query correction": 409,
                                                "migrate": 409, "batch migrate": 409}
    assert subject_writes(as_user, casebook) == {"create record": 409, "visit date": 409, "subject status": 409,
                                                 "unscheduled visit": 409, "visit missed": 409,
                                                 "eligibility override": 409}
    refused = as_user("coord_a").post(f"/subjects/{sid}/visits", json={"visit_date": "2026-01-07"})
    assert "locked" in refused.json["message"]


def test_a_frozen_study_refuses_every_change_including_enrolment(as_user, casebook):
    dm = as_user("dm")
    frozen = dm.post("/studies/ESCC-N3/freeze", json={"reason": "database lock for the primary analysis"})
    assert frozen.status_code == 200, frozen.json
    assert frozen.json["frozen"] is True
    assert record_writes(as_user, casebook) == {"patch": 409, "complete": 409, "query correction": 409,
                                                "migrate": 409, "batch migrate": 409}
    assert subject_writes(as_user, casebook) == {"create record": 409, "visit date": 409, "subject status": 409,
                                                 "unscheduled visit": 409, "visit missed": 409,
                                                 "eligibility override": 409}
    assert as_user("coord_a").post("/studies/ESCC-N3/subjects",
                                   json={"site": "RJH", "consent_date": "2026-01-05"}).status_code == 409
    assert as_user("coord_a").get(f"/records/{casebook['ecog']}").json["lock"]["level"] == "study"
    assert as_user("coord_a").get("/studies/ESCC-N3").json["frozen"] is True
    other_study = as_user("coord_a").post("/studies/ESCC-LDRT/subjects", json={"site": "WCH", "consent_date": "2026-01-05"})
    assert other_study.status_code == 201  # a freeze is per study


def test_unlocking_needs_a_reason_and_opens_the_data_again(as_user, casebook):
    dm, coord = as_user("dm"), as_user("coord_a")
    rid, sid = casebook["ecog"], casebook["subject"]["id"]
    lock_record(dm, rid)
    for body in ({}, {"reason": "   "}):
        refused = dm.post(f"/records/{rid}/unlock", json=body, headers={"If-Match": etag(dm, rid)})
        assert refused.status_code == 422 and "reason" in refused.json["errors"]
    unlocked = dm.post(f"/records/{rid}/unlock", json={"reason": "site found a transcription error"},
                       headers={"If-Match": etag(dm, rid)})
    assert unlocked.status_code == 200 and unlocked.json["lock"]["locked"] is False
    changed = coord.patch(f"/records/{rid}", json={"data": {"KPS": 70}, "reason": "transcription error"},
                          headers={"If-Match": etag(coord, rid)})
    assert changed.status_code == 200
    assert dm.post(f"/records/{rid}/unlock", json={"reason": "again"}, headers={"If-Match": etag(dm, rid)}).status_code == 409

    dm.post(f"/subjects/{sid}/lock", json={})
    assert dm.post(f"/subjects/{sid}/unlock", json={}).status_code == 422
    assert dm.post(f"/subjects/{sid}/unlock", json={"reason": "new lab result arrived"}).status_code == 200
    dm.post("/studies/ESCC-N3/freeze", json={})
    assert dm.post("/studies/ESCC-N3/unfreeze", json={"reason": ""}).status_code == 422
    assert dm.post("/studies/ESCC-N3/unfreeze", json={"reason": "late SAE follow-up"}).json["frozen"] is False

    trail = dm.get(f"/audit?subject={sid}&order=oldest&limit=500").json["items"]
    actions = [(e["action"], e["reason"]) for e in trail if e["action"].endswith("locked")]
    assert actions == [("record.locked", None), ("record.unlocked", "site found a transcription error"),
                       ("subject.locked", None), ("subject.unlocked", "new lab result arrived")]
    study_trail = dm.get("/audit?study=ESCC-N3&action=study.unfrozen").json["items"]
    assert [e["reason"] for e in study_trail] == ["late SAE follow-up"]


def test_locking_is_refused_while_queries_are_open_or_answered(as_user, casebook):
    dm, monitor, coord = as_user("dm"), as_user("monitor_a"), as_user("coord_a")
    rid, sid = casebook["ecog"], casebook["subject"]["id"]
    query = monitor.post("/queries", json={"record_id": rid, "item": "ECOG", "text": "Please check ECOG"}).json

    def attempts():
        return (lock_record(dm, rid), dm.post(f"/subjects/{sid}/lock", json={}),
                dm.post("/studies/ESCC-N3/freeze", json={}))

    for response in attempts():
        assert response.status_code == 409, response.json
        assert f"#{query['id']}" in response.json["message"]
        assert response.json["errors"]["queries"] == [f"query {query['id']} is open or answered"]
    coord.post(f"/queries/{query['id']}/responses", json={"text": "ECOG confirmed"})
    assert [r.status_code for r in attempts()] == [409, 409, 409]
    monitor.post(f"/queries/{query['id']}/close", json={"text": "ok"})
    assert [r.status_code for r in attempts()] == [200, 200, 200]
    assert dm.get("/audit?study=ESCC-N3&action=study.frozen").json["items"][0]["username"] == "dm"


def test_only_data_managers_lock_and_other_sites_see_nothing(as_user, casebook):
    rid, sid = casebook["ecog"], casebook["subject"]["id"]
    for username in ("coord_a", "inv_a", "monitor_a"):
        client = as_user(username)
        assert lock_record(client, rid).status_code == 403, username
        assert client.post(f"/subjects/{sid}/lock", json={}).status_code == 403, username
        assert client.post("/studies/ESCC-N3/freeze", json={}).status_code == 403, username
    assert as_user("coord_b").post(f"/records/{rid}/lock", json={}, headers={"If-Match": etag(as_user("dm"), rid)}
                                   ).status_code == 404
    assert as_user("admin").post(f"/subjects/{sid}/lock", json={}).status_code == 404
    dm = as_user("dm")
    assert dm.post(f"/records/{rid}/lock", json={}).status_code == 428
    assert lock_record(dm, rid).status_code == 200
    assert lock_record(dm, rid).status_code == 409
    assert dm.get(f"/records/{rid}").headers["ETag"] == etag(as_user("coord_a"), rid)


def test_review_goes_on_under_a_lock_but_not_in_a_frozen_study(as_user, casebook):
    dm, rid = as_user("dm"), casebook["ecog"]
    credentials = {"username": "inv_a", "password": PASSWORD, "meaning": "Investigator approval"}
    assert lock_record(dm, rid).status_code == 200
    verified = as_user("monitor_a").post(f"/records/{rid}/sdv", json={}, headers={"If-Match": etag(dm, rid)})
    assert verified.status_code == 200 and verified.json["sdv_status"] == "verified"
    signed = as_user("inv_a").post(f"/records/{rid}/sign", json=credentials, headers={"If-Match": etag(dm, rid)})
    assert signed.status_code == 200 and signed.json["signature_status"] == "signed"
    dm.post(f"/records/{rid}/unlock", json={"reason": "freeze instead"}, headers={"If-Match": etag(dm, rid)})
    assert dm.post("/studies/ESCC-N3/freeze", json={}).status_code == 200
    undo = as_user("monitor_a").post(f"/records/{rid}/sdv", json={"verified": False, "reason": "x"},
                                     headers={"If-Match": etag(dm, rid)})
    assert undo.status_code == 409 and "frozen" in undo.json["message"]
    again = as_user("inv_a").post(f"/records/{rid}/sign", json=credentials | {"meaning": "Review"},
                                  headers={"If-Match": etag(dm, rid)})
    assert again.status_code == 409 and "frozen" in again.json["message"]
