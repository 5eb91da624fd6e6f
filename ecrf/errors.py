"""Domain errors raised by services, and their one JSON shape over HTTP.

Services raise these; they never build responses. The handlers here turn them (and every
werkzeug HTTP error) into ``{"code", "status", "message", "errors"?}``.
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import HTTPException, InternalServerError
from werkzeug.http import HTTP_STATUS_CODES


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str, errors: Any = None, headers: dict | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors
        self.headers = headers or {}


class BadRequest(DomainError):
    status_code = 400


class Unauthorized(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Locked(Conflict):
    """Data is locked (record, subject or study freeze)."""


class PreconditionFailed(DomainError):
    status_code = 412


class UnsupportedMediaType(DomainError):
    status_code = 415


class RuleViolation(DomainError):
    """Input breaks a rule: a field is missing, malformed or fails a check (422)."""

    status_code = 422


class PreconditionRequired(DomainError):
    status_code = 428


class TooManyRequests(DomainError):
    status_code = 429


class ServiceUnavailable(DomainError):
    status_code = 503


def error_payload(status: int, message: str, errors: Any = None) -> dict:
    payload = {"code": status, "status": HTTP_STATUS_CODES.get(status, "Error"), "message": message}
    if errors:
        payload["errors"] = errors
    return payload


def domain_error_response(error: DomainError):
    return error_payload(error.status_code, error.message, error.errors), error.status_code, error.headers


def http_error_response(error: HTTPException):
    """werkzeug and webargs errors in the same shape; never leak internals of a 500."""
    data = getattr(error, "data", None) or {}
    status = error.code or 500
    if isinstance(error, InternalServerError) or status >= 500:
        message = "The server could not complete the request; nothing was saved."
        return error_payload(status, message), status, {}
    message = data.get("message") or error.description or HTTP_STATUS_CODES.get(status, "Error")
    errors = data.get("errors") or data.get("messages")
    if isinstance(errors, dict) and set(errors) == {"json"}:
        errors = errors["json"]  # webargs nests body errors under the location
    headers = dict(data.get("headers") or {})
    if status == 422 and not data.get("message"):
        message = "The request has invalid fields; see errors."
    return error_payload(status, message, errors), status, headers
