"""``/studies/{study}/export/...`` (data managers) and ``/studies/{study}/import/odm`` (site staff)."""

from __future__ import annotations

from flask import Response, current_app, request, stream_with_context
from flask.views import MethodView
from flask_smorest import Blueprint

from ecrf.auth.principal import current_principal
from ecrf.db import get_session
from ecrf.errors import NotFound
from ecrf.exports.catalog import load_catalog
from ecrf.exports.files import csv_chunks, versions_of, xlsx_chunks
from ecrf.exports.importer.apply import import_odm
from ecrf.exports.odm import odm_chunks
from ecrf.exports.schemas import CsvExportArgs, ExportArgs, ImportArgs, ImportReport, OdmExportArgs
from ecrf.exports.service import start_export
from ecrf.exports.tabular import form_table
from ecrf.studies.services import get_study
from ecrf.web import accepts, writes

blp = Blueprint("exports", __name__, description="Exports (CDISC ODM 1.3.2, CSV, Excel) and ODM import")

IMPORT_MAX_BYTES = 64 * 1024 * 1024  # an ODM file is larger than a JSON body
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _stream(chunks, mimetype: str, filename: str, plan) -> Response:
    response = Response(stream_with_context(chunks), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["X-Audit-Head-Digest"] = plan.head.digest
    return response


def _doc(mimetype: str, text: str) -> dict:
    return {"responses": {"200": {"description": text, "content": {mimetype: {"schema": {"type": "string"}}}}}}


@blp.route("/studies/<string:study>/export/odm")
@writes  # the export's own audit event
class OdmExport(MethodView):
    @blp.arguments(OdmExportArgs, location="query")
    @blp.doc(**_doc("application/xml", "CDISC ODM 1.3.2 document, streamed"))
    def get(self, args, study: str):
        """Stream the study as CDISC ODM 1.3.2: metadata, admin data and clinical data (snapshot or history)."""
        plan = start_export(get_session(), current_principal(), study, "odm", site=args.get("site"),
                            subject=args.get("subject"), since=args.get("since"), type=args["type"])
        chunks = odm_chunks(current_app.extensions["ecrf.sessionmaker"], plan)
        return _stream(chunks, "application/xml", f"{plan.file_oid}.xml", plan)


@blp.route("/studies/<string:study>/export/<string:form_oid>.csv")
@writes  # the export's own audit event
class CsvExport(MethodView):
    @blp.arguments(CsvExportArgs, location="query")
    @blp.doc(**_doc("text/csv", "one row per record or repeating-group row, streamed"))
    def get(self, args, study: str, form_oid: str):
        """Stream one form's data as CSV: context columns, then each item's value and label."""
        db, principal = get_session(), current_principal()
        catalog = load_catalog(db, get_study(db, principal, study))
        versions = versions_of(catalog, form_oid)
        if not versions:
            raise NotFound(f"form {form_oid} is not collected in {study}")
        table = form_table(form_oid, versions)
        plan = start_export(db, principal, study, "csv", site=args.get("site"), subject=args.get("subject"),
                            since=args.get("since"), form=form_oid, group=args.get("group"))
        chunks = csv_chunks(current_app.extensions["ecrf.sessionmaker"], plan, table)
        return _stream(chunks, "text/csv", f"{plan.file_oid}.{form_oid}.csv", plan)


@blp.route("/studies/<string:study>/export.xlsx")
@writes  # the export's own audit event
class WorkbookExport(MethodView):
    @blp.arguments(ExportArgs, location="query")
    @blp.doc(**_doc(XLSX, "Excel workbook: a data dictionary sheet and one sheet per form"))
    def get(self, args, study: str):
        """An Excel workbook of every form of the study, with a data dictionary sheet."""
        plan = start_export(get_session(), current_principal(), study, "xlsx", site=args.get("site"),
                            subject=args.get("subject"), since=args.get("since"))
        chunks = xlsx_chunks(current_app.extensions["ecrf.sessionmaker"], plan)
        return _stream(chunks, XLSX, f"{plan.file_oid}.xlsx", plan)


@blp.route("/studies/<string:study>/import/odm", methods=["POST"])
@blp.arguments(ImportArgs, location="query")
@blp.response(200, ImportReport)
@blp.alt_response(422, description="nothing was saved; errors.rejected lists every rejected value")
@blp.doc(requestBody={"required": True, "description": "a CDISC ODM 1.3.2 document with ClinicalData",
                      "content": {mimetype: {"schema": {"type": "string"}} for mimetype in ("application/xml",
                                                                                             "text/xml")}})
@accepts("application/xml", "text/xml")
def odm_import(args, study: str):
    """Load ODM 1.3.2 ClinicalData (Insert/Update) at the caller's sites, all or nothing per file."""
    request.max_content_length = current_app.config.get("ECRF_IMPORT_MAX_CONTENT_LENGTH", IMPORT_MAX_BYTES)
    return import_odm(get_session(), current_principal(), study, request.get_data(), reason=args.get("reason"),
                      dry_run=args["dry_run"])
