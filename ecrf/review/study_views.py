"""Study-wide review: freeze, what needs SDV, protocol deviation findings, batch CRF migration."""

from __future__ import annotations

from dataclasses import asdict

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint

from ecrf.auth.principal import current_principal
from ecrf.db import get_session
from ecrf.entry.access import load_subject
from ecrf.review import deviations, locking, migration
from ecrf.review.meanings import all_meanings
from ecrf.review.schemas import (BatchMigrateArgs, BatchMigrationOut, DeviationFindingPage, FindingsArgs,
                                 FindingsFilterArgs, LockArgs, MeaningList, SdvListArgs, SdvOverviewOut,
                                 StudyStateOut, UnlockArgs)
from ecrf.review.sdv_listing import sdv_overview
from ecrf.studies.services import get_study
from ecrf.web import writes

blp = Blueprint("study_review", __name__, description="Study-wide review: freeze, SDV worklist, findings")


def _state(study) -> dict:
    return {"study": study.oid, "frozen": study.frozen_at is not None, "frozen_at": study.frozen_at}


@blp.route("/studies/<string:study>/freeze")
class Freeze(MethodView):
    @blp.arguments(LockArgs)
    @blp.response(200, StudyStateOut)
    def post(self, args, study: str):
        """Freeze the study: no clinical data of it can change (data managers; no active queries)."""
        db, principal = get_session(), current_principal()
        return _state(locking.freeze_study(db, principal, get_study(db, principal, study), args.get("reason")))


@blp.route("/studies/<string:study>/unfreeze")
class Unfreeze(MethodView):
    @blp.arguments(UnlockArgs)
    @blp.response(200, StudyStateOut)
    def post(self, args, study: str):
        """Unfreeze the study, with a reason."""
        db, principal = get_session(), current_principal()
        return _state(locking.unfreeze_study(db, principal, get_study(db, principal, study), args.get("reason")))


@blp.route("/studies/<string:study>/sdv")
class SdvWorklist(MethodView):
    @blp.arguments(SdvListArgs, location="query")
    @blp.response(200, SdvOverviewOut)
    def get(self, args, study: str):
        """Complete records still needing SDV (or any SDV status), with counts per site."""
        db, principal = get_session(), current_principal()
        return sdv_overview(db, principal, get_study(db, principal, study), args)


@blp.route("/studies/<string:study>/findings")
class StudyFindings(MethodView):
    @blp.arguments(FindingsArgs, location="query")
    @blp.response(200, DeviationFindingPage)
    def get(self, args, study: str):
        """Protocol deviation findings at the caller's sites (visit windows, missed visits, treatment...)."""
        db, principal = get_session(), current_principal()
        row = get_study(db, principal, study)
        return deviations.list_findings(db, deviations.findings_statement(db, principal, row, args),
                                        args["page"], args["per_page"])


@blp.route("/studies/<string:study>/findings.csv")
@writes  # the export's own audit event
class StudyFindingsCsv(MethodView):
    @blp.arguments(FindingsFilterArgs, location="query")
    @blp.doc(responses={"200": {"description": "one row per finding",
                                "content": {"text/csv": {"schema": {"type": "string"}}}}})
    def get(self, args, study: str):
        """The same findings as CSV (the export is audited)."""
        db, principal = get_session(), current_principal()
        row = get_study(db, principal, study)
        text = deviations.findings_csv(db, principal, row, deviations.findings_statement(db, principal, row, args),
                                       args)
        return Response(text, mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{row.oid}-findings.csv"'})


@blp.route("/subjects/<int:subject_id>/findings")
class SubjectFindings(MethodView):
    @blp.arguments(FindingsArgs, location="query")
    @blp.response(200, DeviationFindingPage)
    def get(self, args, subject_id: int):
        """The subject's protocol deviation findings."""
        db, principal = get_session(), current_principal()
        subject = load_subject(db, principal, subject_id)
        statement = deviations.findings_statement(db, principal, subject.study, args, subject)
        return deviations.list_findings(db, statement, args["page"], args["per_page"])


@blp.route("/studies/<string:study>/forms/<string:form_oid>/migrate")
class FormMigrate(MethodView):
    @blp.arguments(BatchMigrateArgs)
    @blp.response(200, BatchMigrationOut)
    def post(self, args, study: str, form_oid: str):
        """Dry run (default) or apply the migration of every record of a form (optionally one site); all or nothing."""
        db, principal = get_session(), current_principal()
        row = get_study(db, principal, study)
        return migration.migrate_form(db, principal, row, form_oid, version=args.get("target_version"),
                                      site_code=args.get("site"), dry_run=args["dry_run"], reason=args.get("reason"),
                                      accept_losses=args["accept_losses"])


@blp.route("/signature-meanings")
class Meanings(MethodView):
    @blp.response(200, MeaningList)
    def get(self):
        """The meanings a signature can carry (data, not free text)."""
        return {"items": [asdict(m) for m in all_meanings()]}
