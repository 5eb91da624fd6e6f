"""The ODM writers without a database: a synthetic study with every item type, signatures, queries
and a transactional history validates against the ODM 1.3.2 XSD and the semantic checks."""

from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace as NS

from lxml import etree

from ecrf.exports.admin import MeaningInfo, SiteInfo, UserInfo, admin_element
from ecrf.exports.catalog import Catalog, StudyVersionDef
from ecrf.exports.clinical import subject_data
from ecrf.exports.metadata import measurement_units, study_element
from ecrf.exports.naming import NS as ODM_NS, tag
from ecrf.exports.source import SubjectBundle, SubjectRow
from ecrf.exports.transactions import subject_transactions
from tests.support import odm

T0 = dt.datetime(2026, 3, 1, 8, 0, tzinfo=dt.timezone.utc)

FORM = {
    "kind": "form", "oid": "F_ALL", "version": 2, "title": "Every type", "repeating": True,
    "groups": [
        {"oid": "IG_MAIN", "items": [
            {"oid": "TXT", "label": "Text", "type": "text", "max_length": 20},
            {"oid": "INT", "label": "Integer", "type": "integer", "unit": "mg/m2", "hard": {"min": 0, "max": 500}},
            {"oid": "DEC", "label": "Decimal", "type": "decimal", "digits": 2, "unit": "mg_m2",
             "soft": {"min": 1.5, "message": "low"}},
            {"oid": "DAT", "label": "Date", "type": "date"},
            {"oid": "PDAT", "label": "Partial date", "type": "partial_date", "show_if": "[BOOL] = true"},
            {"oid": "TIM", "label": "Time", "type": "time"},
            {"oid": "DTM", "label": "Datetime", "type": "datetime"},
            {"oid": "BOOL", "label": "Boolean", "type": "boolean"},
            {"oid": "ONE", "label": "Choice", "type": "choice", "codelist": "CL_GRADE"},
            {"oid": "MANY", "label": "Multiple", "type": "multichoice", "codelist": "CL_METHOD"},
        ]},
        {"oid": "IG_ROWS", "repeating": True, "show_if": "[BOOL] = true", "items": [
            {"oid": "ROWTXT", "label": "Row text", "type": "text"}]},
    ],
    "codelists": {"CL_GRADE": {"data_type": "integer", "items": [{"code": 1, "label": "one"}, {"code": 2, "label": "two"}]},
                  "CL_METHOD": {"items": [{"code": "CT", "label": "CT"}, {"code": "MRI", "label": "MRI"}]}},
}
STUDY = {"kind": "study", "oid": "T-STUDY", "version": 1, "title": "Test study", "protocol": {"registry_record": "R1",
         "sponsor": "S", "phase": "2"}, "sites": [{"code": "S1", "name": "Site one"}],
         "anchors": [{"key": "consent", "label": "Consent"}],
         "schedule": [{"key": "V", "name": "Visit", "anchor": "consent", "day": 0, "window": {"before": 0, "after": 1},
                       "repeat": {"every": 7, "count": 3}, "forms": [{"form": "F_ALL", "version": 2,
                                                                       "show_if": "[SUBJECT.consent] > date('2020-01-01')"}]}],
         "logs": [{"key": "LOG", "name": "Log", "forms": [{"form": "F_ALL", "version": 2, "required": False}]}]}

DATA = {"TXT": "=SUM(A1)", "INT": 12, "DEC": "2.50", "DAT": "2026-02-01", "PDAT": "2025-11-UN", "TIM": "08:30",
        "DTM": "2026-02-01T08:30+08:00", "BOOL": True, "ONE": 2, "MANY": ["CT", "MRI"],
        "IG_ROWS": [{"_row": 1, "ROWTXT": "a"}, {"_row": 3, "ROWTXT": "c"}]}


def catalog() -> Catalog:
    return Catalog("T-STUDY", "Test study", 1, [StudyVersionDef(1, STUDY, T0)], {("F_ALL", 2): FORM})


def bundle(entries=()) -> SubjectBundle:
    visit = NS(id=1, key="V", repeat=2, visit_date=dt.date(2026, 3, 1))
    record = NS(id=5, visit_id=1, form_oid="F_ALL", form_version=2, repeat=1, status="complete", data=DATA)
    message = NS(created_at=T0, action="raise", author_name="Mo Monitor", text="check")
    queries = [NS(id=9, record_id=5, item_oid="ROWTXT", group_oid="IG_ROWS", group_row=3, kind="manual",
                  status="open", rule_id=None, rule_version=None, messages=[message]),
               NS(id=10, record_id=5, item_oid=None, group_oid=None, group_row=None, kind="automatic",
                  status="closed", rule_id="R1", rule_version="F_ALL v2", messages=[message])]
    signatures = [NS(id=1, scope="record", record_id=5, visit_id=None, signer_username="inv", meaning_code="approval",
                     signed_at=T0, content_hash="ab" * 32),
                  NS(id=2, scope="subject", record_id=None, visit_id=None, signer_username="inv",
                     meaning_code="approval", signed_at=T0, content_hash="cd" * 32)]
    return SubjectBundle(SubjectRow(1, "S1-001", "S1", "enrolled"), [visit], [record], queries, signatures,
                         list(entries))


