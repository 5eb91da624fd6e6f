"""Audit trail tables.

``audit_entry`` is append-only: the database refuses UPDATE and DELETE on it (triggers created
by the migration). Each entry belongs to a hash chain (one per subject, per study, per user or the
system chain), so that writers on different subjects never wait for each other.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecrf.db import Base, JSONText, UTCDateTime

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class AuditEntry(Base):
    __tablename__ = "audit_entry"
    __table_args__ = (
        UniqueConstraint("chain_key", "chain_seq"),
        Index("ix_audit_entry_study_subject_time", "study_id", "subject_id", "occurred_at", "id"),
        Index("ix_audit_entry_record_time", "record_id", "occurred_at", "id"),
        Index("ix_audit_entry_user_time", "user_id", "occurred_at", "id"),
        Index("ix_audit_entry_study_site_time", "study_id", "site_id", "occurred_at", "id"),
        Index("ix_audit_entry_item_time", "item_oid", "occurred_at", "id"),
        Index("ix_audit_entry_time", "occurred_at", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chain_key: Mapped[str] = mapped_column(String(80))
    chain_seq: Mapped[int] = mapped_column(Integer)
    occurred_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
    request_id: Mapped[str | None] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    # who
    user_id: Mapped[int | None] = mapped_column(Integer)
    username: Mapped[str | None] = mapped_column(String(150))
    user_name: Mapped[str | None] = mapped_column(String(200))
    user_role: Mapped[str | None] = mapped_column(String(40))
    # where
    study_id: Mapped[int | None] = mapped_column(Integer)
    study_oid: Mapped[str | None] = mapped_column(String(40))
    site_id: Mapped[int | None] = mapped_column(Integer)
    site_code: Mapped[str | None] = mapped_column(String(40))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    subject_code: Mapped[str | None] = mapped_column(String(60))
    visit_key: Mapped[str | None] = mapped_column(String(40))
    visit_repeat: Mapped[int | None] = mapped_column(Integer)
    form_oid: Mapped[str | None] = mapped_column(String(40))
    form_version: Mapped[int | None] = mapped_column(Integer)
    record_id: Mapped[int | None] = mapped_column(Integer)
    item_oid: Mapped[str | None] = mapped_column(String(40))
    group_oid: Mapped[str | None] = mapped_column(String(40))
    group_row: Mapped[int | None] = mapped_column(Integer)
    # what
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    details: Mapped[dict | None] = mapped_column(JSONText())
    # chain
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditChainHead(Base):
    """The latest link of each chain; locked FOR UPDATE while a transaction appends to it."""

    __tablename__ = "audit_chain_head"

    chain_key: Mapped[str] = mapped_column(String(80), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    head_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime())
