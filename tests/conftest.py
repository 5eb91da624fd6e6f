"""Fixtures: a template database per session (SQLite, or PostgreSQL with --db=postgresql),
a fresh copy of it per test, the app, and API clients per role."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from ecrf.config import load_settings
from tests.support.client import ApiClient


def pytest_addoption(parser):
    parser.addoption("--db", default=os.environ.get("ECRF_TEST_DB", "sqlite"), choices=["sqlite", "postgresql"],
                     help="database the app tests run on")


def make_settings(url: str):
    settings = load_settings(env={"ECRF_DATABASE_URL": url, "ECRF_LOG_LEVEL": "WARNING"}, testing=True)
    return replace(settings, secret_key="test-secret-key")


@pytest.fixture(scope="session")
def backend(request):
    from tests.support.backends import PostgresBackend, SQLiteBackend

    kind = request.config.getoption("--db")
    db = PostgresBackend(os.environ.get("ECRF_TEST_POSTGRES_URL")) if kind == "postgresql" else SQLiteBackend()
    yield db
    db.close()


@pytest.fixture(scope="session")
def seeded(backend):
    """Migrate and seed the template once; returns the API tokens of the seeded users."""
    from ecrf.app import create_app
    from ecrf.migrate import upgrade
    from tests.support.seed import seed

    os.environ.setdefault("ECRF_LOG_LEVEL", "WARNING")
    upgrade(backend.template_url())
    app = create_app(make_settings(backend.template_url()), testing=True)
    tokens = seed(app)
    app.extensions["ecrf.engine"].dispose()
    return tokens


@pytest.fixture
def database(backend, seeded):
    url, handle = backend.new_database()
    yield url
    backend.drop(handle)


@pytest.fixture
def app(database):
    from ecrf.app import create_app

    app = create_app(make_settings(database), testing=True)
    yield app
    app.extensions["ecrf.engine"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def anonymous(client):
    return ApiClient(client)


@pytest.fixture
def as_user(app, seeded):
    """``as_user("coord_a")``: an API client authenticated with that seeded user's token."""

    def make(username: str) -> ApiClient:
        return ApiClient(app.test_client(), token=seeded[username])

    return make


@pytest.fixture
def admin(as_user):
    return as_user("admin")


@pytest.fixture
def coord_a(as_user):
    return as_user("coord_a")


@pytest.fixture
def dm(as_user):
    return as_user("dm")


@pytest.fixture
def target(backend, seeded):
    """A second instance (for imports): the same definitions, sites and users, no subjects.
    ``target("coord_a")`` is an API client of it."""
    from ecrf.app import create_app

    url, handle = backend.new_database()
    app = create_app(make_settings(url), testing=True)
    yield lambda username: ApiClient(app.test_client(), token=seeded[username])
    app.extensions["ecrf.engine"].dispose()
    backend.drop(handle)
