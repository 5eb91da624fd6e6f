"""ODM 1.3.2 export of both trials: valid against the official XSD, and right where the XSD cannot
tell (types, OIDs, repeat keys, audit order); snapshot values, transactional history, queries as
annotations, signatures, the audit chain head, scope, since=, and the export's own audit event."""

from __future__ import annotations

import datetime as dt

import pytest
from lxml import etree

from tests.support import odm
from tests.support.casebook import flatten
from tests.support.odm_data import STUDIES, build_casebook, export

Q = odm.Q


@pytest.fixture
def books(as_user):
    return {study: build_casebook(as_user, study) for study in STUDIES}


@pytest.mark.parametrize("kind", ["snapshot", "transactional"])
def test_exports_of_both_trials_validate_against_the_xsd_and_the_rules_it_cannot_check(as_user, books, kind):
    for study in STUDIES:
        data = export(as_user("dm"), study, f"type={kind}")
        assert odm.xsd_errors(data) == []
        assert odm.semantic_problems(data) == []
        root = odm.parse(data)
        assert root.get("FileType") == kind.title() and root.get("ODMVersion") == "1.3.2"
        assert root.find("o:ClinicalData/o:SubjectData", Q).get("SubjectKey") == books[study].walk.subject["subject_code"]


def test_snapshot_values_are_the_records_current_values(as_user, books):
    dm = as_user("dm")
    book = books["ESCC-N3"]
    values = odm.clinical_values(export(dm, "ESCC-N3"))
    for (visit, repeat, form), record in book.walk.records.items():
        current = dm.get(f"/records/{record['id']}").get_json()
        for (item, group, row), value in flatten(current["data"]).items():
            event_repeat = str(repeat) if visit in ("CYCLE", "MAINT", "TA", "TA_Y2", "FU", "UNS") else None
            form_repeat = "1" if form == "F_AE" else None
            key = ("RJH-001", f"SE.{visit}", event_repeat, f"{form}.v1", form_repeat,
                   f"{form}.v1.{group}" if group else next(k[5] for k in values if k[7] == f"{form}.v1.{item}"),
                   str(row) if row else None, f"{form}.v1.{item}")
            expected = ",".join(value) if isinstance(value, list) else str(value)
            assert values[key] == expected, key
    assert values[("RJH-001", "SE.SCR", None, "F_ECOG.v1", None, "F_ECOG.v1.IG_PS", None, "F_ECOG.v1.ECOG")] == "0"
    assert values[("RJH-001", "SE.SCR", None, "VISIT", None, "VISIT.IG", None, "VISIT.DATE")] == "2026-01-07"


def test_partial_dates_use_odm_partial_date(as_user, coord_a, dm):
    subject = coord_a.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": "2026-01-05"}).get_json()
    from tests.support.casebook import adverse_event
    created = coord_a.post(f"/subjects/{subject['id']}/visits/AELOG/forms/F_AE",
                           json={"data": adverse_event(start="2026-02-UN", end=None, serious=())})
    assert created.status_code == 201, created.get_json()
    values = odm.clinical_values(export(dm, "ESCC-N3", f"subject={subject['subject_code']}"))
    assert values[(subject["subject_code"], "SE.AELOG", None, "F_AE.v1", "1", "F_AE.v1.IG_AE", None, "F_AE.v1.AESTDAT")] \
        == "2026-02"


