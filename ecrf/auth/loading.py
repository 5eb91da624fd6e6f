"""Who is calling: flask-login wiring for cookie sessions and bearer tokens, CSRF, login required.

Every route requires an authenticated caller unless its view is marked :func:`public`.
Cookie sessions are server-side rows (``auth_session``): the cookie carries a random id whose
hash is looked up, so logout and password changes take effect everywhere at once.
"""

from __future__ import annotations

import datetime as dt
import hmac

from flask import Flask, current_app, g, request, session
from flask_login import LoginManager, current_user
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from ecrf.auth.models import ApiToken, AuthSession, User
from ecrf.auth.principal import ANONYMOUS, Principal
from ecrf.auth.roles import Role
from ecrf.auth.tokens import digest
from ecrf.db import get_session, sqlite_write_intent, utcnow
from ecrf.errors import Forbidden, Unauthorized

SESSION_KEY = "sid"
CSRF_HEADER = "X-CSRF-Token"
# last_seen is refreshed at most this often, so reads rarely write
TOUCH_INTERVAL = dt.timedelta(seconds=60)
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
# the OpenAPI document and the docs page (registered by flask-smorest and ecrf.apidocs)
PUBLIC_ENDPOINT_PREFIXES = ("api-docs.", "docs-page.", "static")


def public(view):
    """Mark a view as reachable without logging in."""
    view._public = True
    return view


def csrf_exempt(view):
    view._csrf_exempt = True
    return view


class LoginUser:
    """The flask-login user object: a thin wrapper so the ORM row never leaks across requests."""

    def __init__(self, user: User, via: str, auth_session: AuthSession | None = None,
                 token: ApiToken | None = None):
        self.user = user
        self.via = via
        self.auth_session = auth_session
        self.token = token

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.user.active

    def get_id(self) -> str:
        return str(self.user.id)


def _settings():
    return current_app.extensions["ecrf.settings"]


def _touch(model, row_id: int, column: str) -> None:
    """Bookkeeping of last use.

    A request that writes does it in its own transaction (it holds the write lock on SQLite
    already); a read-only request does it in a short side transaction so that reads stay reads.
    """
    statement = update(model).where(model.id == row_id).values({column: utcnow()})
    if sqlite_write_intent.get():
        get_session().execute(statement)
        return
    factory = current_app.extensions["ecrf.sessionmaker"]
    with factory() as side:
        token = sqlite_write_intent.set(True)
        try:
            side.execute(statement)
            side.commit()
        finally:
            sqlite_write_intent.reset(token)


def load_from_session(user_id: str) -> LoginUser | None:
    if request.headers.get("Authorization"):
        return None  # an explicit credential wins over a cookie
    raw = session.get(SESSION_KEY)
    if not raw:
        return None
    db = get_session()
    row = db.execute(select(AuthSession).where(AuthSession.token_hash == digest(raw))).scalar_one_or_none()
    now = utcnow()
    idle = dt.timedelta(minutes=_settings().session_idle_minutes)
    if row is None or row.revoked_at is not None or str(row.user_id) != user_id:
        return None
    if now - row.last_seen_at > idle:
        g.session_expired = True
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at > TOUCH_INTERVAL:
        _touch(AuthSession, row.id, "last_seen_at")
    return LoginUser(user, "session", auth_session=row)


def load_from_token(req) -> LoginUser | None:
    header = req.headers.get("Authorization", "")
    if not header:
        return None
    scheme, _, credential = header.partition(" ")
    if scheme.lower() != "bearer" or not credential.strip():
        raise Unauthorized("Authorization header must be 'Bearer <token>'")
    db = get_session()
    token = db.execute(
        select(ApiToken).where(ApiToken.token_hash == digest(credential.strip()))
    ).scalar_one_or_none()
    now = utcnow()
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        raise Unauthorized("the API token is not valid (unknown, expired or revoked)")
    user = db.get(User, token.user_id)
    if user is None or not user.active:
        raise Unauthorized("the API token's user is not active")
    if token.last_used_at is None or now - token.last_used_at > TOUCH_INTERVAL:
        _touch(ApiToken, token.id, "last_used_at")
    return LoginUser(user, "token", token=token)


def principal_for(user: User, via: str, auth_session: AuthSession | None = None,
                  token: ApiToken | None = None) -> Principal:
    roles: dict[int | None, set[Role]] = {}
    for assignment in user.roles:
        roles.setdefault(assignment.study_id, set()).add(Role(assignment.role))
    return Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        via=via,
        roles={k: frozenset(v) for k, v in roles.items()},
        site_ids=frozenset(m.site_id for m in user.memberships),
        session_id=auth_session.id if auth_session else None,
        token_id=token.id if token else None,
    )


def _authenticate(app: Flask) -> None:
    view = app.view_functions.get(request.endpoint) if request.endpoint else None
    if view is None:
        g.principal = ANONYMOUS
        return  # 404/405 follow from routing
    if getattr(view, "_public", False) or request.endpoint.startswith(PUBLIC_ENDPOINT_PREFIXES):
        g.principal = ANONYMOUS
        if request.headers.get("Authorization") or session.get(SESSION_KEY):
            try:
                user = current_user._get_current_object()
            except (Unauthorized, OperationalError):
                return  # a public page answers without a caller (liveness must not need the database)
            if getattr(user, "is_authenticated", False):
                g.principal = principal_for(user.user, user.via, user.auth_session, user.token)
        return
    user = current_user._get_current_object()
    if not getattr(user, "is_authenticated", False):
        if g.get("session_expired"):
            raise Unauthorized("your session expired after inactivity; log in again")
        raise Unauthorized("log in or send an API token to use this API")
    g.principal = principal_for(user.user, user.via, user.auth_session, user.token)
    if (user.via == "session" and request.method not in _SAFE_METHODS
            and not getattr(view, "_csrf_exempt", False)):
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent, user.auth_session.csrf_token):
            raise Forbidden(f"the {CSRF_HEADER} header is missing or wrong",
                            errors={CSRF_HEADER: ["send the csrf_token returned by login or /auth/me"]})


def init_login(app: Flask) -> None:
    manager = LoginManager()
    manager.session_protection = None  # server-side sessions do this job
    manager.user_loader(load_from_session)
    manager.request_loader(load_from_token)
    manager.init_app(app)
    app.before_request(lambda: _authenticate(app))
