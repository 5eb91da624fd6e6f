"""Review actions on records, visits and subjects: SDV, sign, lock, unlock, migrate (thin views)."""

from __future__ import annotations

from functools import wraps

from flask import current_app, g, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ecrf.auth.principal import current_principal
from ecrf.db import get_session
from ecrf.entry import records
from ecrf.entry.access import load_record, load_subject
from ecrf.entry.presenters import present_record
from ecrf.entry.schemas import RecordOut
from ecrf.entry.subjects import get_visit
from ecrf.review import locking, migration, sdv, signing
from ecrf.review.schemas import (LockArgs, MigrateArgs, MigrationOut, SdvArgs, SignArgs, SubjectReviewOut,
                                 UnlockArgs, VisitSelector)
from ecrf.review.state import subject_review

blp = Blueprint("review", __name__, description="Review: SDV, e-signatures, locks, CRF version migration")


def keeps_failed_signing(view):
    """A refused signature still commits its failure count and audit entry (like a failed login)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except signing.KeepsChanges:
            g.keep_changes_on_error = True
            raise

    return wrapper


def _record(record_id: int):
    return load_record(get_session(), current_principal(), record_id, for_update=True)


def _if_match() -> str | None:
    return request.headers.get("If-Match")


def _record_response(record, subject):
    return present_record(record, subject), 200, {"ETag": records.etag(record)}


@blp.route("/records/<int:record_id>/sdv")
class RecordSdv(MethodView):
    @blp.arguments(SdvArgs)
    @blp.response(200, RecordOut)
    @blp.alt_response(412, description="If-Match names an older version")
    @blp.alt_response(428, description="If-Match missing")
    def post(self, args, record_id: int):
        """Mark items (or every item with a value) source-verified; verified=false undoes it with a reason."""
        record, subject = _record(record_id)
        sdv.set_verified(get_session(), current_principal(), record, subject, _if_match(), args.get("items"),
                         args["verified"], args.get("reason"))
        return _record_response(record, subject)


@blp.route("/records/<int:record_id>/sign")
class RecordSign(MethodView):
    decorators = [keeps_failed_signing]

    @blp.arguments(SignArgs)
    @blp.response(200, RecordOut)
    @blp.alt_response(401, description="Wrong password (counts toward the account lockout)")
    @blp.alt_response(412, description="If-Match names an older version")
    @blp.alt_response(428, description="If-Match missing")
    def post(self, args, record_id: int):
        """E-sign a complete record: re-enter username and password, choose the meaning."""
        record, subject = _record(record_id)
        signing.sign_record(get_session(), current_app.extensions["ecrf.settings"], current_principal(), record,
                            subject, username=args["username"], password=args["password"], meaning=args["meaning"],
                            if_match=_if_match())
        return _record_response(record, subject)


@blp.route("/records/<int:record_id>/lock")
class RecordLock(MethodView):
    @blp.arguments(LockArgs)
    @blp.response(200, RecordOut)
    @blp.alt_response(412, description="If-Match names an older version")
    @blp.alt_response(428, description="If-Match missing")
    def post(self, args, record_id: int):
        """Lock a record (data managers); refused while it has open or answered queries."""
        record, subject = _record(record_id)
        locking.lock_record(get_session(), current_principal(), record, subject, _if_match(), args.get("reason"))
        return _record_response(record, subject)


@blp.route("/records/<int:record_id>/unlock")
class RecordUnlock(MethodView):
    @blp.arguments(UnlockArgs)
    @blp.response(200, RecordOut)
    @blp.alt_response(412, description="If-Match names an older version")
    @blp.alt_response(428, description="If-Match missing")
    def post(self, args, record_id: int):
        """Unlock a record, with a reason."""
        record, subject = _record(record_id)
        locking.unlock_record(get_session(), current_principal(), record, subject, _if_match(), args.get("reason"))
        return _record_response(record, subject)


@blp.route("/records/<int:record_id>/migrate")
class RecordMigrate(MethodView):
    @blp.arguments(MigrateArgs)
    @blp.response(200, MigrationOut)
    @blp.alt_response(412, description="If-Match names an older version")
    @blp.alt_response(428, description="If-Match missing")
    def post(self, args, record_id: int):
        """Dry run (default) or apply the move of a record to another version of its form."""
        record, subject = _record(record_id)
        report = migration.migrate_record(get_session(), current_principal(), record, subject,
                                          version=args.get("target_version"), dry_run=args["dry_run"],
                                          reason=args.get("reason"), accept_losses=args["accept_losses"],
                                          if_match=_if_match())
        return report, 200, {"ETag": records.etag(record)}


@blp.route("/subjects/<int:subject_id>/review")
class SubjectReview(MethodView):
    @blp.response(200, SubjectReviewOut)
    def get(self, subject_id: int):
        """The subject's signatures (and whether it needs re-signing), casebook hash, SDV counts and lock."""
        db = get_session()
        return subject_review(db, load_subject(db, current_principal(), subject_id))


