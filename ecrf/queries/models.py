"""Queries and their threaded messages; nothing here is ever deleted."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ecrf.db import Base, JSONText, UTCDateTime, utcnow

QUERY_STATUSES = ("open", "answered", "closed", "cancelled")


class Query(Base):
    __tablename__ = "query"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'answered', 'closed', 'cancelled')", name="known_status"),
        CheckConstraint("kind IN ('manual', 'automatic')", name="known_kind"),
        Index("ix_query_study_id_status_site_id", "study_id", "status", "site_id"),
        Index("ix_query_record_id_kind_auto_key", "record_id", "kind", "auto_key"),
        Index("ix_query_subject_id_status", "subject_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="RESTRICT"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="RESTRICT"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id", ondelete="RESTRICT"))
    form_oid: Mapped[str | None] = mapped_column(String(40))
    item_oid: Mapped[str | None] = mapped_column(String(40))
    group_oid: Mapped[str | None] = mapped_column(String(40))
    group_row: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10))
    auto_key: Mapped[str | None] = mapped_column(String(200))
    rule_id: Mapped[str | None] = mapped_column(String(100))
    rule_version: Mapped[str | None] = mapped_column(String(60))
    value_at_raise: Mapped[object | None] = mapped_column(JSONText())
    status: Mapped[str] = mapped_column(String(10), default="open")
    text: Mapped[str] = mapped_column(Text)
    raised_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    raised_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    closed_value: Mapped[object | None] = mapped_column(JSONText())

    messages: Mapped[list[QueryMessage]] = relationship(back_populates="query", order_by="QueryMessage.id",
                                                        lazy="selectin")


class QueryMessage(Base):
    __tablename__ = "query_message"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    query_id: Mapped[int] = mapped_column(ForeignKey("query.id", ondelete="RESTRICT"), index=True)
    action: Mapped[str] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(Text)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    author_name: Mapped[str] = mapped_column(String(200))
    status_after: Mapped[str] = mapped_column(String(10))
    correction: Mapped[dict | None] = mapped_column(JSONText())
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)

    query: Mapped[Query] = relationship(back_populates="messages")
