"""The roles of the product and what each may do (DESIGN.md section 1).

Permissions are named actions; each maps to the roles allowed to take it. Views and services
ask ``principal.require(action, study_id)``; nothing else decides who may do what.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    COORDINATOR = "coordinator"
    INVESTIGATOR = "investigator"
    MONITOR = "monitor"
    DATA_MANAGER = "data_manager"
    ADMIN = "admin"


SITE_ROLES = frozenset({Role.COORDINATOR, Role.INVESTIGATOR})
# Roles that see every site of a study rather than only the sites they are members of.
ALL_SITES_ROLES = frozenset({Role.DATA_MANAGER})


class Action(StrEnum):
    READ_STUDY = "read_study"
    READ_CLINICAL = "read_clinical"
    ENROL_SUBJECT = "enrol_subject"
    ENTER_DATA = "enter_data"
    ANSWER_QUERY = "answer_query"
    RAISE_QUERY = "raise_query"
    CLOSE_QUERY = "close_query"
    SIGN = "sign"
    SDV = "sdv"
    REVIEW_AUDIT = "review_audit"
    LOCK = "lock"
    MIGRATE_VERSION = "migrate_version"
    EXPORT = "export"
    OVERRIDE_ELIGIBILITY = "override_eligibility"
    MANAGE_USERS = "manage_users"
    MANAGE_SITES = "manage_sites"
    LOAD_DEFINITIONS = "load_definitions"


_ALL = frozenset(Role)
_SITE = SITE_ROLES
_OVERSIGHT = frozenset({Role.MONITOR, Role.DATA_MANAGER})

PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.READ_STUDY: _ALL,
    Action.READ_CLINICAL: _SITE | _OVERSIGHT,
    Action.ENROL_SUBJECT: _SITE,
    Action.ENTER_DATA: _SITE,
    Action.ANSWER_QUERY: _SITE,
    Action.RAISE_QUERY: _OVERSIGHT,
    Action.CLOSE_QUERY: _OVERSIGHT,
    Action.SIGN: frozenset({Role.INVESTIGATOR}),
    Action.SDV: frozenset({Role.MONITOR}),
    Action.REVIEW_AUDIT: _OVERSIGHT,
    Action.LOCK: frozenset({Role.DATA_MANAGER}),
    Action.MIGRATE_VERSION: frozenset({Role.DATA_MANAGER}),
    Action.EXPORT: frozenset({Role.DATA_MANAGER}),
    Action.OVERRIDE_ELIGIBILITY: frozenset({Role.DATA_MANAGER}),
    Action.MANAGE_USERS: frozenset({Role.ADMIN}),
    Action.MANAGE_SITES: frozenset({Role.ADMIN}),
    Action.LOAD_DEFINITIONS: frozenset({Role.ADMIN}),
}


def roles_allowed(action: Action) -> frozenset[Role]:
    return PERMISSIONS[action]
