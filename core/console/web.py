"""What the console's and the customer pages' views share: the tenant of the URL, its session,
the case service, error pages, and the rendering of problems next to form fields."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from zoneinfo import ZoneInfo

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime, format_timedelta
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from core.cases import CaseService
from core.console import csrf
from core.console.labels import localise_message
from core.errors import Problem
from core.models import Tenant, utcnow
from core.plugins import PluginError
from core.tenancy import bind_tenant_by_slug
from core.tenants import context_of
from core.types import Actor, TenantContext

log = logging.getLogger("casecore.console")


def core() -> Any:
    return current_app.extensions["casecore"]


def console_state() -> Any:
    return current_app.extensions["casecore_console"]


def tenant_blueprint(name: str, prefix: str, area: str, **context: Any) -> Blueprint:
    """A blueprint under ``<prefix>/<slug>``: each request opens that tenant (``g.tenant``,
    ``g.db``) in its language, URLs it builds keep the slug, templates get the tenant, the
    ``area`` and ``context`` (callables are called per request), and no answer is cached."""
    from core.console import domain

    bp = Blueprint(name, __name__, url_prefix=f"{prefix}/<slug>")

    @bp.url_value_preprocessor
    def _tenant(_endpoint: str | None, values: dict[str, Any] | None) -> None:
        domain.as_default()
        open_tenant((values or {}).pop("slug", ""))

    @bp.url_defaults
    def _slug(_endpoint: str, values: dict[str, Any]) -> None:
        if "slug" not in values and g.get("tenant") is not None:
            values["slug"] = g.tenant.slug

    @bp.context_processor
    def _context() -> dict[str, Any]:
        extra = {k: v() if callable(v) else v for k, v in context.items()}
        return {"tenant": g.get("tenant"), "area": area, **extra}

    @bp.after_request
    def _no_store(response):
        # Case data is personal: keep it out of shared caches and the back-forward cache.
        response.headers.setdefault("Cache-Control", "no-store")
        return response

    return bp


def open_tenant(slug: str) -> Tenant:
    """The tenant of the URL, and ``g.db``: a session bound to it (closed at teardown by the
    app's ``close_session``). An unknown slug is 404."""
    if len(slug) > 63:
        abort(404)
    session = core().db.session(None)
    tenant_id = bind_tenant_by_slug(session, slug)
    if tenant_id is None:
        session.close()
        abort(404)
    tenant = session.get(Tenant, tenant_id)
    g.db = session
    g.tenant = tenant
    g.tenant_ctx = context_of(tenant)
    return tenant


def tenant_ctx() -> TenantContext:
    return g.tenant_ctx


def service(actor: Actor) -> CaseService:
    return CaseService(
        g.db, tenant_ctx(), core().plugins, actor, calendar_dir=core().config.calendar_dir
    )


def local(value: datetime | None) -> datetime | None:
    """A time in the tenant's zone (for inputs and exports)."""
    if value is None:
        return None
    return value.astimezone(ZoneInfo(tenant_ctx().timezone))


def when(value: Any, fmt: str = "yyyy-MM-dd HH:mm") -> str:
    """A time in the tenant's zone, written the same way in both languages (unambiguous for
    people who read dates either way)."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return value
    return format_datetime(value, fmt)


def rollback() -> None:
    session = g.get("db")
    if session is not None:
        session.rollback()


class FormErrors:
    """Errors of one form submission: by dotted field (``customer.name``), and the rest."""

    def __init__(self, problem: Problem | None = None, fields: dict[str, list[str]] | None = None):
        self.fields: dict[str, list[str]] = {}
        self.general: list[str] = []
        self.status = 422
        if fields:
            for key, messages in fields.items():
                self.add(key, *messages)
        if problem is not None:
            self.status = problem.status
            for key, messages in problem.errors.items():
                self.add(key, *messages)
            for violation in problem.violations:
                if violation.field:
                    self.add(violation.field, violation.message)
                else:
                    self.general.append(localise_message(violation.message))
            if not problem.errors and not problem.violations:
                self.general.append(problem.detail or problem.title)

    def add(self, key: str, *messages: str) -> None:
        target = self.fields.setdefault(key, [])
        target.extend(localise_message(m) for m in messages)

    def of(self, key: str) -> list[str]:
        return self.fields.get(key, [])

    def unplaced(self, known: set[str]) -> list[str]:
        """Messages of fields the form does not show (shown at the top instead)."""
        return [
            f"{key}: {message}"
            for key, messages in self.fields.items()
            if key not in known
            for message in messages
        ]

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)


def error_page(status: int, title: str, detail: str = "") -> tuple[str, int]:
    return render_template("error.html", status=status, title=title, detail=detail), status


def install_error_pages(bp: Blueprint) -> None:
    """HTML error pages for a blueprint (the API answers problem+json; people get pages)."""

    @bp.errorhandler(Problem)
    def _problem(problem: Problem):
        rollback()
        if problem.status == 404:
            return error_page(404, _("Not found"), _("There is nothing here, or not for you."))
        messages = [localise_message(v.message) for v in problem.violations]
        return error_page(problem.status, problem.title, "; ".join(messages) or problem.detail)

    @bp.errorhandler(StaleDataError)
    def _stale(_error: StaleDataError):
        rollback()
        return error_page(409, _("Changed meanwhile"), _("Reload the page and try again."))

    @bp.errorhandler(PluginError)
    def _plugin(error: PluginError):
        rollback()
        return error_page(
            500,
            _("A plugin failed"),
            _("Plugin %(name)s failed; nothing was changed.", name=error.plugin),
        )

    @bp.errorhandler(CSRFError)
    def _csrf(error: CSRFError):
        return error_page(
            400,
            _("The form expired"),
            _("The form was missing its security token. Reload the page and try again."),
        )

    @bp.errorhandler(HTTPException)
    def _http(error: HTTPException):
        if error.code == 413 and (request.endpoint or "").endswith(".upload"):
            # Too large to be read at all: back to the case, which stays as it was.
            limit = core().config.max_upload_bytes // (1024 * 1024)
            flash(_("The file is larger than %(mb)s MB: nothing was attached.", mb=limit), "error")
            case_id = (request.view_args or {}).get("case_id", "")
            return redirect(url_for(".case_page", case_id=case_id), 303)
        titles = {
            403: _("Not allowed"),
            404: _("Not found"),
            405: _("Not allowed"),
            413: _("Too large"),
            429: _("Too many attempts"),
        }
        return error_page(error.code or 500, titles.get(error.code or 500, error.name))

    @bp.errorhandler(Exception)
    def _unexpected(error: Exception):
        rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_page(500, _("Something failed on our side"), _("Nothing was changed."))


def protect_forms(bp: Blueprint) -> None:
    """Every POST of the blueprint carries its CSRF token, or gets 400."""

    @bp.before_request
    def _csrf_check():
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            csrf.protect()


def remaining(due: Any, now: datetime | None = None) -> str:
    """How long until ``due`` (or how long ago), in the reader's language."""
    if due is None:
        return ""
    if isinstance(due, str):
        due = datetime.fromisoformat(due)
    now = now or utcnow()
    return format_timedelta(due - now, granularity="minute", add_direction=True)


def with_lang(code: str) -> str:
    """This page's URL with ``?lang=code`` (the language switch)."""
    path, args = request.path, request.args.to_dict()
    if request.method != "GET":
        # A page answering a form post: switch on the page the form was on.
        referrer = urlsplit(request.referrer or "")
        same_site = not referrer.netloc or referrer.netloc == request.host
        path = referrer.path if referrer.path and same_site else path
        args = dict(parse_qsl(referrer.query)) if same_site else {}
    args["lang"] = code
    return path + "?" + urlencode(args)
