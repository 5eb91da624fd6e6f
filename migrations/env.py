"""Alembic environment: the URL comes from ``sqlalchemy.url`` (set by ecrf.migrate) or ECRF_DATABASE_URL."""

from __future__ import annotations

import os

from alembic import context
from sqlalchemy import create_engine, pool

from ecrf import models  # noqa: F401 - registers every table
from ecrf.db import Base

config = context.config
target_metadata = Base.metadata


def render_item(type_, obj, autogen_context):
    """Render our TypeDecorators as their plain column types, so migrations import nothing of ours."""
    from ecrf.db import JSONText, UTCDateTime

    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    if type_ == "type" and isinstance(obj, JSONText):
        return "sa.Text()"
    return False


def database_url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if url:
        return url
    from ecrf.config import load_settings

    return os.environ.get("ECRF_DATABASE_URL") or load_settings(testing=True).database_url


def run_migrations_offline() -> None:
    context.configure(url=database_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, compare_type=True, render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connectable = config.attributes.get("connection")
    if connectable is not None:
        _run(connectable)
        return
    engine = create_engine(database_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=connection.dialect.name == "sqlite", compare_type=True,
                      render_item=render_item)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
