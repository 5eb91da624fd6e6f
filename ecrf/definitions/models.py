"""Published form versions (immutable once stored)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ecrf.db import Base, JSONText, UTCDateTime, utcnow


class FormVersion(Base):
    __tablename__ = "form_version"
    __table_args__ = (UniqueConstraint("oid", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    oid: Mapped[str] = mapped_column(String(40), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[dict] = mapped_column(JSONText())
    content_hash: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str | None] = mapped_column(String(300))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime(), default=utcnow)
    loaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
