"""Peak memory of the ODM export against study size (not a test; see bench/README.md).

For each size, a fresh database is migrated and seeded like the test suite, one complete
ESCC-N3 subject is entered through the API (tests/support/casebook.py), and it is cloned in bulk
to N subjects: subject, anchors, visits, records and the subject's audit trail (re-chained with
valid hashes and chain heads). Then a separate process, started fresh for each measurement, runs
the export through the app (streamed, chunks counted and dropped) and reports its peak RSS, the
peak of Python allocations during the export (tracemalloc) and the time taken.

    .venv/bin/python -m bench.export_memory                      # 100, 500 and 1000 subjects, SQLite
    .venv/bin/python -m bench.export_memory --sizes 100 500 --types snapshot
    .venv/bin/python -m bench.export_memory --postgres postgresql+psycopg://user@host/db_prefix_
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from bench.dataset import make_app, prepare

TABLES = ("subject", "subject_anchor", "visit", "record", "audit_entry")


def template_subject(url: str, tokens: dict[str, str]) -> int:
    from tests.support.casebook import walk_subject
    from tests.support.client import ApiClient

    app = make_app(url)
    coord = ApiClient(app.test_client(), token=tokens["coord_a"])
    inv = ApiClient(app.test_client(), token=tokens["inv_a"])
    walk = walk_subject(coord, "ESCC-N3", "RJH", investigator=inv)
    app.extensions["ecrf.engine"].dispose()
    return walk.subject_id


def clone(url: str, subject_id: int, copies: int, batch: int = 100) -> None:
    """``copies`` more subjects like the template, with their own ids, codes and audit chains."""
    from ecrf.audit.chain import GENESIS_HASH, HASHED_FIELDS, entry_hash
    from ecrf.audit.models import AuditChainHead
    from ecrf.db import Base, utcnow
    import ecrf.models  # noqa: F401

    engine = create_engine(url)
    meta = Base.metadata
    with engine.begin() as conn:
        rows = {
            "subject": [dict(r._mapping) for r in conn.execute(select(meta.tables["subject"]).where(text(f"id = {subject_id}")))],
            "subject_anchor": [dict(r._mapping) for r in conn.execute(select(meta.tables["subject_anchor"]).where(text(f"subject_id = {subject_id}")))],
            "visit": [dict(r._mapping) for r in conn.execute(select(meta.tables["visit"]).where(text(f"subject_id = {subject_id}")))],
            "record": [dict(r._mapping) for r in conn.execute(select(meta.tables["record"]).where(text(f"subject_id = {subject_id}")))],
            "audit_entry": [dict(r._mapping) for r in conn.execute(select(meta.tables["audit_entry"]).where(
                text(f"subject_id = {subject_id}")).order_by(text("chain_seq")))],
        }
        next_id = {t: (conn.execute(select(func.max(meta.tables[t].c.id))).scalar() or 0) + 1 for t in TABLES}
    for start in range(0, copies, batch):
        out: dict[str, list] = {t: [] for t in TABLES}
        heads = []
        for n in range(start, min(copies, start + batch)):
            sid, code = next_id["subject"], f"RJH-{n + 2:05d}"
            next_id["subject"] += 1
            out["subject"].append({**rows["subject"][0], "id": sid, "code": code})
            for anchor in rows["subject_anchor"]:
                out["subject_anchor"].append({**anchor, "id": next_id["subject_anchor"], "subject_id": sid})
                next_id["subject_anchor"] += 1
            visits = {}
            for visit in rows["visit"]:
                visits[visit["id"]] = next_id["visit"]
                out["visit"].append({**visit, "id": next_id["visit"], "subject_id": sid})
                next_id["visit"] += 1
            records = {}
            for record in rows["record"]:
                records[record["id"]] = next_id["record"]
                out["record"].append({**record, "id": next_id["record"], "subject_id": sid,
                                      "visit_id": visits[record["visit_id"]]})
                next_id["record"] += 1
            prev = GENESIS_HASH
            for entry in rows["audit_entry"]:
                fields = {**entry, "id": next_id["audit_entry"], "chain_key": f"subject:{sid}", "subject_id": sid,
                          "subject_code": code, "record_id": records.get(entry["record_id"])}
                fields["prev_hash"] = prev
                fields["entry_hash"] = prev = entry_hash(prev, {k: fields[k] for k in HASHED_FIELDS})
                out["audit_entry"].append(fields)
                next_id["audit_entry"] += 1
            heads.append({"chain_key": f"subject:{sid}", "seq": len(rows["audit_entry"]), "head_hash": prev,
                          "updated_at": utcnow()})
        with engine.begin() as conn:
            for table in TABLES:
                conn.execute(meta.tables[table].insert(), out[table])
            conn.execute(AuditChainHead.__table__.insert(), heads)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in TABLES:
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    engine.dispose()


def current_rss_mib() -> float:
    with open("/proc/self/status") as status:
        line = next(line for line in status if line.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


class RssSampler(threading.Thread):
    """The highest resident set size seen while the export runs (sampled every 5 ms)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak, self.running = current_rss_mib(), True

    def run(self) -> None:
        while self.running:
            self.peak = max(self.peak, current_rss_mib())
            time.sleep(0.005)


