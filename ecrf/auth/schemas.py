"""Request and response bodies of the auth and user endpoints."""

from __future__ import annotations

from marshmallow import fields, validate

from ecrf.auth.roles import Role
from ecrf.schemas import StrictSchema, page_schema


class LoginArgs(StrictSchema):
    username = fields.String(required=True, validate=validate.Length(min=1, max=150))
    password = fields.String(required=True, validate=validate.Length(min=1, max=256), load_only=True)


class RoleOut(StrictSchema):
    id = fields.Integer()
    study = fields.String(allow_none=True, metadata={"description": "study OID; null for a system-wide admin"})
    role = fields.String()


class MembershipOut(StrictSchema):
    id = fields.Integer()
    study = fields.String()
    site = fields.String()


class MeSchema(StrictSchema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    email = fields.String(allow_none=True)
    roles = fields.List(fields.Nested(RoleOut))
    sites = fields.List(fields.Nested(MembershipOut))
    authenticated_by = fields.String(metadata={"description": "session or token"})
    csrf_token = fields.String(allow_none=True,
                               metadata={"description": "send as X-CSRF-Token on state-changing cookie requests"})
    session_idle_minutes = fields.Integer()


class TokenArgs(StrictSchema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    expires_in_days = fields.Integer(validate=validate.Range(min=1, max=366))


class TokenOut(StrictSchema):
    id = fields.Integer()
    name = fields.String()
    prefix = fields.String()
    created_at = fields.DateTime()
    expires_at = fields.DateTime()
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class TokenCreated(TokenOut):
    token = fields.String(metadata={"description": "the secret; shown once, never stored"})


class TokenList(StrictSchema):
    items = fields.List(fields.Nested(TokenOut))


class PasswordChangeArgs(StrictSchema):
    current_password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))
    new_password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))


class UserCreateArgs(StrictSchema):
    username = fields.String(required=True, validate=[validate.Length(min=3, max=150),
                                                      validate.Regexp(r"^[A-Za-z0-9._@-]+$", error="letters, digits and . _ @ - only")])
    full_name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True)
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=256))


class UserUpdateArgs(StrictSchema):
    full_name = fields.String(validate=validate.Length(min=1, max=200))
    email = fields.Email(allow_none=True)
    active = fields.Boolean()
    password = fields.String(load_only=True, validate=validate.Length(max=256),
                             metadata={"description": "admin reset; ends the user's sessions and tokens"})


class UserOut(StrictSchema):
    id = fields.Integer()
    username = fields.String()
    full_name = fields.String()
    email = fields.String(allow_none=True)
    active = fields.Boolean()
    locked_until = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    roles = fields.List(fields.Nested(RoleOut))
    sites = fields.List(fields.Nested(MembershipOut))


UserPage = page_schema(UserOut, "UserPage")


class RoleArgs(StrictSchema):
    study = fields.String(allow_none=True, required=True,
                          metadata={"description": "study OID; null grants system-wide admin"})
    role = fields.String(required=True, validate=validate.OneOf([r.value for r in Role]))


class MembershipArgs(StrictSchema):
    study = fields.String(required=True)
    site = fields.String(required=True)
