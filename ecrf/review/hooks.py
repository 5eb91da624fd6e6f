"""The review domain's record- and visit-changed listeners (named in ecrf.entry.hooks).

A change to an item clears that item's SDV only; any change to signed content (a changed
value, a new record in a signed visit or casebook, a status change) invalidates the signatures
that cover it, listing the changed items. Both are audited in the changing transaction.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from ecrf.review import sdv, signatures
from ecrf.review.rules import change_keys

CAUSES = {"created": "record created", "updated": "data changed", "completed": "record completed",
          "migrated": "record migrated to another form version"}


def on_record_changed(db: Session, change) -> None:
    keys = change_keys(change.changes)
    cause = f"{change.record.form_oid} record {change.record.id}: {CAUSES.get(change.action, change.action)}"
    if change.reason:
        cause += f" ({change.reason})"
    sdv.clear(db, change.subject, change.record, keys, cause)
    signatures.invalidate_changed(db, change.subject, change.record, keys, cause)


VISIT_CAUSES = {"VISIT.DATE": "visit date changed", "VISIT.STATUS": "visit marked missed or not missed"}


def on_visit_changed(db: Session, change) -> None:
    cause = f"{change.visit.name}: {VISIT_CAUSES.get(change.item, change.item)}"
    if change.reason:
        cause += f" ({change.reason})"
    signatures.invalidate_visit_changed(db, change.subject, change.visit, change.item, cause)
