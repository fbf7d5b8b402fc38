"""The HTTP API (API.md): flask-smorest blueprints under ``/api/v1``, problem+json errors."""

from __future__ import annotations

import logging
from pathlib import Path

import swagger_ui_bundle
from flask import Flask, Response, abort, current_app, g, json, request, send_from_directory
from flask_smorest import Api
from flask_smorest.spec import prepare_response
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from core.errors import Problem, conflict, flatten_errors
from core.plugins import PluginError
from core.schemas import ProblemSchema

log = logging.getLogger("casecore.api")

PROBLEM_JSON = "application/problem+json"
API_PREFIX = "/api/v1"


def problem_response(problem: Problem) -> Response:
    response = current_app.response_class(
        json.dumps(problem.body()), status=problem.status, mimetype=PROBLEM_JSON
    )
    for key, value in problem.extra.get("_headers", {}).items():
        response.headers[key] = value
    return response


def _from_http(error: HTTPException) -> Problem:
    """Werkzeug's and webargs' errors as problems; schema errors flattened by field."""
    data = getattr(error, "data", None) or {}
    messages = data.get("messages")
    errors: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for location_messages in messages.values():  # {"json": {...}, "query": {...}}
            for key, value in flatten_errors(location_messages).items():
                errors.setdefault(key, []).extend(value)
    status = error.code or 500
    if status == 422:
        return Problem(
            422,
            "Invalid input",
            "The request does not fit its schema; see errors.",
            kind="invalid-input",
            errors=errors,
        )
    return Problem(
        status,
        error.name,
        error.description,
        kind=error.name.lower().replace(" ", "-"),
        errors=errors,
    )


class CaseCoreApi(Api):
    """flask-smorest's Api, answering (and documenting) every error as problem+json."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error: HTTPException) -> Response:
        return problem_response(_from_http(error))

    def _register_responses(self) -> None:
        import http

        for status in http.HTTPStatus:
            response: dict = {"description": status.phrase}
            if not (100 <= status < 200) and status not in (204, 304):
                response["schema"] = self.ERROR_SCHEMA
            prepare_response(response, self.spec, PROBLEM_JSON)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM_JSON)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def init_api(app: Flask) -> None:
    from core.api import cases, health, plugins, reports, tenants, webhooks
    from core.api.auth import authenticate, close_session

    app.config.update(
        API_TITLE="casecore",
        API_VERSION="1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX,
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=f"{API_PREFIX}/docs/assets/",
    )
    api = CaseCoreApi(
        app,
        spec_kwargs={
            "info": {"description": "casecore HTTP API, version 1 (see API.md)."},
            "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
            "security": [{"bearer": []}],
        },
    )
    app.extensions["casecore_api"] = api
    for blueprint in (tenants.blp, plugins.blp, cases.blp, webhooks.blp, reports.blp):
        api.register_blueprint(blueprint)
    plugins = app.extensions["casecore"].plugins
    plugin_routes: dict[str, str] = {}  # blueprint name -> the plugin it belongs to
    for plugin, answer in plugins.call_each("register_blueprints", plugins.names):
        for bp in answer or []:
            api.register_blueprint(bp, url_prefix=f"{API_PREFIX}/{bp.name}")
            plugin_routes[bp.name] = plugin
    app.register_blueprint(health.blp)

    assets = Path(swagger_ui_bundle.swagger_ui_path)
    app.add_url_rule(
        f"{API_PREFIX}/docs/assets/<path:filename>",
        "swagger_assets",
        lambda filename: send_from_directory(assets, filename),
    )

    app.before_request(refuse_nul)  # before anything reads the request
    app.before_request(authenticate)

    @app.before_request
    def _plugin_routes_for_enabling_tenants_only() -> None:
        plugin = plugin_routes.get(request.blueprint or "")
        if plugin is None:
            return
        who = g.get("principal")
        if who is None or who.is_platform or plugin not in (who.tenant.plugins or {}):
            raise Problem(404, "Not found", "No such resource.", kind="not-found")

    app.teardown_request(close_session)

    @app.errorhandler(Problem)
    def _problem(problem: Problem) -> Response:
        _rollback()
        return problem_response(problem)

    @app.errorhandler(StaleDataError)
    def _stale(_error: StaleDataError) -> Response:
        _rollback()
        return problem_response(
            conflict("core.stale_version", "The case changed meanwhile: reload and try again.")
        )

    @app.errorhandler(PluginError)
    def _plugin_failed(error: PluginError) -> Response:
        _rollback()
        return problem_response(
            Problem(
                500,
                "Plugin failed",
                f"Plugin {error.plugin!r} failed in {error.hook}; nothing was changed.",
                kind="plugin-failed",
                extra={"plugin": error.plugin},
            )
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        if isinstance(error, HTTPException):
            return problem_response(_from_http(error))
        _rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return problem_response(
            Problem(500, "Internal error", "Something failed on our side.", kind="internal-error")
        )


NUL_MESSAGE = "NUL characters (U+0000) are not accepted."


def _nul_paths(value: object, path: str) -> list[str]:
    """Dotted paths (as in schema errors) of the strings in ``value`` that hold U+0000."""
    if isinstance(value, str):
        return [path or "_schema"] if "\x00" in value else []
    if isinstance(value, dict):
        found = [path or "_schema" for key in value if "\x00" in str(key)]
        return found + [
            p for k, v in value.items() for p in _nul_paths(v, f"{path}.{k}" if path else str(k))
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _nul_paths(v, f"{path}.{i}")]
    return []


def refuse_nul() -> None:
    """U+0000 cannot be stored (PostgreSQL text refuses it): answer 422 naming where it was,
    never a 500 from the database."""
    places = ["path"] if "\x00" in request.path else []
    for key, values in [*request.args.lists(), *request.form.lists()]:
        if any("\x00" in (v or "") for v in [key, *values]):
            places.append(key)
    if request.is_json:
        places += _nul_paths(request.get_json(silent=True), "")
    if not places:
        return
    if not request.path.startswith(API_PREFIX):
        abort(400)
    raise Problem(
        422,
        "Invalid input",
        NUL_MESSAGE,
        kind="invalid-input",
        errors={place: [NUL_MESSAGE] for place in places},
    )


def _rollback() -> None:
    session = g.get("db")
    if session is not None:
        session.rollback()
