"""Bodies of the ``/audit`` endpoints."""

from __future__ import annotations

from marshmallow import fields, validate

from ecrf.schemas import ID_RANGE, StrictSchema


class AuditArgs(StrictSchema):
    study = fields.String(metadata={"description": "study OID"})
    site = fields.String(metadata={"description": "site code (with study)"})
    subject = fields.Integer(validate=ID_RANGE, metadata={"description": "subject id"})
    record = fields.Integer(validate=ID_RANGE, metadata={"description": "record id"})
    item = fields.String(validate=validate.Length(max=40), metadata={"description": "item OID"})
    user = fields.String(validate=validate.Length(max=150), metadata={"description": "username"})
    action = fields.String(validate=validate.Length(max=64))
    since = fields.AwareDateTime(default_timezone=None, metadata={"description": "from (inclusive), ISO 8601 with offset"})
    until = fields.AwareDateTime(default_timezone=None, metadata={"description": "to (exclusive)"})
    order = fields.String(load_default="newest", validate=validate.OneOf(["newest", "oldest"]))
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=1000))
    cursor = fields.String(validate=validate.Length(max=200))


class AuditEntryOut(StrictSchema):
    id = fields.Integer()
    occurred_at = fields.DateTime()
    action = fields.String()
    request_id = fields.String(allow_none=True)
    user_id = fields.Integer(allow_none=True)
    username = fields.String(allow_none=True)
    user_name = fields.String(allow_none=True)
    user_role = fields.String(allow_none=True)
    study = fields.String(attribute="study_oid", allow_none=True)
    site = fields.String(attribute="site_code", allow_none=True)
    subject_id = fields.Integer(allow_none=True)
    subject = fields.String(attribute="subject_code", allow_none=True)
    visit_key = fields.String(allow_none=True)
    visit_repeat = fields.Integer(allow_none=True)
    form_oid = fields.String(allow_none=True)
    form_version = fields.Integer(allow_none=True)
    record_id = fields.Integer(allow_none=True)
    item_oid = fields.String(allow_none=True)
    group_oid = fields.String(allow_none=True)
    group_row = fields.Integer(allow_none=True)
    old_value = fields.Raw(allow_none=True)
    new_value = fields.Raw(allow_none=True)
    reason = fields.String(allow_none=True)
    details = fields.Dict(allow_none=True)
    chain_key = fields.String()
    chain_seq = fields.Integer()
    entry_hash = fields.String()


class AuditPage(StrictSchema):
    items = fields.List(fields.Nested(AuditEntryOut))
    next_cursor = fields.String(allow_none=True, metadata={"description": "pass as cursor for the next page"})
    limit = fields.Integer()


class VerifyArgs(StrictSchema):
    study = fields.String(metadata={"description": "study OID; omit to verify every chain (system admins)"})


class BrokenLinkOut(StrictSchema):
    chain_key = fields.String()
    chain_seq = fields.Integer(allow_none=True)
    entry_id = fields.Integer(allow_none=True)
    reason = fields.String()


class VerifyOut(StrictSchema):
    ok = fields.Boolean()
    entries_checked = fields.Integer()
    chains_checked = fields.Integer()
    first_break = fields.Nested(BrokenLinkOut, allow_none=True)
    head_digest = fields.String(allow_none=True)
