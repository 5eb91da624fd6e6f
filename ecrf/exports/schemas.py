"""Query parameters of the export and import endpoints, and the import report."""

from __future__ import annotations

from marshmallow import fields, validate

from ecrf.schemas import StrictSchema


class ExportArgs(StrictSchema):
    site = fields.String(validate=validate.Length(max=20), metadata={"description": "only this site (code)"})
    subject = fields.String(validate=validate.Length(max=40), metadata={"description": "only this subject (ID)"})
    since = fields.AwareDateTime(metadata={"description": "only changes at or after this time (ISO 8601 with offset)"})


class OdmExportArgs(ExportArgs):
    type = fields.String(load_default="snapshot", validate=validate.OneOf(["snapshot", "transactional"]),
                         metadata={"description": "snapshot: current values; transactional: the full history"})


class CsvExportArgs(ExportArgs):
    group = fields.String(validate=validate.Length(max=40),
                          metadata={"description": "only the rows of this repeating group"})


class ImportArgs(StrictSchema):
    reason = fields.String(validate=validate.Length(min=1, max=2000),
                           metadata={"description": "reason for change where the file gives none and one is needed"})
    dry_run = fields.Boolean(load_default=False, metadata={"description": "validate and report, save nothing"})


class ImportReport(StrictSchema):
    file_oid = fields.String(allow_none=True)
    file_type = fields.String()
    dry_run = fields.Boolean()
    subjects_created = fields.List(fields.String())
    records_created = fields.Integer()
    records_updated = fields.Integer()
    records_completed = fields.Integer()
    visit_dates_set = fields.Integer()
    values_written = fields.Integer()
    transactions = fields.Integer()
