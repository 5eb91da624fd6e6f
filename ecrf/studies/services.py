"""Reading studies and schedules; managing sites. Visibility follows the caller's roles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.services import Where, record_event
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.db import transaction_cache
from ecrf.definitions.models import FormVersion
from ecrf.errors import Conflict, NotFound
from ecrf.studies.models import Site, Study, StudyVersion


def visible_studies(db: Session, principal: Principal):
    statement = select(Study).order_by(Study.oid)
    if not (principal.is_global_admin or principal.is_system):
        statement = statement.where(Study.id.in_(principal.study_ids() or {-1}))
    return statement


def get_study(db: Session, principal: Principal, oid: str) -> Study:
    """A study the caller has a role in; 404 otherwise (no leak of existence)."""
    study = db.execute(select(Study).where(Study.oid == oid)).scalar_one_or_none()
    if study is None or not principal.can(Action.READ_STUDY, study.id):
        raise NotFound(f"study {oid} not found")
    return study


def current_definition(db: Session, study: Study) -> StudyVersion:
    return db.execute(select(StudyVersion).where(
        StudyVersion.study_id == study.id, StudyVersion.version == study.current_version)).scalar_one()


# Parsed study definitions by content hash. A published version never changes and the hash names
# its content, so every worker may keep them (bounded; a handful of versions exist).
_CONTENT_BY_HASH: dict[str, dict] = {}
_CONTENT_CACHE_SIZE = 64


def current_content(db: Session, study: Study) -> dict:
    """The content of the study's current version, parsed once per process. Shared: read only."""
    memo = transaction_cache(db).setdefault("study_content", {})
    key = (study.id, study.current_version)
    if key in memo:
        return memo[key]
    where = (StudyVersion.study_id == study.id, StudyVersion.version == study.current_version)
    digest = db.execute(select(StudyVersion.content_hash).where(*where)).scalar_one()
    content = _CONTENT_BY_HASH.get(digest)
    if content is None:
        content = db.execute(select(StudyVersion.content).where(*where)).scalar_one()
        if len(_CONTENT_BY_HASH) >= _CONTENT_CACHE_SIZE:
            _CONTENT_BY_HASH.clear()
        _CONTENT_BY_HASH[digest] = content
    memo[key] = content
    return content


def describe_study(db: Session, study: Study) -> dict:
    definition = current_definition(db, study).content
    return {
        "oid": study.oid,
        "title": study.title,
        "short_title": definition.get("short_title"),
        "version": study.current_version,
        "protocol": definition["protocol"],
        "arms": definition.get("arms", []),
        "anchors": definition["anchors"],
        "parameters": definition.get("parameters", {}),
        "sites": [{"code": s.code, "name": s.name, "country": s.country, "active": s.active}
                  for s in study.sites],
        "frozen": study.frozen_at is not None,
    }


def describe_schedule(db: Session, study: Study) -> dict:
    definition = current_definition(db, study).content
    titles = dict(db.execute(select(FormVersion.oid, FormVersion.title)).all())

    def forms(refs):
        return [{"form": r["form"], "version": r["version"], "title": titles.get(r["form"]),
                 "required": r.get("required", True), "show_if": r.get("show_if")} for r in refs]

    visits = [{
        "key": v["key"], "name": v["name"], "anchor": v["anchor"], "day": v["day"],
        "window_before": v["window"]["before"], "window_after": v["window"]["after"],
        "repeating": "repeat" in v, "repeat_every": v.get("repeat", {}).get("every"),
        "repeat_count": v.get("repeat", {}).get("count"), "repeat_until_day": v.get("repeat", {}).get("until_day"),
        "forms": forms(v["forms"]),
    } for v in definition["schedule"]]
    logs = [{"key": log["key"], "name": log["name"], "forms": forms(log["forms"])}
            for log in definition.get("logs", [])]
    unscheduled = definition.get("unscheduled")
    return {
        "study": study.oid,
        "version": study.current_version,
        "anchors": definition["anchors"],
        "visits": visits,
        "logs": logs,
        "unscheduled_forms": forms(unscheduled["forms"]) if unscheduled else [],
    }


def create_site(db: Session, principal: Principal, study: Study, code: str, name: str,
                country: str | None, timezone: str | None) -> Site:
    principal.require(Action.MANAGE_SITES, study.id)
    if db.execute(select(Site.id).where(Site.study_id == study.id, Site.code == code)).first():
        raise Conflict(f"site {code} already exists in {study.oid}", errors={"code": ["already exists"]})
    site = Site(study_id=study.id, code=code, name=name, country=country, timezone=timezone, active=True)
    db.add(site)
    db.flush()
    record_event(db, "site.created", Where(study_id=study.id, study_oid=study.oid, site_id=site.id,
                                           site_code=code), actor=principal, new_value=code,
                 details={"name": name})
    return site


def update_site(db: Session, principal: Principal, study: Study, code: str, changes: dict) -> Site:
    principal.require(Action.MANAGE_SITES, study.id)
    site = db.execute(select(Site).where(Site.study_id == study.id, Site.code == code)).scalar_one_or_none()
    if site is None:
        raise NotFound(f"site {code} not found")
    where = Where(study_id=study.id, study_oid=study.oid, site_id=site.id, site_code=code)
    for name, value in changes.items():
        if getattr(site, name) != value:
            record_event(db, "site.updated", where, actor=principal, item_oid=name,
                         old_value=getattr(site, name), new_value=value)
            setattr(site, name, value)
    return site
