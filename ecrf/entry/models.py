"""Subjects, their anchor dates, visits and form records."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.db import Base, JSONText, UTCDateTime, utcnow
from ecrf.studies.models import Site, Study

SUBJECT_STATUSES = ("screening", "enrolled", "on_treatment", "follow_up", "completed", "withdrawn",
                    "screen_failed")
VISIT_STATUSES = ("not_started", "in_progress", "complete", "missed")
RECORD_STATUSES = ("draft", "complete")


def _in(column: str, values) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class Subject(Base):
    __tablename__ = "subject"
    __table_args__ = (
        UniqueConstraint("study_id", "code"),
        CheckConstraint(_in("status", SUBJECT_STATUSES), name="known_status"),
        Index("ix_subject_study_id_site_id", "study_id", "site_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="RESTRICT"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"))
    code: Mapped[str] = mapped_column(String(40))
    study_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="screening")
    status_reason: Mapped[str | None] = mapped_column(Text)
    status_date: Mapped[dt.date | None] = mapped_column(Date)
    arm: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)

    anchors: Mapped[list[SubjectAnchor]] = relationship(back_populates="subject", lazy="selectin",
                                                        cascade="all, delete-orphan")
    study: Mapped[Study] = relationship(lazy="joined")
    site: Mapped[Site] = relationship(lazy="joined")
    visits: Mapped[list[Visit]] = relationship(back_populates="subject", order_by="Visit.id")

    __mapper_args__ = {"version_id_col": version}

    def anchor_dates(self) -> dict[str, dt.date]:
        return {a.key: a.date for a in self.anchors}


class SubjectAnchor(Base):
    """A named date that visit target dates are computed from (consent, C1D1, RT start, EOT)."""

    __tablename__ = "subject_anchor"
    __table_args__ = (UniqueConstraint("subject_id", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(30))
    date: Mapped[dt.date] = mapped_column(Date)
    source_record_id: Mapped[int | None] = mapped_column(Integer)

    subject: Mapped[Subject] = relationship(back_populates="anchors")


class Visit(Base):
    __tablename__ = "visit"
    __table_args__ = (
        UniqueConstraint("subject_id", "key", "repeat"),
        CheckConstraint(_in("status", VISIT_STATUSES), name="known_status"),
        CheckConstraint(_in("kind", ("scheduled", "unscheduled", "log")), name="known_kind"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"), index=True)
    key: Mapped[str] = mapped_column(String(20))
    repeat: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(200))
    visit_date: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(12), default="not_started")
    status_reason: Mapped[str | None] = mapped_column(Text)
    version: Mapped[int] = mapped_column(Integer, default=1)

    subject: Mapped[Subject] = relationship(back_populates="visits")

    __mapper_args__ = {"version_id_col": version}


class Record(Base):
    """One form record, pinned to the form version it was created under."""

    __tablename__ = "record"
    __table_args__ = (
        UniqueConstraint("visit_id", "form_oid", "repeat"),
        CheckConstraint(_in("status", RECORD_STATUSES), name="known_status"),
        Index("ix_record_subject_id_form_oid", "subject_id", "form_oid"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"))
    visit_id: Mapped[int] = mapped_column(ForeignKey("visit.id", ondelete="RESTRICT"))
    form_oid: Mapped[str] = mapped_column(String(40))
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_version.id", ondelete="RESTRICT"))
    form_version: Mapped[int] = mapped_column(Integer)
    repeat: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    ever_completed: Mapped[bool] = mapped_column(Boolean, default=False)
    data: Mapped[dict] = mapped_column(JSONText())
    warnings: Mapped[list] = mapped_column(JSONText(), default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    completed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())

    visit: Mapped[Visit] = relationship()

    __mapper_args__ = {"version_id_col": version}
