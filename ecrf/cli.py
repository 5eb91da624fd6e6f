"""The ``ecrf`` command: database upgrades, loading forms, users, and the demo set-up.

Each command runs in one transaction with the system (or named) actor, so its audit entries
are written with the change, as in a request.
"""

from __future__ import annotations

import secrets
import string
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from flask import Flask, current_app, g
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select

from ecrf.auth.principal import SYSTEM


def _create_app(*_args) -> Flask:
    from ecrf.app import create_app

    return create_app()


@contextmanager
def unit_of_work():
    """One transaction for a CLI command, committed once at the end."""
    from ecrf.db import close_session, get_session

    g.principal = SYSTEM
    g.request_id = "cli-" + secrets.token_hex(6)
    session = get_session()
    try:
        yield session
        session.commit()
    except BaseException as exc:
        close_session(exc)
        raise
    close_session()


def register_commands(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(forms_group)
    app.cli.add_command(users_group)
    app.cli.add_command(demo_command)


@click.group("db", help="Database schema (Alembic).")
def db_group():
    pass


@db_group.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str):
    """Migrate the database to a revision."""
    from ecrf.migrate import upgrade

    upgrade(current_app.extensions["ecrf.settings"].database_url, revision)
    click.echo(f"database at {revision}")


@db_group.command("downgrade")
@click.argument("revision")
@with_appcontext
def db_downgrade(revision: str):
    """Migrate the database down to a revision (e.g. base)."""
    from ecrf.migrate import downgrade

    downgrade(current_app.extensions["ecrf.settings"].database_url, revision)
    click.echo(f"database at {revision}")


@click.group("forms", help="CRF and study definitions.")
def forms_group():
    pass


@forms_group.command("load")
@click.option("--dir", "directory", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="definitions folder (default: ECRF_FORMS_DIR or the project's forms/)")
@with_appcontext
def forms_load(directory: Path | None):
    """Check and publish every definition file; refuse the whole set on any problem."""
    from ecrf.definitions.files import DefinitionError, read_directory
    from ecrf.definitions.publishing import publish

    directory = directory or current_app.extensions["ecrf.settings"].forms_dir
    try:
        files = read_directory(directory)
        with unit_of_work() as session:
            report = publish(session, files, SYSTEM)
    except DefinitionError as exc:
        click.echo("definitions refused; nothing was published:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        sys.exit(1)
    for label in report.published:
        click.echo(f"published {label}")
    for label in report.sites_created:
        click.echo(f"created site {label}")
    click.echo(f"{len(report.published)} published, {len(report.unchanged)} unchanged")


@click.group("users", help="User accounts.")
def users_group():
    pass


@users_group.command("create")
@click.option("--username", required=True)
@click.option("--full-name", required=True)
@click.option("--email")
@click.option("--password", envvar="ECRF_NEW_PASSWORD", help="default: generated and printed once")
@click.option("--role", "roles", multiple=True, help="STUDY:ROLE, or admin for a system-wide admin")
@click.option("--site", "sites", multiple=True, help="STUDY:SITE")
@with_appcontext
def users_create(username, full_name, email, password, roles, sites):
    """Create a user with roles and site memberships."""
    from ecrf.auth import users
    from ecrf.errors import DomainError

    generated = password is None
    password = password or generate_password()
    try:
        with unit_of_work() as session:
            user = users.create_user(session, current_app.extensions["ecrf.settings"], SYSTEM, username,
                                     full_name, password, email)
            _grant(session, user, roles, sites)
    except DomainError as exc:
        click.echo(f"refused: {exc.message} {exc.errors or ''}", err=True)
        sys.exit(1)
    click.echo(f"created {user.username}" + (f" with password {password}" if generated else ""))


def _grant(session, user, roles, sites):
    from ecrf.auth import users

    for spec in roles:
        study, _, role = spec.rpartition(":")
        users.grant_role(session, SYSTEM, user, study or None, role)
    for spec in sites:
        study, _, site = spec.partition(":")
        users.add_membership(session, SYSTEM, user, study, site)


def generate_password(length: int = 20) -> str:
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(length - 2)) + "-" + secrets.choice(string.digits)
        if any(c.islower() for c in candidate) and any(c.isupper() for c in candidate):
            return candidate


DEMO_USERS = [
    ("admin", "Ada Admin", ["admin"], None),
    ("coordinator", "Chen Coordinator", ["coordinator"], "main"),
    ("investigator", "Irene Investigator", ["investigator"], "main"),
    ("monitor", "Mo Monitor", ["monitor"], "all"),
    ("datamanager", "Dana Manager", ["data_manager"], None),
    ("coordinator.b", "Bo Coordinator (site B)", ["coordinator"], "demo"),
]
DEMO_SITE = ("DEMO-B", "Demo second site")


@click.command("demo")
@with_appcontext
def demo_command():
    """Create a second demo site per study and one user per role; print new passwords once."""
    from ecrf.auth.models import User
    from ecrf.auth.users import add_membership, create_user, grant_role
    from ecrf.studies.models import Site, Study

    settings = current_app.extensions["ecrf.settings"]
    printed = []
    with unit_of_work() as session:
        studies = list(session.execute(select(Study).order_by(Study.oid)).scalars())
        if not studies:
            raise click.ClickException("no studies loaded: run 'ecrf forms load' first")
        for study in studies:
            if not any(s.code == DEMO_SITE[0] for s in study.sites):
                session.add(Site(study_id=study.id, code=DEMO_SITE[0], name=DEMO_SITE[1], active=True))
        session.flush()
        for username, full_name, roles, sites in DEMO_USERS:
            if session.execute(select(User.id).where(User.username == username)).first():
                printed.append((username, "(exists; password unchanged)"))
                continue
            password = generate_password()
            user = create_user(session, settings, SYSTEM, username, full_name, password)
            for study in studies:
                for role in roles:
                    if role == "admin":
                        if study is studies[0]:
                            grant_role(session, SYSTEM, user, None, "admin")
                        continue
                    grant_role(session, SYSTEM, user, study.oid, role)
                session.refresh(study)
                for site in sorted(study.sites, key=lambda s: s.code):
                    is_demo = site.code == DEMO_SITE[0]
                    if sites == "all" or (sites == "main" and not is_demo) or (sites == "demo" and is_demo):
                        add_membership(session, SYSTEM, user, study.oid, site.code)
            printed.append((username, password))
    click.echo("demo users (passwords are shown this once):")
    for username, password in printed:
        click.echo(f"  {username:15} {password}")


def main() -> None:
    """Entry point of the ``ecrf`` console script."""
    cli = FlaskGroup(create_app=_create_app, add_default_commands=True, load_dotenv=False,
                     help="eCRF backend administration.")
    cli.main(prog_name="ecrf")
