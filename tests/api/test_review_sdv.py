"""Source data verification: per item and per record, cleared only for the changed item, per-site worklist."""

from __future__ import annotations

import pytest


def enrol(client, site="RJH", study="ESCC-N3"):
    response = client.post(f"/studies/{study}/subjects", json={"site": site, "consent_date": "2026-01-05"})
    assert response.status_code == 201, response.json
    return response.json


def complete_ecog(client, subject, data=None):
    created = client.post(f"/subjects/{subject['id']}/visits/SCR/forms/F_ECOG",
                          json={"data": data or {"ECOGDAT": "2026-01-06", "ECOG": 1, "KPS": 80}})
    assert created.status_code == 201, created.json
    done = client.post(f"/records/{created.json['id']}/complete", json={}, headers={"If-Match": created.headers["ETag"]})
    assert done.status_code == 200, done.json
    return done.json, done.headers["ETag"]


@pytest.fixture
def ecog(coord_a):
    subject = enrol(coord_a)
    record, etag = complete_ecog(coord_a, subject)
    return {"subject": subject, "record": record, "etag": etag}


def sdv(client, record_id, etag, body=None):
    return client.post(f"/records/{record_id}/sdv", json=body or {}, headers={"If-Match": etag})


def test_items_then_the_whole_record_are_verified_and_shown_on_the_record(as_user, ecog):
    monitor = as_user("monitor_a")
    rid, etag = ecog["record"]["id"], ecog["etag"]
    before = monitor.get(f"/records/{rid}").json
    assert before["sdv_status"] == "not_verified" and sorted(before["sdv"]["pending"]) == ["ECOG", "ECOGDAT", "KPS"]
    one = sdv(monitor, rid, etag, {"items": ["ECOG"]})
    assert one.status_code == 200, one.json
    assert one.json["sdv_status"] == "partially_verified"
    assert [(v["item"], v["verified_by"]) for v in one.json["sdv"]["verified"]] == [("ECOG", "Mo Monitor")]
    assert one.headers["ETag"] == etag  # verification is not a data change: the ETag stays
    rest = sdv(monitor, rid, etag)
    assert rest.status_code == 200 and rest.json["sdv_status"] == "verified" and rest.json["sdv"]["pending"] == []
    again = sdv(monitor, rid, etag)
    assert again.status_code == 409
    trail = monitor.get(f"/audit?record={rid}&action=sdv.verified&order=oldest").json["items"]
    assert [(e["item_oid"], e["username"], e["new_value"]) for e in trail] == [
        ("ECOG", "monitor_a", "verified"), ("ECOGDAT", "monitor_a", "verified"), ("KPS", "monitor_a", "verified")]


def test_a_later_change_clears_the_sdv_of_the_changed_item_only(as_user, ecog):
    monitor, coord = as_user("monitor_a"), as_user("coord_a")
    rid = ecog["record"]["id"]
    assert sdv(monitor, rid, ecog["etag"]).json["sdv_status"] == "verified"
    changed = coord.patch(f"/records/{rid}", json={"data": {"KPS": 70}, "reason": "source says 70"},
                          headers={"If-Match": ecog["etag"]})
    assert changed.status_code == 200, changed.json
    assert changed.json["sdv_status"] == "partially_verified"
    assert changed.json["sdv"]["pending"] == ["KPS"]
    assert sorted(v["item"] for v in changed.json["sdv"]["verified"]) == ["ECOG", "ECOGDAT"]
    cleared = monitor.get(f"/audit?record={rid}&action=sdv.cleared").json["items"]
    assert [(e["item_oid"], e["old_value"], e["new_value"], e["user_role"]) for e in cleared] == [
        ("KPS", "verified", "not_verified", "system")]
    assert "source says 70" in cleared[0]["reason"]
    assert sdv(monitor, rid, changed.headers["ETag"], {"items": ["KPS"]}).json["sdv_status"] == "verified"


