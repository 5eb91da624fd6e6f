"""Structured logs: one JSON line per request, with the request id that the audit trail stores."""

from __future__ import annotations

import io
import json
import logging

import pytest

from ecrf.logging import JsonFormatter


@pytest.fixture
def access_lines(app):
    """The JSON lines the app's loggers write during the test (at INFO)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("ecrf")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_save_logs_one_json_line_with_the_request_id_its_audit_entries_carry(coord_a, as_user, access_lines):
    subject = coord_a.post("/studies/ESCC-N3/subjects", json={"site": "RJH", "consent_date": "2026-01-05"}).json
    saved = coord_a.post(f"/subjects/{subject['id']}/visits/SCR/forms/F_ECOG",
                         json={"data": {"ECOGDAT": "2026-01-06", "ECOG": 1, "KPS": 80}},
                         headers={"X-Request-ID": "site-client-0042"})
    assert saved.status_code == 201 and saved.headers["X-Request-ID"] == "site-client-0042"
    lines = [line for line in access_lines() if line.get("request_id") == "site-client-0042"]
    assert len(lines) == 1
    line = lines[0]
    assert (line["logger"], line["level"], line["method"], line["status"]) == ("ecrf.access", "info", "POST", 201)
    assert line["path"] == f"/api/v1/subjects/{subject['id']}/visits/SCR/forms/F_ECOG"
    assert line["user_id"] is not None and line["duration_ms"] >= 0 and line["time"].endswith("Z")
    trail = as_user("dm").get(f"/audit?record={saved.json['id']}").json["items"]
    assert trail and {entry["request_id"] for entry in trail} == {"site-client-0042"}
    unnamed = coord_a.get(f"/records/{saved.json['id']}")
    generated = unnamed.headers["X-Request-ID"]
    assert generated and generated != "site-client-0042"
    assert [line["request_id"] for line in access_lines() if line["path"].endswith(f"/records/{saved.json['id']}")] \
        == [generated]
