"""Bodies of the ``/studies`` endpoints."""

from __future__ import annotations

from marshmallow import fields, validate

from ecrf.schemas import StrictSchema, page_schema


class SiteOut(StrictSchema):
    code = fields.String()
    name = fields.String()
    country = fields.String(allow_none=True)
    timezone = fields.String(allow_none=True)
    active = fields.Boolean()


class StudySummary(StrictSchema):
    oid = fields.String()
    title = fields.String()
    version = fields.Integer(attribute="current_version")


StudyPage = page_schema(StudySummary, "StudyPage")


class StudyOut(StrictSchema):
    oid = fields.String()
    title = fields.String()
    short_title = fields.String(allow_none=True)
    version = fields.Integer()
    protocol = fields.Dict()
    arms = fields.List(fields.Dict())
    anchors = fields.List(fields.Dict())
    parameters = fields.Dict()
    sites = fields.List(fields.Dict())
    frozen = fields.Boolean()


class ScheduledForm(StrictSchema):
    form = fields.String()
    version = fields.Integer()
    title = fields.String(allow_none=True)
    required = fields.Boolean()
    show_if = fields.String(allow_none=True)


class ScheduleVisit(StrictSchema):
    key = fields.String()
    name = fields.String()
    anchor = fields.String()
    day = fields.Integer()
    window_before = fields.Integer()
    window_after = fields.Integer()
    repeating = fields.Boolean()
    repeat_every = fields.Integer(allow_none=True)
    repeat_count = fields.Integer(allow_none=True)
    repeat_until_day = fields.Integer(allow_none=True)
    forms = fields.List(fields.Nested(ScheduledForm))


class ScheduleLog(StrictSchema):
    key = fields.String()
    name = fields.String()
    forms = fields.List(fields.Nested(ScheduledForm))


class ScheduleOut(StrictSchema):
    study = fields.String()
    version = fields.Integer()
    anchors = fields.List(fields.Dict())
    visits = fields.List(fields.Nested(ScheduleVisit))
    logs = fields.List(fields.Nested(ScheduleLog))
    unscheduled_forms = fields.List(fields.Nested(ScheduledForm))


class SiteCreateArgs(StrictSchema):
    code = fields.String(required=True, validate=validate.Regexp(r"^[A-Z][A-Z0-9-]{1,19}$",
                                                                 error="2-20 upper-case letters, digits or '-'"))
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    country = fields.String(allow_none=True, validate=validate.Regexp(r"^[A-Z]{2}$", error="ISO 3166 alpha-2"))
    timezone = fields.String(allow_none=True, validate=validate.Length(max=64))


class SiteUpdateArgs(StrictSchema):
    name = fields.String(validate=validate.Length(min=1, max=200))
    active = fields.Boolean()
    timezone = fields.String(allow_none=True, validate=validate.Length(max=64))