@blp.route("/subjects/<int:subject_id>/sign")
class SubjectSign(MethodView):
    decorators = [keeps_failed_signing]

    @blp.arguments(SignArgs)
    @blp.response(200, SubjectReviewOut)
    @blp.alt_response(401, description="Wrong password (counts toward the account lockout)")
    @blp.alt_response(412, description="content_hash names content that changed since")
    def post(self, args, subject_id: int):
        """E-sign the subject's casebook (every record, all complete)."""
        db, principal = get_session(), current_principal()
        subject = load_subject(db, principal, subject_id)
        signing.sign_casebook(db, current_app.extensions["ecrf.settings"], principal, subject,
                              username=args["username"], password=args["password"], meaning=args["meaning"],
                              expected_hash=args.get("content_hash"))
        return subject_review(db, subject)


@blp.route("/subjects/<int:subject_id>/visits/<string:visit_key>/sign")
class VisitSign(MethodView):
    decorators = [keeps_failed_signing]

    @blp.arguments(VisitSelector, location="query")
    @blp.arguments(SignArgs)
    @blp.response(200, SubjectReviewOut)
    @blp.alt_response(401, description="Wrong password (counts toward the account lockout)")
    @blp.alt_response(412, description="content_hash names content that changed since")
    def post(self, selector, args, subject_id: int, visit_key: str):
        """E-sign every record of one visit (all complete)."""
        db, principal = get_session(), current_principal()
        subject = load_subject(db, principal, subject_id)
        visit = get_visit(db, subject, visit_key, selector["repeat"])
        signing.sign_casebook(db, current_app.extensions["ecrf.settings"], principal, subject,
                              username=args["username"], password=args["password"], meaning=args["meaning"],
                              visit=visit, expected_hash=args.get("content_hash"))
        return subject_review(db, subject)


@blp.route("/subjects/<int:subject_id>/lock")
class SubjectLock(MethodView):
    @blp.arguments(LockArgs)
    @blp.response(200, SubjectReviewOut)
    def post(self, args, subject_id: int):
        """Lock every record of the subject (data managers); refused while the subject has active queries."""
        db, principal = get_session(), current_principal()
        subject = load_subject(db, principal, subject_id)
        locking.lock_subject(db, principal, subject, args.get("reason"))
        return subject_review(db, subject)


@blp.route("/subjects/<int:subject_id>/unlock")
class SubjectUnlock(MethodView):
    @blp.arguments(UnlockArgs)
    @blp.response(200, SubjectReviewOut)
    def post(self, args, subject_id: int):
        """Unlock the subject, with a reason."""
        db, principal = get_session(), current_principal()
        subject = load_subject(db, principal, subject_id)
        locking.unlock_subject(db, principal, subject, args.get("reason"))
        return subject_review(db, subject)