def entry(n, action, item=None, old=None, new=None, group=None, row=None, reason=None, record=5, visit="V"):
    return NS(id=n, subject_id=1, occurred_at=T0 + dt.timedelta(seconds=n), request_id=f"r{n // 10}", action=action,
              username="coord" if n else "system", user_name="Coordinator", site_code="S1", visit_key=visit,
              visit_repeat=2, form_oid="F_ALL" if record else None, form_version=2 if record else None,
              record_id=record, item_oid=item, group_oid=group, group_row=row,
              old_value=None if old is None else json.dumps(old), new_value=None if new is None else json.dumps(new),
              reason=reason)


def document(subject: etree._Element, file_type: str) -> bytes:
    root = etree.Element(tag("ODM"), {"FileType": file_type, "FileOID": "F1", "CreationDateTime": "2026-03-01T08:00:00Z",
                                      "ODMVersion": "1.3.2"}, nsmap={None: ODM_NS})
    root.append(study_element(catalog()))
    root.append(admin_element("T-STUDY", "MDV.T-STUDY.v1", dt.date(2026, 1, 1),
                              [UserInfo("coord", "Coordinator", "coordinator"), UserInfo("inv", "Inv", "investigator")],
                              [SiteInfo("S1", "Site one")], [MeaningInfo("approval", "Approval", "I approve")]))
    clinical = etree.SubElement(root, tag("ClinicalData"), {"StudyOID": "T-STUDY", "MetaDataVersionOID": "MDV.T-STUDY.v1"})
    clinical.append(subject)
    return etree.tostring(root)


def test_every_item_type_validates_in_a_snapshot():
    data = document(subject_data(catalog(), bundle()), "Snapshot")
    assert odm.xsd_errors(data) == []
    assert odm.semantic_problems(data) == []
    values = {k[7]: v for k, v in odm.clinical_values(data).items()}
    assert values["F_ALL.v2.PDAT"] == "2025-11" and values["F_ALL.v2.MANY"] == "CT,MRI"
    assert values["F_ALL.v2.BOOL"] == "true" and values["F_ALL.v2.TIM"] == "08:30"
    root = odm.parse(data)
    rows = [g.get("ItemGroupRepeatKey") for g in root.iter(f"{{{ODM_NS}}}ItemGroupData")
            if g.get("ItemGroupOID") == "F_ALL.v2.IG_ROWS"]
    assert rows == ["1", "3"]
    assert len(list(root.iter(f"{{{ODM_NS}}}Signature"))) == 2
    assert len(list(root.iter(f"{{{ODM_NS}}}Annotation"))) == 4  # subject status, record status, two queries


def test_a_history_validates_in_time_order():
    history = [entry(10, "record.created"), entry(11, "item.entered", "INT", None, 12),
               entry(12, "item.entered", "ROWTXT", None, "a", "IG_ROWS", 1),
               entry(20, "item.changed", "INT", 12, 14, reason="typo"),
               entry(30, "item.changed", "PDAT", "2025-11-UN", None, reason="cleared: item does not apply"),
               entry(31, "record.completed"),
               entry(40, "visit.date_set", "VISIT.DATE", None, "2026-03-01", record=None)]
    data = document(subject_transactions(catalog(), bundle(history)), "Transactional")
    assert odm.xsd_errors(data) == []
    assert odm.semantic_problems(data) == []
    root = odm.parse(data)
    changes = [(i.get("ItemOID"), i.get("TransactionType"), i.get("Value")) for i in root.iter(f"{{{ODM_NS}}}ItemData")
               if i.get("TransactionType") != "Context"]
    assert changes == [("F_ALL.v2.INT", "Insert", "12"), ("F_ALL.v2.ROWTXT", "Insert", "a"),
                       ("F_ALL.v2.INT", "Update", "14"), ("F_ALL.v2.PDAT", "Remove", None),
                       ("VISIT.DATE", "Insert", "2026-03-01")]
    forms = [(f.get("FormOID"), f.get("TransactionType")) for f in root.iter(f"{{{ODM_NS}}}FormData")]
    assert forms[:5] == [("F_ALL.v2", "Insert"), ("F_ALL.v2", "Update"), ("F_ALL.v2", "Update"),
                         ("F_ALL.v2", "Update"), ("VISIT", "Upsert")]


def test_units_that_sanitise_alike_get_distinct_oids():
    assert measurement_units(catalog()) == {"mg/m2": "MU.mg_m2", "mg_m2": "MU.mg_m2_2"}
