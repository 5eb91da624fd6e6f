"""ODM export after a CRF version migration: with one F_AE record left on version 1 and one migrated
to version 2 in the same study, snapshot and transactional exports validate against the XSD and
the semantic checks, the current MetaDataVersion defines both versions, and every FormData names
the version its record was on (snapshot: the record's version now; transactional: at that save)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.support import odm
from tests.support.odm_data import export

Q = odm.Q
STUDY = "ESCC-N3"
AE = {
    "AETERM": "Nausea", "AEDECOD": "Nausea", "AESTDAT": "2026-01-10", "AEONGO": "Y", "AETOXGR": 1, "AEIRAE": "N",
    "AESER": "N", "AEREL_PAC": "POSSIBLE", "AEREL_CARBO": "POSSIBLE", "AEREL_CAM": "NOT_RELATED",
    "AEREL_RT": "NOT_RELATED", "AEACN_PAC": "DOSE_NOT_CHANGED", "AEACN_CARBO": "DOSE_NOT_CHANGED",
    "AEACN_CAM": "DOSE_NOT_CHANGED", "AEACN_RT": "NOT_APPLICABLE", "AEOUT": "RECOVERING",
}


@dataclass
class Mixed:
    subject_code: str
    stays: dict      # record left on F_AE version 1
    moved: dict      # record migrated to F_AE version 2, then completed with a v2-only code


def _ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response


def _complete_ae(coord, subject_id: int, data: dict) -> dict:
    created = _ok(coord.post(f"/subjects/{subject_id}/visits/AELOG/forms/F_AE", json={"data": data}), 201)
    done = _ok(coord.post(f"/records/{created.json['id']}/complete", json={},
                          headers={"If-Match": created.headers["ETag"]}))
    return done.json


@pytest.fixture
def mixed(as_user) -> Mixed:
    coord, dm = as_user("coord_a"), as_user("dm")
    subject = _ok(coord.post(f"/studies/{STUDY}/subjects", json={"site": "RJH", "consent_date": "2026-01-05"}),
                  201).json
    stays = _complete_ae(coord, subject["id"], AE | {"AETERM": "Fatigue", "AEDECOD": "Fatigue"})
    moved = _complete_ae(coord, subject["id"], AE)
    etag = coord.get(f"/records/{moved['id']}").headers["ETag"]
    _ok(dm.post(f"/records/{moved['id']}/migrate", json={"dry_run": False, "reason": "protocol amendment 2"},
                headers={"If-Match": etag}))
    after = coord.get(f"/records/{moved['id']}")
    assert (after.json["form_version"], after.json["status"]) == (2, "draft")
    patched = _ok(coord.patch(f"/records/{moved['id']}", json={
        "data": {"AECONTRT": "N", "AEACN_CAM": "DOSE_RATE_REDUCED"}, "reason": "answered the amendment question"},
        headers={"If-Match": after.headers["ETag"]}))
    done = _ok(coord.post(f"/records/{moved['id']}/complete", json={"reason": "complete under v2"},
                          headers={"If-Match": patched.headers["ETag"]}))
    assert (done.json["form_version"], done.json["status"]) == (2, "complete")
    stays_now = coord.get(f"/records/{stays['id']}").json
    assert stays_now["form_version"] == 1 and stays_now["repeat"] != done.json["repeat"]
    return Mixed(subject["subject_code"], stays_now, done.json)


def ae_forms(root, subject_code: str) -> list:
    subject = root.find(f"o:ClinicalData/o:SubjectData[@SubjectKey='{subject_code}']", Q)
    assert subject is not None
    return [f for event in subject.findall("o:StudyEventData[@StudyEventOID='SE.AELOG']", Q)
            for f in event.findall("o:FormData", Q)]


def assert_oids_follow_the_form(form) -> None:
    """Every group and item inside a FormData is the FormDef's own (qualified by the same version)."""
    prefix = form.get("FormOID") + "."
    for group in form.findall("o:ItemGroupData", Q):
        assert group.get("ItemGroupOID").startswith(prefix), (form.get("FormOID"), group.get("ItemGroupOID"))
        for item in group.findall("o:ItemData", Q):
            assert item.get("ItemOID").startswith(prefix), (form.get("FormOID"), item.get("ItemOID"))


