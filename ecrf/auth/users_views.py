"""``/users``: accounts, roles per study and site memberships (administrators)."""

from __future__ import annotations

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from ecrf.auth import users
from ecrf.auth.principal import current_principal
from ecrf.auth.schemas import (MembershipArgs, MembershipOut, RoleArgs, RoleOut, UserCreateArgs, UserOut,
                               UserPage, UserUpdateArgs)
from ecrf.db import get_session
from ecrf.schemas import PageArgs, paginate

blp = Blueprint("users", __name__, url_prefix="/users", description="User administration")


def _settings():
    return current_app.extensions["ecrf.settings"]


@blp.route("")
class Users(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, UserPage)
    def get(self, args):
        """List user accounts."""
        db = get_session()
        page = paginate(db, users.list_users(db, current_principal()), args["page"], args["per_page"])
        page["items"] = [users.describe_user(db, u) for u in page["items"]]
        return page

    @blp.arguments(UserCreateArgs)
    @blp.response(201, UserOut)
    def post(self, args):
        """Create a user account."""
        db = get_session()
        user = users.create_user(db, _settings(), current_principal(), args["username"], args["full_name"],
                                 args["password"], args.get("email"))
        return users.describe_user(db, user)


@blp.route("/<int:user_id>")
class UserItem(MethodView):
    @blp.response(200, UserOut)
    def get(self, user_id: int):
        """One user account."""
        db = get_session()
        users.require_user_admin(current_principal())
        return users.describe_user(db, users.get_user(db, user_id))

    @blp.arguments(UserUpdateArgs)
    @blp.response(200, UserOut)
    def patch(self, args, user_id: int):
        """Change name, e-mail, active flag or password (deactivation ends sessions and tokens)."""
        db = get_session()
        user = users.update_user(db, _settings(), current_principal(), users.get_user(db, user_id), args)
        return users.describe_user(db, user)


@blp.route("/<int:user_id>/roles")
class UserRoles(MethodView):
    @blp.arguments(RoleArgs)
    @blp.response(201, RoleOut)
    def post(self, args, user_id: int):
        """Grant a role in a study."""
        db = get_session()
        assignment = users.grant_role(db, current_principal(), users.get_user(db, user_id), args["study"], args["role"])
        return {"id": assignment.id, "study": args["study"], "role": assignment.role}


@blp.route("/<int:user_id>/roles/<int:assignment_id>")
class UserRole(MethodView):
    @blp.response(204)
    def delete(self, user_id: int, assignment_id: int):
        """Revoke a role."""
        db = get_session()
        users.revoke_role(db, current_principal(), users.get_user(db, user_id), assignment_id)


@blp.route("/<int:user_id>/sites")
class UserSites(MethodView):
    @blp.arguments(MembershipArgs)
    @blp.response(201, MembershipOut)
    def post(self, args, user_id: int):
        """Make the user a member of a site."""
        db = get_session()
        membership = users.add_membership(db, current_principal(), users.get_user(db, user_id),
                                          args["study"], args["site"])
        return {"id": membership.id, "study": args["study"], "site": args["site"]}


@blp.route("/<int:user_id>/sites/<int:membership_id>")
class UserSite(MethodView):
    @blp.response(204)
    def delete(self, user_id: int, membership_id: int):
        """End a site membership."""
        db = get_session()
        users.remove_membership(db, current_principal(), users.get_user(db, user_id), membership_id)
