"""A finding is a protocol deviation the system detected (or a person recorded) for a subject."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ecrf.db import Base, JSONText, UTCDateTime, utcnow


class Finding(Base):
    __tablename__ = "finding"
    __table_args__ = (
        Index("ix_finding_subject_id_code_source_key", "subject_id", "code", "source_key"),
        Index("ix_finding_study_id_site_id", "study_id", "site_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="RESTRICT"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="RESTRICT"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(40))
    source_key: Mapped[str] = mapped_column(String(120), doc="identifies what the finding is about, for updates")
    category: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str] = mapped_column(String(20), default="deviation")
    message: Mapped[str] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSONText())
    status: Mapped[str] = mapped_column(String(12), default="open")
    detected_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
