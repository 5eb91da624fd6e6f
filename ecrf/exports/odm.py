"""The ODM 1.3.2 document, written incrementally: header, Study metadata, AdminData, then
ClinicalData one subject at a time, with the audit chain head as a closing annotation.

The generator opens its own session (one read transaction: a consistent snapshot on PostgreSQL
with REPEATABLE READ, and on SQLite's WAL), reads subjects in batches and yields the bytes of
each batch as soon as it is written, so memory stays flat whatever the study's size.
"""

from __future__ import annotations

import logging
from typing import Iterator

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ecrf.audit.chain import format_timestamp
from ecrf.db import sqlite_write_intent
from ecrf.exports import naming as n
from ecrf.exports.admin import MeaningInfo, SiteInfo, UserInfo, admin_element
from ecrf.exports.catalog import load_catalog
from ecrf.exports.clinical import subject_data
from ecrf.exports.metadata import study_element
from ecrf.exports.service import ExportPlan
from ecrf.exports.source import (load_bundles, signature_meanings_in_scope, snapshot_changed, subject_batches,
                                 transactions_changed, users_in_scope, with_entries)
from ecrf.exports.transactions import subject_transactions
from ecrf.exports.xml import NSMAP, element, sub
from ecrf.studies.models import Site, Study

log = logging.getLogger("ecrf.exports")
SOURCE_SYSTEM = "ecrf"
SOURCE_VERSION = "0.1.0"


class _Chunks:
    """A file-like sink for lxml's incremental writer; ``take`` hands over what was written."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> None:
        self._parts.append(bytes(data))

    def take(self) -> bytes:
        data, self._parts = b"".join(self._parts), []
        return data


def read_session(maker: sessionmaker) -> Session:
    db = maker()
    if db.get_bind().dialect.name == "postgresql":
        db.connection(execution_options={"isolation_level": "REPEATABLE READ", "postgresql_readonly": True})
    return db


def odm_chunks(maker: sessionmaker, plan: ExportPlan) -> Iterator[bytes]:
    token = sqlite_write_intent.set(False)
    db = read_session(maker)
    try:
        yield from _write(db, plan)
    except Exception:
        log.exception("ODM export %s failed while streaming", plan.file_oid)
        raise
    finally:
        db.rollback()
        db.close()
        sqlite_write_intent.reset(token)


def _write(db: Session, plan: ExportPlan) -> Iterator[bytes]:
    scope = plan.scope
    transactional = plan.options.get("type") == "transactional"
    study = db.get(Study, scope.study_id)
    catalog = load_catalog(db, study)
    mdv = n.mdv_oid(study.oid, catalog.current_version)
    sink = _Chunks()
    attrs = {"FileType": "Transactional" if transactional else "Snapshot", "FileOID": plan.file_oid,
             "CreationDateTime": format_timestamp(plan.started_at), "AsOfDateTime": format_timestamp(plan.started_at),
             "ODMVersion": "1.3.2", "Originator": "eCRF backend", "SourceSystem": SOURCE_SYSTEM,
             "SourceSystemVersion": SOURCE_VERSION, "Granularity": "All" if _whole(db, scope) else None,
             "Description": f"{study.oid} {'transactional' if transactional else 'snapshot'} export; "
                            f"audit chain head {plan.head.digest}"}
    with etree.xmlfile(sink, encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(n.tag("ODM"), {k: v for k, v in attrs.items() if v is not None}, nsmap=NSMAP):
            xf.write(study_element(catalog))
            xf.write(_admin(db, plan, catalog, mdv))
            xf.flush()
            yield sink.take()
            with xf.element(n.tag("ClinicalData"), {"StudyOID": study.oid, "MetaDataVersionOID": mdv}):
                changed = None
                if scope.since is not None:
                    changed = transactions_changed(scope.since) if transactional else snapshot_changed(scope.since)
                for batch in subject_batches(db, scope, changed):
                    bundles = load_bundles(db, scope, batch, transactional=transactional)
                    for bundle in with_entries(db, scope, bundles) if transactional else bundles:
                        xf.write(subject_transactions(catalog, bundle) if transactional
                                 else subject_data(catalog, bundle))
                        xf.flush()
                        yield sink.take()  # one subject at a time: the batch's text is never held whole
                    del bundles
                    db.expunge_all()
                xf.write(_chain_head(plan))
    yield sink.take()


def _whole(db: Session, scope) -> bool:
    all_sites = set(db.execute(select(Site.id).where(Site.study_id == scope.study_id)).scalars())
    return set(scope.site_ids) == all_sites and scope.subject_code is None and scope.since is None


def _admin(db: Session, plan: ExportPlan, catalog, mdv: str) -> etree._Element:
    from ecrf.review.meanings import all_meanings

    scope = plan.scope
    sites = [SiteInfo(s.code, s.name) for s in db.execute(
        select(Site).where(Site.id.in_(scope.site_ids or (-1,))).order_by(Site.code)).scalars()]
    users = [UserInfo(*row) for row in users_in_scope(db, scope)]
    used = set(signature_meanings_in_scope(db, scope))
    meanings = [MeaningInfo(m.code, m.label, m.statement) for m in all_meanings() if m.code in used]
    return admin_element(scope.study_oid, mdv, catalog.current.loaded_at.date(), users, sites, meanings)


def _chain_head(plan: ExportPlan) -> etree._Element:
    """The audit chain head at the start of the export, as a study-level annotation."""
    holder = element("Annotations")
    note = sub(holder, "Annotation", {"SeqNum": 1})
    sub(note, "Comment", {"SponsorOrSite": "Sponsor"},
        f"audit-chain-head sha256={plan.head.digest} chains={plan.head.chains} entries={plan.head.entries} "
        f"as-of={format_timestamp(plan.started_at)}")
    return holder
