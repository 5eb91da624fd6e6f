"""Cookie sessions: login, CSRF, lockout, idle expiry, logout, session fixation."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from ecrf.auth.models import AuthSession, User
from ecrf.db import utcnow
from tests.support.client import ApiClient
from tests.support.seed import PASSWORD


def login(client, username="coord_a", password=PASSWORD):
    return client.post("/api/v1/auth/login", json={"username": username, "password": password})


def session_cookie(client):
    return client.get_cookie("ecrf_session")


def test_login_sets_a_hardened_cookie_and_me_tells_roles_and_sites(client):
    response = login(client)
    assert response.status_code == 200, response.json
    cookie_header = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie_header and "SameSite=Lax" in cookie_header
    assert "Expires" not in cookie_header  # no remember-me: a browser session cookie
    body = response.json
    assert body["username"] == "coord_a" and body["csrf_token"]
    me = client.get("/api/v1/auth/me").json
    assert me["authenticated_by"] == "session"
    assert {(r["study"], r["role"]) for r in me["roles"]} == {("ESCC-N3", "coordinator"), ("ESCC-LDRT", "coordinator")}
    assert {(s["study"], s["site"]) for s in me["sites"]} == {("ESCC-N3", "RJH"), ("ESCC-LDRT", "WCH")}


def test_state_changing_cookie_request_needs_the_csrf_header(client):
    token = login(client).json["csrf_token"]
    refused = client.post("/api/v1/auth/tokens", json={"name": "x"})
    assert refused.status_code == 403
    assert "X-CSRF-Token" in refused.json["message"]
    wrong = client.post("/api/v1/auth/tokens", json={"name": "x"}, headers={"X-CSRF-Token": "nope"})
    assert wrong.status_code == 403
    ok = client.post("/api/v1/auth/tokens", json={"name": "x"}, headers={"X-CSRF-Token": token})
    assert ok.status_code == 201


def test_login_gives_a_new_session_identifier(client):
    login(client)
    first = session_cookie(client).value
    client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": client.get("/api/v1/auth/me").json["csrf_token"]})
    login(client)
    assert session_cookie(client).value != first


def test_five_wrong_passwords_lock_the_account(client, app, admin):
    for _ in range(5):
        assert login(client, password="wrong-password-1").status_code == 401
    refused = login(client)  # the right password no longer works
    assert refused.status_code == 401
    assert "locked" in refused.json["message"]
    actions = [e["action"] for e in admin.get("/audit?order=oldest&limit=1000").json["items"]
               if e["username"] == "coord_a"]
    assert actions.count("auth.login_failed") == 6
    assert actions.count("auth.lockout") == 1
    with app.app_context():
        from ecrf.db import get_session

        db = get_session()
        user = db.execute(select(User).where(User.username == "coord_a")).scalar_one()
        assert user.locked_until > utcnow()
        user.locked_until = utcnow() - dt.timedelta(seconds=1)  # the lockout time has passed
        db.commit()
    assert login(client).status_code == 200


def test_idle_session_expires(client, app):
    login(client)
    assert client.get("/api/v1/auth/me").status_code == 200
    with app.app_context():
        from ecrf.db import get_session

        db = get_session()
        db.execute(update(AuthSession).values(last_seen_at=utcnow() - dt.timedelta(minutes=31)))
        db.commit()
    response = client.get("/api/v1/auth/me")
    assert response.status_code == 401
    assert "expired" in response.json["message"]


def test_logout_ends_the_session_on_the_server(client, app):
    login(client)
    stolen = session_cookie(client).value
    csrf = client.get("/api/v1/auth/me").json["csrf_token"]
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    replay = app.test_client()
    replay.set_cookie("ecrf_session", stolen)
    assert replay.get("/api/v1/auth/me").status_code == 401


def test_password_change_ends_sessions_and_tokens(client, app, seeded):
    login(client)
    csrf = client.get("/api/v1/auth/me").json["csrf_token"]
    token_client = ApiClient(app.test_client(), token=seeded["coord_a"])
    assert token_client.get("/auth/me").status_code == 200
    weak = client.post("/api/v1/auth/password", json={"current_password": PASSWORD, "new_password": "short"},
                       headers={"X-CSRF-Token": csrf})
    assert weak.status_code == 422 and "password" in weak.json["errors"]
    changed = client.post("/api/v1/auth/password",
                          json={"current_password": PASSWORD, "new_password": "A-much-better-pass-42"},
                          headers={"X-CSRF-Token": csrf})
    assert changed.status_code == 204
    assert client.get("/api/v1/auth/me").status_code == 401
    assert token_client.get("/auth/me").status_code == 401
    assert login(client, password="A-much-better-pass-42").status_code == 200


def test_unauthenticated_calls_are_401_with_the_error_shape(anonymous):
    response = anonymous.get("/studies")
    assert response.status_code == 401
    assert set(response.json) >= {"code", "status", "message"} and response.json["code"] == 401


def test_unknown_fields_and_wrong_content_type_are_refused(client):
    unknown = client.post("/api/v1/auth/login", json={"username": "a", "password": "b", "extra": 1})
    assert unknown.status_code == 422
    assert "extra" in unknown.json["errors"]
    form = client.post("/api/v1/auth/login", data="username=a&password=b",
                       content_type="application/x-www-form-urlencoded")
    assert form.status_code == 415
    garbage = client.post("/api/v1/auth/login", data="{not json", content_type="application/json")
    assert garbage.status_code == 400
    assert garbage.json["code"] == 400
