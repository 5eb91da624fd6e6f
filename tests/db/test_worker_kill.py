"""SIGKILL a server worker in the middle of writes: afterwards no half-written record, no change
without its audit entries, no audit entry without its change, and the hash chains verify."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from ecrf.audit.models import AuditEntry
from ecrf.entry.models import Record
from tests.support.server import Gunicorn

WRITERS = 6
RUN_SECONDS = 6.0


@pytest.fixture
def server(database, seeded):
    gunicorn = Gunicorn(database)
    yield gunicorn
    gunicorn.stop()


def replay(entries) -> dict:
    """Rebuild a record's data from its audit entries alone."""
    import json

    data: dict = {}
    for entry in entries:
        value = None if entry.new_value is None else json.loads(entry.new_value)
        if entry.group_oid:
            rows = data.setdefault(entry.group_oid, {})
            row = rows.setdefault(entry.group_row, {"_row": entry.group_row})
            if value is None:
                row.pop(entry.item_oid, None)
            else:
                row[entry.item_oid] = value
        elif value is None:
            data.pop(entry.item_oid, None)
        else:
            data[entry.item_oid] = value
    return data


def normalise(data: dict) -> dict:
    out = {}
    for key, value in data.items():
        if isinstance(value, list):
            out[key] = {row["_row"]: row for row in value if len(row) > 1}
        else:
            out[key] = value
    return {k: v for k, v in out.items() if v not in ({}, [])}


def test_killing_a_worker_mid_write_leaves_no_half_change(server, database, seeded):
    auth = {"Authorization": f"Bearer {seeded['coord_a']}"}
    status, subject, _ = server.request("POST", "/api/v1/studies/ESCC-LDRT/subjects",
                                        {"site": "WCH", "consent_date": "2026-01-05"}, auth)
    assert status == 201
    record_ids = []
    for visit in ("SCR",):
        for form in ("F_DM", "F_ECOG", "F_BASELINE"):
            status, body, _ = server.request("POST", f"/api/v1/subjects/{subject['id']}/visits/{visit}/forms/{form}",
                                             {"data": {}}, auth)
            assert status == 201, body
            record_ids.append(body["id"])
    stop = time.monotonic() + RUN_SECONDS
    outcomes: list[int] = []
    lock = threading.Lock()
    values = {"F_DM": ("RFICVER", lambda n: f"v{n}"), "F_ECOG": ("KPS", lambda n: (n % 10 + 1) * 10),
              "F_BASELINE": ("DIAGDAT", lambda n: f"2025-12-{n % 28 + 1:02d}")}
    forms = ["F_DM", "F_ECOG", "F_BASELINE"]

    def write(worker: int):
        n = 0
        while time.monotonic() < stop:
            index = (worker + n) % len(record_ids)
            item, make = values[forms[index]]
            try:
                status, body, headers = server.request("GET", f"/api/v1/records/{record_ids[index]}", None, auth)
                status, body, _ = server.request(
                    "PATCH", f"/api/v1/records/{record_ids[index]}", {"data": {item: make(n + worker * 1000)}},
                    {**auth, "If-Match": headers.get("ETag", "")})
            except (OSError, ValueError):
                status = -1  # the connection died with the worker
            with lock:
                outcomes.append(status)
            n += 1

    threads = [threading.Thread(target=write, args=(i,)) for i in range(WRITERS)]
    for t in threads:
        t.start()
    time.sleep(RUN_SECONDS / 3)
    killed = server.kill_worker()
    for t in threads:
        t.join()
    assert killed not in server.worker_pids()
    assert outcomes.count(200) > 10, outcomes
    assert set(outcomes) <= {200, 412, 409, 503, -1}, set(outcomes)

    engine = create_engine(database)
    try:
        with Session(engine) as db:
            for record_id in record_ids:
                record = db.get(Record, record_id)
                entries = list(db.execute(select(AuditEntry).where(
                    AuditEntry.record_id == record_id,
                    AuditEntry.action.in_(("item.entered", "item.changed"))).order_by(AuditEntry.id)).scalars())
                assert normalise(replay(entries)) == normalise(record.data), record_id
                changes = sum(1 for e in entries if e.action == "item.changed")
                assert record.version == 1 + changes  # one committed PATCH = one change = one version
    finally:
        engine.dispose()
    status, verify, _ = server.request("GET", "/api/v1/audit/verify", None,
                                       {"Authorization": f"Bearer {seeded['admin']}"})
    assert status == 200 and verify["ok"] is True, verify
