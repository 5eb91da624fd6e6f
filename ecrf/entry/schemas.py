"""Bodies of the subject, visit and record endpoints."""

from __future__ import annotations

from marshmallow import fields, validate

from ecrf.entry.models import SUBJECT_STATUSES
from ecrf.schemas import PageArgs, StrictSchema, page_schema

REASON = fields.String(validate=validate.Length(max=2000), allow_none=True,
                       metadata={"description": "reason for change; required once a record was ever complete"})


class SubjectCreateArgs(StrictSchema):
    site = fields.String(required=True, validate=validate.Length(min=1, max=20))
    consent_date = fields.Date(required=True, metadata={"description": "date of written informed consent"})
    subject_code = fields.String(validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9-]{0,39}$",
                                                          error="letters, digits and '-' (max 40)"),
                                 metadata={"description": "study-unique subject ID; generated when omitted"})


class SubjectListArgs(PageArgs):
    site = fields.String(validate=validate.Length(max=20))
    status = fields.String(validate=validate.OneOf(SUBJECT_STATUSES))
    q = fields.String(validate=validate.Length(max=40), metadata={"description": "subject ID contains"})


class SubjectOut(StrictSchema):
    id = fields.Integer()
    subject_code = fields.String(attribute="code")
    study = fields.Function(lambda s: s.study.oid)
    site = fields.Function(lambda s: s.site.code)
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    status_date = fields.Date(allow_none=True)
    anchors = fields.Function(lambda s: {a.key: a.date.isoformat() for a in s.anchors})
    study_version = fields.Integer()
    created_at = fields.DateTime()
    open_queries = fields.Integer(dump_default=0, metadata={"description": "open or answered queries"})


SubjectPage = page_schema(SubjectOut, "SubjectPage")


class StatusArgs(StrictSchema):
    status = fields.String(required=True, validate=validate.OneOf(SUBJECT_STATUSES))
    reason = fields.String(validate=validate.Length(max=2000), allow_none=True)
    date = fields.Date(allow_none=True)


class VisitFormOut(StrictSchema):
    form = fields.String()
    version = fields.Integer()
    required = fields.Boolean()
    records = fields.List(fields.Dict())


class VisitOut(StrictSchema):
    id = fields.Integer()
    key = fields.String()
    repeat = fields.Integer()
    name = fields.String()
    kind = fields.String()
    status = fields.String()
    status_reason = fields.String(allow_none=True)
    visit_date = fields.Date(allow_none=True)
    anchor = fields.String(allow_none=True)
    day = fields.Integer(allow_none=True)
    target_date = fields.Date(allow_none=True)
    window_start = fields.Date(allow_none=True)
    window_end = fields.Date(allow_none=True)
    days_outside_window = fields.Integer()
    forms = fields.List(fields.Nested(VisitFormOut))


class VisitList(StrictSchema):
    items = fields.List(fields.Nested(VisitOut))


class VisitSelector(StrictSchema):
    repeat = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000),
                            metadata={"description": "occurrence of a repeating visit"})


class VisitPatchArgs(StrictSchema):
    visit_date = fields.Date(allow_none=True)
    status = fields.String(validate=validate.OneOf(["missed", "not_started"]))
    reason = fields.String(validate=validate.Length(max=2000), allow_none=True)


class UnscheduledArgs(StrictSchema):
    visit_date = fields.Date(allow_none=True)
    reason = fields.String(validate=validate.Length(max=2000), allow_none=True)


class RecordCreateArgs(StrictSchema):
    data = fields.Dict(keys=fields.String(validate=validate.Length(max=40)), load_default=dict,
                       metadata={"description": "item OID -> value; repeating group OID -> list of rows"})
    reason = REASON


class RecordPatchArgs(StrictSchema):
    data = fields.Dict(keys=fields.String(validate=validate.Length(max=40)), required=True)
    reason = REASON


class CompleteArgs(StrictSchema):
    reason = REASON


class IssueOut(StrictSchema):
    key = fields.String()
    message = fields.String()
    rule = fields.String()
    severity = fields.String()
    item = fields.String(allow_none=True)
    group = fields.String(allow_none=True)
    row = fields.Integer(allow_none=True)
    value = fields.Raw(allow_none=True)


class RecordOut(StrictSchema):
    id = fields.Integer()
    subject_id = fields.Integer()
    subject = fields.String()
    site = fields.String()
    visit_key = fields.String()
    visit_repeat = fields.Integer()
    visit_name = fields.String()
    form_oid = fields.String()
    form_version = fields.Integer()
    repeat = fields.Integer()
    status = fields.String()
    ever_completed = fields.Boolean()
    data = fields.Dict()
    warnings = fields.List(fields.Nested(IssueOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    completed_at = fields.DateTime(allow_none=True)
    version = fields.Integer()
    open_queries = fields.Integer(metadata={"description": "open or answered queries on this record"})
    sdv_status = fields.String(metadata={"description": "verified, partially_verified or not_verified"})
    sdv = fields.Dict(metadata={"description": "verified items (who, when) and items pending SDV"})
    signature_status = fields.String(metadata={"description": "signed, invalidated or unsigned"})
    signatures = fields.List(fields.Dict(), metadata={"description": "signatures covering the record (record, "
                                                                     "visit, casebook): printed name, UTC time, "
                                                                     "meaning, content hash, status"})
    lock = fields.Dict(metadata={"description": "locked, level (record/subject/study), by whom, when"})
