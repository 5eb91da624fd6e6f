"""The data every API test starts from: published forms, two sites per study, a user per role.

Users authenticate with API tokens in most tests (argon2 makes a login cost tens of milliseconds);
tests of cookie sessions log in for real.
"""

from __future__ import annotations

from dataclasses import dataclass

from ecrf.auth.principal import SYSTEM
from ecrf.cli import unit_of_work

PASSWORD = "Test-password-123"
STUDIES = ("ESCC-N3", "ESCC-LDRT")
SITE_A = {"ESCC-N3": "RJH", "ESCC-LDRT": "WCH"}
SITE_B = {"ESCC-N3": "N3-B", "ESCC-LDRT": "LDRT-B"}


@dataclass(frozen=True)
class SeedUser:
    username: str
    full_name: str
    roles: tuple[str, ...]  # "admin" alone = system-wide admin
    sites: str | None       # "A", "B", "AB" or None


USERS = [
    SeedUser("admin", "Ada Admin", ("admin",), None),
    SeedUser("coord_a", "Chen Coordinator", ("coordinator",), "A"),
    SeedUser("coord_b", "Bo Coordinator", ("coordinator",), "B"),
    SeedUser("inv_a", "Irene Investigator", ("investigator",), "A"),
    SeedUser("inv_b", "Ivan Investigator", ("investigator",), "B"),
    SeedUser("monitor_a", "Mo Monitor", ("monitor",), "A"),
    SeedUser("dm", "Dana Manager", ("data_manager",), None),
    SeedUser("nobody", "No Roles", (), None),
]


def seed(app) -> dict[str, str]:
    """Publish forms/, add site B to each study, create users and their API tokens."""
    from ecrf.auth.services import issue_token
    from ecrf.auth.loading import principal_for
    from ecrf.auth.users import add_membership, create_user, grant_role
    from ecrf.definitions.files import read_directory
    from ecrf.definitions.publishing import publish
    from ecrf.studies.models import Site, Study
    from sqlalchemy import select

    settings = app.extensions["ecrf.settings"]
    tokens = {}
    with app.app_context():
        with unit_of_work() as db:
            publish(db, read_directory(settings.forms_dir), SYSTEM)
            for study in db.execute(select(Study)).scalars():
                db.add(Site(study_id=study.id, code=SITE_B[study.oid], name=f"Second site of {study.oid}",
                            country="CN", active=True))
            db.flush()
            for spec in USERS:
                user = create_user(db, settings, SYSTEM, spec.username, spec.full_name, PASSWORD)
                for role in spec.roles:
                    if role == "admin":
                        grant_role(db, SYSTEM, user, None, "admin")
                        continue
                    for oid in STUDIES:
                        grant_role(db, SYSTEM, user, oid, role)
                for oid in STUDIES:
                    for letter in spec.sites or "":
                        add_membership(db, SYSTEM, user, oid, (SITE_A if letter == "A" else SITE_B)[oid])
                db.flush()
                _token, secret = issue_token(db, settings, principal_for(user, "system"), "tests", 366)
                tokens[spec.username] = secret
    return tokens
