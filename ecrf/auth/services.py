"""Login, logout, lockout, throttling, API tokens and password changes.

Services flush and raise domain errors; the request commits. A failed login is *recorded*
(counter, audit entry) even though the request answers 401: the view asks the request to keep
those changes (``keep_changes_on_error``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ecrf.audit.services import Where, record_event
from ecrf.auth.models import ApiToken, AuthSession, LoginThrottle, User
from ecrf.auth.passwords import hash_password, needs_rehash, policy_problems, verify_password
from ecrf.auth.principal import Principal
from ecrf.auth.tokens import digest, new_api_token, new_secret
from ecrf.config import Settings
from ecrf.db import utcnow
from ecrf.errors import NotFound, RuleViolation, TooManyRequests

ADDRESS_WINDOW = dt.timedelta(minutes=15)
ADDRESS_MAX_FAILURES = 30


@dataclass(frozen=True)
class LoginResult:
    ok: bool
    user: User | None = None
    session_secret: str | None = None
    auth_session: AuthSession | None = None
    failure: str | None = None


def normalise_username(username: str) -> str:
    return username.strip().lower()


def find_user(db: Session, username: str) -> User | None:
    return db.execute(select(User).where(User.username == normalise_username(username))).scalar_one_or_none()


def _address_throttled(db: Session, remote_addr: str, now: dt.datetime) -> bool:
    row = db.get(LoginThrottle, remote_addr)
    return bool(row and now - row.window_started_at < ADDRESS_WINDOW and row.failures >= ADDRESS_MAX_FAILURES)


def _count_address_failure(db: Session, remote_addr: str, now: dt.datetime) -> None:
    row = db.get(LoginThrottle, remote_addr)
    if row is None:
        db.add(LoginThrottle(remote_addr=remote_addr, failures=1, window_started_at=now))
    elif now - row.window_started_at >= ADDRESS_WINDOW:
        row.failures, row.window_started_at = 1, now
    else:
        row.failures += 1


def login(db: Session, settings: Settings, username: str, password: str, remote_addr: str) -> LoginResult:
    now = utcnow()
    if _address_throttled(db, remote_addr, now):
        raise TooManyRequests("too many failed logins from this address; wait and try again",
                              headers={"Retry-After": str(int(ADDRESS_WINDOW.total_seconds()))})
    user = find_user(db, username)
    password_ok = verify_password(user.password_hash if user else None, password)
    failure = None
    if user is None:
        failure = "unknown user"
    elif user.locked_until is not None and user.locked_until > now:
        failure = "account locked"
    elif not user.active:
        failure = "account inactive"
    elif not password_ok:
        failure = "wrong password"
    if failure:
        _count_address_failure(db, remote_addr, now)
        details = {"reason": failure, "remote_addr": remote_addr}
        record_event(db, "auth.login_failed", user_id=user.id if user else None,
                     username=normalise_username(username)[:150], role="", details=details)
        if user is not None and failure == "wrong password":
            register_failed_password(db, settings, user, now)
        db.flush()
        return LoginResult(ok=False, failure=failure)
    user.failed_logins = 0
    user.locked_until = None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    secret = new_secret()
    auth_session = AuthSession(token_hash=digest(secret), user_id=user.id, csrf_token=new_secret(),
                               created_at=now, last_seen_at=now, remote_addr=remote_addr)
    db.add(auth_session)
    db.flush()
    record_event(db, "auth.login", user_id=user.id, username=user.username, role="",
                 details={"remote_addr": remote_addr, "session": auth_session.id})
    return LoginResult(ok=True, user=user, session_secret=secret, auth_session=auth_session)


def register_failed_password(db: Session, settings: Settings, user: User, now: dt.datetime | None = None) -> None:
    """Count a wrong password (at login or at signing); lock the account at the threshold."""
    now = now or utcnow()
    user.failed_logins += 1
    if user.failed_logins >= settings.lockout_threshold:
        user.locked_until = now + dt.timedelta(minutes=settings.lockout_minutes)
        user.failed_logins = 0
        record_event(db, "auth.lockout", user_id=user.id, username=user.username, role="",
                     details={"locked_until": user.locked_until.isoformat(),
                              "threshold": settings.lockout_threshold})


def logout(db: Session, principal: Principal) -> None:
    if principal.session_id is not None:
        row = db.get(AuthSession, principal.session_id)
        if row is not None and row.revoked_at is None:
            row.revoked_at = utcnow()
    record_event(db, "auth.logout", role="", details={"session": principal.session_id})


def revoke_all_credentials(db: Session, user_id: int, why: str) -> None:
    now = utcnow()
    db.execute(update(AuthSession).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
               .values(revoked_at=now))
    db.execute(update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
               .values(revoked_at=now))
    record_event(db, "auth.credentials_revoked", user_id=user_id, details={"why": why})


def issue_token(db: Session, settings: Settings, principal: Principal, name: str,
                expires_in_days: int | None) -> tuple[ApiToken, str]:
    days = expires_in_days or settings.token_days
    if not 1 <= days <= 366:
        raise RuleViolation("invalid token lifetime",
                            errors={"expires_in_days": ["must be between 1 and 366 days"]})
    secret = new_api_token()
    token = ApiToken(user_id=principal.user_id, name=name, token_hash=digest(secret),
                     prefix=secret[:12], expires_at=utcnow() + dt.timedelta(days=days))
    db.add(token)
    db.flush()
    record_event(db, "auth.token_issued", role="",
                 details={"token_id": token.id, "name": name, "expires_at": token.expires_at.isoformat()})
    return token, secret


def list_tokens(db: Session, principal: Principal) -> list[ApiToken]:
    return list(db.execute(select(ApiToken).where(ApiToken.user_id == principal.user_id)
                           .order_by(ApiToken.id)).scalars())


def revoke_token(db: Session, principal: Principal, token_id: int) -> ApiToken:
    token = db.get(ApiToken, token_id)
    if token is None or (token.user_id != principal.user_id and not principal.is_global_admin):
        raise NotFound("token not found")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record_event(db, "auth.token_revoked", role="", details={"token_id": token.id, "owner": token.user_id})
    return token


def change_password(db: Session, settings: Settings, principal: Principal, current: str, new: str) -> None:
    user = db.get(User, principal.user_id)
    if not verify_password(user.password_hash, current):
        raise RuleViolation("the current password is wrong", errors={"current_password": ["is wrong"]})
    set_password(db, settings, user, new)
    revoke_all_credentials(db, user.id, "password changed")


def set_password(db: Session, settings: Settings, user: User, new: str) -> None:
    problems = policy_problems(new, user.username, settings.password_min_length)
    if problems:
        raise RuleViolation("the new password does not meet the policy",
                            errors={"password": [f"password {p}" for p in problems]})
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    record_event(db, "user.password_set", Where(), details={"user": user.id})
