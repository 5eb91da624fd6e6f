"""Access events in the audit trail: login, logout, API tokens issued and revoked, roles revoked,
site memberships removed and user accounts changed, each found by ``/audit?action=`` with who,
when and what it was about."""

from __future__ import annotations

import datetime as dt
import json

from tests.support.seed import PASSWORD


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def stamp(entry: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(entry["occurred_at"])


def entries(admin, action: str, **filters) -> list[dict]:
    response = admin.get("/audit", query_string={"action": action, "limit": 1000, **filters})
    assert response.status_code == 200, response.json
    assert response.json["next_cursor"] is None
    assert {e["action"] for e in response.json["items"]} <= {action}
    return response.json["items"]


def user_id_of(as_user, username: str) -> int:
    return as_user(username).get("/auth/me").json["id"]


def test_login_and_logout_are_audited_with_the_user_and_the_session(client, admin):
    before = now()
    response = client.post("/api/v1/auth/login", json={"username": "coord_a", "password": PASSWORD})
    assert response.status_code == 200, response.json
    user_id, csrf = response.json["id"], response.json["csrf_token"]
    between = now()
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
    after = now()

    [login] = entries(admin, "auth.login")
    assert (login["user_id"], login["username"], login["user_role"]) == (user_id, "coord_a", "")
    assert before <= stamp(login) <= between
    assert login["details"]["remote_addr"] == "127.0.0.1"
    session_id = login["details"]["session"]
    assert isinstance(session_id, int) and session_id > 0
    assert login["study"] is None and login["subject_id"] is None

    [logout] = entries(admin, "auth.logout")
    assert (logout["user_id"], logout["username"], logout["user_name"]) == (user_id, "coord_a", "Chen Coordinator")
    assert logout["details"] == {"session": session_id}  # the session the login opened
    assert between <= stamp(logout) <= after
    assert stamp(login) < stamp(logout)


def test_a_failed_login_is_not_an_auth_login_event(client, admin):
    refused = client.post("/api/v1/auth/login", json={"username": "coord_a", "password": "wrong-password-1"})
    assert refused.status_code == 401
    assert entries(admin, "auth.login") == []
    [failed] = entries(admin, "auth.login_failed")
    assert failed["username"] == "coord_a" and failed["details"]["reason"] == "wrong password"


def test_issuing_and_revoking_a_token_are_audited_with_the_token_and_its_owner(as_user, admin):
    coord = as_user("coord_a")
    coord_id, admin_id = user_id_of(as_user, "coord_a"), user_id_of(as_user, "admin")
    before = now()
    created = coord.post("/auth/tokens", json={"name": "lab import", "expires_in_days": 30})
    assert created.status_code == 201
    token_id = created.json["id"]
    between = now()
    assert admin.delete(f"/auth/tokens/{token_id}").status_code == 204  # an admin revokes coord_a's token
    after = now()

    issued = [e for e in entries(admin, "auth.token_issued") if e["details"]["token_id"] == token_id]
    assert len(issued) == 1
    [issued] = issued
    assert (issued["user_id"], issued["username"], issued["user_name"]) == (coord_id, "coord_a", "Chen Coordinator")
    assert issued["details"]["name"] == "lab import"
    assert (dt.datetime.fromisoformat(issued["details"]["expires_at"])
            == dt.datetime.fromisoformat(created.json["expires_at"]))
    assert before <= stamp(issued) <= between
    assert created.json["token"] not in json.dumps(issued)  # the secret never reaches the trail

    [revoked] = entries(admin, "auth.token_revoked")
    assert (revoked["user_id"], revoked["username"]) == (admin_id, "admin")  # who revoked it
    assert revoked["details"] == {"token_id": token_id, "owner": coord_id}  # which token, whose
    assert between <= stamp(revoked) <= after

    assert admin.delete(f"/auth/tokens/{token_id}").status_code == 204  # revoking again changes nothing
    assert len(entries(admin, "auth.token_revoked")) == 1


def test_revoking_a_role_is_audited_with_study_role_and_user(as_user, admin):
    coord_id, admin_id = user_id_of(as_user, "coord_a"), user_id_of(as_user, "admin")
    role = next(r for r in admin.get(f"/users/{coord_id}").json["roles"] if r["study"] == "ESCC-LDRT")
    before = now()
    assert admin.delete(f"/users/{coord_id}/roles/{role['id']}").status_code == 204
    after = now()

    [entry] = entries(admin, "role.revoked")
    assert (entry["user_id"], entry["username"], entry["user_role"]) == (admin_id, "admin", "admin")
    assert entry["study"] == "ESCC-LDRT" and entry["site"] is None
    assert entry["old_value"] == "coordinator" and entry["new_value"] is None
    assert entry["details"] == {"user": coord_id, "username": "coord_a"}
    assert before <= stamp(entry) <= after
    assert [e["id"] for e in entries(admin, "role.revoked", study="ESCC-LDRT")] == [entry["id"]]
    assert entries(admin, "role.revoked", study="ESCC-N3") == []
    roles = {(r["study"], r["role"]) for r in admin.get(f"/users/{coord_id}").json["roles"]}
    assert roles == {("ESCC-N3", "coordinator")}


def test_removing_a_site_membership_is_audited_with_study_site_and_user(as_user, admin):
    coord_id, admin_id = user_id_of(as_user, "coord_a"), user_id_of(as_user, "admin")
    membership = next(s for s in admin.get(f"/users/{coord_id}").json["sites"] if s["study"] == "ESCC-N3")
    assert membership["site"] == "RJH"
    before = now()
    assert admin.delete(f"/users/{coord_id}/sites/{membership['id']}").status_code == 204
    after = now()

    [entry] = entries(admin, "membership.removed")
    assert (entry["user_id"], entry["username"], entry["user_role"]) == (admin_id, "admin", "admin")
    assert (entry["study"], entry["site"]) == ("ESCC-N3", "RJH")
    assert entry["details"] == {"user": coord_id, "username": "coord_a"}
    assert before <= stamp(entry) <= after
    assert [e["id"] for e in entries(admin, "membership.removed", study="ESCC-N3", site="RJH")] == [entry["id"]]
    sites = {(s["study"], s["site"]) for s in admin.get(f"/users/{coord_id}").json["sites"]}
    assert sites == {("ESCC-LDRT", "WCH")}


def test_updating_a_user_writes_one_entry_per_changed_field_with_old_and_new_values(as_user, admin):
    coord_id, admin_id = user_id_of(as_user, "coord_a"), user_id_of(as_user, "admin")
    before = now()
    response = admin.patch(f"/users/{coord_id}",
                           json={"full_name": "Chen Li Coordinator", "email": None, "active": False})
    assert response.status_code == 200, response.json
    after = now()

    updates = entries(admin, "user.updated")
    by_field = {e["item_oid"]: e for e in updates}
    assert len(updates) == 2 and set(by_field) == {"full_name", "active"}  # email stayed None: no entry
    assert (by_field["full_name"]["old_value"], by_field["full_name"]["new_value"]) == (
        "Chen Coordinator", "Chen Li Coordinator")
    assert (by_field["active"]["old_value"], by_field["active"]["new_value"]) == (True, False)  # booleans kept
    for entry in updates:
        assert (entry["user_id"], entry["username"], entry["user_role"]) == (admin_id, "admin", "admin")
        assert entry["details"] == {"user": coord_id}
        assert before <= stamp(entry) <= after
    [ended] = entries(admin, "auth.credentials_revoked")  # deactivation ends the user's credentials
    assert ended["details"] == {"why": "account deactivated"} and ended["user_id"] == coord_id
