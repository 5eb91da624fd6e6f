"""CRF version migration: the dry run reports exactly what maps, is added, lost or failing; applying needs a
reason, moves the record, keeps the old values in the audit trail and clears affected SDV and signatures."""

from __future__ import annotations

import pytest

from tests.support.seed import PASSWORD

AE = {
    "AETERM": "Nausea", "AEDECOD": "Nausea", "AESTDAT": "2026-01-10", "AEONGO": "Y", "AETOXGR": 1, "AEIRAE": "N",
    "AESER": "N", "AEREL_PAC": "POSSIBLE", "AEREL_CARBO": "POSSIBLE", "AEREL_CAM": "NOT_RELATED",
    "AEREL_RT": "NOT_RELATED", "AEACN_PAC": "DOSE_NOT_CHANGED", "AEACN_CARBO": "DOSE_NOT_CHANGED",
    "AEACN_CAM": "DOSE_NOT_CHANGED", "AEACN_RT": "NOT_APPLICABLE", "AEOUT": "RECOVERING",
}


def enrol(client, site="RJH"):
    response = client.post("/studies/ESCC-N3/subjects", json={"site": site, "consent_date": "2026-01-05"})
    assert response.status_code == 201, response.json
    return response.json


def create(client, subject, visit, form, data, complete=True):
    created = client.post(f"/subjects/{subject['id']}/visits/{visit}/forms/{form}", json={"data": data})
    assert created.status_code == 201, created.json
    if not complete:
        return created.json, created.headers["ETag"]
    done = client.post(f"/records/{created.json['id']}/complete", json={}, headers={"If-Match": created.headers["ETag"]})
    assert done.status_code == 200, done.json
    return done.json, done.headers["ETag"]


def migrate(client, record_id, etag=None, **body):
    return client.post(f"/records/{record_id}/migrate", json=body, headers={"If-Match": etag} if etag else {})


def keys(outcomes):
    return sorted((o["key"], o["value"]) for o in outcomes)


def test_ae_version_2_dry_run_then_apply_reopens_the_record_for_the_new_required_item(as_user, coord_a):
    dm = as_user("dm")
    subject = enrol(coord_a)
    record, etag = create(coord_a, subject, "AELOG", "F_AE", AE)
    dry = migrate(dm, record["id"])
    assert dry.status_code == 200, dry.json
    plan = dry.json
    assert (plan["dry_run"], plan["applied"], plan["from_version"], plan["to_version"]) == (True, False, 1, 2)
    assert keys(plan["mapped"]) == sorted(AE.items())
    assert [(a["item"], a["required"]) for a in plan["added"]] == [("AECONTRT", True)]
    assert plan["lost"] == [] and plan["failing"] == []
    assert plan["needs_value"] == ["AECONTRT"] and plan["status_after"] == "draft" and plan["can_apply"] is True
    unchanged = coord_a.get(f"/records/{record['id']}")
    assert unchanged.json["form_version"] == 1 and unchanged.headers["ETag"] == etag

    assert migrate(dm, record["id"], dry_run=False, reason="amendment 2").status_code == 428
    no_reason = migrate(dm, record["id"], etag, dry_run=False, reason="  ")
    assert no_reason.status_code == 422 and "reason" in no_reason.json["errors"]
    applied = migrate(dm, record["id"], etag, dry_run=False, reason="protocol amendment 2: AE form v2")
    assert applied.status_code == 200, applied.json
    assert applied.json["applied"] is True and applied.headers["ETag"] != etag
    after = coord_a.get(f"/records/{record['id']}")
    assert (after.json["form_version"], after.json["status"], after.json["data"]) == (2, "draft", AE)
    entry = dm.get(f"/audit?record={record['id']}&action=record.migrated").json["items"][0]
    assert (entry["old_value"], entry["new_value"], entry["reason"]) == (1, 2, "protocol amendment 2: AE form v2")
    assert entry["details"]["status_before"] == "complete" and entry["details"]["status_after"] == "draft"
    assert entry["form_version"] == 2 and entry["username"] == "dm"
    # the record is now validated against version 2: the new code and the new item are accepted
    patched = coord_a.patch(f"/records/{record['id']}", json={"data": {"AECONTRT": "N",
                                                                       "AEACN_CAM": "DOSE_RATE_REDUCED"},
                                                              "reason": "answered the amendment question"},
                            headers={"If-Match": after.headers["ETag"]})
    assert patched.status_code == 200, patched.json
    done = coord_a.post(f"/records/{record['id']}/complete", json={"reason": "complete under v2"},
                        headers={"If-Match": patched.headers["ETag"]})
    assert done.status_code == 200 and done.json["status"] == "complete"
    # ...while records created now stay on the version the study names (1), with its rules
    other, other_etag = create(coord_a, subject, "AELOG", "F_AE", AE | {"AETERM": "Fatigue", "AEDECOD": "Fatigue"})
    assert other["form_version"] == 1
    refused = coord_a.patch(f"/records/{other['id']}", json={"data": {"AEACN_CAM": "DOSE_RATE_REDUCED"},
                                                             "reason": "x"}, headers={"If-Match": other_etag})
    assert refused.status_code == 422 and "AEACN_CAM" in refused.json["errors"]
    assert migrate(dm, record["id"]).status_code == 422  # already on the latest version


