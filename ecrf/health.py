"""Liveness and readiness."""

from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from sqlalchemy import text

from ecrf.auth.loading import public
from ecrf.db import get_session
from ecrf.errors import ServiceUnavailable
from ecrf.schemas import HealthSchema

blp = Blueprint("health", __name__, description="Service health")


@blp.route("/health")
class Health(MethodView):
    decorators = [public]

    @blp.response(200, HealthSchema)
    def get(self):
        """Liveness: the process answers."""
        return {"status": "ok"}


@blp.route("/health/ready")
class Ready(MethodView):
    decorators = [public]

    @blp.response(200, HealthSchema)
    @blp.alt_response(503, description="The database cannot be reached")
    def get(self):
        """Readiness: the database answers a query."""
        try:
            get_session().execute(text("SELECT 1"))
        except Exception as exc:  # any driver error means "not ready"
            raise ServiceUnavailable("the database is not reachable") from exc
        return {"status": "ok", "database": "ok"}
