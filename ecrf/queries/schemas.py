"""Bodies of the ``/queries`` endpoints."""

from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from ecrf.queries.models import QUERY_STATUSES
from ecrf.schemas import COUNT_RANGE, ID_RANGE, PageArgs, StrictSchema, page_schema

TEXT = validate.Length(min=1, max=4000)


class QueryCreateArgs(StrictSchema):
    record_id = fields.Integer(validate=ID_RANGE,
                               metadata={"description": "query a record (or, with item, one of its items)"})
    subject_id = fields.Integer(validate=ID_RANGE, metadata={"description": "query a subject's visit (with visit_key)"})
    visit_key = fields.String(validate=validate.Length(max=20))
    visit_repeat = fields.Integer(load_default=1, validate=COUNT_RANGE)
    item = fields.String(validate=validate.Length(max=40))
    group = fields.String(validate=validate.Length(max=40))
    row = fields.Integer(validate=COUNT_RANGE)
    text = fields.String(required=True, validate=TEXT)
    assignee = fields.String(validate=validate.Length(max=150), metadata={"description": "username"})
    due_date = fields.Date()

    @validates_schema
    def _target(self, data, **_kwargs):
        if ("record_id" in data) == ("subject_id" in data):
            raise ValidationError("give record_id, or subject_id with visit_key", "record_id")
        if "subject_id" in data and "visit_key" not in data:
            raise ValidationError("required with subject_id", "visit_key")
        if "item" not in data and ("group" in data or "row" in data):
            raise ValidationError("group and row go with item", "item")


class CorrectionArgs(StrictSchema):
    data = fields.Dict(keys=fields.String(validate=validate.Length(max=40)), required=True)
    reason = fields.String(validate=validate.Length(max=2000), allow_none=True)
    etag = fields.String(validate=validate.Length(max=100),
                         metadata={"description": "the record's ETag (or send If-Match)"})


class ResponseArgs(StrictSchema):
    text = fields.String(required=True, validate=TEXT)
    correction = fields.Nested(CorrectionArgs)


class ActionArgs(StrictSchema):
    text = fields.String(validate=validate.Length(max=4000), allow_none=True,
                         metadata={"description": "comment; required to reopen or re-query"})


class QueryListArgs(PageArgs):
    study = fields.String()
    status = fields.List(fields.String(validate=validate.OneOf(QUERY_STATUSES)), metadata={"description": "repeatable"})
    site = fields.String()
    subject = fields.Integer(validate=ID_RANGE)
    form = fields.String()
    item = fields.String()
    raiser = fields.String(metadata={"description": "username, or 'system' for automatic queries"})
    assignee = fields.String()
    kind = fields.String(validate=validate.OneOf(["manual", "automatic"]))
    min_age_days = fields.Integer(validate=validate.Range(min=0, max=36500))
    max_age_days = fields.Integer(validate=validate.Range(min=0, max=36500))
    overdue = fields.Boolean()


class MessageOut(StrictSchema):
    action = fields.String()
    text = fields.String(allow_none=True)
    author = fields.String(attribute="author_name")
    status_after = fields.String()
    correction = fields.Dict(allow_none=True)
    created_at = fields.DateTime()


class QueryOut(StrictSchema):
    id = fields.Integer()
    study = fields.String()
    site = fields.String()
    subject_id = fields.Integer()
    subject = fields.String()
    visit_key = fields.String(allow_none=True)
    visit_repeat = fields.Integer(allow_none=True)
    record_id = fields.Integer(allow_none=True)
    form_oid = fields.String(allow_none=True)
    item_oid = fields.String(allow_none=True)
    group_oid = fields.String(allow_none=True)
    group_row = fields.Integer(allow_none=True)
    kind = fields.String()
    rule_id = fields.String(allow_none=True)
    rule_version = fields.String(allow_none=True)
    value_at_raise = fields.Raw(allow_none=True)
    status = fields.String()
    text = fields.String()
    raised_by = fields.String()
    raised_at = fields.DateTime()
    assignee = fields.String(allow_none=True)
    due_date = fields.Date(allow_none=True)
    age_days = fields.Float()
    closed_at = fields.DateTime(allow_none=True)
    messages = fields.List(fields.Nested(MessageOut))


QueryPage = page_schema(QueryOut, "QueryPage")


class SummaryArgs(StrictSchema):
    study = fields.String(required=True)


class SummaryOut(StrictSchema):
    study = fields.String()
    total = fields.Integer()
    by_status = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_site = fields.Dict(keys=fields.String(), values=fields.Dict())
    open_average_age_days = fields.Float(allow_none=True)
    average_days_to_close = fields.Float(allow_none=True)
    closed_count = fields.Integer()
