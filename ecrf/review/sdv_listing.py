"""What still needs source data verification in a study, per site (complete records only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.definitions.models import FormVersion
from ecrf.entry.compiled import compile_form
from ecrf.entry.models import Record, Subject, Visit
from ecrf.errors import RuleViolation
from ecrf.review import sdv
from ecrf.review.rules import VERIFIED
from ecrf.studies.models import Study

STATUS_FILTERS = ("pending", "not_verified", "partially_verified", "verified", "all")


def sdv_overview(db: Session, principal: Principal, study: Study, args: dict) -> dict:
    """Per-site counts, and the records matching ``status`` (default: not fully verified) with pending items."""
    principal.require(Action.READ_CLINICAL, study.id)
    sites = {s.id: s for s in study.sites}
    site_ids = principal.visible_site_ids(study.id, set(sites))
    if args.get("site"):
        wanted = next((s.id for s in study.sites if s.code == args["site"]), None)
        if wanted is None:
            raise RuleViolation("unknown site", errors={"site": [f"{study.oid} has no site {args['site']}"]})
        site_ids &= {wanted}
    statement = (select(Record, Subject, Visit).join(Subject, Record.subject_id == Subject.id)
                 .join(Visit, Record.visit_id == Visit.id)
                 .where(Subject.study_id == study.id, Subject.site_id.in_(site_ids or {-1}),
                        Record.status == "complete").order_by(Subject.code, Record.id))
    if args.get("form"):
        statement = statement.where(Record.form_oid == args["form"])
    rows = db.execute(statement).all()
    checks = sdv.verifications(db, [r.id for r, _, _ in rows])
    forms: dict[int, object] = {}
    per_site: dict[str, dict] = {sites[i].code: {"site": sites[i].code, "records": 0, "verified": 0,
                                                  "partially_verified": 0, "not_verified": 0, "items_with_values": 0,
                                                  "items_verified": 0}
                                for i in sorted(site_ids, key=lambda i: sites[i].code)}
    wanted_status = args.get("status") or "pending"
    listed = []
    for record, subject, visit in rows:
        if record.form_version_id not in forms:
            forms[record.form_version_id] = compile_form(db.get(FormVersion, record.form_version_id).content)
        state = sdv.record_sdv(forms[record.form_version_id], record, checks.get(record.id, {}))
        counts = per_site[sites[subject.site_id].code]
        counts["records"] += 1
        counts[state["status"]] += 1
        counts["items_with_values"] += state["items_with_values"]
        counts["items_verified"] += len(state["verified"])
        if wanted_status == "all" or state["status"] == wanted_status or (
                wanted_status == "pending" and state["status"] != VERIFIED):
            listed.append({"record_id": record.id, "subject_id": subject.id, "subject": subject.code,
                           "site": sites[subject.site_id].code, "visit_key": visit.key, "visit_repeat": visit.repeat,
                           "form_oid": record.form_oid, "form_version": record.form_version,
                           "sdv_status": state["status"], "pending_items": state["pending"]})
    page, per_page = args["page"], args["per_page"]
    return {"study": study.oid, "status": wanted_status, "sites": list(per_site.values()),
            "items": listed[(page - 1) * per_page: page * per_page], "page": page, "per_page": per_page,
            "total": len(listed)}
