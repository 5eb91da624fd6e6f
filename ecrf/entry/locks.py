"""Whether data may change: a frozen study refuses every change to its clinical data (409)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from ecrf.entry.models import Subject
from ecrf.errors import Locked


def ensure_editable(db: Session, subject: Subject, record=None) -> None:
    if subject.study.frozen_at is not None:
        raise Locked(f"study {subject.study.oid} is frozen; its data cannot change")