def measure(url: str, token: str, kind: str, traced: str = "1") -> dict:
    """In this (fresh) process: warm up on one subject, then export the whole study."""
    from tests.support.client import ApiClient

    app = make_app(url)
    client = ApiClient(app.test_client(), token=token)

    def run(query: str) -> tuple[int, float]:
        started, size = time.perf_counter(), 0
        response = client.get(f"/studies/ESCC-N3/export/odm?type={kind}{query}", buffered=False)
        assert response.status_code == 200, response.status_code
        for chunk in response.iter_encoded():
            size += len(chunk)
        response.close()
        return size, time.perf_counter() - started

    run("&subject=RJH-001")  # imports, caches and connections, as a running server has them
    gc.collect()
    idle = current_rss_mib()
    if traced == "1":
        tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0] if traced == "1" else 0
    sampler = RssSampler()
    sampler.start()
    size, seconds = run("")
    sampler.running = False
    sampler.join()
    growth = (tracemalloc.get_traced_memory()[1] - before) / 2**20 if traced == "1" else None
    return {"bytes": size, "seconds": round(seconds, 2), "idle_rss_mib": round(idle, 1),
            "peak_rss_mib": round(sampler.peak, 1), "rss_growth_mib": round(sampler.peak - idle, 1),
            "traced_growth_mib": None if growth is None else round(growth, 2)}


def build(url: str, subjects: int) -> str:
    tokens = prepare(url)
    template = template_subject(url, tokens)
    clone(url, template, subjects - 1)
    return tokens["dm"]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 500, 1000])
    parser.add_argument("--types", nargs="+", default=["snapshot", "transactional"])
    parser.add_argument("--postgres", help="URL prefix of PostgreSQL databases to create (db name is appended)")
    parser.add_argument("--no-tracemalloc", action="store_true", help="RSS only (tracemalloc slows the export)")
    parser.add_argument("--measure", nargs=4, metavar=("URL", "TOKEN", "TYPE", "TRACED"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return
    logging.getLogger("ecrf").setLevel(logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="ecrf-export-bench-"))
    print(f"{'subjects':>8} {'type':>13} {'MiB out':>8} {'seconds':>8} {'idle RSS':>9} {'peak RSS':>9} "
          f"{'RSS growth':>11} {'heap growth':>12}  (MiB)")
    for size in args.sizes:
        url = f"{args.postgres}{size}" if args.postgres else f"sqlite:///{root / f'export-{size}.db'}"
        if args.postgres:
            _create_pg(args.postgres, size)
        token = build(url, size)
        for kind in args.types:
            env = {**os.environ, "ECRF_LOG_LEVEL": "WARNING"}
            traced = "0" if args.no_tracemalloc else "1"
            result = subprocess.run([sys.executable, "-m", "bench.export_memory", "--measure", url, token, kind, traced],
                                    capture_output=True, text=True, env=env, check=True)
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"{size:>8} {kind:>13} {figures['bytes'] / 2**20:>8.1f} {figures['seconds']:>8} "
                  f"{figures['idle_rss_mib']:>9} {figures['peak_rss_mib']:>9} {figures['rss_growth_mib']:>11} "
                  f"{str(figures['traced_growth_mib']):>12}",
                  flush=True)


def _create_pg(prefix: str, size: int) -> None:
    import psycopg

    base, name = prefix.rsplit("/", 1)
    admin = base.replace("postgresql+psycopg://", "postgresql://") + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name}{size}")
        conn.execute(f"CREATE DATABASE {name}{size}")


if __name__ == "__main__":
    main()
