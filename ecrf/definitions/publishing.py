"""Publishing definitions: every version is stored once, with its hash, and never changed."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.services import Where, record_event
from ecrf.auth.principal import Principal
from ecrf.definitions.checks import check_set
from ecrf.definitions.files import DefinitionError, DefinitionFile, Problem
from ecrf.definitions.models import FormVersion
from ecrf.studies.models import Site, Study, StudyVersion


@dataclass
class PublishReport:
    published: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    sites_created: list[str] = field(default_factory=list)


def _immutability_problem(f: DefinitionFile, stored_hash: str | None) -> Problem | None:
    if stored_hash is None or stored_hash == f.content_hash:
        return None
    what = "form" if f.kind == "form" else "study"
    return Problem(f.source, "version",
                   f"{what} {f.oid} version {f.version} is already published with different content "
                   f"(published hash {stored_hash[:12]}, this file {f.content_hash[:12]}); a published "
                   f"version never changes: publish the change as version {f.version + 1} or later")


def publish(db: Session, files: list[DefinitionFile], principal: Principal) -> PublishReport:
    """Check all files together, then store the new versions; all or nothing."""
    stored_forms = {(fv.oid, fv.version): fv for fv in db.execute(select(FormVersion)).scalars()}
    stored_studies = {(s.study.oid, s.version): s for s in db.execute(select(StudyVersion)).scalars()}
    problems: list[Problem] = []
    for f in files:
        stored = (stored_forms if f.kind == "form" else stored_studies).get((f.oid, f.version))
        problem = _immutability_problem(f, stored.content_hash if stored else None)
        if problem:
            problems.append(problem)
    stored_anchors = {a["key"] for s in stored_studies.values() for a in s.content["anchors"]}
    problems += check_set(files, {k: v.content for k, v in stored_forms.items()}, stored_anchors)
    if problems:
        raise DefinitionError(problems)

    report = PublishReport()
    for f in sorted(files, key=lambda f: (f.kind != "form", f.oid, f.version)):
        label = f"{f.kind} {f.oid} v{f.version}"
        stored = (stored_forms if f.kind == "form" else stored_studies).get((f.oid, f.version))
        if stored is not None:
            report.unchanged.append(label)
            continue
        if f.kind == "form":
            db.add(FormVersion(oid=f.oid, version=f.version, title=f.content["title"], content=f.content,
                               content_hash=f.content_hash, source_path=f.source, loaded_by_id=principal.user_id))
            record_event(db, "definition.published", actor=principal, role=principal.role_label(None),
                         details={"kind": "form", "oid": f.oid, "version": f.version,
                                  "hash": f.content_hash, "source": f.source})
        else:
            report.sites_created += _publish_study(db, f, principal)
        report.published.append(label)
    db.flush()
    return report


def _publish_study(db: Session, f: DefinitionFile, principal: Principal) -> list[str]:
    study = db.execute(select(Study).where(Study.oid == f.oid)).scalar_one_or_none()
    if study is None:
        study = Study(oid=f.oid, title=f.content["title"], current_version=f.version)
        db.add(study)
        db.flush()
    elif f.version > study.current_version:
        study.current_version = f.version
        study.title = f.content["title"]
    db.add(StudyVersion(study_id=study.id, version=f.version, content=f.content, content_hash=f.content_hash,
                        source_path=f.source, loaded_by_id=principal.user_id))
    where = Where(study_id=study.id, study_oid=study.oid)
    record_event(db, "definition.published", where, actor=principal, role=principal.role_label(None),
                 details={"kind": "study", "oid": f.oid, "version": f.version, "hash": f.content_hash,
                          "source": f.source})
    existing = {s.code for s in db.execute(select(Site).where(Site.study_id == study.id)).scalars()}
    created = []
    for site in f.content["sites"]:
        if site["code"] in existing:
            continue
        db.add(Site(study_id=study.id, code=site["code"], name=site["name"], country=site.get("country"),
                    timezone=site.get("timezone"), active=True))
        record_event(db, "site.created", where, actor=principal, role=principal.role_label(None),
                     new_value=site["code"], details={"name": site["name"], "from": f.source})
        created.append(f"{f.oid}/{site['code']}")
    return created
