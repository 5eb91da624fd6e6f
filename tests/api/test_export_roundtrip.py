"""ODM import: a transactional export of both trials re-imported into an empty instance gives the
same data and the same history; a file with a bad value is refused whole with a report."""

from __future__ import annotations

import pytest

from tests.support.casebook import flatten
from tests.support.odm_data import STUDIES, build_casebook, export


def post_odm(client, study: str, data: bytes, query: str = ""):
    return client.post(f"/studies/{study}/import/odm{'?' + query if query else ''}", data=data,
                       headers={"Content-Type": "application/xml"})


def records_of(client, subject_id: int) -> dict:
    out = {}
    for visit in client.get(f"/subjects/{subject_id}/visits").get_json()["items"]:
        for form in visit["forms"]:
            for rec in form["records"]:
                record = client.get(f"/records/{rec['id']}").get_json()
                out[(visit["key"], visit["repeat"], form["form"], record["repeat"])] = record
    return out


def item_history(dm, subject_id: int, records: dict) -> dict:
    """Per (visit, form, repeat, item, group, row): the sequence of (old, new, reason)."""
    ids = {r["id"]: key for key, r in records.items()}
    out: dict = {}
    cursor = None
    while True:
        page = dm.get(f"/audit?subject={subject_id}&order=oldest&limit=1000"
                      + (f"&cursor={cursor}" if cursor else "")).get_json()
        for entry in page["items"]:
            if entry["action"] in ("item.entered", "item.changed") and entry["record_id"] in ids:
                visit, repeat, form, form_repeat = ids[entry["record_id"]]
                key = (visit, repeat, form, form_repeat, entry["item_oid"], entry["group_oid"], entry["group_row"])
                out.setdefault(key, []).append((entry["old_value"], entry["new_value"], entry["reason"]))
        cursor = page["next_cursor"]
        if not cursor:
            return out


@pytest.mark.parametrize("study", STUDIES)
def test_transactional_export_reimported_gives_the_same_data_and_history(as_user, target, study):
    book = build_casebook(as_user, study)
    data = export(as_user("dm"), study, "type=transactional")
    imported = post_odm(target("coord_a"), study, data)
    assert imported.status_code == 200, imported.get_json()
    report = imported.get_json()
    assert report["subjects_created"] == [book.walk.subject["subject_code"]]
    source_dm, target_dm = as_user("dm"), target("dm")
    source_id = book.walk.subject_id
    target_subject = target_dm.get(f"/studies/{study}/subjects").get_json()["items"][0]
    source_records, target_records = records_of(source_dm, source_id), records_of(target_dm, target_subject["id"])
    assert set(source_records) == set(target_records)
    for key, record in source_records.items():
        assert flatten(target_records[key]["data"]) == flatten(record["data"]), key
        assert target_records[key]["status"] == record["status"], key
    source_visits = {(v["key"], v["repeat"]): v["visit_date"] for v in
                     source_dm.get(f"/subjects/{source_id}/visits").get_json()["items"]}
    target_visits = {(v["key"], v["repeat"]): v["visit_date"] for v in
                     target_dm.get(f"/subjects/{target_subject['id']}/visits").get_json()["items"]}
    assert source_visits == target_visits
    assert item_history(target_dm, target_subject["id"], target_records) == \
        item_history(source_dm, source_id, source_records)
    audit = target_dm.get(f"/audit?study={study}&action=import.odm").get_json()["items"]
    assert audit and audit[0]["username"] == "coord_a" and audit[0]["details"]["file_oid"]


def test_snapshot_export_imports_as_current_values(as_user, target):
    book = build_casebook(as_user, "ESCC-LDRT")
    data = export(as_user("dm"), "ESCC-LDRT")
    imported = post_odm(target("coord_a"), "ESCC-LDRT", data)
    assert imported.status_code == 200, imported.get_json()
    target_dm = target("dm")
    subject = target_dm.get("/studies/ESCC-LDRT/subjects").get_json()["items"][0]
    source, copied = records_of(as_user("dm"), book.walk.subject_id), records_of(target_dm, subject["id"])
    assert {k: flatten(r["data"]) for k, r in copied.items()} == {k: flatten(r["data"]) for k, r in source.items()}
    assert {r["status"] for r in copied.values()} == {"complete"}


def _bad_file(data: bytes) -> bytes:
    """The transactional export with two bad values: an ECOG of 7 and a date that does not exist."""
    text = data.decode()
    text = text.replace('ItemOID="F_ECOG.v1.ECOG" TransactionType="Insert" Value="1"',
                        'ItemOID="F_ECOG.v1.ECOG" TransactionType="Insert" Value="7"', 1)
    text = text.replace('ItemOID="F_DM.v1.BRTHDAT" TransactionType="Insert" Value="1961-08-14"',
                        'ItemOID="F_DM.v1.BRTHDAT" TransactionType="Insert" Value="1961-02-30"', 1)
    assert text != data.decode()
    return text.encode()


