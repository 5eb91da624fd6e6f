"""What other domains do when a record or a visit changes, in the same transaction.

Listeners are named here explicitly (no import-time registration), in the order they run:
automatic queries first, then oncology derivations, then review state (SDV, signatures).
Each receives the session and a :class:`RecordChange` (or a :class:`VisitChange`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

from sqlalchemy.orm import Session

from ecrf.entry.compiled import CompiledForm
from ecrf.entry.models import Record, Subject, Visit
from ecrf.entry.validation import Change

LISTENERS = [
    "ecrf.entry.anchors:on_record_changed",
    "ecrf.queries.services:on_record_changed",
    "ecrf.oncology.lab_grading:on_record_changed",
    "ecrf.oncology.recist_wiring.service:on_record_changed",
    "ecrf.oncology.treatment_checks:on_record_changed",
    "ecrf.review.hooks:on_record_changed",
]
# a visit's own data changed: its date, or whether it was missed
VISIT_LISTENERS = [
    "ecrf.review.hooks:on_visit_changed",
]


@dataclass(frozen=True)
class RecordChange:
    action: str  # "created", "updated", "completed", "migrated"
    subject: Subject
    visit: Visit
    record: Record
    form: CompiledForm
    changes: list[Change] = field(default_factory=list)
    reason: str | None = None


@dataclass(frozen=True)
class VisitChange:
    item: str  # "VISIT.DATE" or "VISIT.STATUS"
    subject: Subject
    visit: Visit
    reason: str | None = None


def _resolve(path: str):
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


def record_changed(db: Session, change: RecordChange) -> None:
    for path in LISTENERS:
        _resolve(path)(db, change)


def visit_changed(db: Session, change: VisitChange) -> None:
    for path in VISIT_LISTENERS:
        _resolve(path)(db, change)
