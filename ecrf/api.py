"""The flask-smorest API object: OpenAPI document, error shape, blueprint registration."""

from __future__ import annotations

from http import HTTPStatus

import flask_smorest
import marshmallow as ma
from apispec import BasePlugin
from flask_smorest import Api as SmorestApi
from ecrf.errors import http_error_response
from ecrf.jsonbody import StrictParser

API_PREFIX = "/api/v1"

# webargs excludes unknown query parameters by default; ours refuse them (422) like unknown body
# fields, so a misspelt filter is an error rather than a silently unfiltered list. JSON bodies are
# parsed strictly (ecrf.jsonbody).
flask_smorest.Blueprint.ARGUMENTS_PARSER = StrictParser(unknown=None)


class ErrorSchema(ma.Schema):
    """The one error shape (ecrf.errors.error_payload)."""

    code = ma.fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = ma.fields.String(required=True, metadata={"description": "HTTP status name"})
    message = ma.fields.String(required=True, metadata={"description": "what went wrong, for a person"})
    errors = ma.fields.Dict(metadata={"description": "details keyed by field, item OID or header"})


class Api(SmorestApi):
    # No catch-all "default" response: every operation lists the error statuses it can answer
    # (ErrorResponses below), so a client and a contract test know exactly what to expect.
    DEFAULT_ERROR_RESPONSE_NAME = None
    ERROR_SCHEMA = ErrorSchema

    def handle_http_exception(self, error):
        return http_error_response(error)


_SAFE = {"get", "head", "options"}
# A query parameter or body field naming a study, subject or record looks it up: 404 when the
# caller may not see it.
_LOOKUP_ARGUMENTS = {"study", "subject", "record_id", "subject_id"}


class ErrorResponses(BasePlugin):
    """Document the shared error responses each operation can answer, in the Error shape.

    - 401 and 403 on every operation that needs a caller (no credential; the role may not act, or
      a cookie session's write lacks X-CSRF-Token);
    - 404 where a path parameter, query parameter or body field names something to look up
      (outside the caller's sites it does not exist);
    - 409 (a lock, a conflicting or concurrent change) and 415 (body not JSON) on every write;
      400 where there is a body (malformed JSON, control characters in text) or a query string
      (control characters), 413 (body too large) where there is a body;
    - 412/428 with an If-Match header parameter where the view documents 428;
    - 500 and 503 (database unavailable) everywhere but liveness.
    Views declare anything else (401 of login and sign, 429 of login, 422...) with alt_response.
    """

    def __init__(self, app):
        super().__init__()
        self.app = app

    def init_spec(self, spec):
        super().init_spec(spec)
        self.spec = spec

    def operation_helper(self, path=None, operations=None, **kwargs):
        rule = kwargs.get("rule")
        view = self.app.view_functions.get(rule.endpoint) if rule is not None else None
        public = bool(getattr(view, "_public", False))
        for method, operation in (operations or {}).items():
            responses = operation.setdefault("responses", {})
            for code, response in list(responses.items()):
                if str(code)[0] in "45" and isinstance(response, dict) and "content" not in response:
                    response["content"] = {"application/json": {"schema": "Error"}}
            for code in self._codes(rule, method, operation, public):
                if str(code) not in responses and code not in responses:
                    responses[code] = HTTPStatus(code).name
            if "428" in responses or 428 in responses:
                operation.setdefault("parameters", []).append({
                    "in": "header", "name": "If-Match", "required": False, "schema": {"type": "string"},
                    "description": "the record's ETag from its last GET or change (428 without it, 412 if stale)"})
            if public:
                operation["security"] = []

    def _body_fields(self, body: dict | None) -> set[str]:
        schema = next(iter((body or {}).get("content", {}).values()), {}).get("schema", {})
        if isinstance(schema, dict) and "$ref" in schema:
            schema = self.spec.components.schemas.get(schema["$ref"].rsplit("/", 1)[-1], {})
        return set(schema.get("properties", {})) if isinstance(schema, dict) else set()

    def _codes(self, rule, method: str, operation: dict, public: bool) -> list[int]:
        codes = [500]
        if rule is not None and rule.rule.endswith("/health"):
            return codes
        codes.append(503)
        if not public:
            codes += [401, 403]
        names = {p.get("name") for p in operation.get("parameters", []) if isinstance(p, dict)}
        body = operation.get("requestBody")
        if (rule is not None and rule.arguments) or (names | self._body_fields(body)) & _LOOKUP_ARGUMENTS:
            codes.append(404)
        if method not in _SAFE:
            codes += [409, 415]
        if body or any(isinstance(p, dict) and p.get("in") == "query" for p in operation.get("parameters", [])):
            codes.append(400)
        if body:
            codes.append(413)
        return codes


def register_blueprints(api: Api) -> None:
    from ecrf.audit.views import blp as audit_blp
    from ecrf.auth.views import blp as auth_blp
    from ecrf.auth.users_views import blp as users_blp
    from ecrf.definitions.views import blp as forms_blp
    from ecrf.entry.views import blp as entry_blp
    from ecrf.exports.views import blp as exports_blp
    from ecrf.oncology.eligibility_views import blp as eligibility_blp
    from ecrf.oncology.views import blp as oncology_blp
    from ecrf.queries.views import blp as queries_blp
    from ecrf.review.study_views import blp as study_review_blp
    from ecrf.review.views import blp as review_blp
    from ecrf.health import blp as health_blp
    from ecrf.studies.views import blp as studies_blp

    for blueprint in (health_blp, auth_blp, users_blp, studies_blp, forms_blp, entry_blp, eligibility_blp, queries_blp,
                      audit_blp, oncology_blp, review_blp, study_review_blp, exports_blp):
        api.register_blueprint(blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or ""))
