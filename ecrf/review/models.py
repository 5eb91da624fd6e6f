"""Review state kept beside the records: item verifications, signatures and locks.

None of these change a record's data, so none of them bump the record's version (its ETag).
Their history is the audit trail; the tables hold the current state (verifications and locks)
or every signature ever given (signatures are never deleted, only marked invalidated).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecrf.db import Base, JSONText, UTCDateTime, utcnow

SIGNATURE_SCOPES = ("record", "visit", "subject")
SIGNATURE_STATUSES = ("valid", "invalidated")
LOCK_SCOPES = ("record", "subject")


class ItemVerification(Base):
    """One item of one record verified against source; removed (and audited) when the value changes."""

    __tablename__ = "item_verification"
    __table_args__ = (UniqueConstraint("record_id", "item_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    record_id: Mapped[int] = mapped_column(ForeignKey("record.id", ondelete="RESTRICT"), index=True)
    item_key: Mapped[str] = mapped_column(String(100), doc="item OID, or GROUP[row].ITEM in a repeating group")
    item_oid: Mapped[str] = mapped_column(String(40))
    group_oid: Mapped[str | None] = mapped_column(String(40))
    group_row: Mapped[int | None] = mapped_column(Integer)
    verified_value: Mapped[object | None] = mapped_column(JSONText())
    verified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    verified_by_name: Mapped[str] = mapped_column(String(200))


class Signature(Base):
    """An electronic signature (21 CFR 11.50): who, when, what it means, and a hash of what was signed."""

    __tablename__ = "signature"
    __table_args__ = (
        CheckConstraint("scope IN ('record', 'visit', 'subject')", name="known_scope"),
        CheckConstraint("status IN ('valid', 'invalidated')", name="known_status"),
        Index("ix_signature_subject_id_status", "subject_id", "status"),
        Index("ix_signature_record_id", "record_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="RESTRICT"))
    site_id: Mapped[int] = mapped_column(ForeignKey("site.id", ondelete="RESTRICT"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visit.id", ondelete="RESTRICT"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id", ondelete="RESTRICT"))
    scope: Mapped[str] = mapped_column(String(10))
    signer_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))
    signer_username: Mapped[str] = mapped_column(String(150))
    printed_name: Mapped[str] = mapped_column(String(200))
    meaning: Mapped[str] = mapped_column(String(100))
    meaning_code: Mapped[str] = mapped_column(String(40))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    content_hash: Mapped[str] = mapped_column(String(64))
    manifest: Mapped[dict] = mapped_column(JSONText(), doc="what was signed: records and their versions")
    status: Mapped[str] = mapped_column(String(12), default="valid")
    invalidated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime())
    invalidation: Mapped[dict | None] = mapped_column(JSONText(), doc="why: the changed items and the cause")


class DataLock(Base):
    """A record or a subject locked by a data manager; unlocking deletes the row (audited with its reason)."""

    __tablename__ = "data_lock"
    __table_args__ = (
        UniqueConstraint("target_key"),
        CheckConstraint("scope IN ('record', 'subject')", name="known_scope"),
        Index("ix_data_lock_subject_id", "subject_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_key: Mapped[str] = mapped_column(String(40), doc="record:<id> or subject:<id>")
    scope: Mapped[str] = mapped_column(String(10))
    study_id: Mapped[int] = mapped_column(ForeignKey("study.id", ondelete="RESTRICT"))
    subject_id: Mapped[int] = mapped_column(ForeignKey("subject.id", ondelete="RESTRICT"))
    record_id: Mapped[int | None] = mapped_column(ForeignKey("record.id", ondelete="RESTRICT"))
    reason: Mapped[str | None] = mapped_column(Text)
    locked_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    locked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    locked_by_name: Mapped[str] = mapped_column(String(200))


def record_lock_key(record_id: int) -> str:
    return f"record:{record_id}"


def subject_lock_key(subject_id: int) -> str:
    return f"subject:{subject_id}"