def test_current_metadata_defines_both_versions_of_the_form(as_user, mixed):
    root = odm.parse(export(as_user("dm"), STUDY))
    clinical = root.find("o:ClinicalData", Q)
    mdv = root.find(f"o:Study/o:MetaDataVersion[@OID='{clinical.get('MetaDataVersionOID')}']", Q)
    assert {f.get("OID") for f in mdv.findall("o:FormDef", Q)} >= {"F_AE.v1", "F_AE.v2"}
    refs = {r.get("FormOID") for r in mdv.findall("o:StudyEventDef[@OID='SE.AELOG']/o:FormRef", Q)}
    assert refs == {"F_AE.v1", "F_AE.v2"}
    assert mdv.find("o:ItemDef[@OID='F_AE.v2.AECONTRT']", Q) is not None
    assert mdv.find("o:ItemDef[@OID='F_AE.v1.AECONTRT']", Q) is None
    codes = lambda oid: {c.get("CodedValue") for c in mdv.findall(f"o:CodeList[@OID='{oid}']/o:CodeListItem", Q)}  # noqa: E731
    assert "DOSE_RATE_REDUCED" in codes("F_AE.v2.CL_ACN") and "DOSE_RATE_REDUCED" not in codes("F_AE.v1.CL_ACN")


def test_snapshot_validates_and_each_form_names_its_records_version(as_user, mixed):
    data = export(as_user("dm"), STUDY)
    assert odm.xsd_errors(data) == []
    assert odm.semantic_problems(data) == []
    forms = ae_forms(odm.parse(data), mixed.subject_code)
    assert {f.get("FormRepeatKey"): f.get("FormOID") for f in forms} == {
        str(mixed.stays["repeat"]): "F_AE.v1", str(mixed.moved["repeat"]): "F_AE.v2"}
    assert len(forms) == 2
    for form in forms:
        assert_oids_follow_the_form(form)
    values = {(k[3], k[4], k[7]): v for k, v in odm.clinical_values(data).items() if k[0] == mixed.subject_code}
    moved, stays = str(mixed.moved["repeat"]), str(mixed.stays["repeat"])
    assert values[("F_AE.v2", moved, "F_AE.v2.AECONTRT")] == "N"
    assert values[("F_AE.v2", moved, "F_AE.v2.AEACN_CAM")] == "DOSE_RATE_REDUCED"
    assert values[("F_AE.v2", moved, "F_AE.v2.AETERM")] == "Nausea"
    assert values[("F_AE.v1", stays, "F_AE.v1.AETERM")] == "Fatigue"
    assert ("F_AE.v1", stays, "F_AE.v1.AECONTRT") not in values


def test_transactional_export_validates_and_each_save_names_the_version_it_was_made_on(as_user, mixed):
    data = export(as_user("dm"), STUDY, "type=transactional")
    assert odm.xsd_errors(data) == []
    assert odm.semantic_problems(data) == []
    forms = ae_forms(odm.parse(data), mixed.subject_code)
    for form in forms:
        assert_oids_follow_the_form(form)
    by_record: dict[str, list] = {}
    for form in forms:
        if form.get("TransactionType") != "Context":
            by_record.setdefault(form.get("FormRepeatKey"), []).append(form)
    stays, moved = by_record[str(mixed.stays["repeat"])], by_record[str(mixed.moved["repeat"])]
    assert {f.get("FormOID") for f in stays} == {"F_AE.v1"}
    # created and completed on v1; after the migration, the amendment's answer and completion on v2
    assert [(f.get("TransactionType"), f.get("FormOID")) for f in moved] == [
        ("Insert", "F_AE.v1"), ("Update", "F_AE.v1"), ("Update", "F_AE.v2"), ("Update", "F_AE.v2")]
    v2_items = {i.get("ItemOID"): (i.get("TransactionType"), i.get("Value"))
                for f in moved if f.get("FormOID") == "F_AE.v2" for i in f.iter(f"{{{odm.NS}}}ItemData")}
    assert v2_items["F_AE.v2.AECONTRT"] == ("Insert", "N")
    assert v2_items["F_AE.v2.AEACN_CAM"] == ("Update", "DOSE_RATE_REDUCED")
    inserted = {i.get("ItemOID") for i in moved[0].iter(f"{{{odm.NS}}}ItemData")}
    assert inserted == {f"F_AE.v1.{item}" for item in AE}


