"""``/subjects/{id}/eligibility``: criteria evaluated from screening data; data manager override."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import fields, validate

from ecrf.auth.principal import current_principal
from ecrf.db import get_session
from ecrf.entry.access import load_subject
from ecrf.oncology import eligibility_service
from ecrf.schemas import StrictSchema

blp = Blueprint("eligibility", __name__, description="Eligibility from screening data")


class CriterionOut(StrictSchema):
    id = fields.String()
    kind = fields.String()
    text = fields.String()
    status = fields.String(metadata={"description": "met, not_met or missing"})
    values_used = fields.Dict()
    note = fields.String(allow_none=True)


class EligibilityOut(StrictSchema):
    subject_id = fields.Integer()
    study = fields.String()
    eligible = fields.Boolean(allow_none=True, metadata={"description": "null when data are missing"})
    engine_version = fields.String()
    evaluated_at = fields.DateTime()
    sources = fields.Dict()
    criteria = fields.List(fields.Nested(CriterionOut))
    override = fields.Dict(allow_none=True)


class OverrideArgs(StrictSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


@blp.route("/subjects/<int:subject_id>/eligibility")
class Eligibility(MethodView):
    @blp.response(200, EligibilityOut)
    def get(self, subject_id: int):
        """Each inclusion and exclusion criterion: met, not met or missing, with the values used."""
        db = get_session()
        return eligibility_service.describe(db, load_subject(db, current_principal(), subject_id))


@blp.route("/subjects/<int:subject_id>/eligibility/override")
class EligibilityOverride(MethodView):
    @blp.arguments(OverrideArgs)
    @blp.response(201, EligibilityOut)
    def post(self, args, subject_id: int):
        """Allow enrolment despite failed or missing criteria (data managers; reason required)."""
        db, principal = get_session(), current_principal()
        subject = load_subject(db, principal, subject_id)
        eligibility_service.grant_override(db, principal, subject, args["reason"])
        return eligibility_service.describe(db, subject)
