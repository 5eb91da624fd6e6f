"""Databases for the benchmarks: migrated, seeded like the test suite, then filled in bulk.

Subjects and records are made in-process through the service layer (one transaction per batch,
as a CLI command would), so they are exactly what the API would have made. Audit entries for
the review benchmark are generated directly, with valid hash chains and chain heads, because
going through the API would take hours for a million of them.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import replace

from ecrf.config import load_settings

BENCH_SECRET = "bench-secret-key-not-for-production"
STUDY = "ESCC-N3"
SITE = "RJH"  # coord_a's site in ESCC-N3 (tests/support/seed.py)
OTHER_SITE = "N3-B"


def settings_for(url: str):
    return replace(load_settings(env={"ECRF_DATABASE_URL": url, "ECRF_SECRET_KEY": BENCH_SECRET,
                                      "ECRF_LOG_LEVEL": "WARNING"}), secret_key=BENCH_SECRET)


def make_app(url: str):
    from ecrf.app import create_app

    return create_app(settings_for(url))


def prepare(url: str) -> dict[str, str]:
    """Migrate, publish forms/, create the test suite's users; returns their API tokens."""
    from ecrf.migrate import upgrade
    from tests.support.seed import seed

    upgrade(url)
    app = make_app(url)
    try:
        return seed(app)
    finally:
        app.extensions["ecrf.engine"].dispose()


def lab_data(day: dt.date, n: int = 0) -> dict:
    """A complete, valid F_LB record (40 items; normal values, SI units, reference limits)."""
    return {
        "LBPERF": "Y", "LBDAT": day.isoformat(), "LBNAM": "Central laboratory",
        "LBHGB": str(125 + n % 20), "LBHGBU": "G_L", "LBHGBLO": "130", "LBHGBHI": "175",
        "LBWBC": "6.20", "LBWBCU": "E9_L", "LBWBCLO": "3.50", "LBWBCHI": "9.50",
        "LBANC": "3.90", "LBANCU": "E9_L", "LBANCLO": "1.80", "LBANCHI": "6.30",
        "LBPLT": "215.0", "LBPLTU": "E9_L", "LBPLTLO": "125.0", "LBPLTHI": "350.0",
        "LBALT": "22", "LBALTU": "U_L", "LBALTLO": "9", "LBALTHI": "50",
        "LBAST": "25", "LBASTU": "U_L", "LBASTLO": "15", "LBASTHI": "40",
        "LBBILI": "11.20", "LBBILIU": "UMOL_L", "LBBILILO": "3.40", "LBBILIHI": "20.50",
        "LBCREAT": "72.00", "LBCREATU": "UMOL_L", "LBCREATLO": "57.00", "LBCREATHI": "111.00",
        "LBALB": "41.0", "LBALBU": "G_L", "LBALBLO": "40.0", "LBALBHI": "55.0",
        "LBHCG": "NA",
    }


def enrol_subjects(url: str, count: int, study_oid: str = STUDY, site_code: str = SITE, batch: int = 250,
                   records: tuple[tuple[str, str], ...] = ()) -> list[int]:
    """Enrol ``count`` subjects through the service layer; optionally enter records
    (``(visit_key, form_oid)``, complete F_LB data) for each. Returns the subject ids."""
    from flask import g
    from sqlalchemy import select

    from ecrf.auth.principal import SYSTEM
    from ecrf.cli import unit_of_work
    from ecrf.entry import records as record_services
    from ecrf.entry.subjects import enrol, get_visit
    from ecrf.studies.models import Study

    app = make_app(url)
    ids: list[int] = []
    consent = dt.date.today() - dt.timedelta(days=30)
    try:
        while len(ids) < count:
            with app.app_context(), unit_of_work() as db:
                study = db.execute(select(Study).where(Study.oid == study_oid)).scalar_one()
                for _ in range(min(batch, count - len(ids))):
                    subject = enrol(db, SYSTEM, study, site_code=site_code, consent_date=consent)
                    for n, (visit_key, form_oid) in enumerate(records):
                        visit = get_visit(db, subject, visit_key, 1)
                        data = lab_data(consent + dt.timedelta(days=n), len(ids)) if form_oid == "F_LB" else {}
                        record, _ = record_services.create_record(db, SYSTEM, subject, visit, form_oid, data, None)
                        record_services.complete_record(db, SYSTEM, record, subject, f'"r{record.id}-v{record.version}"',
                                                        None)
                    ids.append(subject.id)
                g.pop("principal", None)
    finally:
        app.extensions["ecrf.engine"].dispose()
    return ids


