"""Snapshot clinical data: the current values of one subject as an ODM SubjectData element.

Repeat keys exactly where definitions repeat: StudyEventRepeatKey for repeating visits (and
unscheduled visits), FormRepeatKey for repeating forms (logs such as F_AE), ItemGroupRepeatKey
(the row's ``_row``) for repeating groups.
"""

from __future__ import annotations

from lxml import etree

from ecrf.exports import naming as n
from ecrf.exports.annotations import (latest_signatures, query_annotation, signature_element, status_annotation)
from ecrf.exports.catalog import Catalog
from ecrf.exports.source import SubjectBundle
from ecrf.exports.values import to_odm
from ecrf.exports.xml import element, sub


def event_attrs(catalog: Catalog, key: str, repeat: int, transaction: str | None = None) -> dict:
    return {"StudyEventOID": n.event_oid(key),
            "StudyEventRepeatKey": repeat if catalog.event_repeats(key) else None, "TransactionType": transaction}


def form_attrs(catalog: Catalog, form_oid: str, version: int, repeat: int, transaction: str | None = None) -> dict:
    repeating = catalog.form_content(form_oid, version).get("repeating", False)
    return {"FormOID": n.form_def_oid(form_oid, version), "FormRepeatKey": repeat if repeating else None,
            "TransactionType": transaction}


def subject_data(catalog: Catalog, bundle: SubjectBundle) -> etree._Element:
    subject = bundle.subject
    node = element("SubjectData", {"SubjectKey": subject.code})
    signed = latest_signatures(bundle.signatures)
    if ("subject", None) in signed:
        signature_element(node, signed[("subject", None)], subject.site_code)
    sub(node, "SiteRef", {"LocationOID": n.location_oid(subject.site_code)})
    status_annotation(node, 1, "SUBJECT_STATUS", subject.status)
    records_by_visit: dict[int, list] = {}
    for record in bundle.records:
        records_by_visit.setdefault(record.visit_id, []).append(record)
    queries_by_record: dict[int, list] = {}
    for query in bundle.queries:
        if query.record_id is not None:
            queries_by_record.setdefault(query.record_id, []).append(query)
    for visit in bundle.visits:
        records = records_by_visit.get(visit.id, [])
        dated = visit.visit_date is not None and (bundle.dated_visit_ids is None or visit.id in bundle.dated_visit_ids)
        if not records and not dated:
            continue
        event = sub(node, "StudyEventData", event_attrs(catalog, visit.key, visit.repeat))
        if ("visit", visit.id) in signed:
            signature_element(event, signed[("visit", visit.id)], subject.site_code)
        if dated:
            visit_form(event, visit.visit_date.isoformat())
        for record in records:
            form_data(catalog, event, record, queries_by_record.get(record.id, []), signed.get(("record", record.id)),
                      subject.site_code)
    return node


def visit_form(event: etree._Element, value: str | None, transaction: str | None = None,
               item_transaction: str | None = None) -> etree._Element:
    form = sub(event, "FormData", {"FormOID": n.VISIT_FORM, "TransactionType": transaction})
    group = sub(form, "ItemGroupData", {"ItemGroupOID": n.VISIT_GROUP, "TransactionType": transaction and "Upsert"})
    return sub(group, "ItemData", {"ItemOID": n.VISIT_DATE, "Value": value, "TransactionType": item_transaction})


def form_data(catalog: Catalog, event: etree._Element, record, queries: list, signature, site_code: str) -> None:
    form = sub(event, "FormData", form_attrs(catalog, record.form_oid, record.form_version, record.repeat))
    if signature is not None:
        signature_element(form, signature, site_code)
    status_annotation(form, 1, "RECORD_STATUS", record.status)
    item_queries: dict[tuple, list] = {}
    seq = 1
    for query in queries:
        if query.item_oid is None:
            seq += 1
            query_annotation(form, seq, query)
        else:
            item_queries.setdefault((query.group_oid, query.group_row, query.item_oid), []).append(query)
    content = catalog.form_content(record.form_oid, record.form_version)
    for group in content["groups"]:
        goid = n.group_oid(record.form_oid, record.form_version, group["oid"])
        if group.get("repeating"):
            for row in record.data.get(group["oid"], []):
                _group_data(form, goid, group, row, row["_row"], record, item_queries)
        else:
            _group_data(form, goid, group, record.data, None, record, item_queries)


def _group_data(form, goid: str, group: dict, values: dict, row: int | None, record, item_queries: dict) -> None:
    group_key = group["oid"] if row is not None else None
    present = [i for i in group["items"]
               if values.get(i["oid"]) is not None or (group_key, row, i["oid"]) in item_queries]
    if not present and row is None:
        return
    node = sub(form, "ItemGroupData", {"ItemGroupOID": goid, "ItemGroupRepeatKey": row})
    for item in present:
        value = to_odm(item["type"], values.get(item["oid"]))
        data = sub(node, "ItemData", {"ItemOID": n.item_oid(record.form_oid, record.form_version, item["oid"]),
                                      "Value": value, "IsNull": "Yes" if value is None else None})
        for seq, query in enumerate(item_queries.get((group_key, row, item["oid"]), []), start=1):
            query_annotation(data, seq, query)
