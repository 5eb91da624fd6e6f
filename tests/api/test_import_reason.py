"""ODM import and reasons for change: a change to a record that was ever complete, imported without
a reason (no ReasonForChange in the file, a blank one, no ``reason`` parameter), is refused 422
naming each changed item and that a reason is required, and nothing changes in the target; the
same file with its reasons, or with the ``reason`` parameter, is accepted."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from tests.support import odm
from tests.support.odm_data import build_casebook, export

Q = odm.Q
STUDY = "ESCC-N3"
CHANGE = {"ECOG": 1, "KPS": 80}   # the casebook's corrected values are ECOG 0, KPS 90


def post_odm(client, data: bytes, query: str = ""):
    return client.post(f"/studies/{STUDY}/import/odm{'?' + query if query else ''}", data=data,
                       headers={"Content-Type": "application/xml"})


def ecog_record(client, subject_id: int) -> dict:
    screening = next(v for v in client.get(f"/subjects/{subject_id}/visits").get_json()["items"] if v["key"] == "SCR")
    (record,) = next(f for f in screening["forms"] if f["form"] == "F_ECOG")["records"]
    return client.get(f"/records/{record['id']}").get_json()


def audit_ids(dm, record_id: int) -> list[int]:
    return [e["id"] for e in dm.get(f"/audit?record={record_id}&limit=1000").get_json()["items"]]


def latest_changes(dm, record_id: int) -> dict:
    """Per item: (old, new, reason) of its latest item.changed entry."""
    entries = dm.get(f"/audit?record={record_id}&action=item.changed&order=oldest&limit=1000").get_json()["items"]
    return {e["item_oid"]: (e["old_value"], e["new_value"], e["reason"]) for e in entries}


@pytest.fixture
def later_change(as_user, target):
    """The casebook imported into ``target``; then, at the source, ECOG and KPS of the complete
    screening ECOG record changed with a reason: the ``since=`` transactional export of that change."""
    book = build_casebook(as_user, STUDY)
    full = post_odm(target("coord_a"), export(as_user("dm"), STUDY, "type=transactional"))
    assert full.status_code == 200, full.get_json()
    cut = dt.datetime.now(dt.timezone.utc)
    coord = as_user("coord_a")
    record = coord.get(f"/records/{book.corrected_record}")
    changed = coord.patch(f"/records/{book.corrected_record}",
                          json={"data": CHANGE, "reason": "Re-assessed: the clinic note says ECOG 1"},
                          headers={"If-Match": record.headers["ETag"]})
    assert changed.status_code == 200, changed.get_json()
    since = cut.isoformat().replace("+00:00", "Z")
    data = export(as_user("dm"), STUDY, f"type=transactional&since={since}")
    changes = [(i.get("ItemOID"), i.get("Value"), i.findtext("o:AuditRecord/o:ReasonForChange", namespaces=Q))
               for i in odm.parse(data).iter(f"{{{odm.NS}}}ItemData") if i.get("TransactionType") == "Update"]
    assert sorted(changes) == [("F_ECOG.v1.ECOG", "1", "Re-assessed: the clinic note says ECOG 1"),
                               ("F_ECOG.v1.KPS", "80", "Re-assessed: the clinic note says ECOG 1")]
    subject = target("dm").get(f"/studies/{STUDY}/subjects").get_json()["items"][0]
    before = ecog_record(target("dm"), subject["id"])
    assert before["status"] == "complete" and before["ever_completed"]
    assert (before["data"]["ECOG"], before["data"]["KPS"]) == (0, 90)
    return data, subject["id"]


def with_reasons(data: bytes, text: str | None) -> bytes:
    """The file with every ReasonForChange removed (``None``) or replaced by ``text``."""
    root = odm.parse(data)
    for node in list(root.iter(f"{{{odm.NS}}}ReasonForChange")):
        if text is None:
            node.getparent().remove(node)
        else:
            node.text = text
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def assert_refused_and_unchanged(target, subject_id: int, data: bytes) -> list[dict]:
    dm = target("dm")
    before = ecog_record(dm, subject_id)
    trail = audit_ids(dm, before["id"])
    imports = dm.get(f"/audit?study={STUDY}&action=import.odm").get_json()["items"]
    refused = post_odm(target("coord_a"), data)
    assert refused.status_code == 422, refused.get_json()
    after = ecog_record(dm, subject_id)
    assert after["data"] == before["data"] and after["version"] == before["version"]
    assert after["status"] == "complete"
    assert audit_ids(dm, before["id"]) == trail
    assert dm.get(f"/audit?study={STUDY}&action=import.odm").get_json()["items"] == imports
    return refused.get_json()["errors"]["rejected"]


@pytest.mark.parametrize("reason", [None, "   "], ids=["no-reason", "blank-reason"])
def test_a_change_to_a_complete_record_without_a_reason_is_refused_and_changes_nothing(target, later_change, reason):
    data, subject_id = later_change
    stripped = with_reasons(data, reason)
    assert odm.xsd_errors(stripped) == []   # a valid file: ReasonForChange is optional in ODM
    rejected = assert_refused_and_unchanged(target, subject_id, stripped)
    assert rejected
    for rejection in rejected:
        assert (rejection["subject"], rejection["event"], rejection["form"]) == ("RJH-001", "SE.SCR", "F_ECOG.v1")
        said = f"{rejection['item']}: {rejection['reason']}"   # the rejected field and why
        assert "reason" in said and "required" in rejection["reason"], rejection


def test_the_refusal_names_each_changed_item_and_its_value(target, later_change):
    data, subject_id = later_change
    rejected = assert_refused_and_unchanged(target, subject_id, with_reasons(data, None))
    assert sorted((r["item"], r["value"]) for r in rejected) == [("ECOG", "1"), ("KPS", "80")]
    assert all("reason" in r["reason"] and "required" in r["reason"] for r in rejected), rejected


def test_the_same_change_with_its_reason_in_the_file_is_imported(target, later_change):
    data, subject_id = later_change
    imported = post_odm(target("coord_a"), data)
    assert imported.status_code == 200, imported.get_json()
    dm = target("dm")
    record = ecog_record(dm, subject_id)
    assert (record["data"]["ECOG"], record["data"]["KPS"]) == (1, 80)
    latest = latest_changes(dm, record["id"])
    assert latest["ECOG"] == (0, 1, "Re-assessed: the clinic note says ECOG 1")
    assert latest["KPS"] == (90, 80, "Re-assessed: the clinic note says ECOG 1")


def test_the_reason_parameter_stands_in_for_a_file_without_reasons(target, later_change):
    data, subject_id = later_change
    imported = post_odm(target("coord_a"), with_reasons(data, None), "reason=Transferred from the site's system")
    assert imported.status_code == 200, imported.get_json()
    dm = target("dm")
    record = ecog_record(dm, subject_id)
    assert (record["data"]["ECOG"], record["data"]["KPS"]) == (1, 80)
    latest = latest_changes(dm, record["id"])
    assert latest["ECOG"] == (0, 1, "Transferred from the site's system")
    assert latest["KPS"] == (90, 80, "Transferred from the site's system")
