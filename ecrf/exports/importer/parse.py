"""Reading an ODM 1.3.x file's ClinicalData into form transactions, in document order (pure).

One :class:`FormTx` per FormData element: which subject, event, form and repeat, the values of
its ItemData (with their transaction types and reasons), and the record status flag if any.
``Context`` transactions (annotations, signatures) and queries are not data and are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from lxml import etree

from ecrf.exports.naming import NS

ODM_NAMESPACES = (NS, "http://www.cdisc.org/ns/odm/v1.3.1", "http://www.cdisc.org/ns/odm/v1.3.2")
IMPORTABLE = {None, "Insert", "Update", "Upsert", "Remove"}


class OdmFileError(ValueError):
    """The file is not an ODM document this import can read (message for the user)."""


@dataclass
class ItemValue:
    oid: str
    text: str | None
    transaction: str | None
    reason: str | None = None
    source: str | None = None


@dataclass
class GroupData:
    oid: str
    repeat_key: str | None
    transaction: str | None
    items: list[ItemValue] = field(default_factory=list)


@dataclass
class FormTx:
    subject_key: str
    site_oid: str | None
    subject_transaction: str | None
    event_oid: str
    event_repeat: str | None
    form_oid: str
    form_repeat: str | None
    transaction: str | None
    status: str | None = None
    reason: str | None = None
    line: int | None = None
    sources: list[str] = field(default_factory=list)
    groups: list[GroupData] = field(default_factory=list)

    @property
    def values(self) -> int:
        return sum(len(g.items) for g in self.groups)


@dataclass
class OdmFile:
    file_oid: str | None
    file_type: str | None
    study_oid: str | None
    mdv_oid: str | None
    forms: list[FormTx]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False,
                           remove_comments=True, remove_pis=True)


def _local(node) -> str:
    return etree.QName(node).localname


def _children(node, name: str):
    return [c for c in node if isinstance(c.tag, str) and _local(c) == name]


def _child(node, name: str):
    found = _children(node, name)
    return found[0] if found else None


def _audit(node) -> tuple[str | None, str | None]:
    record = _child(node, "AuditRecord")
    if record is None:
        return None, None
    reason, source = _child(record, "ReasonForChange"), _child(record, "SourceID")
    return (reason.text if reason is not None else None), (source.text if source is not None else None)


def _status(form) -> str | None:
    for annotation in _children(form, "Annotation"):
        for flag in _children(annotation, "Flag"):
            value, kind = _child(flag, "FlagValue"), _child(flag, "FlagType")
            if kind is not None and kind.text == "RECORD_STATUS" and value is not None:
                return (value.text or "").strip()
    return None


def parse_odm(data: bytes) -> OdmFile:
    if not data:
        raise OdmFileError("the request body is empty: send an ODM XML document")
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise OdmFileError(f"the file is not well-formed XML: {exc.msg} (line {exc.lineno})") from None
    if root.getroottree().docinfo.doctype:
        raise OdmFileError("a DOCTYPE is not allowed in an ODM file")
    if etree.QName(root).namespace not in ODM_NAMESPACES or _local(root) != "ODM":
        raise OdmFileError("the root element must be ODM in the namespace http://www.cdisc.org/ns/odm/v1.3")
    clinical = _children(root, "ClinicalData")
    if len(clinical) != 1:
        raise OdmFileError(f"the file must hold exactly one ClinicalData element (found {len(clinical)})")
    data_node = clinical[0]
    forms: list[FormTx] = []
    for subject in _children(data_node, "SubjectData"):
        site = _child(subject, "SiteRef")
        for event in _children(subject, "StudyEventData"):
            if event.get("TransactionType") == "Context":
                continue
            for form in _children(event, "FormData"):
                if form.get("TransactionType") == "Context":
                    continue
                forms.append(_form(subject, site, event, form))
    return OdmFile(root.get("FileOID"), root.get("FileType"), data_node.get("StudyOID"),
                   data_node.get("MetaDataVersionOID"), forms)


def _form(subject, site, event, form) -> FormTx:
    reason, source = _audit(form)
    tx = FormTx(subject_key=subject.get("SubjectKey", ""), site_oid=site.get("LocationOID") if site is not None else None,
                subject_transaction=subject.get("TransactionType"), event_oid=event.get("StudyEventOID", ""),
                event_repeat=event.get("StudyEventRepeatKey"), form_oid=form.get("FormOID", ""),
                form_repeat=form.get("FormRepeatKey"), transaction=form.get("TransactionType"),
                status=_status(form), reason=reason, line=form.sourceline, sources=[source] if source else [])
    for group in _children(form, "ItemGroupData"):
        if group.get("TransactionType") == "Context":
            continue
        data = GroupData(group.get("ItemGroupOID", ""), group.get("ItemGroupRepeatKey"), group.get("TransactionType"))
        for item in _children(group, "ItemData"):
            if item.get("TransactionType") == "Context":
                continue
            item_reason, item_source = _audit(item)
            text = None if item.get("IsNull") == "Yes" else item.get("Value")
            data.items.append(ItemValue(item.get("ItemOID", ""), text, item.get("TransactionType"), item_reason,
                                        item_source))
            if item_source:
                tx.sources.append(item_source)
        tx.groups.append(data)
    return tx
