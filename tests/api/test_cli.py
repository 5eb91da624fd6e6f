"""The ``ecrf`` command as ``make run`` uses it, configured by the environment only: ``db upgrade``,
``forms load`` (a second load publishes nothing), ``demo`` (passwords printed once; a second run
keeps the users), then an app on that database is healthy and a demo user logs in; ``forms load``
of a folder with a schema-invalid file publishes nothing and names file, path and reason.

On SQLite (the default) the database is a temporary file, as ``make run`` has; with
``--db=postgresql`` the same commands run on an empty PostgreSQL database."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ecrf.cli import DEMO_SITE, DEMO_USERS
from tests.conftest import make_settings
from tests.support.client import ApiClient

ROOT = Path(__file__).resolve().parents[2]
FORMS_DIR = ROOT / "forms"
DEFINITION_FILES = sorted(FORMS_DIR.rglob("*.yaml"))
STUDY_OIDS = sorted(p.name.split(".")[0] for p in (FORMS_DIR / "studies").glob("*.yaml"))

pytestmark = pytest.mark.slow


def ecrf_executable() -> str:
    beside = Path(sys.executable).with_name("ecrf")  # .venv/bin/ecrf next to .venv/bin/python
    found = str(beside) if beside.exists() else shutil.which("ecrf")
    assert found, "the ecrf console script is not installed (pip install -e .)"
    return found


@pytest.fixture
def empty_database(backend):
    url, handle = backend.empty_database()
    yield url
    backend.drop(handle)


@pytest.fixture
def ecrf(empty_database, tmp_path):
    """``ecrf("forms", "load")``: run the console script on the empty database; returns the result."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECRF_")}
    env.update(ECRF_DEMO="1", ECRF_DATABASE_URL=empty_database, ECRF_LOG_LEVEL="WARNING",
               ECRF_SECRET_KEY="cli-test-secret-key")  # no instance/secret_key written in the project

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([ecrf_executable(), *args], env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=300, stdin=subprocess.DEVNULL, check=False)

    return run


def ok(result: subprocess.CompletedProcess) -> list[str]:
    assert result.returncode == 0, (result.stdout, result.stderr)
    return result.stdout.splitlines()


def demo_passwords(lines: list[str]) -> dict[str, str]:
    assert lines[0] == "demo users (passwords are shown this once):"
    return dict(line.split(None, 1) for line in lines[1:])


@pytest.fixture
def app_on(empty_database):
    """``app_on()``: the app on that database, created once the commands have run."""
    from ecrf.app import create_app

    apps = []

    def make():
        apps.append(create_app(make_settings(empty_database), testing=True))
        return apps[-1]

    yield make
    for app in apps:
        app.extensions["ecrf.engine"].dispose()


def test_make_run_commands_set_up_a_working_demo(ecrf, app_on):
    assert ok(ecrf("db", "upgrade")) == ["database at head"]

    first = ok(ecrf("forms", "load"))
    published = [line for line in first if line.startswith("published ")]
    assert len(published) == len(DEFINITION_FILES)
    assert "published form F_ECOG v1" in published and "published study ESCC-N3 v1" in published
    assert "created site ESCC-N3/RJH" in first and "created site ESCC-LDRT/WCH" in first
    assert first[-1] == f"{len(DEFINITION_FILES)} published, 0 unchanged"
    assert ok(ecrf("forms", "load")) == [f"0 published, {len(DEFINITION_FILES)} unchanged"]  # a no-op

    passwords = demo_passwords(ok(ecrf("demo")))
    assert list(passwords) == [username for username, *_ in DEMO_USERS]
    for password in passwords.values():
        assert len(password) == 20 and password != "(exists; password unchanged)"
    assert len(set(passwords.values())) == len(DEMO_USERS)

    again = ecrf("demo")
    second = demo_passwords(ok(again))
    assert second == {username: "(exists; password unchanged)" for username in passwords}
    assert not any(password in again.stdout + again.stderr for password in passwords.values())

    app = app_on()
    anonymous = ApiClient(app.test_client())
    assert anonymous.get("/health").json == {"status": "ok"}
    assert anonymous.get("/health/ready").json == {"status": "ok", "database": "ok"}

    client = app.test_client()
    refused = client.post("/api/v1/auth/login", json={"username": "admin", "password": "Test-password-123"})
    assert refused.status_code == 401
    response = client.post("/api/v1/auth/login", json={"username": "admin", "password": passwords["admin"]})
    assert response.status_code == 200, response.json
    assert [(r["study"], r["role"]) for r in response.json["roles"]] == [(None, "admin")]

    coordinator = app.test_client()
    me = coordinator.post("/api/v1/auth/login",
                          json={"username": "coordinator", "password": passwords["coordinator"]}).json
    assert {(r["study"], r["role"]) for r in me["roles"]} == {(oid, "coordinator") for oid in STUDY_OIDS}
    assert DEMO_SITE[0] not in {s["site"] for s in me["sites"]} and {s["study"] for s in me["sites"]} == set(STUDY_OIDS)

    token = client.post("/api/v1/auth/tokens", json={"name": "cli check"},
                        headers={"X-CSRF-Token": response.json["csrf_token"]}).json["token"]
    admin = ApiClient(app.test_client(), token=token)
    users = admin.get("/users?per_page=100").json
    assert users["total"] == len(DEMO_USERS)  # the second demo run added nobody
    for oid in STUDY_OIDS:
        codes = [s["code"] for s in admin.get(f"/studies/{oid}").json["sites"]]
        assert codes.count(DEMO_SITE[0]) == 1


BAD_FORM = """\
kind: form
oid: F_BROKEN
version: 0
title: A broken form
groups:
  - oid: IG_BROKEN
    items:
      - oid: WHEN
        label: When
        type: colour
"""


def test_forms_load_refuses_a_folder_with_a_schema_invalid_file(ecrf, tmp_path):
    assert ok(ecrf("db", "upgrade")) == ["database at head"]
    forms = tmp_path / "forms"
    shutil.copytree(FORMS_DIR, forms)
    (forms / "crfs" / "F_BROKEN.v1.yaml").write_text(BAD_FORM, encoding="utf-8")

    refused = ecrf("forms", "load", "--dir", str(forms))
    assert refused.returncode == 1
    assert refused.stdout == ""
    lines = refused.stderr.splitlines()
    assert lines[0] == "definitions refused; nothing was published:"
    problems = [line for line in lines[1:] if line.startswith("  ")]
    assert len(problems) == 2, refused.stderr  # every problem of the file, and only that file
    type_problem, version_problem = problems
    assert type_problem.startswith("  forms/crfs/F_BROKEN.v1.yaml: groups[0].items[0].type: 'colour' is not one of [")
    assert version_problem == "  forms/crfs/F_BROKEN.v1.yaml: version: 0 is less than the minimum of 1"

    loaded = ok(ecrf("forms", "load"))  # the refused load stored nothing
    assert loaded[-1] == f"{len(DEFINITION_FILES)} published, 0 unchanged"
