"""Finding (or creating) what an imported FormData writes to: subject, visit, record, items.

Each step raises :class:`Rejected` with a message for the report; nothing here commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ecrf.auth.principal import Principal
from ecrf.entry import schedule, subjects
from ecrf.entry.compiled import CompiledForm, ItemSpec
from ecrf.entry.models import Record, Subject, Visit
from ecrf.errors import NotFound
from ecrf.exports import naming as n
from ecrf.exports.importer.parse import FormTx
from ecrf.exports.values import OdmValueError, from_odm
from ecrf.studies.models import Site, Study


class Rejected(Exception):
    def __init__(self, reason: str, item: str | None = None, group: str | None = None, row: int | None = None,
                 value: str | None = None):
        super().__init__(reason)
        self.reason, self.item, self.group, self.row, self.value = reason, item, group, row, value


@dataclass(frozen=True)
class ItemTarget:
    spec: ItemSpec
    value: object   # what a client would send (None clears)


def strip(oid: str, prefix: str) -> str:
    return oid[len(prefix):] if oid.startswith(prefix) else oid


def repeat_key(text: str | None, what: str) -> int:
    if text is None:
        return 1
    try:
        key = int(text)
    except ValueError:
        raise Rejected(f"{what} repeat key {text!r} is not a whole number") from None
    if key < 1:
        raise Rejected(f"{what} repeat key must be 1 or more")
    return key


def site_code(oid: str | None) -> str | None:
    return None if oid is None else strip(oid, "LOC.")


def find_subject(db: Session, principal: Principal, study: Study, tx: FormTx, created: set[str]) -> Subject | None:
    """The subject of the FormData; ``created`` names subjects this import created (an Insert of
    one of those is its own earlier transaction, not a duplicate)."""
    subject = db.execute(select(Subject).where(Subject.study_id == study.id,
                                               Subject.code == tx.subject_key)).scalar_one_or_none()
    if subject is None:
        return None
    try:
        principal.require_site(study.id, subject.site_id)
    except NotFound:
        raise Rejected("subject not found") from None
    code = site_code(tx.site_oid)
    if code is not None and code != subject.site.code:
        raise Rejected(f"the subject is at site {subject.site.code}, not {code}")
    if tx.subject_transaction == "Insert" and subject.code not in created:
        raise Rejected("SubjectData Insert: the subject already exists (use Update or Upsert)")
    return subject


def consent_date(study_definition: dict, forms: list[FormTx], subject_key: str) -> dt.date | None:
    """The consent date in the file: the last value of the item the consent anchor is taken from."""
    anchor = next((a for a in study_definition["anchors"] if a["key"] == "consent"), None)
    source = (anchor or {}).get("source")
    if not source:
        return None
    found = None
    for tx in forms:
        if tx.subject_key != subject_key or strip(tx.event_oid, "SE.") != source["visit"]:
            continue
        if n.parse_form_def_oid(tx.form_oid)[0] != source["form"]:
            continue
        for group in tx.groups:
            for item in group.items:
                if item.oid.rsplit(".", 1)[-1] == source["item"]:
                    found = item.text
    try:
        return dt.date.fromisoformat(found) if found else None
    except ValueError:
        return None


def create_subject(db: Session, principal: Principal, study: Study, tx: FormTx, consent: dt.date | None) -> Subject:
    code = site_code(tx.site_oid)
    if code is None:
        raise Rejected("a new subject needs SiteRef (the site to enrol at)")
    if consent is None:
        raise Rejected("a new subject needs its informed consent date in the file (the consent anchor item)")
    if code not in {s.code for s in db.execute(select(Site).where(Site.study_id == study.id)).scalars()}:
        raise Rejected(f"unknown site {code}")
    return subjects.enrol(db, principal, study, site_code=code, consent_date=consent, code=tx.subject_key)


def find_visit(db: Session, principal: Principal, subject: Subject, tx: FormTx) -> Visit:
    key = strip(tx.event_oid, "SE.")
    repeat = repeat_key(tx.event_repeat, "StudyEventData")
    visit = db.execute(select(Visit).where(Visit.subject_id == subject.id, Visit.key == key,
                                           Visit.repeat == repeat)).scalar_one_or_none()
    if visit is not None:
        return visit
    if key != schedule.UNSCHEDULED:
        raise Rejected(f"the subject has no visit {key} #{repeat}")
    last = db.execute(select(func.max(Visit.repeat)).where(Visit.subject_id == subject.id,
                                                           Visit.key == key)).scalar() or 0
    if repeat != last + 1:
        raise Rejected(f"unscheduled visit #{repeat} cannot be added before #{last + 1}")
    return subjects.add_unscheduled_visit(db, principal, subject, None, "imported from ODM")


def find_record(db: Session, visit: Visit, form: CompiledForm, tx: FormTx) -> Record | None:
    repeat = repeat_key(tx.form_repeat, "FormData") if form.repeating else 1
    record = db.execute(select(Record).where(Record.visit_id == visit.id, Record.form_oid == form.oid,
                                             Record.repeat == repeat)).scalar_one_or_none()
    if record is None:
        if tx.transaction == "Update":
            raise Rejected(f"FormData Update: there is no record of {form.oid} #{repeat} to update")
        last = db.execute(select(func.max(Record.repeat)).where(Record.visit_id == visit.id,
                                                                Record.form_oid == form.oid)).scalar() or 0
        if repeat != last + 1:
            raise Rejected(f"form repeat #{repeat} cannot be created before #{last + 1}")
    elif tx.transaction == "Insert":
        raise Rejected(f"FormData Insert: the record of {form.oid} #{repeat} already exists")
    return record


def build_patch(form: CompiledForm, prefix: str, tx: FormTx, current: dict) -> tuple[dict, int]:
    """The entry patch of a FormData: non-repeating items by OID, touched repeating groups as full
    row lists (a row left with no value, or an ItemGroupData Remove, is dropped)."""
    patch: dict = {}
    rows: dict[str, dict[int, dict]] = {}
    written = 0
    for group in tx.groups:
        group_oid = strip(group.oid, prefix)
        spec_group = form.groups.get(group_oid)
        if spec_group is None:
            raise Rejected(f"{group.oid} is not an item group of {form.oid} v{form.version}", group=group.oid)
        row = repeat_key(group.repeat_key, "ItemGroupData") if spec_group.repeating else None
        if spec_group.repeating and group_oid not in rows:
            rows[group_oid] = {r["_row"]: dict(r) for r in current.get(group_oid, [])}
        for item in group.items:
            target = _item(form, prefix, group_oid, row, item)
            written += 1
            if row is None:
                patch[target.spec.oid] = target.value
                continue
            holder = rows[group_oid].setdefault(row, {"_row": row})
            if target.value is None:
                holder.pop(target.spec.oid, None)
            else:
                holder[target.spec.oid] = target.value
        if row is not None and (group.transaction == "Remove" or len(rows[group_oid].get(row, {})) <= 1):
            rows[group_oid].pop(row, None)
    for group_oid, by_key in rows.items():
        patch[group_oid] = [by_key[k] for k in sorted(by_key)]
    return patch, written


def _item(form: CompiledForm, prefix: str, group_oid: str, row: int | None, item) -> ItemTarget:
    oid = strip(item.oid, prefix)
    spec = form.items.get(oid)
    if spec is None or spec.group_oid != group_oid:
        raise Rejected(f"{item.oid} is not an item of {group_oid} in {form.oid} v{form.version}", item.oid,
                       group_oid, row, item.text)
    if item.transaction not in (None, "Insert", "Update", "Upsert", "Remove"):
        raise Rejected(f"ItemData TransactionType {item.transaction} is not supported", oid, group_oid, row, item.text)
    if item.transaction == "Remove":
        return ItemTarget(spec, None)
    try:
        return ItemTarget(spec, from_odm(spec.type, item.text, spec.integer_codes))
    except OdmValueError as exc:
        raise Rejected(str(exc), oid, group_oid, row, item.text) from None
