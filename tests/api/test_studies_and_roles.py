"""Studies, schedules and who may see or do what (DESIGN.md section 1)."""

from __future__ import annotations

import pytest

ROLE_USERS = ["admin", "coord_a", "inv_a", "monitor_a", "dm"]


@pytest.mark.parametrize("username", ROLE_USERS)
def test_every_role_sees_both_studies(as_user, username):
    page = as_user(username).get("/studies").json
    assert [s["oid"] for s in page["items"]] == ["ESCC-LDRT", "ESCC-N3"]


def test_a_user_without_roles_sees_no_study(as_user):
    nobody = as_user("nobody")
    assert nobody.get("/studies").json["items"] == []
    assert nobody.get("/studies/ESCC-N3").status_code == 404
    assert nobody.get("/studies/ESCC-N3/schedule").status_code == 404


def test_study_and_schedule_describe_the_protocol(coord_a):
    study = coord_a.get("/studies/ESCC-LDRT").json
    assert study["parameters"]["rt_plan"]["fractions"] == 25
    assert {s["code"] for s in study["sites"]} == {"WCH", "LDRT-B"}
    schedule = coord_a.get("/studies/ESCC-LDRT/schedule").json
    keys = [v["key"] for v in schedule["visits"]]
    assert keys[0] == "SCR"
    screening = schedule["visits"][0]
    assert screening["anchor"] == "consent" and screening["window_after"] >= 0
    assert any(f["form"] == "F_DM" for f in screening["forms"])
    assert any(log["forms"][0]["form"] == "F_AE" for log in schedule["logs"])
    assert coord_a.get("/studies/NOPE/schedule").status_code == 404


@pytest.mark.parametrize("username, status", [
    ("admin", 200), ("coord_a", 403), ("inv_a", 403), ("monitor_a", 403), ("dm", 403), ("nobody", 403),
])
def test_only_admins_manage_users(as_user, username, status):
    assert as_user(username).get("/users").status_code == status


def test_admin_creates_user_grants_role_and_site_all_audited(admin, as_user):
    created = admin.post("/users", json={"username": "New.Coord", "full_name": "New Coordinator",
                                         "password": "Another-good-pass-7"})
    assert created.status_code == 201 and created.json["username"] == "new.coord"
    uid = created.json["id"]
    assert admin.post(f"/users/{uid}/roles", json={"study": "ESCC-N3", "role": "coordinator"}).status_code == 201
    assert admin.post(f"/users/{uid}/roles", json={"study": "ESCC-N3", "role": "wizard"}).status_code == 422
    assert admin.post(f"/users/{uid}/sites", json={"study": "ESCC-N3", "site": "RJH"}).status_code == 201
    assert admin.post(f"/users/{uid}/sites", json={"study": "ESCC-N3", "site": "NOPE"}).status_code == 422
    duplicate = admin.post("/users", json={"username": "new.coord", "full_name": "x", "password": "Another-good-pass-7"})
    assert duplicate.status_code == 409
    actions = [e["action"] for e in admin.get("/audit?limit=20").json["items"]]
    assert {"user.created", "role.granted", "membership.added"} <= set(actions)
    assert as_user("coord_a").post(f"/users/{uid}/roles", json={"study": "ESCC-N3", "role": "admin"}).status_code == 403


def test_deactivating_a_user_ends_their_tokens(admin, as_user):
    coord = as_user("coord_b")
    uid = coord.get("/auth/me").json["id"]
    assert admin.patch(f"/users/{uid}", json={"active": False}).status_code == 200
    assert coord.get("/auth/me").status_code == 401


def test_admin_adds_a_site(admin, coord_a):
    created = admin.post("/studies/ESCC-N3/sites", json={"code": "SITE-C", "name": "Third site", "country": "CN"})
    assert created.status_code == 201
    assert admin.post("/studies/ESCC-N3/sites", json={"code": "SITE-C", "name": "again"}).status_code == 409
    assert coord_a.post("/studies/ESCC-N3/sites", json={"code": "SITE-D", "name": "x"}).status_code == 403
    assert admin.post("/studies/ESCC-N3/sites", json={"code": "bad code", "name": "x"}).status_code == 422