def lab(hgb, unit="G_DL"):
    return {"LBPERF": "Y", "LBDAT": "2026-01-06", "LBHGB": hgb, "LBHGBU": unit, "LBHGBLO": "12.0", "LBHGBHI": "16.0"}


def test_lab_version_2_reports_the_failing_value_and_batch_migration_is_all_or_nothing(as_user, coord_a):
    dm = as_user("dm")
    first, second = enrol(coord_a), enrol(coord_a)
    bad, bad_etag = create(coord_a, first, "SCR", "F_LB", lab("0.5"), complete=False)
    good, good_etag = create(coord_a, second, "SCR", "F_LB", lab("12.5"))
    plan = migrate(dm, bad["id"]).json
    assert [(o["key"], o["value"]) for o in plan["failing"]] == [("LBHGB", "0.5")]
    assert "between 1 and 250" in plan["failing"][0]["reason"]
    assert keys(plan["mapped"]) == [("LBDAT", "2026-01-06"), ("LBHGBHI", "16.0"), ("LBHGBLO", "12.0"),
                                    ("LBHGBU", "G_DL"), ("LBPERF", "Y")]
    assert plan["added"] == [] and plan["lost"] == [] and plan["can_apply"] is False
    refused = migrate(dm, bad["id"], bad_etag, dry_run=False, reason="amendment 1")
    assert refused.status_code == 409 and "LBHGB" in refused.json["errors"]

    batch = dm.post("/studies/ESCC-N3/forms/F_LB/migrate", json={})
    assert batch.status_code == 200, batch.json
    assert [(r["record_id"], r["summary"]["failing"]) for r in batch.json["records"]] == [(bad["id"], 1), (good["id"], 0)]
    assert batch.json["summary"] == {"records": 2, "can_apply": False, "mapped": 11, "added": 0, "lost": 0,
                                     "failing": 1}
    all_or_nothing = dm.post("/studies/ESCC-N3/forms/F_LB/migrate", json={"dry_run": False, "reason": "amendment 1"})
    assert all_or_nothing.status_code == 409 and f"record {bad['id']}: LBHGB" in all_or_nothing.json["errors"]
    assert coord_a.get(f"/records/{good['id']}").json["form_version"] == 1

    corrected = coord_a.patch(f"/records/{bad['id']}", json={"data": {"LBHGB": "5.0"}}, headers={"If-Match": bad_etag})
    assert corrected.status_code == 200
    assert dm.post("/studies/ESCC-N3/forms/F_LB/migrate", json={"dry_run": False}).status_code == 422  # no reason
    applied = dm.post("/studies/ESCC-N3/forms/F_LB/migrate", json={"dry_run": False, "reason": "amendment 1"})
    assert applied.status_code == 200 and applied.json["applied"] is True
    for record in (bad, good):
        assert coord_a.get(f"/records/{record['id']}").json["form_version"] == 2
    assert coord_a.get(f"/records/{good['id']}").json["status"] == "complete"
    assert len(dm.get("/audit?action=record.migrated").json["items"]) == 2
    assert dm.post("/studies/ESCC-N3/forms/F_LB/migrate", json={}).json["records"] == []


def test_batch_migration_by_site_and_who_may_migrate(as_user, coord_a):
    dm = as_user("dm")
    create(coord_a, enrol(coord_a), "SCR", "F_LB", lab("12.5"))
    site_b = as_user("coord_b")
    create(site_b, enrol(site_b, "N3-B"), "SCR", "F_LB", lab("13.5"))
    only_b = dm.post("/studies/ESCC-N3/forms/F_LB/migrate", json={"site": "N3-B"}).json
    assert [r["site"] for r in only_b["records"]] == ["N3-B"]
    applied = dm.post("/studies/ESCC-N3/forms/F_LB/migrate", json={"site": "N3-B", "dry_run": False,
                                                                     "reason": "amendment 1, site B first"})
    assert applied.status_code == 200
    assert [r["site"] for r in dm.post("/studies/ESCC-N3/forms/F_LB/migrate", json={}).json["records"]] == ["RJH"]
    assert dm.post("/studies/ESCC-N3/forms/F_LB/migrate", json={"site": "NOPE"}).status_code == 422
    assert dm.post("/studies/ESCC-N3/forms/F_LB/migrate", json={"target_version": 9}).status_code == 404
    for username in ("coord_a", "inv_a", "monitor_a"):
        assert as_user(username).post("/studies/ESCC-N3/forms/F_LB/migrate", json={}).status_code == 403, username


@pytest.fixture
def ecog_v2_without_kps(admin):
    doc = admin.get("/forms/F_ECOG/versions/1").json["definition"]
    doc["version"] = 2
    doc["groups"][0]["items"] = [i for i in doc["groups"][0]["items"] if i["oid"] != "KPS"]
    del doc["codelists"]["CL_KPS"]
    doc["checks"] = [c for c in doc["checks"] if c["id"] != "PS_ECOG_KPS_CONSISTENT"]
    response = admin.post("/definitions", json={"documents": [doc]})
    assert response.status_code == 201, response.json
    return doc