def test_metadata_maps_definitions(as_user, books):
    root = odm.parse(export(as_user("dm"), "ESCC-N3"))
    mdv = root.find("o:Study/o:MetaDataVersion[@OID='MDV.ESCC-N3.v1']", Q)
    events = {e.get("OID"): e for e in mdv.findall("o:StudyEventDef", Q)}
    assert (events["SE.CYCLE"].get("Repeating"), events["SE.SCR"].get("Repeating")) == ("Yes", "No")
    assert (events["SE.AELOG"].get("Type"), events["SE.UNS"].get("Type")) == ("Common", "Unscheduled")
    assert mdv.find("o:FormDef[@OID='F_AE.v1']", Q).get("Repeating") == "Yes"
    assert mdv.find("o:ItemGroupDef[@OID='F_RECIST.v1.IG_TL']", Q).get("Repeating") == "Yes"
    ecog = mdv.find("o:ItemDef[@OID='F_ECOG.v1.ECOG']", Q)
    assert ecog.get("DataType") == "integer"
    assert mdv.find(f"o:CodeList[@OID='{ecog.find('o:CodeListRef', Q).get('CodeListOID')}']", Q).get("DataType") == "integer"
    trsum = mdv.find("o:ItemDef[@OID='F_RECIST.v1.TRSUM']", Q)
    assert (trsum.get("DataType"), trsum.get("SignificantDigits")) == ("float", "1")
    checks = {(c.get("Comparator"), c.get("SoftHard"), c.find("o:CheckValue", Q).text)
              for c in trsum.findall("o:RangeCheck", Q)}
    assert checks == {("GE", "Hard", "0"), ("LE", "Hard", "2500")}
    assert trsum.find("o:MeasurementUnitRef", Q).get("MeasurementUnitOID") == "MU.mm"
    assert mdv.find("o:ItemDef[@OID='F_AE.v1.AESTDAT']", Q).get("DataType") == "partialDate"
    ref = mdv.find("o:ItemGroupDef[@OID='F_AE.v1.IG_AE']/o:ItemRef[@ItemOID='F_AE.v1.AEENDAT']", Q)
    condition = mdv.find(f"o:ConditionDef[@OID='{ref.get('CollectionExceptionConditionOID')}']", Q)
    expression = condition.find("o:FormalExpression", Q)
    assert expression.get("Context") == "ecrf-expression"
    assert expression.text == "not coalesce(([AEONGO] = 'N'), false)"   # not collected unless show_if holds


def test_transactional_export_is_the_history_with_audit_records(as_user, books):
    dm = as_user("dm")
    book = books["ESCC-N3"]
    root = odm.parse(export(dm, "ESCC-N3", "type=transactional"))
    ecog = [i for i in root.iter(f"{{{odm.NS}}}ItemData") if i.get("ItemOID") == "F_ECOG.v1.ECOG"
            and i.get("TransactionType") != "Context"]
    screening = [i for i in ecog if i.getparent().getparent().getparent().get("StudyEventOID") == "SE.SCR"]
    assert [(i.get("TransactionType"), i.get("Value")) for i in screening] == [("Insert", "1"), ("Update", "0")]
    change = screening[1].find("o:AuditRecord", Q)
    assert change.find("o:UserRef", Q).get("UserOID") == "USR.coord_a"
    assert change.find("o:LocationRef", Q).get("LocationOID") == "LOC.RJH"
    assert change.find("o:ReasonForChange", Q).text == "Transcription error: source says ECOG 0"
    entry_id = int(change.find("o:SourceID", Q).text.removeprefix("audit:"))
    entries = dm.get(f"/audit?record={book.corrected_record}&item=ECOG&action=item.changed").get_json()["items"]
    assert entries[0]["id"] == entry_id
    users = {u.get("OID") for u in root.findall("o:AdminData/o:User", Q)}
    assert {"USR.coord_a", "USR.inv_a", "USR.system"} <= users


def test_queries_are_annotations_with_flags_and_signatures_are_exported(as_user, books):
    book = books["ESCC-N3"]
    for kind in ("snapshot", "transactional"):
        root = odm.parse(export(as_user("dm"), "ESCC-N3", f"type={kind}"))
        kps = [i for i in root.iter(f"{{{odm.NS}}}ItemData") if i.get("ItemOID") == "F_ECOG.v1.KPS"
               and i.find("o:Annotation", Q) is not None]
        annotation = kps[-1].find("o:Annotation", Q)
        assert f"Query {book.query_id} (manual, answered)" in annotation.find("o:Comment", Q).text
        flags = {f.find("o:FlagType", Q).text: f.find("o:FlagValue", Q).text for f in annotation.findall("o:Flag", Q)}
        assert flags == {"QUERY_STATUS": "answered", "QUERY_KIND": "manual"}
        signed = [f for f in root.iter(f"{{{odm.NS}}}FormData") if f.get("FormOID") == "F_TNM.v1"
                  and f.find("o:Signature", Q) is not None]
        signature = signed[-1].find("o:Signature", Q)
        assert signature.find("o:UserRef", Q).get("UserOID") == "USR.inv_a"
        assert signature.find("o:SignatureRef", Q).get("SignatureOID") == "SD.approval"
        assert len(signature.find("o:CryptoBindingManifest", Q).text) == 64
        assert root.find("o:AdminData/o:SignatureDef[@OID='SD.approval']", Q) is not None


