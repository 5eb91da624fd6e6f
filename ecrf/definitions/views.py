"""``/forms``: published CRF versions; ``/definitions``: publish new versions (admins)."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import func, select

from ecrf.auth.principal import current_principal
from ecrf.auth.roles import Role
from ecrf.db import get_session
from ecrf.definitions.files import DefinitionError, check_document
from ecrf.definitions.models import FormVersion
from ecrf.definitions.publishing import publish
from ecrf.definitions.schemas import FormPage, FormVersionOut, FormVersionPage, PublishArgs, PublishOut
from ecrf.errors import Forbidden, NotFound, RuleViolation
from ecrf.schemas import PageArgs, paginate

blp = Blueprint("forms", __name__, description="CRF definitions")


@blp.route("/forms")
class Forms(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, FormPage)
    def get(self, args):
        """Every form OID with its versions."""
        db = get_session()
        oids = select(FormVersion.oid).group_by(FormVersion.oid).order_by(FormVersion.oid)
        page = paginate(db, oids, args["page"], args["per_page"])
        rows = db.execute(select(FormVersion.oid, FormVersion.version, FormVersion.title)
                          .where(FormVersion.oid.in_(page["items"]))
                          .order_by(FormVersion.oid, FormVersion.version)).all()
        summary: dict[str, dict] = {}
        for oid, version, title in rows:
            entry = summary.setdefault(oid, {"oid": oid, "versions": []})
            entry["versions"].append(version)
            entry["latest_version"], entry["title"] = version, title
        page["items"] = [summary[oid] for oid in page["items"]]
        return page


@blp.route("/forms/<string:form_oid>/versions")
class FormVersions(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, FormVersionPage)
    def get(self, args, form_oid: str):
        """The published versions of one form."""
        db = get_session()
        if not db.execute(select(func.count()).where(FormVersion.oid == form_oid)).scalar_one():
            raise NotFound(f"form {form_oid} not found")
        statement = select(FormVersion).where(FormVersion.oid == form_oid).order_by(FormVersion.version)
        return paginate(db, statement, args["page"], args["per_page"])


@blp.route("/forms/<string:form_oid>/versions/<int:version>")
class FormVersionItem(MethodView):
    @blp.response(200, FormVersionOut)
    def get(self, form_oid: str, version: int):
        """One published form version, with its full definition and content hash."""
        row = get_session().execute(select(FormVersion).where(
            FormVersion.oid == form_oid, FormVersion.version == version)).scalar_one_or_none()
        if row is None:
            raise NotFound(f"form {form_oid} version {version} not found")
        return row


@blp.route("/definitions")
class Definitions(MethodView):
    @blp.arguments(PublishArgs)
    @blp.response(201, PublishOut)
    def post(self, args):
        """Publish form and study definition versions (administrators); all or nothing."""
        principal = current_principal()
        if not (principal.is_global_admin or any(Role.ADMIN in r for r in principal.roles.values())):
            raise Forbidden("only an administrator can publish definitions")
        files, problems = [], []
        for index, document in enumerate(args["documents"]):
            try:
                files.append(check_document(f"documents[{index}]", document))
            except DefinitionError as exc:
                problems.extend(exc.problems)
        try:
            if problems:
                raise DefinitionError(problems)
            report = publish(get_session(), files, principal)
        except DefinitionError as exc:
            raise RuleViolation("the definitions were refused; nothing was published",
                                errors=definition_errors(exc)) from exc
        return report


def definition_errors(exc: DefinitionError) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for p in exc.problems:
        errors.setdefault(f"{p.file}:{p.path}" if p.path else p.file, []).append(p.reason)
    return errors
