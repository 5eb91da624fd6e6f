"""Authentication details and their settings: argon2id password hashes, the password policy when an
administrator creates a user (and ECRF_PASSWORD_MIN_LENGTH), ECRF_SECURE_COOKIES on the session
cookie, and a lockout of ECRF_LOCKOUT_MINUTES after ECRF_LOCKOUT_THRESHOLD wrong passwords."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from sqlalchemy import select

from ecrf.auth.models import User
from ecrf.auth.passwords import verify_password
from ecrf.config import load_settings
from tests.support.client import ApiClient
from tests.support.seed import PASSWORD, USERS


def settings_with(database: str, **env: str):
    """Settings read from an environment, as ``make_settings`` in conftest, plus ``env``."""
    settings = load_settings(env={"ECRF_DATABASE_URL": database, "ECRF_LOG_LEVEL": "WARNING", **env},
                             testing=True)
    return replace(settings, secret_key="test-secret-key")


@pytest.fixture
def app_with(database):
    """``app_with(ECRF_X="...")``: an app on this test's database with extra ECRF_* settings."""
    from ecrf.app import create_app

    apps = []

    def make(**env: str):
        app = create_app(settings_with(database, **env), testing=True)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.extensions["ecrf.engine"].dispose()


def login(client, username="coord_a", password=PASSWORD, **kwargs):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password}, **kwargs)


def session_cookie_header(response) -> list[str]:
    """The attributes of the ``ecrf_session`` Set-Cookie header, split at ``;``."""
    headers = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("ecrf_session=")]
    assert len(headers) == 1, response.headers.getlist("Set-Cookie")
    return [part.strip() for part in headers[0].split(";")]


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


# ---------------------------------------------------------------------------------------------
# password hashes


def test_stored_password_hashes_are_argon2id(app, admin):
    new = {"username": "hash.check", "full_name": "Hash Check", "password": "Brand-new-secret-77"}
    assert admin.post("/users", json=new).status_code == 201
    with app.app_context():
        from ecrf.db import get_session

        hashes = dict(get_session().execute(select(User.username, User.password_hash)).all())
    assert set(hashes) == {u.username for u in USERS} | {"hash.check"}
    for username, stored in hashes.items():
        assert stored.startswith("$argon2id$v=19$"), (username, stored[:20])
    assert "Brand-new-secret-77" not in hashes["hash.check"] and PASSWORD not in hashes["coord_a"]
    assert verify_password(hashes["hash.check"], "Brand-new-secret-77")
    assert not verify_password(hashes["hash.check"], "Brand-new-secret-78")
    assert hashes["coord_a"] != hashes["inv_a"]  # same password, different salts


# ---------------------------------------------------------------------------------------------
# password policy when an administrator creates a user


@pytest.mark.parametrize(("password", "problem"), [
    ("Ab-1", "password must be at least 12 characters long"),
    ("x-new.user-2024", "password must not contain the username"),
    ("onlylettershere", "password must mix letters with digits or symbols"),
    ("abab-abab-abab", "password is too common or too repetitive"),
])
def test_admin_creating_a_user_is_held_to_the_password_policy(admin, password, problem):
    body = {"username": "new.user", "full_name": "New User", "password": password}
    response = admin.post("/users", json=body)
    assert response.status_code == 422, response.json
    assert response.json["errors"] == {"password": [problem]}
    assert "new.user" not in {u["username"] for u in admin.get("/users?per_page=500").json["items"]}
    created = admin.get("/audit", query_string={"action": "user.created", "limit": 1000}).json["items"]
    assert len(created) == len(USERS) and "new.user" not in {e["details"]["username"] for e in created}


def test_the_minimum_length_follows_the_setting(app_with, seeded, admin):
    body = {"username": "new.user", "full_name": "New User", "password": "Fifteen-chars-1"}
    strict = ApiClient(app_with(ECRF_PASSWORD_MIN_LENGTH="20").test_client(), token=seeded["admin"])
    refused = strict.post("/users", json=body)
    assert refused.status_code == 422
    assert refused.json["errors"] == {"password": ["password must be at least 20 characters long"]}
    created = admin.post("/users", json=body)  # the default minimum is 12
    assert created.status_code == 201 and created.json["username"] == "new.user"


# ---------------------------------------------------------------------------------------------
# ECRF_SECURE_COOKIES


def test_session_cookie_is_not_secure_by_default(client):
    response = login(client)
    assert response.status_code == 200
    attributes = session_cookie_header(response)
    assert "HttpOnly" in attributes and "Secure" not in attributes


@pytest.mark.parametrize(("value", "secure"), [("1", True), ("true", True), ("on", True), ("0", False)])
def test_secure_cookies_setting_marks_the_session_cookie_secure(app_with, value, secure):
    app = app_with(ECRF_SECURE_COOKIES=value)
    assert app.extensions["ecrf.settings"].secure_cookies is secure
    client = app.test_client()
    response = login(client, base_url="https://localhost")
    assert response.status_code == 200, response.json
    attributes = session_cookie_header(response)
    assert ("Secure" in attributes) is secure
    assert "HttpOnly" in attributes and "SameSite=Lax" in attributes
    assert client.get_cookie("ecrf_session").secure is secure
    me = client.get("/api/v1/auth/me", base_url="https://localhost")  # the session works over HTTPS
    assert me.status_code == 200 and me.json["authenticated_by"] == "session"


# ---------------------------------------------------------------------------------------------
# lockout length and threshold


@pytest.mark.parametrize(("env", "minutes", "threshold"), [
    ({}, 15, 5),
    ({"ECRF_LOCKOUT_MINUTES": "42", "ECRF_LOCKOUT_THRESHOLD": "3"}, 42, 3),
])
def test_lockout_lasts_the_configured_minutes(app_with, seeded, env, minutes, threshold):
    app = app_with(**env)
    assert (app.extensions["ecrf.settings"].lockout_minutes,
            app.extensions["ecrf.settings"].lockout_threshold) == (minutes, threshold)
    client = app.test_client()
    admin = ApiClient(app.test_client(), token=seeded["admin"])
    user_id = ApiClient(app.test_client(), token=seeded["coord_a"]).get("/auth/me").json["id"]

    for _ in range(threshold - 1):
        assert login(client, password="wrong-password-1").status_code == 401
    assert admin.get(f"/users/{user_id}").json["locked_until"] is None  # not yet
    before = now()
    assert login(client, password="wrong-password-1").status_code == 401
    after = now()

    locked_until = dt.datetime.fromisoformat(admin.get(f"/users/{user_id}").json["locked_until"])
    assert before + dt.timedelta(minutes=minutes) <= locked_until <= after + dt.timedelta(minutes=minutes)
    [lockout] = admin.get("/audit", query_string={"action": "auth.lockout"}).json["items"]
    assert lockout["user_id"] == user_id and lockout["details"]["threshold"] == threshold
    assert dt.datetime.fromisoformat(lockout["details"]["locked_until"]) == locked_until
    refused = login(client)  # the right password is refused while locked
    assert refused.status_code == 401
    with app.app_context():
        from ecrf.db import get_session

        stored = get_session().execute(select(User.locked_until).where(User.id == user_id)).scalar_one()
    assert stored == locked_until
