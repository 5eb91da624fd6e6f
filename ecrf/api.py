"""The flask-smorest API object: OpenAPI document, error shape, blueprint registration."""

from __future__ import annotations

import flask_smorest
from flask_smorest import Api as SmorestApi
from ecrf.errors import http_error_response
from ecrf.jsonbody import StrictParser

API_PREFIX = "/api/v1"

# webargs excludes unknown query parameters by default; ours refuse them (422) like unknown body
# fields, so a misspelt filter is an error rather than a silently unfiltered list. JSON bodies are
# parsed strictly (ecrf.jsonbody).
flask_smorest.Blueprint.ARGUMENTS_PARSER = StrictParser(unknown=None)


class Api(SmorestApi):
    def handle_http_exception(self, error):
        return http_error_response(error)


def register_blueprints(api: Api) -> None:
    from ecrf.audit.views import blp as audit_blp
    from ecrf.auth.views import blp as auth_blp
    from ecrf.auth.users_views import blp as users_blp
    from ecrf.definitions.views import blp as forms_blp
    from ecrf.entry.views import blp as entry_blp
    from ecrf.exports.views import blp as exports_blp
    from ecrf.oncology.eligibility_views import blp as eligibility_blp
    from ecrf.oncology.views import blp as oncology_blp
    from ecrf.queries.views import blp as queries_blp
    from ecrf.review.study_views import blp as study_review_blp
    from ecrf.review.views import blp as review_blp
    from ecrf.health import blp as health_blp
    from ecrf.studies.views import blp as studies_blp

    for blueprint in (health_blp, auth_blp, users_blp, studies_blp, forms_blp, entry_blp, eligibility_blp, queries_blp,
                      audit_blp, oncology_blp, review_blp, study_review_blp, exports_blp):
        api.register_blueprint(blueprint, url_prefix=API_PREFIX + (blueprint.url_prefix or ""))
