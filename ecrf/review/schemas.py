"""Bodies and outputs of the review endpoints."""

from __future__ import annotations

from marshmallow import fields, validate

from ecrf.review.sdv_listing import STATUS_FILTERS
from ecrf.schemas import COUNT_RANGE, PageArgs, StrictSchema

REASON = fields.String(validate=validate.Length(max=2000), allow_none=True)


class SdvArgs(StrictSchema):
    items = fields.List(fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(min=1),
                        metadata={"description": "item keys (OID, or GROUP[row].ITEM); "
                                                 "every item with a value when omitted"})
    verified = fields.Boolean(load_default=True,
                              metadata={"description": "false undoes a verification (reason required)"})
    reason = REASON


class SignArgs(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=150),
                             metadata={"description": "your own username, re-entered"})
    password = fields.String(required=True, load_only=True, validate=validate.Length(min=1, max=256),
                             metadata={"description": "your password, re-entered for this signature"})
    meaning = fields.String(required=True, validate=validate.Length(min=1, max=100),
                            metadata={"description": "code or label of a meaning from GET /signature-meanings"})
    content_hash = fields.String(validate=validate.Length(equal=64),
                                 metadata={"description": "visit/casebook: the hash you reviewed (412 if it changed)"})


class LockArgs(StrictSchema):
    reason = REASON


class UnlockArgs(StrictSchema):
    reason = fields.String(validate=validate.Length(max=2000), allow_none=True,
                           metadata={"description": "required: why the data must change again"})


class MigrateArgs(StrictSchema):
    target_version = fields.Integer(validate=COUNT_RANGE,
                                    metadata={"description": "defaults to the form's latest published version"})
    dry_run = fields.Boolean(load_default=True, metadata={"description": "true (default): report only"})
    reason = REASON
    accept_losses = fields.Boolean(load_default=False,
                                   metadata={"description": "apply although the dry run lists values that would "
                                                            "be lost (they stay in the audit trail)"})


class BatchMigrateArgs(MigrateArgs):
    site = fields.String(validate=validate.Length(max=20), metadata={"description": "only records of this site"})


class VisitSelector(StrictSchema):
    repeat = fields.Integer(load_default=1, validate=validate.Range(min=1, max=10000))


class FindingsFilterArgs(StrictSchema):
    site = fields.String(validate=validate.Length(max=20))
    status = fields.String(validate=validate.OneOf(["open", "resolved"]))
    category = fields.String(validate=validate.Length(max=30),
                             metadata={"description": "visit_window, missed_visit, treatment, ..."})
    code = fields.String(validate=validate.Length(max=40), metadata={"description": "e.g. VISIT_OUT_OF_WINDOW"})


class FindingsArgs(PageArgs, FindingsFilterArgs):
    pass


class SdvListArgs(PageArgs):
    site = fields.String(validate=validate.Length(max=20))
    form = fields.String(validate=validate.Length(max=40))
    status = fields.String(validate=validate.OneOf(STATUS_FILTERS),
                           metadata={"description": "pending (default: not fully verified), or one status, or all"})


class SignatureOut(StrictSchema):
    id = fields.Integer()
    scope = fields.String()
    record_id = fields.Integer(allow_none=True)
    visit_id = fields.Integer(allow_none=True)
    subject_id = fields.Integer()
    printed_name = fields.String()
    username = fields.String()
    meaning = fields.String()
    signed_at = fields.String()
    content_hash = fields.String()
    hash_algorithm = fields.String()
    status = fields.String()
    invalidated_at = fields.String(allow_none=True)
    invalidation_cause = fields.String(allow_none=True)
    changed_items = fields.List(fields.Dict(), metadata={
        "description": "what changed: {record_id, form_oid, item} for a record's item, or {visit_key, visit_repeat, "
                       "item} with item VISIT.DATE or VISIT.STATUS for a visit's date or missed status"})


class LockOut(StrictSchema):
    locked = fields.Boolean()
    level = fields.String(allow_none=True, metadata={"description": "record, subject or study"})
    locked_at = fields.DateTime(allow_none=True)
    locked_by = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class SubjectReviewOut(StrictSchema):
    subject_id = fields.Integer()
    subject = fields.String()
    site = fields.String()
    signature_status = fields.String(metadata={"description": "signed, needs_resigning or unsigned"})
    signatures = fields.List(fields.Nested(SignatureOut))
    casebook_hash = fields.String(metadata={"description": "SHA-256 of the casebook as it would be signed now"})
    records = fields.Integer()
    incomplete_records = fields.List(fields.Integer())
    sdv = fields.Dict(metadata={"description": "complete records per SDV status"})
    lock = fields.Nested(LockOut)


class StudyStateOut(StrictSchema):
    study = fields.String()
    frozen = fields.Boolean()
    frozen_at = fields.DateTime(allow_none=True)


class MeaningOut(StrictSchema):
    code = fields.String()
    label = fields.String()
    statement = fields.String()


class MeaningList(StrictSchema):
    items = fields.List(fields.Nested(MeaningOut))


class DeviationFindingOut(StrictSchema):
    id = fields.Integer()
    study = fields.String()
    site = fields.String()
    subject_id = fields.Integer()
    subject = fields.String()
    visit_key = fields.String(allow_none=True)
    visit_repeat = fields.Integer(allow_none=True)
    visit_name = fields.String(allow_none=True)
    record_id = fields.Integer(allow_none=True)
    code = fields.String()
    category = fields.String()
    severity = fields.String()
    status = fields.String()
    message = fields.String()
    details = fields.Dict(allow_none=True)
    detected_at = fields.DateTime()
    resolved_at = fields.DateTime(allow_none=True)


class DeviationFindingPage(StrictSchema):
    items = fields.List(fields.Nested(DeviationFindingOut))
    page = fields.Integer(allow_none=True)
    per_page = fields.Integer(allow_none=True)
    total = fields.Integer()


class SdvOverviewOut(StrictSchema):
    study = fields.String()
    status = fields.String()
    sites = fields.List(fields.Dict(), metadata={"description": "per site: records by SDV status, items verified"})
    items = fields.List(fields.Dict(), metadata={"description": "records matching the status, with pending items"})
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class MigrationOut(StrictSchema):
    """A dry-run or applied migration report (one record, or every record of a form)."""

    record_id = fields.Integer()
    form_oid = fields.String()
    from_version = fields.Integer()
    to_version = fields.Integer()
    dry_run = fields.Boolean()
    applied = fields.Boolean()
    locked = fields.String(allow_none=True)
    record_status = fields.String()
    status_after = fields.String()
    summary = fields.Dict()
    mapped = fields.List(fields.Dict())
    added = fields.List(fields.Dict())
    lost = fields.List(fields.Dict())
    failing = fields.List(fields.Dict())
    needs_value = fields.List(fields.String())
    warnings = fields.List(fields.Dict())
    can_apply = fields.Boolean()
    version = fields.Integer()


class BatchMigrationOut(StrictSchema):
    form_oid = fields.String()
    to_version = fields.Integer()
    site = fields.String(allow_none=True)
    dry_run = fields.Boolean()
    applied = fields.Boolean()
    summary = fields.Dict()
    records = fields.List(fields.Dict())
