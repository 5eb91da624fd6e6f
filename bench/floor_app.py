"""The framework floor: the least a Flask service can do for one audited save.

Per request it parses a JSON body, inserts it as one JSON row and one audit-like row (with a
SHA-256 over the previous row's hash, like the audit chain), commits, and answers JSON. It uses
the app's own engine factory (:func:`ecrf.db.make_engine`), so SQLite gets the same pragmas
(WAL, busy timeout, synchronous=NORMAL) and ``BEGIN IMMEDIATE`` transactions, and PostgreSQL
the same pool. It runs under the same gunicorn settings as the app (see bench/servers.py).

``gunicorn 'bench.floor_app:create_app()'`` with ``BENCH_FLOOR_DATABASE_URL`` set.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid

from flask import Flask, jsonify, request
from sqlalchemy import (BigInteger, Column, Integer, MetaData, String, Table, Text, func, insert, select,
                        text)

from ecrf.db import make_engine, utcnow

metadata = MetaData()
BigId = BigInteger().with_variant(Integer(), "sqlite")
floor_record = Table(
    "floor_record", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("data", Text, nullable=False),
    Column("created_at", Text, nullable=False),
)
floor_audit = Table(
    "floor_audit", metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("record_id", Integer, nullable=False, index=True),
    Column("request_id", String(64)),
    Column("occurred_at", Text, nullable=False),
    Column("new_value", Text),
    Column("entry_hash", String(64), nullable=False),
)


def create_tables(database_url: str) -> None:
    """Run once by the harness before the workers start (workers must not race to create)."""
    engine = make_engine(database_url)
    metadata.create_all(engine)
    engine.dispose()


def create_app(database_url: str | None = None) -> Flask:
    url = database_url or os.environ["BENCH_FLOOR_DATABASE_URL"]
    engine = make_engine(url, int(os.environ.get("ECRF_DB_POOL_SIZE", 5)),
                         int(os.environ.get("ECRF_DB_MAX_OVERFLOW", 5)))
    app = Flask(__name__)

    @app.get("/health")
    def health():
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"status": "ok"}

    @app.post("/records")
    def save():
        body = request.get_json()
        data = json.dumps(body["data"], sort_keys=True, separators=(",", ":"))
        now = utcnow().isoformat()
        with engine.begin() as connection:
            record_id = connection.execute(
                insert(floor_record).values(data=data, created_at=now).returning(floor_record.c.id)).scalar_one()
            digest = hashlib.sha256(f"{record_id}\n{now}\n{data}".encode()).hexdigest()
            connection.execute(insert(floor_audit).values(record_id=record_id, request_id=uuid.uuid4().hex,
                                                          occurred_at=now, new_value=data, entry_hash=digest))
        return jsonify({"id": record_id, "data": body["data"]}), 201

    @app.get("/records/count")
    def count():
        with engine.connect() as connection:
            return {"records": connection.execute(select(func.count()).select_from(floor_record)).scalar_one()}

    return app
