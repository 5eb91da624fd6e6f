"""Migrations reach head from empty, match the models, and downgrade cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect

from ecrf.db import Base
from ecrf.migrate import alembic_config, current_heads, downgrade, upgrade


def test_empty_database_upgrades_to_head_and_matches_the_models(backend):
    url, handle = backend.empty_database()
    try:
        upgrade(url)
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert current_heads(url) == {head}
        engine = create_engine(url)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        engine.dispose()
        assert differences == []
    finally:
        backend.drop(handle)


def test_downgrade_to_base_and_back(backend):
    url, handle = backend.empty_database()
    try:
        upgrade(url)
        downgrade(url, "base")
        engine = create_engine(url)
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        engine.dispose()
        upgrade(url)
        engine = create_engine(url)
        assert "audit_entry" in inspect(engine).get_table_names()
        engine.dispose()
    finally:
        backend.drop(handle)