def test_undoing_a_verification_needs_a_reason(as_user, ecog):
    monitor = as_user("monitor_a")
    rid, etag = ecog["record"]["id"], ecog["etag"]
    sdv(monitor, rid, etag, {"items": ["ECOG"]})
    no_reason = sdv(monitor, rid, etag, {"items": ["ECOG"], "verified": False})
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    undone = sdv(monitor, rid, etag, {"items": ["ECOG"], "verified": False, "reason": "verified the wrong visit"})
    assert undone.status_code == 200 and undone.json["sdv_status"] == "not_verified"
    entry = monitor.get(f"/audit?record={rid}&action=sdv.unverified").json["items"][0]
    assert (entry["item_oid"], entry["reason"]) == ("ECOG", "verified the wrong visit")


def test_sdv_refusals(as_user, coord_a, ecog):
    rid, etag = ecog["record"]["id"], ecog["etag"]
    for username in ("coord_a", "inv_a", "dm"):
        assert sdv(as_user(username), rid, etag).status_code == 403, username
    monitor = as_user("monitor_a")
    assert monitor.post(f"/records/{rid}/sdv", json={}).status_code == 428
    assert sdv(monitor, rid, '"r0-v0"').status_code == 412
    unknown = sdv(monitor, rid, etag, {"items": ["NOPE", "ECOG"]})
    assert unknown.status_code == 422 and list(unknown.json["errors"]) == ["NOPE"]
    draft = coord_a.post(f"/subjects/{ecog['subject']['id']}/visits/SCR/forms/F_DM", json={"data": {}})
    assert sdv(monitor, draft.json["id"], draft.headers["ETag"]).status_code == 409
    other = enrol(as_user("coord_b"), site="N3-B")
    record_b, etag_b = complete_ecog(as_user("coord_b"), other)
    assert sdv(monitor, record_b["id"], etag_b).status_code == 404  # not the monitor's site
    assert monitor.get(f"/audit?record={rid}&action=sdv.verified").json["items"] == []


def test_the_worklist_shows_what_still_needs_sdv_per_site(as_user, coord_a, ecog):
    monitor, dm = as_user("monitor_a"), as_user("dm")
    second, second_etag = complete_ecog(coord_a, enrol(coord_a))
    subject_b = enrol(as_user("coord_b"), site="N3-B")
    complete_ecog(as_user("coord_b"), subject_b)
    sdv(monitor, ecog["record"]["id"], ecog["etag"])
    sdv(monitor, second["id"], second_etag, {"items": ["ECOG"]})

    mine = monitor.get("/studies/ESCC-N3/sdv").json
    assert mine["sites"] == [{"site": "RJH", "records": 2, "verified": 1, "partially_verified": 1, "not_verified": 0,
                              "items_with_values": 6, "items_verified": 4}]
    assert [(i["record_id"], i["sdv_status"], i["pending_items"]) for i in mine["items"]] == [
        (second["id"], "partially_verified", ["ECOGDAT", "KPS"])]
    assert mine["total"] == 1

    everywhere = dm.get("/studies/ESCC-N3/sdv").json
    assert [(s["site"], s["records"], s["not_verified"]) for s in everywhere["sites"]] == [("N3-B", 1, 1), ("RJH", 2, 0)]
    assert everywhere["total"] == 2
    only_b = dm.get("/studies/ESCC-N3/sdv?site=N3-B&status=not_verified").json
    assert [i["subject"] for i in only_b["items"]] == [subject_b["subject_code"]]
    verified = dm.get("/studies/ESCC-N3/sdv?status=verified&form=F_ECOG").json
    assert [i["record_id"] for i in verified["items"]] == [ecog["record"]["id"]]
    assert dm.get("/studies/ESCC-N3/sdv?site=NOPE").status_code == 422
    assert as_user("coord_b").get("/studies/ESCC-N3/sdv").json["sites"][0]["site"] == "N3-B"