def test_applying_with_lost_values_keeps_them_in_the_audit_trail_and_clears_their_review(
        as_user, coord_a, ecog_v2_without_kps):
    dm, monitor, investigator = as_user("dm"), as_user("monitor_a"), as_user("inv_a")
    record, etag = create(coord_a, enrol(coord_a), "SCR", "F_ECOG", {"ECOGDAT": "2026-01-06", "ECOG": 1, "KPS": 80})
    assert monitor.post(f"/records/{record['id']}/sdv", json={}, headers={"If-Match": etag}).status_code == 200
    signed = investigator.post(f"/records/{record['id']}/sign", json={"username": "inv_a", "password": PASSWORD,
                                                                      "meaning": "Investigator approval"},
                               headers={"If-Match": etag})
    assert signed.status_code == 200

    plan = migrate(dm, record["id"]).json
    assert keys(plan["mapped"]) == [("ECOG", 1), ("ECOGDAT", "2026-01-06")]
    assert keys(plan["lost"]) == [("KPS", 80)] and plan["added"] == [] and plan["failing"] == []
    assert plan["summary"] == {"mapped": 2, "added": 0, "lost": 1, "failing": 0}
    refused = migrate(dm, record["id"], etag, dry_run=False, reason="KPS dropped by amendment 3")
    assert refused.status_code == 409 and "accept_losses" in refused.json["errors"]["KPS"][0]
    applied = migrate(dm, record["id"], etag, dry_run=False, reason="KPS dropped by amendment 3", accept_losses=True)
    assert applied.status_code == 200, applied.json

    after = coord_a.get(f"/records/{record['id']}").json
    assert after["form_version"] == 2 and after["data"] == {"ECOGDAT": "2026-01-06", "ECOG": 1}
    assert after["status"] == "complete"
    trail = dm.get(f"/audit?record={record['id']}&item=KPS&order=oldest").json["items"]
    assert [(e["action"], e["old_value"], e["new_value"], e["form_version"]) for e in trail
            if e["action"].startswith("item.")] == [("item.entered", None, 80, 1), ("item.changed", 80, None, 1)]
    lost_entry = next(e for e in trail if e["action"] == "item.changed")
    assert lost_entry["reason"] == "KPS dropped by amendment 3" and lost_entry["details"]["cause"] == "migration"
    assert [e["action"] for e in trail if e["action"].startswith("sdv.")] == ["sdv.verified", "sdv.cleared"]
    assert after["sdv_status"] == "verified"  # the SDV of the unchanged items stays
    assert sorted(v["item"] for v in after["sdv"]["verified"]) == ["ECOG", "ECOGDAT"]
    assert after["signature_status"] == "invalidated"
    assert [i["item"] for i in after["signatures"][0]["changed_items"]] == ["KPS"]
    assert "migrated from version 1 to 2" in after["signatures"][0]["invalidation_cause"]


def test_migration_refusals(as_user, coord_a):
    record, etag = create(coord_a, enrol(coord_a), "SCR", "F_LB", lab("12.5"))
    for username in ("coord_a", "inv_a", "monitor_a"):
        assert migrate(as_user(username), record["id"]).status_code == 403, username
    dm = as_user("dm")
    assert migrate(dm, record["id"], target_version=7).status_code == 404
    assert migrate(dm, record["id"], target_version=1).status_code == 422
    assert migrate(dm, record["id"], '"r0-v0"', dry_run=False, reason="x").status_code == 412


def test_applying_clears_the_sdv_of_items_whose_definition_changed_only(as_user, coord_a):
    """F_LB v2 changes the haemoglobin range: its verified value is looked at again, the others stay verified."""
    dm, monitor = as_user("dm"), as_user("monitor_a")
    record, etag = create(coord_a, enrol(coord_a), "SCR", "F_LB", lab("12.5"))
    verified = monitor.post(f"/records/{record['id']}/sdv", json={}, headers={"If-Match": etag})
    assert verified.status_code == 200 and verified.json["sdv_status"] == "verified"
    applied = migrate(dm, record["id"], verified.headers["ETag"], dry_run=False, reason="amendment 1")
    assert applied.status_code == 200, applied.json
    after = coord_a.get(f"/records/{record['id']}").json
    assert after["form_version"] == 2 and after["data"]["LBHGB"] == "12.5"
    assert after["sdv_status"] == "partially_verified"
    assert after["sdv"]["pending"] == ["LBHGB"]
    assert sorted(v["item"] for v in after["sdv"]["verified"]) == sorted(set(lab("12.5")) - {"LBHGB"})
    cleared = dm.get(f"/audit?record={record['id']}&action=sdv.cleared").json["items"]
    assert [(e["item_oid"], e["new_value"]) for e in cleared] == [("LBHGB", "not_verified")]
