"""User administration: accounts, roles per study, site memberships (all audited)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ecrf.audit.services import Where, record_event
from ecrf.auth.models import RoleAssignment, SiteMembership, User
from ecrf.auth.passwords import hash_password, policy_problems
from ecrf.auth.principal import Principal
from ecrf.auth.roles import Action, Role
from ecrf.auth.services import normalise_username, revoke_all_credentials, set_password
from ecrf.config import Settings
from ecrf.errors import Conflict, Forbidden, NotFound, RuleViolation
from ecrf.studies.models import Site, Study


def describe_user(db: Session, user: User) -> dict:
    study_oids = dict(db.execute(select(Study.id, Study.oid)).all())
    sites = {s.id: s for s in db.execute(select(Site).where(
        Site.id.in_([m.site_id for m in user.memberships]))).scalars()} if user.memberships else {}
    return {
        "id": user.id,
        "username": user.username,
        "full_name": user.full_name,
        "email": user.email,
        "active": user.active,
        "locked_until": user.locked_until,
        "created_at": user.created_at,
        "roles": [{"id": r.id, "study": study_oids.get(r.study_id) if r.study_id else None, "role": r.role}
                  for r in sorted(user.roles, key=lambda r: (r.study_id or 0, r.role))],
        "sites": [{"id": m.id, "study": study_oids.get(sites[m.site_id].study_id), "site": sites[m.site_id].code}
                  for m in sorted(user.memberships, key=lambda m: m.site_id) if m.site_id in sites],
    }


def require_user_admin(principal: Principal, study_id: int | None = None) -> None:
    """Global admins manage everyone; a study admin manages roles and sites in that study."""
    if principal.is_system or principal.is_global_admin:
        return
    if study_id is not None and principal.can(Action.MANAGE_USERS, study_id):
        return
    if study_id is None and any(Role.ADMIN in roles for roles in principal.roles.values()):
        return
    raise Forbidden("only an administrator can manage users")


def get_user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    return user


def list_users(db: Session, principal: Principal):
    require_user_admin(principal)
    return select(User).order_by(User.username)


def create_user(db: Session, settings: Settings, principal: Principal, username: str, full_name: str,
                password: str, email: str | None = None) -> User:
    require_user_admin(principal)
    username = normalise_username(username)
    if db.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(f"username {username!r} is taken", errors={"username": ["is already taken"]})
    problems = policy_problems(password, username, settings.password_min_length)
    if problems:
        raise RuleViolation("the password does not meet the policy",
                            errors={"password": [f"password {p}" for p in problems]})
    user = User(username=username, full_name=full_name.strip(), email=email,
                password_hash=hash_password(password), active=True, failed_logins=0)
    db.add(user)
    db.flush()
    record_event(db, "user.created", actor=principal,
                 details={"user": user.id, "username": username, "full_name": user.full_name})
    return user


def update_user(db: Session, settings: Settings, principal: Principal, user: User, changes: dict) -> User:
    require_user_admin(principal)
    for name in ("full_name", "email", "active"):
        if name in changes and getattr(user, name) != changes[name]:
            old = getattr(user, name)
            setattr(user, name, changes[name])
            record_event(db, "user.updated", actor=principal, item_oid=name, old_value=old,
                         new_value=changes[name], details={"user": user.id})
    if changes.get("active") is False:
        revoke_all_credentials(db, user.id, "account deactivated")
    if "password" in changes:
        set_password(db, settings, user, changes["password"])
        revoke_all_credentials(db, user.id, "password reset by an administrator")
    if changes.get("active") is True:
        user.failed_logins, user.locked_until = 0, None
    return user


def _study(db: Session, oid: str) -> Study:
    study = db.execute(select(Study).where(Study.oid == oid)).scalar_one_or_none()
    if study is None:
        raise RuleViolation(f"unknown study {oid!r}", errors={"study": [f"no study {oid!r}"]})
    return study


def grant_role(db: Session, principal: Principal, user: User, study_oid: str | None, role: str) -> RoleAssignment:
    study = _study(db, study_oid) if study_oid else None
    if study is None and role != Role.ADMIN.value:
        raise RuleViolation("only the admin role may be granted system-wide",
                            errors={"study": ["required for this role"]})
    require_user_admin(principal, study.id if study else None)
    if study is None and not (principal.is_global_admin or principal.is_system):
        raise Forbidden("only a system-wide admin can grant system-wide admin")
    study_id = study.id if study else None
    if any(r.study_id == study_id and r.role == role for r in user.roles):
        raise Conflict("the user already has this role", errors={"role": ["already granted"]})
    assignment = RoleAssignment(user_id=user.id, study_id=study_id, role=role)
    user.roles.append(assignment)
    db.flush()
    record_event(db, "role.granted", Where(study_id=study_id, study_oid=study_oid), actor=principal,
                 new_value=role, details={"user": user.id, "username": user.username})
    return assignment


def revoke_role(db: Session, principal: Principal, user: User, assignment_id: int) -> None:
    assignment = next((r for r in user.roles if r.id == assignment_id), None)
    if assignment is None:
        raise NotFound("role assignment not found")
    require_user_admin(principal, assignment.study_id)
    study_oid = db.get(Study, assignment.study_id).oid if assignment.study_id else None
    user.roles.remove(assignment)
    record_event(db, "role.revoked", Where(study_id=assignment.study_id, study_oid=study_oid), actor=principal,
                 old_value=assignment.role, details={"user": user.id, "username": user.username})


def add_membership(db: Session, principal: Principal, user: User, study_oid: str, site_code: str) -> SiteMembership:
    study = _study(db, study_oid)
    require_user_admin(principal, study.id)
    site = db.execute(select(Site).where(Site.study_id == study.id, Site.code == site_code)).scalar_one_or_none()
    if site is None:
        raise RuleViolation(f"unknown site {site_code!r} in {study_oid}", errors={"site": ["no such site"]})
    if any(m.site_id == site.id for m in user.memberships):
        raise Conflict("the user is already a member of this site", errors={"site": ["already a member"]})
    membership = SiteMembership(user_id=user.id, site_id=site.id)
    user.memberships.append(membership)
    db.flush()
    record_event(db, "membership.added", Where(study_id=study.id, study_oid=study.oid, site_id=site.id,
                                               site_code=site.code), actor=principal,
                 details={"user": user.id, "username": user.username})
    return membership


def remove_membership(db: Session, principal: Principal, user: User, membership_id: int) -> None:
    membership = next((m for m in user.memberships if m.id == membership_id), None)
    if membership is None:
        raise NotFound("site membership not found")
    site = db.get(Site, membership.site_id)
    study = db.get(Study, site.study_id)
    require_user_admin(principal, study.id)
    user.memberships.remove(membership)
    record_event(db, "membership.removed", Where(study_id=study.id, study_oid=study.oid, site_id=site.id,
                                                 site_code=site.code), actor=principal,
                 details={"user": user.id, "username": user.username})
