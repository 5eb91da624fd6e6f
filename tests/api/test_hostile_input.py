"""Hostile input gets a clear 4xx and changes nothing."""

from __future__ import annotations

import pytest


@pytest.fixture
def record(coord_a):
    subject = coord_a.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": "2026-01-05"}).json
    created = coord_a.post(f"/subjects/{subject['id']}/visits/SCR/forms/F_DM", json={"data": {"RFICVER": "1.0"}})
    return created.json, created.headers["ETag"]


def raw(client, method, path, body: bytes, content_type="application/json", token=None):
    return getattr(client.flask, method)(f"/api/v1{path}", data=body, content_type=content_type,
                                         headers={"Authorization": f"Bearer {client.token}"})


def unchanged(client, record):
    data, etag = record
    now = client.get(f"/records/{data['id']}")
    return now.json["data"] == data["data"] and now.headers["ETag"] == etag


@pytest.mark.parametrize("body, fragment", [
    (b'{"data": {"RFICVER": "a", "RFICVER": "b"}}', "repeats the key 'RFICVER'"),
    (b'{"data": {"HEIGHT": NaN}}', "NaN"),
    (b'{"data": ' + b'[' * 40 + b']' * 40 + b'}', "nested more than 32 levels"),
    (b'{"data": ' + b'[' * 5000 + b']' * 5000 + b'}', "nested more than 32 levels"),
    (b'{"data": {"RFICVER": "\xff\xfe"}}', "not valid UTF-8"),
    (b'{"data": {"RFICVER": "x"', "not valid JSON"),
])
def test_malformed_bodies_are_400_and_change_nothing(coord_a, record, body, fragment):
    response = raw(coord_a, "patch", f"/records/{record[0]['id']}", body)
    assert response.status_code == 400, response.json
    assert fragment in response.json["message"]
    assert unchanged(coord_a, record)


def test_oversized_body_is_413(coord_a, record):
    body = b'{"data": {"RFICVER": "' + b"x" * (2 * 1024 * 1024) + b'"}}'
    response = raw(coord_a, "patch", f"/records/{record[0]['id']}", body)
    assert response.status_code == 413 and response.json["code"] == 413
    assert unchanged(coord_a, record)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", ""])
def test_wrong_or_missing_content_type_is_415(coord_a, record, content_type):
    response = raw(coord_a, "patch", f"/records/{record[0]['id']}", b'{"data": {}}', content_type=content_type)
    assert response.status_code == 415
    assert unchanged(coord_a, record)


def test_huge_strings_in_text_items_are_refused(coord_a, record):
    data, etag = record
    for item in ("RFICVER", ):
        response = coord_a.patch(f"/records/{data['id']}", json={"data": {item: "x" * 100_000}},
                                 headers={"If-Match": etag})
        assert response.status_code == 422 and item in response.json["errors"]
    assert unchanged(coord_a, record)


@pytest.mark.parametrize("value", [
    "'; DROP TABLE record; --", "1 OR 1=1", "[AGE] >= 0 or true", "__import__('os').system('id')",
    "{{7*7}}", "<script>alert(1)</script>",
])
def test_injection_attempts_in_values_are_stored_as_text(coord_a, record, value):
    data, etag = record
    response = coord_a.patch(f"/records/{data['id']}", json={"data": {"RFICVER": value[:40]}}, headers={"If-Match": etag})
    assert response.status_code == 200
    assert coord_a.get(f"/records/{data['id']}").json["data"]["RFICVER"] == value[:40]
    assert coord_a.get("/studies/ESCC-N3/subjects").json["total"] == 1


@pytest.mark.parametrize("query", [
    "q=%27%20OR%201%3D1%20--", "q=%25", "q=_", "status=screening%27--", "site=RJH%27%20OR%20%271%27=%271",
])
def test_injection_attempts_in_filters(coord_a, record, query):
    response = coord_a.get(f"/studies/ESCC-N3/subjects?{query}")
    assert response.status_code in (200, 422)
    if response.status_code == 200:
        assert response.json["total"] == 0


@pytest.mark.parametrize("path", [
    "/records/..%2F..%2Fetc%2Fpasswd", "/records/1%00", "/subjects/-1", "/subjects/99999999999999999999",
    "/forms/..%2F..%2Fetc/versions", "/studies/..%2Fpasswd/schedule", "/records/1;DROP",
])
def test_path_traversal_and_odd_ids_are_404(coord_a, path):
    response = coord_a.get(path)
    assert response.status_code == 404 and response.json["code"] == 404
