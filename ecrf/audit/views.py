"""``/audit``: review the trail (filtered, paginated) and verify its hash chains."""

from __future__ import annotations

import json

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from ecrf.audit.queries import AuditFilter, audit_page
from ecrf.audit.schemas import AuditArgs, AuditPage, VerifyArgs, VerifyOut
from ecrf.audit.verify import study_chain_filter, verify_chains
from ecrf.auth.models import User
from ecrf.auth.principal import current_principal
from ecrf.auth.roles import Action
from ecrf.db import get_session
from ecrf.errors import Forbidden, RuleViolation
from ecrf.studies.models import Site
from ecrf.studies.services import get_study

blp = Blueprint("audit", __name__, url_prefix="/audit", description="Audit trail review and verification")


def _decode(text):
    return None if text is None else json.loads(text)


def present(entry) -> dict:
    """The entry's columns, with stored JSON values decoded back to their types."""
    data = {column.key: getattr(entry, column.key) for column in entry.__table__.columns}
    data["old_value"], data["new_value"] = _decode(entry.old_value), _decode(entry.new_value)
    return data


@blp.route("")
class AuditTrail(MethodView):
    @blp.arguments(AuditArgs, location="query")
    @blp.response(200, AuditPage)
    def get(self, args):
        """Audit entries the caller may see, newest or oldest first, by keyset pages."""
        db = get_session()
        principal = current_principal()
        study = get_study(db, principal, args["study"]) if "study" in args else None
        site_id = None
        if "site" in args:
            if study is None:
                raise RuleViolation("site needs study", errors={"site": ["give study too"]})
            site_id = db.execute(select(Site.id).where(Site.study_id == study.id, Site.code == args["site"])).scalar()
            if site_id is None:
                raise RuleViolation("unknown site", errors={"site": [f"no site {args['site']} in {study.oid}"]})
        user_id = None
        if "user" in args:
            user_id = db.execute(select(User.id).where(User.username == args["user"].lower())).scalar() or -1
        flt = AuditFilter(study_id=study.id if study else None, site_id=site_id, subject_id=args.get("subject"),
                          record_id=args.get("record"), item_oid=args.get("item"), user_id=user_id,
                          action=args.get("action"), since=args.get("since"), until=args.get("until"),
                          newest_first=args["order"] == "newest")
        page = audit_page(db, principal, flt, args["limit"], args.get("cursor"))
        page["items"] = [present(e) for e in page["items"]]
        return page


@blp.route("/verify")
class Verify(MethodView):
    @blp.arguments(VerifyArgs, location="query")
    @blp.response(200, VerifyOut)
    def get(self, args):
        """Recompute the hash chains; report the first broken link."""
        db = get_session()
        principal = current_principal()
        if "study" in args:
            study = get_study(db, principal, args["study"])
            principal.require(Action.REVIEW_AUDIT, study.id)
            return verify_chains(db, study_chain_filter(study.id))
        if not principal.is_global_admin:
            raise Forbidden("verifying every chain needs a system-wide admin; give study= to verify one study")
        return verify_chains(db)
