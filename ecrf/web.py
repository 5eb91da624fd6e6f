"""The request lifecycle: request ids, content types, one commit per request, security headers."""

from __future__ import annotations

import logging
import re
import uuid

from flask import Flask, g, request
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from werkzeug.exceptions import HTTPException

from ecrf.db import close_session, sqlite_write_intent
from ecrf.errors import (DomainError, UnsupportedMediaType, domain_error_response, error_payload,
                         http_error_response)

log = logging.getLogger("ecrf.web")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
_READ_METHODS = {"GET", "HEAD", "OPTIONS"}

API_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
JSON_CSP = "default-src 'none'; frame-ancestors 'none'"
DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; "
            "form-action 'none'")


def accepts(*mimetypes: str):
    """Let a view take bodies other than JSON (e.g. ODM XML)."""

    def mark(view):
        view._accepts = frozenset(mimetypes)
        return view

    return mark


def writes(view):
    """A GET view that also writes (an export records its own audit event): its transaction
    begins as a writer, like any POST (on SQLite a read transaction cannot become a writer once
    another connection has written)."""
    view._writes = True
    return view


def _view_marks(app: Flask, name: str, default=None):
    view = app.view_functions.get(request.endpoint) if request.endpoint else None
    return getattr(view, name, getattr(getattr(view, "view_class", None), name, default))


def _check_content_type(app: Flask) -> None:
    if request.method not in _BODY_METHODS:
        return
    has_body = bool(request.content_length) or request.headers.get("Transfer-Encoding") == "chunked"
    if not has_body:
        return
    allowed = _view_marks(app, "_accepts", frozenset({"application/json"}))
    if request.mimetype not in allowed:
        raise UnsupportedMediaType(
            f"request body must be {' or '.join(sorted(allowed))}, got {request.mimetype or 'no content type'}",
            errors={"Content-Type": [f"expected {', '.join(sorted(allowed))}"]},
        )


def _finish_transaction(response):
    session = g.get("_db_session")
    if session is None:
        return response
    if response.status_code >= 400 and not g.get("keep_changes_on_error"):
        session.rollback()
        return response
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        log.warning("commit refused by a constraint", exc_info=True)
        payload = error_payload(409, "The change conflicts with data saved meanwhile; nothing was saved.")
        return _json_response(payload, 409, response)
    except OperationalError:
        session.rollback()
        log.error("database unavailable at commit", exc_info=True)
        payload = error_payload(503, "The database is unavailable; nothing was saved. Try again.")
        return _json_response(payload, 503, response)
    return response


def _json_response(payload: dict, status: int, original):
    from flask import jsonify

    new = jsonify(payload)
    new.status_code = status
    rid = original.headers.get("X-Request-ID")
    if rid:
        new.headers["X-Request-ID"] = rid
    return new


def _security_headers(response):
    for name, value in API_SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint and request.endpoint.startswith("docs-page"):
        response.headers.setdefault("Content-Security-Policy", DOCS_CSP)
    else:
        response.headers.setdefault("Content-Security-Policy", JSON_CSP)
        response.headers.setdefault("Cache-Control", "no-store")
    response.headers["X-Request-ID"] = g.get("request_id", "")
    return response


def init_request_lifecycle(app: Flask) -> None:
    @app.before_request
    def _start():
        supplied = request.headers.get("X-Request-ID", "")
        g.request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        g.intent_token = sqlite_write_intent.set(request.method not in _READ_METHODS
                                                 or bool(_view_marks(app, "_writes", False)))
        _check_content_type(app)

    @app.after_request
    def _finish(response):
        response = _finish_transaction(response)
        return _security_headers(response)

    @app.teardown_request
    def _teardown(exc):
        close_session(exc)
        token = g.pop("intent_token", None)
        if token is not None:
            sqlite_write_intent.reset(token)

    @app.teardown_appcontext
    def _close_leftover_session(exc):
        close_session(exc)  # CLI commands and scripts that used get_session() outside a request

    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        return domain_error_response(error)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        return http_error_response(error)

    @app.errorhandler(IntegrityError)
    def _constraint(error):
        log.warning("constraint violation", exc_info=error)
        return error_payload(409, "The change conflicts with existing data; nothing was saved."), 409

    @app.errorhandler(OperationalError)
    def _db_unavailable(error):
        log.error("database unavailable: %s", str(getattr(error, "orig", error)).splitlines()[0])
        return error_payload(503, "The database is unavailable; nothing was saved. Try again."), 503

    @app.errorhandler(DBAPIError)
    def _db_error(error):
        log.error("database error", exc_info=error)
        return error_payload(500, "The server could not complete the request; nothing was saved."), 500

    @app.errorhandler(Exception)
    def _unexpected(error):
        log.exception("unhandled error", exc_info=error)
        return error_payload(500, "The server could not complete the request; nothing was saved."), 500
