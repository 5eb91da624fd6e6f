"""Who is calling, and what they may see and do in each study.

A :class:`Principal` is built once per request from the user's role assignments and site
memberships. Every permission and site-scope decision goes through it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import g, has_app_context

from ecrf.auth.roles import ALL_SITES_ROLES, SITE_ROLES, Action, Role, roles_allowed
from ecrf.errors import Forbidden, NotFound


@dataclass(frozen=True)
class Principal:
    user_id: int | None
    username: str | None
    full_name: str | None
    via: str | None  # "session", "token", "system" or None (anonymous)
    roles: dict[int | None, frozenset[Role]] = field(default_factory=dict)
    site_ids: frozenset[int] = frozenset()
    session_id: int | None = None
    token_id: int | None = None

    @property
    def authenticated(self) -> bool:
        return self.user_id is not None or self.via == "system"

    @property
    def is_system(self) -> bool:
        return self.via == "system"

    @property
    def is_global_admin(self) -> bool:
        return Role.ADMIN in self.roles.get(None, frozenset())

    def roles_in(self, study_id: int) -> frozenset[Role]:
        own = self.roles.get(study_id, frozenset())
        return own | self.roles.get(None, frozenset())

    def study_ids(self) -> set[int]:
        return {sid for sid in self.roles if sid is not None}

    def can(self, action: Action, study_id: int | None) -> bool:
        if self.is_system:
            return True
        held = self.roles.get(None, frozenset()) if study_id is None else self.roles_in(study_id)
        return bool(held & roles_allowed(action))

    def require(self, action: Action, study_id: int | None) -> None:
        if not self.can(action, study_id):
            raise Forbidden(f"your role does not allow this action ({action.value})")

    def role_label(self, study_id: int | None, action: Action | None = None) -> str | None:
        """The role under which an action is taken, for the audit trail."""
        if self.is_system:
            return "system"
        held = self.roles.get(None, frozenset()) if study_id is None else self.roles_in(study_id)
        if action is not None:
            held = held & roles_allowed(action) or held
        return "+".join(sorted(r.value for r in held)) or None

    def sees_all_sites(self, study_id: int) -> bool:
        return self.is_system or bool(self.roles_in(study_id) & ALL_SITES_ROLES)

    def visible_site_ids(self, study_id: int, study_site_ids: set[int]) -> set[int]:
        """Sites of the study whose clinical data this principal may read."""
        if self.sees_all_sites(study_id):
            return set(study_site_ids)
        if not self.roles_in(study_id) & (SITE_ROLES | {Role.MONITOR}):
            return set()
        return set(study_site_ids) & set(self.site_ids)

    def require_site(self, study_id: int, site_id: int, what: str = "subject") -> None:
        """404, not 403, for data at a site outside the caller's scope: no leak of existence."""
        if self.is_system or self.sees_all_sites(study_id):
            return
        if site_id not in self.site_ids or not self.can(Action.READ_CLINICAL, study_id):
            raise NotFound(f"{what} not found")


ANONYMOUS = Principal(user_id=None, username=None, full_name=None, via=None)
SYSTEM = Principal(user_id=None, username="system", full_name="eCRF system", via="system")


def current_principal() -> Principal:
    return g.get("principal", ANONYMOUS) if has_app_context() else ANONYMOUS
