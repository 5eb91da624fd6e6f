"""Derived values (RECIST responses, CTCAE lab grades, eligibility...) with their provenance,
and eligibility overrides by data managers."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecrf.db import Base, JSONText, UTCDateTime, utcnow


class Derivation(Base):
    """What an engine computed for a subject (or one of its records), from which inputs, by which version.

    Recomputed whenever an input changes; the previous value is replaced (the inputs' own
    history is in the audit trail, and each recomputation is audited with old and new values).
    """

    __tablename__ = "derivation"
    __table_args__ = (UniqueConstraint("subject_id", "kind", "scope_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"), index=True)
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(40))
    scope_key: Mapped[str] = mapped_column(String(60))
    engine_version: Mapped[str] = mapped_column(String(40))
    value: Mapped[dict] = mapped_column(JSONText())
    inputs: Mapped[dict] = mapped_column(JSONText())
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EligibilityOverride(Base):
    """A data manager's documented decision to enrol despite failed or unevaluable criteria."""

    __tablename__ = "eligibility_override"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    criteria: Mapped[list] = mapped_column(JSONText(), doc="the criteria not met or missing when overridden")
    granted_by_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    granted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
