"""RECIST results of a subject and the study's endpoints report: thin views over the services."""

from __future__ import annotations

import datetime as dt

from flask import Response, request
from flask.views import MethodView
from flask_smorest import Blueprint

from ecrf.auth.principal import current_principal
from ecrf.db import get_session
from ecrf.entry.access import load_subject
from ecrf.oncology.recist_wiring import presenter
from ecrf.oncology.reports import csv_export, endpoints_report
from ecrf.oncology.schemas import EndpointsArgs, EndpointsReportOut, RecistOut
from ecrf.studies.services import get_study

blp = Blueprint("oncology", __name__, description="RECIST 1.1 results and oncology endpoints")


@blp.route("/subjects/<int:subject_id>/recist")
class SubjectRecist(MethodView):
    @blp.response(200, RecistOut)
    def get(self, subject_id: int):
        """RECIST 1.1 derived from the subject's complete tumour assessments, with findings."""
        db = get_session()
        return presenter.describe(db, load_subject(db, current_principal(), subject_id))


def _wants_csv(args: dict) -> bool:
    if "format" in args:
        return args["format"] == "csv"
    best = request.accept_mimetypes.best_match(["application/json", "text/csv"])
    return best == "text/csv"


@blp.route("/studies/<string:study>/reports/endpoints")
class EndpointsReport(MethodView):
    @blp.arguments(EndpointsArgs, location="query")
    @blp.response(200, EndpointsReportOut)
    @blp.doc(responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}})
    def get(self, args, study: str):
        """PFS/OS per subject with the rule used, KM curves, 1-year PFS, ORR and AEs (JSON, or CSV
        of the per-subject table with format=csv or Accept: text/csv)."""
        db, principal = get_session(), current_principal()
        row = get_study(db, principal, study)
        cutoff = args.get("cutoff") or dt.datetime.now(dt.timezone.utc).date()
        report = endpoints_report.build(db, principal, row, cutoff, args["ci_method"])
        if _wants_csv(args):
            name = f"endpoints_{row.oid}_{report['data_cutoff']}.csv"
            return Response(csv_export.to_csv(report), mimetype="text/csv",
                            headers={"Content-Disposition": f'attachment; filename="{name}"'})
        return report
