"""An API docs page that works offline: Swagger UI served from the installed package, no CDN."""

from __future__ import annotations

from flask import Blueprint, abort, render_template, send_from_directory, url_for

try:
    from swagger_ui_bundle import swagger_ui_path
except ImportError:  # pragma: no cover - the dependency is declared, this only guards odd installs
    swagger_ui_path = None

bp = Blueprint("docs-page", __name__, template_folder="templates", static_folder="static",
               static_url_path="/api/v1/docs/static")

_ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js",
           "favicon-32x32.png", "favicon-16x16.png"}


@bp.route("/api/v1/docs")
def docs_page():
    """The interactive API documentation."""
    return render_template("api_docs.html", spec_url=url_for("api-docs.openapi_json"),
                           assets=url_for("docs-page.asset", filename=""))


@bp.route("/api/v1/docs/assets/<path:filename>")
def asset(filename: str):
    if swagger_ui_path is None or filename not in _ASSETS:
        abort(404)
    return send_from_directory(str(swagger_ui_path), filename, max_age=3600)