def draft_records(url: str, slots: list[tuple[int, str, int]]) -> list[int]:
    """An F_LB draft (complete data) at each ``(subject_id, visit_key, repeat)``; returns record ids."""
    from ecrf.auth.principal import SYSTEM
    from ecrf.cli import unit_of_work
    from ecrf.entry import records as record_services
    from ecrf.entry.models import Subject
    from ecrf.entry.subjects import get_visit

    app = make_app(url)
    out = []
    try:
        with app.app_context(), unit_of_work() as db:
            for n, (subject_id, visit_key, repeat) in enumerate(slots):
                subject = db.get(Subject, subject_id)
                visit = get_visit(db, subject, visit_key, repeat)
                record, _ = record_services.create_record(db, SYSTEM, subject, visit, "F_LB",
                                                          lab_data(dt.date.today() - dt.timedelta(days=1), n), None)
                out.append(record.id)
    finally:
        app.extensions["ecrf.engine"].dispose()
    return out


def lookup(url: str) -> dict:
    """Ids the audit generator needs: studies, sites, users."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    try:
        with engine.connect() as c:
            studies = {oid: sid for sid, oid in c.execute(text("SELECT id, oid FROM study"))}
            sites = {(sid, code): site_id for site_id, sid, code in c.execute(text("SELECT id, study_id, code FROM site"))}
            users = {name: (uid, full) for uid, name, full in c.execute(text("SELECT id, username, full_name FROM user_account"))}
    finally:
        engine.dispose()
    return {"studies": studies, "sites": sites, "users": users}


LB_ITEMS = list(lab_data(dt.date(2026, 1, 1)))
ACTIONS_PER_RECORD = ["record.created"] + ["item.entered"] * len(LB_ITEMS) + ["record.completed"]
PERIOD = (dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc), dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc))
WRITERS = {"A": ("coord_a", "inv_a"), "B": ("coord_b", "inv_b")}
SITE_CODES = {"ESCC-N3": {"A": "RJH", "B": "N3-B"}, "ESCC-LDRT": {"A": "WCH", "B": "LDRT-B"}}


def synthetic_audit(url: str, total: int, per_subject: int = 420, seed: int = 7, batch: int = 20000) -> dict:
    """Fill ``audit_entry`` with ``total`` entries over generated subjects of the two studies.

    Each subject's history is a run of lab records (record.created, one item.entered per item,
    record.completed) at random times over :data:`PERIOD`, entered by its site's coordinator or
    investigator. Every subject has ``per_subject`` entries, so the first one (the probe, at site A
    of ESCC-N3) has the same history whatever the total. Subjects are real rows; entries are
    inserted in time order with valid hashes and chain heads (``ecrf audit verify`` holds).
    """
    from sqlalchemy import create_engine, insert, select

    from ecrf.audit.chain import GENESIS_HASH, entry_hash
    from ecrf.audit.models import AuditChainHead, AuditEntry
    from ecrf.audit.services import encode_value
    from ecrf.entry.models import Subject

    rng = random.Random(seed)
    ids = lookup(url)
    start, end = PERIOD
    span = (end - start).total_seconds()
    n_subjects = max(1, -(-total // per_subject))
    study_oids = sorted(ids["studies"])
    engine = create_engine(url)
    try:
        with engine.begin() as c:
            first_id = (c.execute(select(Subject.id).order_by(Subject.id.desc()).limit(1)).scalar() or 0) + 1
            subjects, subject_rows = [], []
            for s in range(n_subjects):
                oid = STUDY if s == 0 else study_oids[s % len(study_oids)]
                letter = "A" if s == 0 else rng.choice("AB")
                site = SITE_CODES[oid][letter]
                study_id = ids["studies"][oid]
                code = f"{site}-G{s:06d}"
                subjects.append((first_id + s, oid, letter, study_id, site, code))
                subject_rows.append({"id": first_id + s, "study_id": study_id, "site_id": ids["sites"][(study_id, site)],
                                     "code": code, "study_version": 1, "status": "on_treatment", "version": 1,
                                     "created_at": start})
            for i in range(0, len(subject_rows), batch):
                c.execute(insert(Subject.__table__), subject_rows[i:i + batch])
        events = []  # (time, subject index, record number, position in the record)
        left_total = total
        for s in range(n_subjects):
            entries = min(per_subject, left_total)
            left_total -= entries
            records = -(-entries // len(ACTIONS_PER_RECORD))
            for r, when in enumerate(sorted(start + dt.timedelta(seconds=rng.random() * span) for _ in range(records))):
                for k in range(min(len(ACTIONS_PER_RECORD), entries - r * len(ACTIONS_PER_RECORD))):
                    events.append((when + dt.timedelta(milliseconds=k), s, r, k))
        events.sort()
        heads: dict[str, tuple[int, str, dt.datetime]] = {}
        rows: list[dict] = []
        with engine.begin() as c:
            for when, s, r, k in events:
                subject_id, oid, letter, study_id, site, code = subjects[s]
                username = WRITERS[letter][(s + r) % 2]
                uid, full = ids["users"][username]
                action = ACTIONS_PER_RECORD[k]
                item = LB_ITEMS[k - 1] if action == "item.entered" else None
                key = f"subject:{subject_id}"
                seq, prev, _ = heads.get(key, (0, GENESIS_HASH, when))
                fields = {
                    "chain_key": key, "chain_seq": seq + 1, "occurred_at": when, "request_id": f"bench{s:07d}r{r:04d}",
                    "action": action, "user_id": uid, "username": username, "user_name": full,
                    "user_role": "coordinator" if username.startswith("coord") else "investigator",
                    "study_id": study_id, "study_oid": oid, "site_id": ids["sites"][(study_id, site)], "site_code": site,
                    "subject_id": subject_id, "subject_code": code, "visit_key": "CYCLE", "visit_repeat": r + 1,
                    "form_oid": "F_LB", "form_version": 1, "record_id": None, "item_oid": item, "group_oid": None,
                    "group_row": None, "old_value": None,
                    "new_value": encode_value(str(100 + (s + r + k) % 50)) if item else None,
                    "reason": None, "details": {"repeat": r + 1} if action == "record.created" else None,
                }
                digest = entry_hash(prev, fields)
                fields["prev_hash"], fields["entry_hash"] = prev, digest
                heads[key] = (seq + 1, digest, when)
                rows.append(fields)
                if len(rows) >= batch:
                    c.execute(insert(AuditEntry.__table__), rows)
                    rows = []
            if rows:
                c.execute(insert(AuditEntry.__table__), rows)
            head_rows = [{"chain_key": k, "seq": seq, "head_hash": h, "updated_at": when}
                         for k, (seq, h, when) in heads.items()]
            for i in range(0, len(head_rows), batch):
                c.execute(insert(AuditChainHead.__table__), head_rows[i:i + batch])
        if engine.dialect.name == "postgresql":  # autovacuum would analyze the new rows within a minute
            with engine.connect() as c:
                c.exec_driver_sql("ANALYZE")
                c.commit()
    finally:
        engine.dispose()
    return {"probe_subject_id": subjects[0][0], "probe_entries": min(per_subject, total), "subjects": n_subjects,
            "entries": len(events), "period": [start.isoformat(), end.isoformat()]}
