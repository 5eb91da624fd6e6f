"""Account and session security: throttling per address, secrets, no internals in errors."""

from __future__ import annotations

import pytest

from ecrf.config import ConfigError, load_settings
from ecrf.auth.services import ADDRESS_MAX_FAILURES


def test_login_failures_from_one_address_are_throttled(client):
    for n in range(ADDRESS_MAX_FAILURES):
        response = client.post("/api/v1/auth/login", json={"username": f"ghost{n}", "password": "wrong-password-1"})
        assert response.status_code == 401
    throttled = client.post("/api/v1/auth/login", json={"username": "coord_a", "password": "Test-password-123"})
    assert throttled.status_code == 429 and "Retry-After" in throttled.headers
    other_address = client.post("/api/v1/auth/login", json={"username": "coord_a", "password": "Test-password-123"},
                                environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other_address.status_code == 200


def test_a_secret_key_is_required_outside_demo_mode(tmp_path):
    with pytest.raises(ConfigError, match="ECRF_SECRET_KEY"):
        load_settings(env={}, instance_path=tmp_path)
    demo = load_settings(env={"ECRF_DEMO": "1"}, instance_path=tmp_path)
    assert demo.secret_key == load_settings(env={"ECRF_DEMO": "1"}, instance_path=tmp_path).secret_key
    assert load_settings(env={"ECRF_SECRET_KEY": "k" * 32}, instance_path=tmp_path).secret_key == "k" * 32


def test_an_unexpected_error_reveals_nothing(coord_a, monkeypatch):
    import ecrf.studies.services as services

    def explode(*_args, **_kwargs):
        raise RuntimeError("password=hunter2 at db.internal:5432")

    monkeypatch.setattr(services, "describe_study", explode)
    response = coord_a.get("/studies/ESCC-N3")
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert response.json["code"] == 500 and "hunter2" not in body and "Traceback" not in body
    assert "RuntimeError" not in body


def test_session_cookie_flags_and_no_remember_cookie(client):
    response = client.post("/api/v1/auth/login", json={"username": "coord_a", "password": "Test-password-123"})
    cookies = response.headers.getlist("Set-Cookie")
    assert len(cookies) == 1 and cookies[0].startswith("ecrf_session=")
    assert "remember_token" not in " ".join(cookies)
