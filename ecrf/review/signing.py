"""Electronic signatures (21 CFR 11.50, 11.70, 11.200): re-entered credentials, meaning, content hash.

A signature is never given on the strength of a session or a token: the signer re-enters their
username and password for each signing. A wrong password counts toward the account lockout like
a failed login, and is audited; the caller's view keeps those changes although it answers 401.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.services import record_event
from ecrf.auth.models import User
from ecrf.auth.passwords import verify_password
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action
from ecrf.auth.services import normalise_username, register_failed_password
from ecrf.config import Settings
from ecrf.db import utcnow
from ecrf.entry.access import where_for
from ecrf.entry.locks import study_frozen_at
from ecrf.entry.models import Record, Subject, Visit
from ecrf.entry.records import check_if_match
from ecrf.errors import Conflict, Forbidden, Locked, PreconditionFailed, Unauthorized
from ecrf.review.meanings import Meaning, meaning_for
from ecrf.review.models import Signature
from ecrf.review.rules import content_hash
from ecrf.review.signatures import casebook_content, content_of_record


class KeepsChanges(Exception):
    """A refusal whose side effects (failure count, audit entry) must be committed anyway."""


class SigningUnauthorized(KeepsChanges, Unauthorized):
    pass


class SigningForbidden(KeepsChanges, Forbidden):
    pass


def verify_signer(db: Session, settings: Settings, principal: Principal, username: str, password: str,
                  where) -> User:
    """The signer must be the caller and must re-enter the right password; failures are counted."""
    user = db.get(User, principal.user_id)
    now = utcnow()
    failure, error = None, None
    if normalise_username(username or "") != user.username:
        failure, error = "username is not the signed-in user", SigningForbidden(
            "you can sign only as yourself: enter your own username", errors={"username": ["not the signed-in user"]})
    elif user.locked_until is not None and user.locked_until > now:
        failure, error = "account locked", SigningForbidden(
            "your account is locked after repeated wrong passwords; try again later",
            errors={"password": [f"account locked until {user.locked_until.isoformat()}"]})
    elif not verify_password(user.password_hash, password or ""):
        failure, error = "wrong password", SigningUnauthorized(
            "signature refused: wrong password", errors={"password": ["wrong password"]})
    if failure is None:
        user.failed_logins = 0
        return user
    record_event(db, "signature.failed", where, reason=failure,
                 details={"username_given": (username or "")[:150], "reason": failure})
    if failure != "account locked":
        register_failed_password(db, settings, user, now)
    db.flush()
    raise error


def _refuse_if_frozen(db: Session, subject: Subject) -> None:
    if study_frozen_at(db, subject.study_id) is not None:
        raise Locked(f"study {subject.study.oid} is frozen; nothing can be signed", errors={"study": ["frozen"]})


def _store(db: Session, user: User, subject: Subject, meaning: Meaning, scope: str, content: dict,
           manifest: dict, visit: Visit | None = None, record: Record | None = None) -> Signature:
    digest = content_hash(content)
    existing = db.execute(select(Signature).where(
        Signature.subject_id == subject.id, Signature.scope == scope, Signature.status == "valid",
        Signature.signer_id == user.id, Signature.meaning == meaning.label, Signature.content_hash == digest,
        Signature.record_id == record.id if record else Signature.record_id.is_(None),
        Signature.visit_id == visit.id if visit else Signature.visit_id.is_(None))).scalars().first()
    if existing is not None:
        raise Conflict("you have already signed this content with this meaning",
                       errors={"signature": [f"signature {existing.id} is still valid"]})
    signature = Signature(study_id=subject.study_id, site_id=subject.site_id, subject_id=subject.id,
                          visit_id=visit.id if visit else None, record_id=record.id if record else None,
                          scope=scope, signer_id=user.id, signer_username=user.username,
                          printed_name=user.full_name, meaning=meaning.label, meaning_code=meaning.code,
                          signed_at=utcnow(), content_hash=digest, manifest=manifest, status="valid")
    db.add(signature)
    db.flush()
    record_event(db, "signature.signed", where_for(subject, visit or (record.visit if record else None), record),
                 new_value=meaning.label,
                 details={"signature": signature.id, "scope": scope, "printed_name": user.full_name,
                          "meaning": meaning.label, "statement": meaning.statement, "content_hash": digest,
                          "hash_algorithm": "SHA-256", "signed_at": signature.signed_at.isoformat(), **manifest})
    return signature


def sign_record(db: Session, settings: Settings, principal: Principal, record: Record, subject: Subject, *,
                username: str, password: str, meaning: str, if_match: str | None) -> Signature:
    principal.require(Action.SIGN, subject.study_id)
    chosen = meaning_for(meaning)
    check_if_match(record, if_match)
    user = verify_signer(db, settings, principal, username, password, where_for(subject, record.visit, record))
    _refuse_if_frozen(db, subject)
    if record.status != "complete":
        raise Conflict("only a complete record can be signed; complete it first", errors={"status": [record.status]})
    content = content_of_record(record, record.visit)
    manifest = {"records": [{"id": record.id, "form_oid": record.form_oid, "form_version": record.form_version,
                             "version": record.version}]}
    return _store(db, user, subject, chosen, "record", content, manifest, record=record)


def sign_casebook(db: Session, settings: Settings, principal: Principal, subject: Subject, *, username: str,
                  password: str, meaning: str, visit: Visit | None = None,
                  expected_hash: str | None = None) -> Signature:
    """Sign every record of a visit, or of the subject (the casebook); all must be complete."""
    principal.require(Action.SIGN, subject.study_id)
    chosen = meaning_for(meaning)
    content, records = casebook_content(db, subject, visit)
    digest = content_hash(content)
    if expected_hash is not None and expected_hash != digest:
        raise PreconditionFailed("the data changed since you reviewed it; reload and review again",
                                 errors={"content_hash": [f"current content hash is {digest}"]})
    user = verify_signer(db, settings, principal, username, password, where_for(subject, visit))
    _refuse_if_frozen(db, subject)
    what = visit.name if visit is not None else f"casebook of {subject.code}"
    if not records:
        raise Conflict(f"the {what} has no records to sign", errors={"records": ["none"]})
    drafts = [r for r in records if r.status != "complete"]
    if drafts:
        raise Conflict(f"only complete data can be signed: the {what} has {len(drafts)} incomplete record(s)",
                       errors={f"record {r.id}": [f"{r.form_oid} is {r.status}"] for r in drafts})
    manifest = {"records": [{"id": r.id, "form_oid": r.form_oid, "form_version": r.form_version,
                             "version": r.version} for r in records]}
    return _store(db, user, subject, chosen, "visit" if visit is not None else "subject", content, manifest,
                  visit=visit)
