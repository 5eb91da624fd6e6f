"""Source data verification by monitors, per item or per record; a changed item loses its SDV only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.services import record_event
from ecrf.auth.principal import SYSTEM, Principal
from ecrf.auth.roles import Action
from ecrf.db import utcnow
from ecrf.entry.access import where_for
from ecrf.entry.compiled import CompiledForm
from ecrf.entry.locks import study_frozen_at
from ecrf.entry.models import Record, Subject
from ecrf.entry.records import check_if_match, compiled_for
from ecrf.errors import Conflict, Locked, RuleViolation
from ecrf.review.models import ItemVerification
from ecrf.review.rules import item_values, sdv_status


def verifications(db: Session, record_ids: list[int]) -> dict[int, dict[str, ItemVerification]]:
    out: dict[int, dict[str, ItemVerification]] = {}
    if not record_ids:
        return out
    for row in db.execute(select(ItemVerification).where(ItemVerification.record_id.in_(record_ids))
                          .order_by(ItemVerification.id)).scalars():
        out.setdefault(row.record_id, {})[row.item_key] = row
    return out


def set_verified(db: Session, principal: Principal, record: Record, subject: Subject, if_match: str | None,
                 items: list[str] | None, verified: bool = True, reason: str | None = None) -> list[str]:
    """Verify the named items (all items with a value when none are named), or undo that with a reason."""
    principal.require(Action.SDV, subject.study_id)
    check_if_match(record, if_match)
    if study_frozen_at(db, subject.study_id) is not None:
        raise Locked(f"study {subject.study.oid} is frozen; verification cannot change", errors={"study": ["frozen"]})
    if record.status != "complete":
        raise Conflict("only a complete record can be source-verified", errors={"status": [record.status]})
    reason = (reason or "").strip() or None
    if not verified and reason is None:
        raise RuleViolation("undoing a verification needs a reason", errors={"reason": ["required"]})
    values = item_values(compiled_for(db, record), record.data)
    keys = list(dict.fromkeys(items)) if items else list(values)
    unknown = [k for k in keys if k not in values]
    if unknown:
        raise RuleViolation("only items that have a value can be verified",
                            errors={k: ["no value on this record"] for k in unknown})
    existing = verifications(db, [record.id]).get(record.id, {})
    where = where_for(subject, record.visit, record)
    name = principal.full_name or principal.username or ""
    changed = []
    for key in keys:
        value = values[key]
        if verified and key not in existing:
            db.add(ItemVerification(record_id=record.id, item_key=key, item_oid=value.item_oid,
                                    group_oid=value.group_oid, group_row=value.row, verified_value=value.value,
                                    verified_at=utcnow(), verified_by_id=principal.user_id, verified_by_name=name))
            record_event(db, "sdv.verified", where, item_oid=value.item_oid, group_oid=value.group_oid,
                         group_row=value.row, old_value="not_verified", new_value="verified",
                         details={"value": value.value})
            changed.append(key)
        elif not verified and key in existing:
            db.delete(existing[key])
            record_event(db, "sdv.unverified", where, item_oid=value.item_oid, group_oid=value.group_oid,
                         group_row=value.row, old_value="verified", new_value="not_verified", reason=reason,
                         details={"value": value.value})
            changed.append(key)
    if not changed:
        raise Conflict("nothing to change: the items are already " + ("verified" if verified else "not verified"),
                       errors={"items": ["no change"]})
    db.flush()
    return changed


def clear(db: Session, subject: Subject, record: Record, keys: list[str], cause: str) -> list[str]:
    """Remove the SDV of the given items (their values changed); audited per item as a system action."""
    if not keys:
        return []
    rows = list(db.execute(select(ItemVerification).where(ItemVerification.record_id == record.id,
                                                          ItemVerification.item_key.in_(keys))).scalars())
    where = where_for(subject, record.visit, record)
    for row in rows:
        record_event(db, "sdv.cleared", where, actor=SYSTEM, item_oid=row.item_oid, group_oid=row.group_oid,
                     group_row=row.group_row, old_value="verified", new_value="not_verified", reason=cause,
                     details={"verified_value": row.verified_value, "verified_by": row.verified_by_name,
                              "verified_at": row.verified_at.isoformat()})
        db.delete(row)
    db.flush()
    return [row.item_key for row in rows]


def record_sdv(form: CompiledForm, record: Record, rows: dict[str, ItemVerification]) -> dict:
    values = item_values(form, record.data)
    verified = [{"item": k, "verified_by": rows[k].verified_by_name, "verified_at": rows[k].verified_at.isoformat()}
                for k in values if k in rows]
    return {"status": sdv_status(values, rows), "items_with_values": len(values),
            "verified": verified, "pending": [k for k in values if k not in rows]}