def test_a_file_with_rejected_values_is_refused_whole_with_a_report(as_user, target):
    build_casebook(as_user, "ESCC-N3")
    data = _bad_file(export(as_user("dm"), "ESCC-N3", "type=transactional"))
    refused = post_odm(target("coord_a"), "ESCC-N3", data)
    assert refused.status_code == 422
    rejected = refused.get_json()["errors"]["rejected"]
    by_item = {(r["form"], r["item"]): r for r in rejected}
    assert by_item[("F_ECOG.v1", "ECOG")]["value"] == "7"
    assert by_item[("F_DM.v1", "BRTHDAT")]["value"] == "1961-02-30"
    assert all(r["subject"] == "RJH-001" and r["reason"] for r in rejected)
    assert by_item[("F_DM.v1", "BRTHDAT")]["event"] == "SE.SCR"
    assert target("dm").get("/studies/ESCC-N3/subjects").get_json()["total"] == 0  # all or nothing
    assert target("dm").get("/audit?study=ESCC-N3&action=import.odm").get_json()["items"] == []


def test_dry_run_checks_everything_and_saves_nothing(as_user, target):
    build_casebook(as_user, "ESCC-N3")
    data = export(as_user("dm"), "ESCC-N3", "type=transactional")
    checked = post_odm(target("coord_a"), "ESCC-N3", data, "dry_run=true")
    assert checked.status_code == 200, checked.get_json()
    assert checked.get_json()["dry_run"] and checked.get_json()["records_created"] > 10
    assert target("dm").get("/studies/ESCC-N3/subjects").get_json()["total"] == 0


def test_import_is_a_site_data_entry_channel(as_user, target):
    build_casebook(as_user, "ESCC-N3")
    data = export(as_user("dm"), "ESCC-N3", "type=transactional")
    assert post_odm(target("dm"), "ESCC-N3", data).status_code == 403          # data managers change no data
    assert post_odm(target("monitor_a"), "ESCC-N3", data).status_code == 403
    other_site = post_odm(target("coord_b"), "ESCC-N3", data)                  # RJH is not coord_b's site
    assert other_site.status_code == 422
    assert "your sites" in other_site.get_json()["errors"]["rejected"][0]["reason"]
    assert post_odm(target("coord_a"), "ESCC-N3", data).status_code == 200
    again = post_odm(target("coord_a"), "ESCC-N3", data)                        # Insert of what exists
    assert again.status_code == 422
    assert "already exists" in again.get_json()["errors"]["rejected"][0]["reason"]
    # coord_b cannot touch the site A subject that now exists: it is "not found" for them
    hidden = post_odm(target("coord_b"), "ESCC-N3", data.replace(b'TransactionType="Insert"', b'TransactionType="Upsert"'))
    assert hidden.status_code == 422
    assert hidden.get_json()["errors"]["rejected"][0]["reason"] == "subject not found"


def test_import_refuses_what_is_not_odm(as_user):
    coord = as_user("coord_a")
    assert post_odm(coord, "ESCC-N3", b"<notodm/>").status_code == 422
    assert post_odm(coord, "ESCC-N3", b"<ODM").status_code == 422
    evil = (b'<?xml version="1.0"?><!DOCTYPE ODM [<!ENTITY x "boom">]>'
            b'<ODM xmlns="http://www.cdisc.org/ns/odm/v1.3"><ClinicalData StudyOID="ESCC-N3" '
            b'MetaDataVersionOID="x">&x;</ClinicalData></ODM>')
    refused = post_odm(coord, "ESCC-N3", evil)
    assert refused.status_code == 422 and "DOCTYPE" in refused.get_json()["message"]
    wrong_study = post_odm(coord, "ESCC-LDRT", export(as_user("dm"), "ESCC-N3"))
    assert wrong_study.status_code == 422
    as_json = coord.post("/studies/ESCC-N3/import/odm", json={"odm": "x"})
    assert as_json.status_code == 415


def test_an_import_cannot_change_a_locked_subject(as_user, target):
    import datetime as dt

    book = build_casebook(as_user, "ESCC-N3")
    dm, coord = as_user("dm"), as_user("coord_a")
    assert post_odm(target("coord_a"), "ESCC-N3", export(dm, "ESCC-N3", "type=transactional")).status_code == 200
    cut = dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    ecog = coord.get(f"/records/{book.corrected_record}")
    changed = coord.patch(f"/records/{book.corrected_record}", json={"data": {"KPS": 100}, "reason": "Re-checked"},
                          headers={"If-Match": ecog.headers["ETag"]})
    assert changed.status_code == 200, changed.get_json()
    later = export(dm, "ESCC-N3", f"type=transactional&since={cut}")

    target_dm = target("dm")
    subject = target_dm.get("/studies/ESCC-N3/subjects").get_json()["items"][0]
    locked = target_dm.post(f"/subjects/{subject['id']}/lock", json={"reason": "casebook clean"})
    assert locked.status_code == 200, locked.get_json()
    refused = post_odm(target("coord_a"), "ESCC-N3", later)
    assert refused.status_code == 422
    assert any("locked" in r["reason"] for r in refused.get_json()["errors"]["rejected"])

    def kps():
        return next(r for r in records_of(target_dm, subject["id"]).values() if r["form_oid"] == "F_ECOG")["data"]["KPS"]

    assert kps() == 90
    assert target_dm.post(f"/subjects/{subject['id']}/unlock", json={"reason": "late correction from site"}
                          ).status_code == 200
    assert post_odm(target("coord_a"), "ESCC-N3", later).status_code == 200  # the lock was all that stood in the way
    assert kps() == 100
