"""``create_app(config)``: the Flask factory. Everything an app needs is built here, per app."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from core.config import Config
from core.db import Database
from core.plugins import Plugins
from core.tenants import probe_context


def create_app(config: Config | None = None, extra_plugins: tuple[Any, ...] = ()) -> Flask:
    """The web app: API, health checks (and, as they land, console and public pages).

    ``extra_plugins`` registers plugin objects besides the installed ones (tests use it).
    """
    config = config or Config.from_env()
    app = Flask("casecore", instance_path=str(config.instance_dir.resolve()))
    app.config.update(
        SECRET_KEY=config.secret_key,
        MAX_CONTENT_LENGTH=config.max_upload_bytes + 64 * 1024,
        TESTING=config.testing,
        JSON_SORT_KEYS=False,
    )
    app.json.ensure_ascii = False  # Chinese text round-trips as it is
    app.json.sort_keys = False
    logging.basicConfig(level=logging.INFO)
    logging.getLogger("rq.cron").setLevel(logging.WARNING)  # not a line per enqueue every 2 s

    plugins = Plugins(allowed=config.plugins_allowed, extra=extra_plugins)
    plugins.check_actions(probe_context(plugins))
    app.extensions["casecore"] = CaseCore(config, Database(config), plugins)

    from core.api import init_api

    init_api(app)

    from core.console import init_console  # console, customer pages, Login, CSRF, Babel

    init_console(app)
    return app


class CaseCore:
    """The app's parts, reachable as ``current_app.extensions["casecore"]``."""

    def __init__(self, config: Config, db: Database, plugins: Plugins):
        self.config = config
        self.db = db
        self.plugins = plugins
