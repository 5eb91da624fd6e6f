"""Transactional clinical data: the audit trail of one subject replayed as ODM transactions.

Each save (the audit entries of one request on one record, or one visit date) becomes one
StudyEventData > FormData > ItemGroupData > ItemData path, in the order of the subject's audit
chain. Every ItemData carries TransactionType Insert (no value before), Update or Remove (no value
after) and an AuditRecord (user, site, server time, reason for change, SourceID = audit entry id).
A FormData is ``Insert`` when the record was created in that save; record creation and completion
carry their own AuditRecord on the FormData, completion also a RECORD_STATUS flag. Containers are
``Upsert``. The subject's queries and signatures follow in their current state, as ``Context``
transactions (annotations and signatures, no data change).
"""

from __future__ import annotations

from itertools import groupby

from lxml import etree

from ecrf.exports import naming as n
from ecrf.exports.annotations import (audit_record, latest_signatures, query_annotation, signature_element,
                                      status_annotation)
from ecrf.exports.catalog import Catalog
from ecrf.exports.clinical import event_attrs, form_attrs, visit_form
from ecrf.exports.source import ITEM_ACTIONS, SubjectBundle, decode
from ecrf.exports.values import to_odm
from ecrf.exports.xml import element, sub


def item_transaction(old, new) -> str:
    if old is None:
        return "Insert"
    return "Remove" if new is None else "Update"


def _save_key(entry) -> tuple:
    return (entry.request_id or entry.occurred_at, entry.record_id, entry.visit_key, entry.visit_repeat)


def subject_transactions(catalog: Catalog, bundle: SubjectBundle) -> etree._Element:
    subject = bundle.subject
    created = next((e for e in bundle.entries if e.action == "subject.created"), None)
    node = element("SubjectData", {"SubjectKey": subject.code, "TransactionType": "Insert" if created else "Upsert"})
    if created is not None:
        audit_record(node, created)
    subject_signature = latest_signatures(bundle.signatures).get(("subject", None))
    if subject_signature is not None:
        signature_element(node, subject_signature, subject.site_code)
    sub(node, "SiteRef", {"LocationOID": n.location_oid(subject.site_code)})
    repeats = {r.id: r.repeat for r in bundle.records}
    for _key, group in groupby((e for e in bundle.entries if e.action != "subject.created"), key=_save_key):
        entries = list(group)
        first = entries[0]
        if first.visit_key is None:
            continue
        event = sub(node, "StudyEventData", event_attrs(catalog, first.visit_key, first.visit_repeat or 1, "Upsert"))
        if first.record_id is None:
            for entry in entries:
                if entry.action == "visit.date_set":
                    old, new = decode(entry.old_value), decode(entry.new_value)
                    item = visit_form(event, new, "Upsert" if old is None else "Update", item_transaction(old, new))
                    audit_record(item, entry)
            continue
        _record_save(catalog, event, entries, repeats)
    _context(catalog, node, bundle)
    return node


def _record_save(catalog: Catalog, event: etree._Element, entries: list, repeats: dict[int, int]) -> None:
    """One FormData per save; a completion that also cleared items (hidden values) is split in two,
    the item changes first, so that AuditRecords stay in time order."""
    completed_at = next((i for i, e in enumerate(entries) if e.action == "record.completed"), None)
    if completed_at:
        _record_save(catalog, event, entries[:completed_at], repeats)
        entries = entries[completed_at:]
    first = entries[0]
    form_oid, version = first.form_oid, first.form_version
    created = next((e for e in entries if e.action == "record.created"), None)
    completed = next((e for e in entries if e.action == "record.completed"), None)
    repeat = repeats.get(first.record_id) or 1
    form = sub(event, "FormData", form_attrs(catalog, form_oid, version, repeat, "Insert" if created else "Update"))
    if created is not None or completed is not None:
        audit_record(form, created or completed)
    if completed is not None:
        status_annotation(form, 1, "RECORD_STATUS", "complete", "Update")
    compiled = catalog.compiled(form_oid, version)
    # A new ItemGroupData whenever the group (or row) changes: document order stays time order.
    current_key, group = None, None
    for entry in entries:
        if entry.action not in ITEM_ACTIONS:
            continue
        spec = compiled.items.get(entry.item_oid)
        if spec is None:
            continue
        key = (spec.group_oid, entry.group_row)
        if key != current_key:
            current_key, group = key, sub(form, "ItemGroupData", {
                "ItemGroupOID": n.group_oid(form_oid, version, spec.group_oid),
                "ItemGroupRepeatKey": entry.group_row if spec.repeating else None, "TransactionType": "Upsert"})
        old, new = decode(entry.old_value), decode(entry.new_value)
        item = sub(group, "ItemData", {"ItemOID": n.item_oid(form_oid, version, entry.item_oid),
                                             "TransactionType": item_transaction(old, new),
                                             "Value": to_odm(spec.type, new)})
        audit_record(item, entry)


def _context(catalog: Catalog, node: etree._Element, bundle: SubjectBundle) -> None:
    """Current queries and signatures, attached to what they are about, changing no data."""
    signed = latest_signatures(bundle.signatures)
    visits = {v.id: v for v in bundle.visits}
    records = {r.id: r for r in bundle.records}
    for (scope, visit_id), signature in signed.items():
        if scope == "visit" and visit_id in visits:
            visit = visits[visit_id]
            event = sub(node, "StudyEventData", event_attrs(catalog, visit.key, visit.repeat, "Context"))
            signature_element(event, signature, bundle.subject.site_code)
    queries: dict[int, list] = {}
    for query in bundle.queries:
        if query.record_id in records:
            queries.setdefault(query.record_id, []).append(query)
    for record in bundle.records:
        signature = signed.get(("record", record.id))
        if record.id not in queries and signature is None:
            continue
        visit = visits[record.visit_id]
        event = sub(node, "StudyEventData", event_attrs(catalog, visit.key, visit.repeat, "Context"))
        form = sub(event, "FormData", form_attrs(catalog, record.form_oid, record.form_version, record.repeat, "Context"))
        if signature is not None:
            signature_element(form, signature, bundle.subject.site_code)
        items: dict[tuple, list] = {}
        seq = 0
        for query in queries.get(record.id, []):
            if query.item_oid is None:
                seq += 1
                query_annotation(form, seq, query, "Context")
                continue
            items.setdefault((query.group_oid, query.group_row, query.item_oid), []).append(query)
        compiled = catalog.compiled(record.form_oid, record.form_version)
        for (group_oid, row, item_oid), item_queries in items.items():
            spec = compiled.items.get(item_oid)
            if spec is None:
                continue
            group = sub(form, "ItemGroupData", {
                "ItemGroupOID": n.group_oid(record.form_oid, record.form_version, spec.group_oid),
                "ItemGroupRepeatKey": row if spec.repeating else None, "TransactionType": "Context"})
            item = sub(group, "ItemData", {"ItemOID": n.item_oid(record.form_oid, record.form_version, item_oid),
                                           "TransactionType": "Context"})
            for seq_item, query in enumerate(item_queries, start=1):
                query_annotation(item, seq_item, query, "Context")
