"""The audit trail is append-only in the database, and tampering behind its back is detected."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError


def _engine(database):
    return create_engine(database)


def test_update_and_delete_of_audit_rows_are_refused_by_the_database(database):
    engine = _engine(database)
    try:
        for statement in ("UPDATE audit_entry SET reason = 'edited'", "DELETE FROM audit_entry"):
            with pytest.raises(DBAPIError) as refused:
                with engine.begin() as connection:
                    connection.execute(text(statement))
            assert "append-only" in str(refused.value)
        if engine.dialect.name == "postgresql":
            with pytest.raises(DBAPIError):
                with engine.begin() as connection:
                    connection.execute(text("TRUNCATE audit_entry"))
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM audit_entry")).scalar() > 0
    finally:
        engine.dispose()


def _tamper(database, statement: str) -> None:
    """Change a row as an attacker with database superpowers would: triggers off."""
    engine = _engine(database)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "sqlite":
                connection.execute(text("DROP TRIGGER audit_entry_no_update"))
                connection.execute(text("DROP TRIGGER audit_entry_no_delete"))
                connection.execute(text(statement))
            else:
                connection.execute(text("SET LOCAL session_replication_role = replica"))
                connection.execute(text(statement))
    finally:
        engine.dispose()


def test_verify_is_clean_then_finds_an_altered_entry(database, admin):
    clean = admin.get("/audit/verify").json
    assert clean["ok"] is True and clean["entries_checked"] > 10 and clean["first_break"] is None
    target = admin.get("/audit?order=oldest&limit=5").json["items"][3]
    _tamper(database, f"UPDATE audit_entry SET new_value = '\"forged\"' WHERE id = {target['id']}")
    broken = admin.get("/audit/verify").json
    assert broken["ok"] is False
    assert broken["first_break"]["entry_id"] == target["id"]
    assert "altered" in broken["first_break"]["reason"]


def test_verify_finds_a_deleted_entry(database, admin):
    target = admin.get("/audit?order=oldest&limit=3").json["items"][1]
    _tamper(database, f"DELETE FROM audit_entry WHERE id = {target['id']}")
    broken = admin.get("/audit/verify").json
    assert broken["ok"] is False
    assert broken["first_break"]["chain_key"] == target["chain_key"]


def test_verify_needs_review_rights(as_user):
    assert as_user("coord_a").get("/audit/verify").status_code == 403
    assert as_user("monitor_a").get("/audit/verify?study=ESCC-N3").status_code == 200
    assert as_user("coord_a").get("/audit/verify?study=ESCC-N3").status_code == 403