def post_odm(client, data: bytes):
    return client.post(f"/studies/{STUDY}/import/odm", data=data, headers={"Content-Type": "application/xml"})


def _importable_subject(coord) -> dict:
    """A subject whose file can create it elsewhere: demographics carry the consent date."""
    from tests.support.screening import DM, enter

    subject = _ok(coord.post(f"/studies/{STUDY}/subjects", json={"site": "RJH", "consent_date": "2026-01-05"}),
                  201).json
    enter(coord, subject["id"], "F_DM", DM)
    return subject


def _migrate(client, record_id: int) -> None:
    etag = client.get(f"/records/{record_id}").headers["ETag"]
    _ok(client.post(f"/records/{record_id}/migrate", json={"dry_run": False, "reason": "protocol amendment 2"},
                    headers={"If-Match": etag}))


def _answer_and_complete(coord, record_id: int) -> None:
    after = coord.get(f"/records/{record_id}")
    patched = _ok(coord.patch(f"/records/{record_id}", json={"data": {"AECONTRT": "N"}, "reason": "amendment"},
                              headers={"If-Match": after.headers["ETag"]}))
    _ok(coord.post(f"/records/{record_id}/complete", json={"reason": "complete under v2"},
                   headers={"If-Match": patched.headers["ETag"]}))


def test_later_changes_of_a_migrated_record_import_onto_the_migrated_record(as_user, target):
    import datetime as dt

    coord, dm = as_user("coord_a"), as_user("dm")
    source = _complete_ae(coord, _importable_subject(coord)["id"], AE)
    assert post_odm(target("coord_a"), export(dm, STUDY, "type=transactional")).status_code == 200
    copy = next(e["record_id"] for e in target("dm").get("/audit?action=record.created").get_json()["items"]
                if e["form_oid"] == "F_AE")
    _migrate(dm, source["id"])  # the amendment, on both sides
    _migrate(target("dm"), copy)
    cut = dt.datetime.now(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    _answer_and_complete(coord, source["id"])

    later = export(dm, STUDY, f"type=transactional&since={cut}")
    assert b'FormOID="F_AE.v2"' in later
    imported = post_odm(target("coord_a"), later)
    assert imported.status_code == 200, imported.get_json()
    record = target("dm").get(f"/records/{copy}").get_json()
    assert (record["form_version"], record["status"], record["data"]["AECONTRT"]) == (2, "complete", "N")


def test_a_history_across_a_migration_is_refused_with_what_to_do(as_user, target):
    coord, dm = as_user("coord_a"), as_user("dm")
    record = _complete_ae(coord, _importable_subject(coord)["id"], AE)
    _migrate(dm, record["id"])
    _answer_and_complete(coord, record["id"])
    refused = post_odm(target("coord_a"), export(dm, STUDY, "type=transactional"))
    assert refused.status_code == 422
    reasons = [r["reason"] for r in refused.get_json()["errors"]["rejected"]]
    assert any("is on version 1, not 2: a data manager migrates it" in r for r in reasons), reasons
    assert target("dm").get(f"/studies/{STUDY}/subjects").get_json()["total"] == 0  # all or nothing
