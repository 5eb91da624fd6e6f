"""``/auth``: login, logout, who am I, API tokens, password change."""

from __future__ import annotations

from flask import current_app, g, request, session
from flask.views import MethodView
from flask_login import login_user, logout_user
from flask_smorest import Blueprint

from ecrf.auth import services
from ecrf.auth.loading import SESSION_KEY, LoginUser, csrf_exempt, public
from ecrf.auth.principal import current_principal
from ecrf.auth.schemas import LoginArgs, MeSchema, PasswordChangeArgs, TokenArgs, TokenCreated, TokenList
from ecrf.auth.users import describe_user
from ecrf.db import get_session
from ecrf.errors import Unauthorized

blp = Blueprint("auth", __name__, url_prefix="/auth", description="Login, sessions and API tokens")

LOGIN_REFUSED = "Login refused: wrong username or password, or the account is locked or inactive."


def _settings():
    return current_app.extensions["ecrf.settings"]


def _me(user, via: str, csrf: str | None) -> dict:
    data = describe_user(get_session(), user)
    data.update(authenticated_by=via, csrf_token=csrf, session_idle_minutes=_settings().session_idle_minutes)
    return data


@blp.route("/login")
class Login(MethodView):
    decorators = [public, csrf_exempt]

    @blp.arguments(LoginArgs)
    @blp.response(200, MeSchema)
    @blp.alt_response(401, description="Wrong credentials, locked or inactive account")
    @blp.alt_response(429, description="Too many failures from this address")
    def post(self, args):
        """Log in with username and password; starts a cookie session."""
        db = get_session()
        result = services.login(db, _settings(), args["username"], args["password"],
                                request.remote_addr or "unknown")
        if not result.ok:
            g.keep_changes_on_error = True  # the failure count and its audit entry must persist
            raise Unauthorized(LOGIN_REFUSED)
        session.clear()  # no session fixation: a fresh cookie for a fresh login
        login_user(LoginUser(result.user, "session", result.auth_session), remember=False)
        session[SESSION_KEY] = result.session_secret
        return _me(result.user, "session", result.auth_session.csrf_token)


@blp.route("/logout")
class Logout(MethodView):
    @blp.response(204)
    def post(self):
        """End the current session (server side too)."""
        services.logout(get_session(), current_principal())
        logout_user()
        session.clear()


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """Who the caller is, with roles per study and site memberships."""
        from flask_login import current_user

        login = current_user._get_current_object()
        csrf = login.auth_session.csrf_token if login.auth_session else None
        return _me(login.user, login.via, csrf)


@blp.route("/tokens")
class Tokens(MethodView):
    @blp.response(200, TokenList)
    def get(self):
        """The caller's API tokens (never their secrets)."""
        return {"items": services.list_tokens(get_session(), current_principal())}

    @blp.arguments(TokenArgs)
    @blp.response(201, TokenCreated)
    def post(self, args):
        """Issue an API token for a machine client; the secret is shown once."""
        token, secret = services.issue_token(get_session(), _settings(), current_principal(),
                                             args["name"], args.get("expires_in_days"))
        token.token = secret  # shown in this response only; never stored
        return token


@blp.route("/tokens/<int:token_id>")
class TokenItem(MethodView):
    @blp.response(204)
    def delete(self, token_id: int):
        """Revoke an API token."""
        services.revoke_token(get_session(), current_principal(), token_id)


@blp.route("/password")
class Password(MethodView):
    @blp.arguments(PasswordChangeArgs)
    @blp.response(204)
    def post(self, args):
        """Change your password; every session and token of yours ends."""
        services.change_password(get_session(), _settings(), current_principal(),
                                 args["current_password"], args["new_password"])
        logout_user()
        session.clear()
