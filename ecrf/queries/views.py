"""``/queries``: raise, list, read, answer, close, reopen, cancel; summary metrics."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import select

from ecrf.auth.models import User
from ecrf.auth.principal import current_principal
from ecrf.auth.roles import Action
from ecrf.db import get_session
from ecrf.entry.access import load_record, load_subject
from ecrf.entry.subjects import get_visit
from ecrf.errors import RuleViolation
from ecrf.queries import listing, services
from ecrf.queries.schemas import (ActionArgs, QueryCreateArgs, QueryListArgs, QueryOut, QueryPage, ResponseArgs,
                                  SummaryArgs, SummaryOut)
from ecrf.schemas import paginate
from ecrf.studies.services import get_study

blp = Blueprint("queries", __name__, url_prefix="/queries", description="Queries (discrepancy management)")


def _present(query):
    return listing.present(get_session(), query)


@blp.route("")
class Queries(MethodView):
    @blp.arguments(QueryListArgs, location="query")
    @blp.response(200, QueryPage)
    def get(self, args):
        """Queries at the caller's sites, filtered by status, site, subject, form, item, people, kind, age."""
        db, principal = get_session(), current_principal()
        study = get_study(db, principal, args["study"]) if args.get("study") else None
        page = paginate(db, listing.query_statement(db, principal, study, args), args["page"], args["per_page"])
        page["items"] = [_present(q) for q in page["items"]]
        return page

    @blp.arguments(QueryCreateArgs)
    @blp.response(201, QueryOut)
    def post(self, args):
        """Raise a query on an item of a record, on a record, or on a subject's visit."""
        db, principal = get_session(), current_principal()
        record = visit = None
        if "record_id" in args:
            record, subject = load_record(db, principal, args["record_id"])
        else:
            subject = load_subject(db, principal, args["subject_id"])
            visit = get_visit(db, subject, args["visit_key"], args["visit_repeat"])
        principal.require(Action.RAISE_QUERY, subject.study_id)
        assignee = None
        if args.get("assignee"):
            assignee = db.execute(select(User).where(User.username == args["assignee"].lower())).scalar_one_or_none()
            if assignee is None:
                raise RuleViolation("unknown assignee", errors={"assignee": ["no such user"]})
        query = services.raise_query(db, principal, subject, text=args["text"], record=record, visit=visit,
                                     item_oid=args.get("item"), group_oid=args.get("group"),
                                     group_row=args.get("row"), assignee=assignee, due_date=args.get("due_date"))
        return _present(query)


@blp.route("/summary")
class Summary(MethodView):
    @blp.arguments(SummaryArgs, location="query")
    @blp.response(200, SummaryOut)
    def get(self, args):
        """Counts per status and per site, average age of open queries, average time to close."""
        db, principal = get_session(), current_principal()
        study = get_study(db, principal, args["study"])
        principal.require(Action.READ_CLINICAL, study.id)
        return listing.summary(db, principal, study)


@blp.route("/<int:query_id>")
class QueryItem(MethodView):
    @blp.response(200, QueryOut)
    def get(self, query_id: int):
        """A query with its whole thread."""
        return _present(services.get_query(get_session(), current_principal(), query_id))


@blp.route("/<int:query_id>/responses")
class Responses(MethodView):
    @blp.arguments(ResponseArgs)
    @blp.response(200, QueryOut)
    @blp.alt_response(412, description="the correction's If-Match (or etag) names an older version")
    @blp.alt_response(428, description="a correction without If-Match (or etag)")
    def post(self, args, query_id: int):
        """The site answers (optionally correcting the data in the same request)."""
        db, principal = get_session(), current_principal()
        query = services.get_query(db, principal, query_id)
        services.respond(db, principal, query, args["text"], args.get("correction"), request.headers.get("If-Match"))
        return _present(query)


def _action(name: str):
    def post(self, args, query_id: int):
        db, principal = get_session(), current_principal()
        query = services.get_query(db, principal, query_id)
        getattr(services, name)(db, principal, query, args.get("text"))
        return _present(query)
    post.__doc__ = {"close": "Close an answered query (monitors, data managers).",
                    "reopen": "Re-query an answered query or reopen a closed one, with a reason.",
                    "cancel": "Cancel a query you raised that is still open or answered."}[name]
    return post


for _name in ("close", "reopen", "cancel"):
    _view = type(f"Query{_name.title()}", (MethodView,), {
        "post": blp.response(200, QueryOut)(blp.arguments(ActionArgs)(_action(_name)))})
    blp.route(f"/<int:query_id>/{_name}", endpoint=f"query_{_name}")(_view)