def test_the_audit_chain_head_is_in_the_export_and_the_export_is_audited(as_user, books):
    dm = as_user("dm")
    before = dm.get("/audit/verify?study=ESCC-N3").get_json()
    assert before["ok"]
    response = dm.get("/studies/ESCC-N3/export/odm?type=transactional&site=RJH")
    root = odm.parse(response.get_data())
    comment = root.find("o:ClinicalData/o:Annotations/o:Annotation/o:Comment", Q).text
    assert f"sha256={before['head_digest']}" in comment
    assert response.headers["X-Audit-Head-Digest"] == before["head_digest"]
    event = dm.get("/audit?study=ESCC-N3&action=export.odm").get_json()["items"][0]
    assert event["username"] == "dm" and event["details"]["audit_head_digest"] == before["head_digest"]
    assert (event["details"]["type"], event["details"]["site"]) == ("transactional", "RJH")
    assert event["details"]["file_oid"] == root.get("FileOID")
    assert dm.get("/audit/verify?study=ESCC-N3").get_json()["ok"]


def test_only_data_managers_export_and_filters_follow_scope(as_user, books):
    for username in ("coord_a", "inv_a", "monitor_a", "coord_b", "admin"):
        assert as_user(username).get("/studies/ESCC-N3/export/odm").status_code in (403, 404), username
    dm = as_user("dm")
    subjects = lambda data: [s.get("SubjectKey") for s in odm.parse(data).iterfind("o:ClinicalData/o:SubjectData", Q)]  # noqa: E731
    assert subjects(export(dm, "ESCC-N3")) == ["RJH-001"]
    only_b = export(dm, "ESCC-N3", "site=N3-B")
    assert subjects(only_b) == []
    assert [l.get("OID") for l in odm.parse(only_b).findall("o:AdminData/o:Location", Q)] == ["LOC.CENTRAL", "LOC.N3-B"]
    assert dm.get("/studies/ESCC-N3/export/odm?site=NOPE").status_code == 422
    assert dm.get("/studies/ESCC-N3/export/odm?subject=RJH-999").status_code == 404
    assert dm.get("/studies/ESCC-N3/export/odm?type=everything").status_code == 422


def test_since_exports_only_later_changes(as_user, books):
    dm, coord = as_user("dm"), as_user("coord_a")
    cut = dt.datetime.now(dt.timezone.utc)
    book = books["ESCC-N3"]
    record = coord.get(f"/records/{book.corrected_record}")
    changed = coord.patch(f"/records/{book.corrected_record}", json={"data": {"KPS": 100}, "reason": "Re-checked"},
                          headers={"If-Match": record.headers["ETag"]})
    assert changed.status_code == 200, changed.get_json()
    since = cut.isoformat().replace("+00:00", "Z")
    transactional = odm.parse(export(dm, "ESCC-N3", f"type=transactional&since={since}"))
    items = [(i.get("ItemOID"), i.get("Value")) for i in transactional.iter(f"{{{odm.NS}}}ItemData")
             if i.get("TransactionType") in ("Insert", "Update", "Remove")]
    assert items == [("F_ECOG.v1.KPS", "100")]
    snapshot = odm.parse(export(dm, "ESCC-N3", f"since={since}"))
    forms = [f.get("FormOID") for f in snapshot.iter(f"{{{odm.NS}}}FormData")]
    assert forms == ["F_ECOG.v1"]
    assert odm.xsd_errors(etree.tostring(snapshot)) == []
    assert dm.get("/studies/ESCC-N3/export/odm?since=2026-01-01T00:00:00").status_code == 422  # no offset
    assert odm.parse(export(dm, "ESCC-LDRT", f"since={since}")).find("o:ClinicalData/o:SubjectData", Q) is None
