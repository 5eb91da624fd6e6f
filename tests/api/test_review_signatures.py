"""E-signatures (21 CFR 11.50/11.70/11.200): password re-entry, manifestation, content hash, invalidation."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from sqlalchemy import select

from ecrf.auth.models import User
from tests.support.seed import PASSWORD


def enrol(client, site="RJH"):
    response = client.post("/studies/ESCC-N3/subjects", json={"site": site, "consent_date": "2026-01-05"})
    assert response.status_code == 201, response.json
    return response.json


def complete(client, subject, form="F_ECOG", data=None):
    created = client.post(f"/subjects/{subject['id']}/visits/SCR/forms/{form}",
                          json={"data": data or {"ECOGDAT": "2026-01-06", "ECOG": 1, "KPS": 80}})
    assert created.status_code == 201, created.json
    done = client.post(f"/records/{created.json['id']}/complete", json={}, headers={"If-Match": created.headers["ETag"]})
    assert done.status_code == 200, done.json
    return done.json, done.headers["ETag"]


@pytest.fixture
def ecog(coord_a):
    subject = enrol(coord_a)
    record, etag = complete(coord_a, subject)
    return {"subject": subject, "record": record, "etag": etag}


def sign(client, record_id, etag, username="inv_a", password=PASSWORD, meaning="Investigator approval"):
    return client.post(f"/records/{record_id}/sign", json={"username": username, "password": password,
                                                          "meaning": meaning}, headers={"If-Match": etag})


def expected_hash(record) -> str:
    content = {"record_id": record["id"], "form_oid": record["form_oid"], "form_version": record["form_version"],
               "status": record["status"], "visit": record["visit_key"], "visit_repeat": record["visit_repeat"],
               "repeat": record["repeat"], "data": record["data"]}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_signature_records_printed_name_utc_time_meaning_and_content_hash(as_user, ecog):
    investigator = as_user("inv_a")
    before = dt.datetime.now(dt.timezone.utc)
    signed = sign(investigator, ecog["record"]["id"], ecog["etag"])
    assert signed.status_code == 200, signed.json
    assert signed.json["signature_status"] == "signed"
    assert signed.headers["ETag"] == ecog["etag"]  # signing is not a data change
    [signature] = signed.json["signatures"]
    assert (signature["printed_name"], signature["username"], signature["meaning"], signature["scope"],
            signature["status"]) == ("Irene Investigator", "inv_a", "Investigator approval", "record", "valid")
    signed_at = dt.datetime.fromisoformat(signature["signed_at"])
    assert signed_at.utcoffset() == dt.timedelta(0) and before <= signed_at <= dt.datetime.now(dt.timezone.utc)
    assert signature["content_hash"] == expected_hash(ecog["record"]) and signature["hash_algorithm"] == "SHA-256"
    for reader in ("coord_a", "monitor_a", "dm"):  # shown wherever the record is read
        shown = as_user(reader).get(f"/records/{ecog['record']['id']}").json
        assert shown["signatures"][0]["printed_name"] == "Irene Investigator", reader
    entry = as_user("dm").get(f"/audit?record={ecog['record']['id']}&action=signature.signed").json["items"][0]
    assert entry["username"] == "inv_a" and entry["new_value"] == "Investigator approval"
    assert entry["details"]["content_hash"] == signature["content_hash"]
    assert entry["details"]["printed_name"] == "Irene Investigator"
    again = sign(investigator, ecog["record"]["id"], ecog["etag"])
    assert again.status_code == 409
    by_code = sign(investigator, ecog["record"]["id"], ecog["etag"], meaning="review")
    assert by_code.status_code == 200 and [s["meaning"] for s in by_code.json["signatures"]] == [
        "Investigator approval", "Review"]


def test_a_wrong_password_is_401_counted_and_five_lock_the_account(app, as_user, ecog):
    investigator = as_user("inv_a")
    rid, etag = ecog["record"]["id"], ecog["etag"]
    for attempt in range(1, 5):
        wrong = sign(investigator, rid, etag, password="Not-the-password-1")
        assert wrong.status_code == 401, wrong.json
        with app.app_context():
            from ecrf.db import get_session

            user = get_session().execute(select(User).where(User.username == "inv_a")).scalar_one()
            assert user.failed_logins == attempt  # counted although the request was refused
    fifth = sign(investigator, rid, etag, password="Not-the-password-1")
    assert fifth.status_code == 401
    locked = sign(investigator, rid, etag)  # even the right password fails now
    assert locked.status_code == 403 and "locked" in locked.json["message"]
    assert investigator.get(f"/records/{rid}").json["signature_status"] == "unsigned"
    login = app.test_client().post("/api/v1/auth/login", json={"username": "inv_a", "password": PASSWORD})
    assert login.status_code == 401
    trail = as_user("dm").get("/audit?action=signature.failed&order=oldest").json["items"]
    assert [e["reason"] for e in trail] == ["wrong password"] * 5 + ["account locked"]
    assert all(e["record_id"] == rid and e["username"] == "inv_a" for e in trail)
    lockouts = as_user("admin").get("/audit?action=auth.lockout").json["items"]
    assert [e["username"] for e in lockouts] == ["inv_a"]


def test_the_username_must_be_the_callers_and_a_session_alone_never_signs(client, as_user, ecog):
    rid, etag = ecog["record"]["id"], ecog["etag"]
    as_someone_else = sign(as_user("inv_a"), rid, etag, username="inv_b")
    assert as_someone_else.status_code == 403 and "username" in as_someone_else.json["errors"]
    csrf = client.post("/api/v1/auth/login", json={"username": "inv_a", "password": PASSWORD}).json["csrf_token"]
    headers = {"X-CSRF-Token": csrf, "If-Match": etag}
    url = f"/api/v1/records/{rid}/sign"
    no_credentials = client.post(url, json={"meaning": "Investigator approval"}, headers=headers)
    assert no_credentials.status_code == 422
    assert set(no_credentials.json["errors"]) == {"username", "password"}
    empty_password = client.post(url, json={"username": "inv_a", "password": "", "meaning": "Review"}, headers=headers)
    assert empty_password.status_code == 422
    with_password = client.post(url, json={"username": "INV_A", "password": PASSWORD, "meaning": "Review"},
                                headers=headers)
    assert with_password.status_code == 200, with_password.json
    assert with_password.json["signatures"][0]["username"] == "inv_a"


def test_who_may_sign_what(as_user, coord_a, ecog):
    rid, etag = ecog["record"]["id"], ecog["etag"]
    for username in ("coord_a", "monitor_a", "dm"):
        assert sign(as_user(username), rid, etag, username=username).status_code == 403, username
    assert sign(as_user("inv_b"), rid, etag, username="inv_b").status_code == 404
    unknown = sign(as_user("inv_a"), rid, etag, meaning="Because I can")
    assert unknown.status_code == 422 and "Investigator approval" in unknown.json["errors"]["meaning"][0]
    assert as_user("inv_a").post(f"/records/{rid}/sign", json={"username": "inv_a", "password": PASSWORD,
                                                                "meaning": "Review"}).status_code == 428
    draft = coord_a.post(f"/subjects/{ecog['subject']['id']}/visits/SCR/forms/F_DM", json={"data": {}})
    refused = sign(as_user("inv_a"), draft.json["id"], draft.headers["ETag"])
    assert refused.status_code == 409 and "complete" in refused.json["message"]
    meanings = as_user("inv_a").get("/signature-meanings").json["items"]
    assert {"Investigator approval", "Authorship", "Review"} <= {m["label"] for m in meanings}


def test_a_later_change_invalidates_the_signature_and_names_the_changed_items(as_user, ecog):
    rid = ecog["record"]["id"]
    sign(as_user("inv_a"), rid, ecog["etag"])
    changed = as_user("coord_a").patch(f"/records/{rid}", json={"data": {"ECOG": 2, "KPS": 60},
                                                                "reason": "transcription error"},
                                       headers={"If-Match": ecog["etag"]})
    assert changed.status_code == 200, changed.json
    assert changed.json["signature_status"] == "invalidated"
    [signature] = changed.json["signatures"]
    assert signature["status"] == "invalidated" and signature["invalidated_at"]
    assert [i["item"] for i in signature["changed_items"]] == ["ECOG", "KPS"]
    assert "transcription error" in signature["invalidation_cause"]
    entry = as_user("dm").get(f"/audit?record={rid}&action=signature.invalidated").json["items"][0]
    assert entry["details"]["changed_items"] == ["ECOG", "KPS"] and entry["details"]["signer"] == "inv_a"
    assert as_user("inv_a").get(f"/subjects/{ecog['subject']['id']}/review").json["signature_status"] == "needs_resigning"
    resigned = sign(as_user("inv_a"), rid, changed.headers["ETag"])
    assert resigned.status_code == 200 and resigned.json["signature_status"] == "signed"
    assert [s["status"] for s in resigned.json["signatures"]] == ["invalidated", "valid"]
    assert as_user("inv_a").get(f"/subjects/{ecog['subject']['id']}/review").json["signature_status"] == "unsigned"


def sign_subject(client, subject_id, **extra):
    body = {"username": "inv_a", "password": PASSWORD, "meaning": "Investigator approval"} | extra
    return client.post(f"/subjects/{subject_id}/sign", json=body)


def test_the_casebook_signature_covers_every_record_and_needs_re_signing_after_a_change(as_user, coord_a, ecog):
    investigator, sid = as_user("inv_a"), ecog["subject"]["id"]
    draft = coord_a.post(f"/subjects/{sid}/visits/SCR/forms/F_TNM", json={"data": {}})
    incomplete = sign_subject(investigator, sid)
    assert incomplete.status_code == 409 and f"record {draft.json['id']}" in incomplete.json["errors"]
    assert investigator.get(f"/subjects/{sid}/review").json["incomplete_records"] == [draft.json["id"]]

    other = enrol(coord_a)
    complete(coord_a, other)
    review = investigator.get(f"/subjects/{other['id']}/review").json
    assert review["signature_status"] == "unsigned"
    stale = sign_subject(investigator, other["id"], content_hash="0" * 64)
    assert stale.status_code == 412
    signed = sign_subject(investigator, other["id"], content_hash=review["casebook_hash"])
    assert signed.status_code == 200, signed.json
    assert signed.json["signature_status"] == "signed"
    assert signed.json["signatures"][0]["content_hash"] == review["casebook_hash"]
    scr = next(v for v in coord_a.get(f"/subjects/{other['id']}/visits").json["items"] if v["key"] == "SCR")
    rid = next(f["records"][0]["id"] for f in scr["forms"] if f["form"] == "F_ECOG")
    shown = coord_a.get(f"/records/{rid}")
    assert shown.json["signature_status"] == "signed" and shown.json["signatures"][0]["scope"] == "subject"

    coord_a.patch(f"/records/{rid}", json={"data": {"KPS": 70}, "reason": "late correction"},
                  headers={"If-Match": shown.headers["ETag"]})
    after = investigator.get(f"/subjects/{other['id']}/review").json
    assert after["signature_status"] == "needs_resigning"
    assert after["signatures"][0]["changed_items"] == [{"record_id": rid, "form_oid": "F_ECOG", "item": "KPS"}]
    new_record = coord_a.post(f"/subjects/{other['id']}/visits/SCR/forms/F_TNM", json={"data": {}})
    assert new_record.status_code == 201
    assert sign_subject(investigator, other["id"]).status_code == 409  # the new record is a draft
    resigned_visit = investigator.post(f"/subjects/{other['id']}/visits/CYCLE/sign",
                                       json={"username": "inv_a", "password": PASSWORD, "meaning": "Review"})
    assert resigned_visit.status_code == 409  # no records at that visit


def test_a_visit_signature_is_invalidated_by_a_new_record_of_that_visit(as_user, coord_a, ecog):
    investigator, sid = as_user("inv_a"), ecog["subject"]["id"]
    signed = investigator.post(f"/subjects/{sid}/visits/SCR/sign",
                               json={"username": "inv_a", "password": PASSWORD, "meaning": "Investigator approval"})
    assert signed.status_code == 200, signed.json
    assert [(s["scope"], s["status"]) for s in signed.json["signatures"]] == [("visit", "valid")]
    created = coord_a.post(f"/subjects/{sid}/visits/SCR/forms/F_TNM", json={"data": {}})
    assert created.status_code == 201
    review = investigator.get(f"/subjects/{sid}/review").json
    assert [(s["scope"], s["status"]) for s in review["signatures"]] == [("visit", "invalidated")]
    assert "record created" in review["signatures"][0]["invalidation_cause"]
    assert review["signature_status"] == "needs_resigning"


def test_a_visit_date_change_invalidates_the_visit_and_casebook_signatures_not_the_records(as_user, coord_a, ecog):
    investigator, sid = as_user("inv_a"), ecog["subject"]["id"]
    credentials = {"username": "inv_a", "password": PASSWORD, "meaning": "Investigator approval"}
    assert coord_a.patch(f"/subjects/{sid}/visits/SCR", json={"visit_date": "2026-01-06"}).status_code == 200
    assert sign(investigator, ecog["record"]["id"], ecog["etag"]).status_code == 200
    assert investigator.post(f"/subjects/{sid}/visits/SCR/sign", json=credentials).status_code == 200
    assert sign_subject(investigator, sid).status_code == 200
    same = coord_a.patch(f"/subjects/{sid}/visits/SCR", json={"visit_date": "2026-01-06"})
    assert same.status_code == 200  # the same date is no change
    assert {s["status"] for s in investigator.get(f"/subjects/{sid}/review").json["signatures"]} == {"valid"}

    moved = coord_a.patch(f"/subjects/{sid}/visits/SCR", json={"visit_date": "2026-01-07", "reason": "date on source"})
    assert moved.status_code == 200, moved.json
    review = investigator.get(f"/subjects/{sid}/review").json
    assert review["signature_status"] == "needs_resigning"
    by_scope = {s["scope"]: s for s in review["signatures"]}
    assert by_scope["record"]["status"] == "valid"  # a record signature covers the record's values
    for scope in ("visit", "subject"):
        assert by_scope[scope]["status"] == "invalidated"
        assert by_scope[scope]["changed_items"] == [{"visit_key": "SCR", "visit_repeat": 1, "item": "VISIT.DATE"}]
        assert "visit date changed (date on source)" in by_scope[scope]["invalidation_cause"]
    trail = as_user("dm").get(f"/audit?subject={sid}&action=signature.invalidated").json["items"]
    assert sorted(e["details"]["scope"] for e in trail) == ["subject", "visit"]
    assert sign_subject(investigator, sid).status_code == 200  # re-signing covers the new date


def test_marking_a_visit_missed_invalidates_the_casebook_signature(as_user, coord_a, ecog):
    investigator, sid = as_user("inv_a"), ecog["subject"]["id"]
    assert sign_subject(investigator, sid).status_code == 200
    missed = coord_a.patch(f"/subjects/{sid}/visits/CYCLE?repeat=1", json={"status": "missed", "reason": "admitted"})
    assert missed.status_code == 200, missed.json
    signature = investigator.get(f"/subjects/{sid}/review").json["signatures"][0]
    assert signature["status"] == "invalidated"
    assert signature["changed_items"] == [{"visit_key": "CYCLE", "visit_repeat": 1, "item": "VISIT.STATUS"}]
