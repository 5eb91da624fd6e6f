"""Serving and publishing definitions: schema checks, immutability, expression references."""

from __future__ import annotations

import copy

import pytest


def form_doc(admin, oid="F_AE", version=1):
    return copy.deepcopy(admin.get(f"/forms/{oid}/versions/{version}").json["definition"])


def next_version(admin, oid="F_AE"):
    """A version number not published yet (forms/ may already hold amendments)."""
    return max(v["version"] for v in admin.get(f"/forms/{oid}/versions").json["items"]) + 1


def test_forms_are_listed_with_versions_and_served_with_their_hash(coord_a):
    page = coord_a.get("/forms?per_page=100").json
    oids = {f["oid"] for f in page["items"]}
    assert {"F_AE", "F_LB", "F_RECIST", "F_RECIST_BL", "F_EX", "F_RT", "F_DM"} <= oids
    assert page["total"] == len(oids)
    versions = coord_a.get("/forms/F_AE/versions").json
    assert [v["version"] for v in versions["items"]][0] == 1
    one = coord_a.get("/forms/F_AE/versions/1").json
    assert len(one["content_hash"]) == 64
    assert one["definition"]["oid"] == "F_AE"
    assert coord_a.get("/forms/F_NOPE/versions").status_code == 404
    assert coord_a.get("/forms/F_AE/versions/9").status_code == 404


def test_pagination_of_forms(coord_a):
    first = coord_a.get("/forms?per_page=2&page=1").json
    second = coord_a.get("/forms?per_page=2&page=2").json
    assert len(first["items"]) == 2 and first["total"] > 2
    assert {f["oid"] for f in first["items"]}.isdisjoint({f["oid"] for f in second["items"]})
    assert coord_a.get("/forms?per_page=0").status_code == 422


def test_schema_invalid_definition_is_refused_with_path_and_reason(admin):
    doc = form_doc(admin)
    doc["version"] = new = next_version(admin)
    doc["groups"][0]["items"][0]["type"] = "strng"
    response = admin.post("/definitions", json={"documents": [doc]})
    assert response.status_code == 422
    assert "nothing was published" in response.json["message"]
    reasons = response.json["errors"]["documents[0]:groups[0].items[0].type"]
    assert any("'strng' is not one of" in reason for reason in reasons)
    assert new not in [v["version"] for v in admin.get("/forms/F_AE/versions").json["items"]]


def test_changed_content_under_a_published_version_is_refused(admin):
    doc = form_doc(admin)
    doc["title"] = doc["title"] + " (edited)"
    response = admin.post("/definitions", json={"documents": [doc]})
    assert response.status_code == 422
    message = " ".join(sum(response.json["errors"].values(), []))
    assert "form F_AE version 1 is already published with different content" in message
    assert "as version 2 or later" in message


def test_republishing_identical_content_is_a_no_op(admin):
    response = admin.post("/definitions", json={"documents": [form_doc(admin)]})
    assert response.status_code == 201
    assert response.json["published"] == [] and response.json["unchanged"] == ["form F_AE v1"]


def test_a_new_version_is_published_beside_the_old_one(admin):
    before = [v["version"] for v in admin.get("/forms/F_AE/versions").json["items"]]
    doc = form_doc(admin)
    doc["version"] = new = next_version(admin)
    doc["groups"][0]["items"].append({"oid": "AECOMM", "label": "Comment", "type": "text", "max_length": 200})
    response = admin.post("/definitions", json={"documents": [doc]})
    assert response.status_code == 201, response.json
    assert response.json["published"] == [f"form F_AE v{new}"]
    assert [v["version"] for v in admin.get("/forms/F_AE/versions").json["items"]] == before + [new]
    entries = admin.get("/audit?action=definition.published&limit=5").json["items"]
    assert entries[0]["details"]["oid"] == "F_AE" and entries[0]["details"]["version"] == new


@pytest.mark.parametrize("expression, expected", [
    ("[NOSUCH] = 1", "[NOSUCH] is not an item of this form"),
    ("[F_NOPE.X] = 1", "form F_NOPE is not defined"),
    ("[F_DM.NOSUCH] = 1", "form F_DM has no item NOSUCH"),
    ("[AETERM] = ", "expression does not parse"),
])
def test_expressions_are_parsed_and_their_items_must_exist(admin, expression, expected):
    doc = form_doc(admin)
    doc["version"] = next_version(admin)
    doc.setdefault("checks", []).append({"id": "BAD_CHECK", "assert": expression, "severity": "hard",
                                         "message": "x"})
    response = admin.post("/definitions", json={"documents": [doc]})
    assert response.status_code == 422
    assert any(expected in reason for reason in sum(response.json["errors"].values(), [])), response.json


def test_only_admins_publish(as_user, admin):
    doc = form_doc(admin)
    for user in ("coord_a", "inv_a", "monitor_a", "dm", "nobody"):
        assert as_user(user).post("/definitions", json={"documents": [doc]}).status_code == 403
