"""Database foundation: declarative base, engine set-up, the per-request session.

One SQLAlchemy session per request (or CLI command), committed in exactly one place
(:mod:`ecrf.web`). Services only ``flush``.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
from typing import Any

from flask import current_app, g, has_app_context
from sqlalchemy import DateTime, MetaData, Text, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> dt.datetime:
    """The server clock in UTC (the only clock the audit trail trusts)."""
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timestamps stored as naive UTC, returned as aware UTC, on every database."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where a UTC timestamp is required")
        return value.astimezone(dt.timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: dt.datetime | None, dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.timezone.utc)


class JSONText(TypeDecorator):
    """JSON kept as text with sorted keys, identical on SQLite and PostgreSQL."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: Any, dialect) -> str | None:
        if value is None:
            return None
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def process_result_value(self, value: str | None, dialect) -> Any:
        return None if value is None else json.loads(value)


__all__ = ["Base", "JSONText", "UTCDateTime", "utcnow", "make_engine", "get_session"]

# A request that only reads begins a deferred transaction on SQLite; everything else begins
# IMMEDIATE so that two writers queue on the busy timeout instead of failing on lock upgrade.
sqlite_write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "sqlite_write_intent", default=True
)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        if not sqlite_write_intent.get():
            connection.exec_driver_sql("BEGIN")
            return
        dbapi_connection = connection.connection.dbapi_connection
        dbapi_connection.take_turn()  # ecrf.sqlite_writers: queue instead of polling
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        finally:
            dbapi_connection.give_turn_back()  # only if BEGIN failed


def make_engine(url: str, pool_size: int = 5, max_overflow: int = 5) -> Engine:
    if url.startswith("sqlite"):
        from sqlalchemy.engine import make_url

        from ecrf.sqlite_writers import TurnTakingConnection, turns_for

        turns = turns_for(make_url(url).database or "")
        factory = type("TurnTakingConnection", (TurnTakingConnection,), {"turns": turns})
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False, "factory": factory})
        _configure_sqlite(engine)
        return engine
    return create_engine(
        url,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_pre_ping=True,
        pool_recycle=1800,
    )


def session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)

    @event.listens_for(factory, "after_commit")
    @event.listens_for(factory, "after_rollback")
    def _end_of_transaction(session):
        session.info.pop("tx", None)

    return factory


def transaction_cache(session: Session) -> dict:
    """A dict that lives exactly as long as the session's current transaction (locks held...)."""
    return session.info.setdefault("tx", {})


def get_session() -> Session:
    """The session of the current request or CLI command, created on first use."""
    if not has_app_context():
        raise RuntimeError("get_session() needs an application context")
    session = g.get("_db_session")
    if session is None:
        session = current_app.extensions["ecrf.sessionmaker"]()
        g._db_session = session
    return session


def close_session(exc: BaseException | None = None) -> None:
    session = g.pop("_db_session", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()
