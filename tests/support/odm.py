"""Checking ODM files: the official ODM 1.3.2 XSD (shipped by odmlib), and what an XSD cannot check:
values match their data types and code lists, every OID resolves (and resolves where it is used),
repeat keys exactly where definitions repeat, AuditRecords in time order."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources

from lxml import etree

NS = "http://www.cdisc.org/ns/odm/v1.3"
Q = {"o": NS}


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    path = resources.files("odmlib").joinpath("schemas", "odm", "1.3.2", "ODM1-3-2.xsd")
    with resources.as_file(path) as xsd:
        return etree.XMLSchema(etree.parse(str(xsd)))


def parse(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def xsd_errors(data: bytes) -> list[str]:
    checker = schema()
    checker.validate(etree.fromstring(data))
    return [f"line {e.line}: {e.message}" for e in checker.error_log]


def local(node) -> str:
    return etree.QName(node).localname


_PARTIAL_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_PARTIAL_TIME = re.compile(r"^([01]\d|2[0-3])(:[0-5]\d(:[0-5]\d(\.\d+)?)?)?(Z|[+-]\d{2}:\d{2})?$")


def value_ok(data_type: str, value: str) -> bool:
    try:
        if data_type == "integer":
            int(value)
        elif data_type == "float":
            Decimal(value)
            return re.fullmatch(r"[+-]?\d+(\.\d+)?", value) is not None
        elif data_type == "date":
            dt.date.fromisoformat(value)
            return len(value) == 10
        elif data_type == "partialDate":
            if not _PARTIAL_DATE.match(value):
                return False
            parts = [int(p) for p in value.split("-")]
            dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        elif data_type == "partialTime":
            return _PARTIAL_TIME.match(value) is not None
        elif data_type == "partialDatetime":
            date, _, time = value.partition("T")
            return value_ok("partialDate", date) and (not time or _PARTIAL_TIME.match(time) is not None)
        elif data_type == "boolean":
            return value in ("true", "false", "1", "0")
    except (ValueError, InvalidOperation):
        return False
    return True


class Definitions:
    """The OIDs of one MetaDataVersion (and the study's units, users, locations, signature defs)."""

    def __init__(self, root: etree._Element, mdv_oid: str):
        study = root.find("o:Study", Q)
        mdv = study.find(f"o:MetaDataVersion[@OID='{mdv_oid}']", Q)
        assert mdv is not None, f"MetaDataVersion {mdv_oid} not found"
        by = lambda name: {e.get("OID"): e for e in mdv.findall(f"o:{name}", Q)}  # noqa: E731
        self.events, self.forms, self.groups = by("StudyEventDef"), by("FormDef"), by("ItemGroupDef")
        self.items, self.codelists, self.conditions = by("ItemDef"), by("CodeList"), by("ConditionDef")
        self.units = {e.get("OID") for e in study.findall("o:BasicDefinitions/o:MeasurementUnit", Q)}
        admin = root.find("o:AdminData", Q)
        self.users = {e.get("OID") for e in admin.findall("o:User", Q)} if admin is not None else set()
        self.locations = {e.get("OID") for e in admin.findall("o:Location", Q)} if admin is not None else set()
        self.signature_defs = {e.get("OID") for e in admin.findall("o:SignatureDef", Q)} if admin is not None else set()
        self.mdv = mdv

    def refs(self, node, ref: str, attr: str) -> set[str]:
        return {r.get(attr) for r in node.findall(f"o:{ref}", Q)}

    def codes(self, codelist_oid: str) -> set[str]:
        return {c.get("CodedValue") for c in self.codelists[codelist_oid].findall("o:CodeListItem", Q)}


def semantic_problems(data: bytes) -> list[str]:
    root = etree.fromstring(data)
    problems: list[str] = []
    study = root.find("o:Study", Q)
    for mdv in study.findall("o:MetaDataVersion", Q):
        problems += _metadata_problems(Definitions(root, mdv.get("OID")))
    clinical = root.find("o:ClinicalData", Q)
    if clinical is None:
        return problems + ["no ClinicalData"]
    defs = Definitions(root, clinical.get("MetaDataVersionOID"))
    for subject in clinical.findall("o:SubjectData", Q):
        problems += _subject_problems(defs, subject)
    return problems


def _metadata_problems(d: Definitions) -> list[str]:
    out = []
    for oid in d.refs(d.mdv, "Protocol/o:StudyEventRef", "StudyEventOID") - set(d.events):
        out.append(f"StudyEventRef {oid} does not resolve")
    for kind, parents, ref, attr, targets in (
            ("FormRef", d.events, "FormRef", "FormOID", d.forms),
            ("ItemGroupRef", d.forms, "ItemGroupRef", "ItemGroupOID", d.groups),
            ("ItemRef", d.groups, "ItemRef", "ItemOID", d.items)):
        for parent in parents.values():
            for node in parent.findall(f"o:{ref}", Q):
                if node.get(attr) not in targets:
                    out.append(f"{kind} {node.get(attr)} in {parent.get('OID')} does not resolve")
                condition = node.get("CollectionExceptionConditionOID")
                if condition and condition not in d.conditions:
                    out.append(f"condition {condition} does not resolve")
    for item in d.items.values():
        for node in item.findall("o:CodeListRef", Q):
            if node.get("CodeListOID") not in d.codelists:
                out.append(f"CodeListRef {node.get('CodeListOID')} of {item.get('OID')} does not resolve")
        for node in item.iter(f"{{{NS}}}MeasurementUnitRef"):
            if node.get("MeasurementUnitOID") not in d.units:
                out.append(f"unit {node.get('MeasurementUnitOID')} does not resolve")
    return out


def _check_value(d: Definitions, item_oid: str, value: str | None, where: str, out: list[str]) -> None:
    if value is None:
        return
    item = d.items[item_oid]
    if not value_ok(item.get("DataType"), value):
        out.append(f"{where}: {value!r} is not a valid {item.get('DataType')}")
    ref = item.find("o:CodeListRef", Q)
    if ref is not None:
        multi = any(a.get("Context") == "ecrf-multichoice" for a in item.findall("o:Alias", Q))
        for code in value.split(",") if multi else [value]:
            if code not in d.codes(ref.get("CodeListOID")):
                out.append(f"{where}: {code!r} is not in {ref.get('CodeListOID')}")


def _repeat(defn, key, where: str, what: str, out: list[str]) -> None:
    repeating = defn.get("Repeating") == "Yes"
    if repeating and key is None:
        out.append(f"{where}: {what} repeats but has no repeat key")
    if not repeating and key is not None:
        out.append(f"{where}: {what} does not repeat but has repeat key {key}")


def _subject_problems(d: Definitions, subject) -> list[str]:
    out: list[str] = []
    key = subject.get("SubjectKey")
    site = subject.find("o:SiteRef", Q)
    if site is None or site.get("LocationOID") not in d.locations:
        out.append(f"{key}: SiteRef does not resolve")
    stamps = []
    for record in subject.iter(f"{{{NS}}}AuditRecord"):
        if record.find("o:UserRef", Q).get("UserOID") not in d.users:
            out.append(f"{key}: UserRef {record.find('o:UserRef', Q).get('UserOID')} does not resolve")
        if record.find("o:LocationRef", Q).get("LocationOID") not in d.locations:
            out.append(f"{key}: LocationRef does not resolve")
        stamps.append(dt.datetime.fromisoformat(record.find("o:DateTimeStamp", Q).text.replace("Z", "+00:00")))
    if stamps != sorted(stamps):
        out.append(f"{key}: AuditRecords are not in time order")
    for signature in subject.iter(f"{{{NS}}}Signature"):
        if signature.find("o:SignatureRef", Q).get("SignatureOID") not in d.signature_defs:
            out.append(f"{key}: SignatureRef does not resolve")
        if signature.find("o:UserRef", Q).get("UserOID") not in d.users:
            out.append(f"{key}: signer does not resolve")
    for flag in subject.iter(f"{{{NS}}}Flag"):
        value, kind = flag.find("o:FlagValue", Q), flag.find("o:FlagType", Q)
        for node in (value, kind):
            if node is not None and node.text not in d.codes(node.get("CodeListOID")):
                out.append(f"{key}: flag {node.text} not in {node.get('CodeListOID')}")
    for event in subject.findall("o:StudyEventData", Q):
        event_def = d.events.get(event.get("StudyEventOID"))
        if event_def is None:
            out.append(f"{key}: StudyEventOID {event.get('StudyEventOID')} does not resolve")
            continue
        _repeat(event_def, event.get("StudyEventRepeatKey"), key, event.get("StudyEventOID"), out)
        for form in event.findall("o:FormData", Q):
            form_oid = form.get("FormOID")
            if form_oid not in d.refs(event_def, "FormRef", "FormOID"):
                out.append(f"{key}: {form_oid} is not a form of {event.get('StudyEventOID')}")
                continue
            form_def = d.forms[form_oid]
            _repeat(form_def, form.get("FormRepeatKey"), key, form_oid, out)
            for group in form.findall("o:ItemGroupData", Q):
                group_oid = group.get("ItemGroupOID")
                if group_oid not in d.refs(form_def, "ItemGroupRef", "ItemGroupOID"):
                    out.append(f"{key}: {group_oid} is not a group of {form_oid}")
                    continue
                group_def = d.groups[group_oid]
                _repeat(group_def, group.get("ItemGroupRepeatKey"), key, group_oid, out)
                allowed = d.refs(group_def, "ItemRef", "ItemOID")
                for item in group.findall("o:ItemData", Q):
                    if item.get("ItemOID") not in allowed:
                        out.append(f"{key}: {item.get('ItemOID')} is not an item of {group_oid}")
                        continue
                    _check_value(d, item.get("ItemOID"), item.get("Value"), f"{key} {item.get('ItemOID')}", out)
    return out


def clinical_values(data: bytes) -> dict[tuple, str]:
    """Snapshot values: {(subject, event, event repeat, form, form repeat, group, row, item): value}."""
    root = etree.fromstring(data)
    out = {}
    for subject in root.iterfind("o:ClinicalData/o:SubjectData", Q):
        for event in subject.findall("o:StudyEventData", Q):
            for form in event.findall("o:FormData", Q):
                for group in form.findall("o:ItemGroupData", Q):
                    for item in group.findall("o:ItemData", Q):
                        if item.get("Value") is None:
                            continue
                        out[(subject.get("SubjectKey"), event.get("StudyEventOID"), event.get("StudyEventRepeatKey"),
                             form.get("FormOID"), form.get("FormRepeatKey"), group.get("ItemGroupOID"),
                             group.get("ItemGroupRepeatKey"), item.get("ItemOID"))] = item.get("Value")
    return out
