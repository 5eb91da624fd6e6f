"""``/studies``: studies, schedules, sites."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ecrf.auth.principal import current_principal
from ecrf.db import get_session
from ecrf.schemas import PageArgs, paginate
from ecrf.studies import services
from ecrf.studies.schemas import (ScheduleOut, SiteCreateArgs, SiteOut, SiteUpdateArgs, StudyOut, StudyPage)

blp = Blueprint("studies", __name__, url_prefix="/studies", description="Studies, schedules and sites")


@blp.route("")
class Studies(MethodView):
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, StudyPage)
    def get(self, args):
        """The studies the caller has a role in."""
        db = get_session()
        return paginate(db, services.visible_studies(db, current_principal()), args["page"], args["per_page"])


@blp.route("/<string:study>")
class StudyItem(MethodView):
    @blp.response(200, StudyOut)
    def get(self, study: str):
        """A study: protocol, arms, anchors, parameters, sites."""
        db = get_session()
        return services.describe_study(db, services.get_study(db, current_principal(), study))


@blp.route("/<string:study>/schedule")
class Schedule(MethodView):
    @blp.response(200, ScheduleOut)
    def get(self, study: str):
        """The visit schedule: visits with anchors, day offsets, windows and forms."""
        db = get_session()
        return services.describe_schedule(db, services.get_study(db, current_principal(), study))


@blp.route("/<string:study>/sites")
class Sites(MethodView):
    @blp.arguments(SiteCreateArgs)
    @blp.response(201, SiteOut)
    def post(self, args, study: str):
        """Add a site to a study (administrators)."""
        db = get_session()
        principal = current_principal()
        row = services.get_study(db, principal, study)
        return services.create_site(db, principal, row, args["code"], args["name"], args.get("country"),
                                    args.get("timezone"))


@blp.route("/<string:study>/sites/<string:code>")
class SiteItem(MethodView):
    @blp.arguments(SiteUpdateArgs)
    @blp.response(200, SiteOut)
    def patch(self, args, study: str, code: str):
        """Rename, (de)activate a site (administrators)."""
        db = get_session()
        principal = current_principal()
        return services.update_site(db, principal, services.get_study(db, principal, study), code, args)
