"""Subjects, visits and records: thin views over the entry services."""

from __future__ import annotations

from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from ecrf.auth.principal import current_principal
from ecrf.auth.roles import Action
from ecrf.db import get_session
from ecrf.entry import records, subjects
from ecrf.entry.access import load_record, load_subject
from ecrf.entry.presenters import present_record, present_visits
from ecrf.entry.schemas import (CompleteArgs, RecordCreateArgs, RecordOut, RecordPatchArgs, StatusArgs,
                                SubjectCreateArgs, SubjectListArgs, SubjectOut, SubjectPage, UnscheduledArgs,
                                VisitList, VisitOut, VisitPatchArgs, VisitSelector)
from ecrf.queries.services import open_query_counts
from ecrf.schemas import paginate
from ecrf.studies.services import get_study

blp = Blueprint("entry", __name__, description="Subjects, visits and records")


def _record_response(record, subject, status=200):
    return present_record(record, subject), status, {"ETag": records.etag(record)}


@blp.route("/studies/<string:study>/subjects")
class Subjects(MethodView):
    @blp.arguments(SubjectListArgs, location="query")
    @blp.response(200, SubjectPage)
    def get(self, args, study: str):
        """Subjects of the study at the caller's sites, searchable by ID, site and status."""
        db, principal = get_session(), current_principal()
        row = get_study(db, principal, study)
        principal.require(Action.READ_CLINICAL, row.id)
        statement = subjects.subjects_query(db, principal, row, args.get("site"), args.get("status"), args.get("q"))
        page = paginate(db, statement, args["page"], args["per_page"])
        counts = open_query_counts(db, subject_ids=[s.id for s in page["items"]])
        for subject in page["items"]:
            subject.open_queries = counts.get(subject.id, 0)
        return page

    @blp.arguments(SubjectCreateArgs)
    @blp.response(201, SubjectOut)
    def post(self, args, study: str):
        """Register a consented subject at a site; visits are laid out from the schedule."""
        db, principal = get_session(), current_principal()
        row = get_study(db, principal, study)
        return subjects.enrol(db, principal, row, site_code=args["site"], consent_date=args["consent_date"],
                              code=args.get("subject_code"))


@blp.route("/subjects/<int:subject_id>")
class SubjectItem(MethodView):
    @blp.response(200, SubjectOut)
    def get(self, subject_id: int):
        """One subject with status, anchor dates and open query count."""
        db = get_session()
        subject = load_subject(db, current_principal(), subject_id)
        subject.open_queries = open_query_counts(db, subject_ids=[subject.id]).get(subject.id, 0)
        return subject


@blp.route("/subjects/<int:subject_id>/status")
class SubjectStatus(MethodView):
    @blp.arguments(StatusArgs)
    @blp.response(200, SubjectOut)
    def post(self, args, subject_id: int):
        """Move the subject along its lifecycle (withdrawal needs a reason and a date)."""
        db, principal = get_session(), current_principal()
        subject = load_subject(db, principal, subject_id)
        return subjects.change_status(db, principal, subject, args["status"], args.get("reason"), args.get("date"))


@blp.route("/subjects/<int:subject_id>/visits")
class Visits(MethodView):
    @blp.response(200, VisitList)
    def get(self, subject_id: int):
        """The subject's visits with target dates, windows, status and records."""
        db = get_session()
        subject = load_subject(db, current_principal(), subject_id)
        return {"items": present_visits(db, subject)}

    @blp.arguments(UnscheduledArgs)
    @blp.response(201, VisitOut)
    def post(self, args, subject_id: int):
        """Add an unscheduled visit."""
        db, principal = get_session(), current_principal()
        subject = load_subject(db, principal, subject_id)
        visit = subjects.add_unscheduled_visit(db, principal, subject, args.get("visit_date"), args.get("reason"))
        return next(v for v in present_visits(db, subject) if v["id"] == visit.id)


@blp.route("/subjects/<int:subject_id>/visits/<string:visit_key>")
class VisitItem(MethodView):
    @blp.arguments(VisitSelector, location="query")
    @blp.arguments(VisitPatchArgs)
    @blp.response(200, VisitOut)
    def patch(self, selector, args, subject_id: int, visit_key: str):
        """Set the visit date (out-of-window dates become deviation findings) or mark it missed."""
        db, principal = get_session(), current_principal()
        subject = load_subject(db, principal, subject_id)
        visit = subjects.get_visit(db, subject, visit_key, selector["repeat"])
        subjects.update_visit(db, principal, subject, visit, args)
        return next(v for v in present_visits(db, subject) if v["id"] == visit.id)


@blp.route("/subjects/<int:subject_id>/visits/<string:visit_key>/forms/<string:form_oid>")
class RecordCreate(MethodView):
    @blp.arguments(VisitSelector, location="query")
    @blp.arguments(RecordCreateArgs)
    @blp.response(201, RecordOut)
    def post(self, selector, args, subject_id: int, visit_key: str, form_oid: str):
        """Create a record of a form at a visit (a draft; partial data accepted)."""
        db, principal = get_session(), current_principal()
        subject = load_subject(db, principal, subject_id)
        visit = subjects.get_visit(db, subject, visit_key, selector["repeat"])
        record, _ = records.create_record(db, principal, subject, visit, form_oid, args["data"], args.get("reason"))
        return _record_response(record, subject, 201)


@blp.route("/records/<int:record_id>")
class RecordItem(MethodView):
    @blp.response(200, RecordOut)
    def get(self, record_id: int):
        """A record with its data, status, warnings and ETag."""
        record, subject = load_record(get_session(), current_principal(), record_id)
        return _record_response(record, subject)

    @blp.arguments(RecordPatchArgs)
    @blp.response(200, RecordOut)
    @blp.alt_response(412, description="If-Match names an older version")
    @blp.alt_response(428, description="If-Match missing")
    def patch(self, args, record_id: int):
        """Change values (If-Match required; a reason once the record was ever complete)."""
        db, principal = get_session(), current_principal()
        record, subject = load_record(db, principal, record_id, for_update=True)
        record, _ = records.update_record(db, principal, record, subject, request.headers.get("If-Match"),
                                          args["data"], args.get("reason"))
        return _record_response(record, subject)


@blp.route("/records/<int:record_id>/complete")
class RecordComplete(MethodView):
    @blp.arguments(CompleteArgs)
    @blp.response(200, RecordOut)
    @blp.alt_response(412, description="If-Match names an older version")
    @blp.alt_response(428, description="If-Match missing")
    def post(self, args, record_id: int):
        """Mark complete: every check runs; hard failures are 422 keyed by item."""
        db, principal = get_session(), current_principal()
        record, subject = load_record(db, principal, record_id, for_update=True)
        record, _ = records.complete_record(db, principal, record, subject, request.headers.get("If-Match"),
                                            args.get("reason"))
        return _record_response(record, subject)
