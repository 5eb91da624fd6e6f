"""Bearer API tokens: issued once, stored hashed, expiring, revocable."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update

from ecrf.auth.models import ApiToken
from ecrf.auth.tokens import digest
from ecrf.db import utcnow
from tests.support.client import ApiClient


def test_token_is_shown_once_stored_hashed_and_revocable(app, coord_a):
    created = coord_a.post("/auth/tokens", json={"name": "lab import", "expires_in_days": 30})
    assert created.status_code == 201
    secret = created.json["token"]
    listed = coord_a.get("/auth/tokens").json["items"]
    assert all("token" not in t for t in listed)
    with app.app_context():
        from ecrf.db import get_session

        row = get_session().execute(select(ApiToken).where(ApiToken.id == created.json["id"])).scalar_one()
        assert row.token_hash == digest(secret) and secret not in row.token_hash
        assert dt.timedelta(days=29) < row.expires_at - utcnow() <= dt.timedelta(days=30)
    machine = ApiClient(app.test_client(), token=secret)
    assert machine.get("/auth/me").json["authenticated_by"] == "token"
    assert coord_a.delete(f"/auth/tokens/{created.json['id']}").status_code == 204
    refused = machine.get("/auth/me")
    assert refused.status_code == 401 and "revoked" in refused.json["message"]


def test_expired_and_malformed_tokens_are_refused(app, coord_a):
    created = coord_a.post("/auth/tokens", json={"name": "short"}).json
    with app.app_context():
        from ecrf.db import get_session

        db = get_session()
        db.execute(update(ApiToken).where(ApiToken.id == created["id"]).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        db.commit()
    assert ApiClient(app.test_client(), token=created["token"]).get("/auth/me").status_code == 401
    basic = app.test_client().get("/api/v1/auth/me", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401


def test_a_user_cannot_revoke_someone_elses_token(as_user):
    other = as_user("coord_b").post("/auth/tokens", json={"name": "mine"}).json
    assert as_user("coord_a").delete(f"/auth/tokens/{other['id']}").status_code == 404
