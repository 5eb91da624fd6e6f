"""The definitions an export of one study needs: its published versions and their forms.

One ODM MetaDataVersion per published study version. The current one also names every form
version that a record of the study actually uses, so that every FormData resolves even after a
CRF version migration left records on a version the schedule no longer names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.definitions.models import FormVersion
from ecrf.entry import schedule
from ecrf.entry.compiled import CompiledForm, compile_form
from ecrf.entry.models import Record, Subject, Visit
from ecrf.studies.models import Study, StudyVersion


@dataclass(frozen=True)
class StudyVersionDef:
    version: int
    content: dict
    loaded_at: dt.datetime


@dataclass
class Catalog:
    study_oid: str
    title: str
    current_version: int
    versions: list[StudyVersionDef]
    forms: dict[tuple[str, int], dict]
    # visit key -> form versions used by records there but not named by the current schedule
    extra_refs: dict[str, set[tuple[str, int]]] = field(default_factory=dict)
    _compiled: dict = field(default_factory=dict, repr=False)
    _repeats: dict = field(default_factory=dict, repr=False)

    @property
    def current(self) -> StudyVersionDef:
        return next(v for v in self.versions if v.version == self.current_version)

    def compiled(self, form_oid: str, version: int) -> CompiledForm:
        key = (form_oid, version)
        if key not in self._compiled:
            self._compiled[key] = compile_form(self.forms[key])
        return self._compiled[key]

    def form_content(self, form_oid: str, version: int) -> dict:
        return self.forms[(form_oid, version)]

    def scheduled_version(self, visit_key: str, form_oid: str) -> int | None:
        """The version of a form the current schedule collects at a visit key."""
        ref = next((r for r in schedule.forms_for(self.current.content, visit_key) if r["form"] == form_oid), None)
        return ref["version"] if ref else None

    def events(self, content: dict) -> list[dict]:
        """Every study event of a study version: scheduled visits, logs, then unscheduled."""
        out = [{"key": v["key"], "name": v["name"], "kind": "scheduled", "repeating": "repeat" in v,
                "forms": v["forms"]} for v in content["schedule"]]
        out += [{"key": log["key"], "name": log["name"], "kind": "log", "repeating": False, "forms": log["forms"]}
                for log in content.get("logs", [])]
        if "unscheduled" in content:
            out.append({"key": schedule.UNSCHEDULED, "name": content["unscheduled"].get("name", "Unscheduled visit"),
                        "kind": "unscheduled", "repeating": True, "forms": content["unscheduled"]["forms"]})
        return out

    def event_repeats(self, visit_key: str) -> bool:
        if not self._repeats:
            self._repeats.update({e["key"]: e["repeating"] for e in self.events(self.current.content)})
        return self._repeats.get(visit_key, True)


def referenced_forms(content: dict) -> set[tuple[str, int]]:
    refs = [r for v in content["schedule"] for r in v["forms"]]
    refs += [r for log in content.get("logs", []) for r in log["forms"]]
    refs += list(content.get("unscheduled", {}).get("forms", []))
    return {(r["form"], r["version"]) for r in refs}


def load_catalog(db: Session, study: Study) -> Catalog:
    versions = [StudyVersionDef(v.version, v.content, v.loaded_at) for v in db.execute(
        select(StudyVersion).where(StudyVersion.study_id == study.id).order_by(StudyVersion.version)).scalars()]
    wanted: set[tuple[str, int]] = set()
    for version in versions:
        wanted |= referenced_forms(version.content)
    used = db.execute(select(Visit.key, Record.form_oid, Record.form_version).distinct()
                      .join(Visit, Visit.id == Record.visit_id).join(Subject, Subject.id == Record.subject_id)
                      .where(Subject.study_id == study.id)).all()
    catalog = Catalog(study.oid, study.title, study.current_version, versions, {})
    current = next(v for v in versions if v.version == study.current_version)
    for visit_key, form_oid, form_version in used:
        wanted.add((form_oid, form_version))
        named = {(r["form"], r["version"]) for r in schedule.forms_for(current.content, visit_key)}
        if (form_oid, form_version) not in named:
            catalog.extra_refs.setdefault(visit_key, set()).add((form_oid, form_version))
    rows = db.execute(select(FormVersion.oid, FormVersion.version, FormVersion.content)).all()
    catalog.forms = {(oid, version): content for oid, version, content in rows if (oid, version) in wanted}
    return catalog
