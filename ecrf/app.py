"""The application factory. Only ``wsgi.py`` creates an app at import time."""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter, UnicodeConverter

from ecrf.config import Settings, load_settings


def create_app(settings: Settings | None = None, *, testing: bool = False) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = DatabaseId  # every <int:...> in a route is a database id
    app.url_map.converters["string"] = app.url_map.converters["default"] = PathText
    settings = settings or load_settings(instance_path=app.instance_path, testing=testing)
    if settings.database_url.startswith("sqlite:///") and ":memory:" not in settings.database_url:
        Path(settings.database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    app.config.update(settings.flask_config())
    app.config["TESTING"] = testing
    app.extensions["ecrf.settings"] = settings

    from ecrf import models  # noqa: F401 - every table registered on the metadata
    from ecrf.db import make_engine, session_factory

    engine = make_engine(settings.database_url, settings.db_pool_size, settings.db_max_overflow)
    app.extensions["ecrf.engine"] = engine
    app.extensions["ecrf.sessionmaker"] = session_factory(engine)

    from ecrf.logging import init_logging
    from ecrf.web import init_request_lifecycle
    from ecrf.auth.loading import init_login
    from ecrf.api import Api, ErrorResponses, register_blueprints
    from ecrf.apidocs import bp as docs_bp
    from ecrf.cli import register_commands

    init_logging(app)
    init_request_lifecycle(app)
    init_login(app)
    api = Api(app, spec_kwargs={"info": {"description": API_DESCRIPTION}, "extra_plugins": [ErrorResponses(app)]})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("session", {"type": "apiKey", "in": "cookie", "name": "ecrf_session"})
    api.spec.options["security"] = [{"bearer": []}, {"session": []}]
    register_blueprints(api)
    app.register_blueprint(docs_bp)
    app.extensions["ecrf.api"] = api
    register_commands(app)
    return app


class DatabaseId(IntegerConverter):
    """Ids in paths are positive 32-bit integers; anything else is a 404, never a database error."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, min=1, max=2**31 - 1)


class PathText(UnicodeConverter):
    """A text segment of a path (study OID, form OID, site code): one with a control character
    matches no route (404), so none reaches a query (PostgreSQL refuses NUL in text)."""

    def __init__(self, url_map, *args, **kwargs):
        super().__init__(url_map, *args, **kwargs)
        self.regex = self.regex.replace("[^/]", "[^/\\x00-\\x1f\\x7f]")


API_DESCRIPTION = (
    "Electronic case report forms for two phase 2 oncology trials (locally advanced esophageal "
    "squamous cell carcinoma). Authenticate with a cookie session (POST /auth/login; send the "
    "returned csrf_token as X-CSRF-Token on state-changing requests) or a bearer API token "
    "(POST /auth/tokens). Errors share one shape: {code, status, message, errors}."
)

logging.getLogger("ecrf").addHandler(logging.NullHandler())
