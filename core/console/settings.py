"""Tenant settings for admins: general and organisation, plugins, calendar, timers, users, API
tokens, webhooks. Validation is the API's (``TenantSettingsSchema``, the plugins' schemas)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core.api.webhooks import WebhookCreateSchema
from core.console import forms
from core.console.auth import hasher
from core.console.auth import login_required as _login_required
from core.console.web import FormErrors, core
from core.errors import Problem, flatten_errors
from core.models import ApiToken, Tenant, User, Webhook, utcnow
from core.schemas import CATEGORY_GROUPS, CORE_TIMERS, LOCALES, TenantSettingsSchema
from core.tenants import apply_settings, context_of, plugin_settings
from core.tokens import create_tenant_token
from core.types import ROLES, TIME_UNITS

admin_only = _login_required("admin")


def _tenant() -> Tenant:
    return g.db.get(Tenant, g.tenant.id)


def _settings() -> dict[str, Any]:
    return dict(context_of(_tenant()).settings)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _save(changes: dict[str, Any], prefix: str = "") -> FormErrors | None:
    """Validate with the API's schema and apply; the errors, or None when saved."""
    try:
        loaded = TenantSettingsSchema().load(changes)
        apply_settings(_tenant(), loaded, core().plugins, core().config.calendar_dir)
        g.db.commit()
    except ValidationError as exc:
        g.db.rollback()
        return FormErrors(fields=flatten_errors(exc.messages, prefix))
    except Problem as problem:
        g.db.rollback()
        return FormErrors(problem)
    return None


# --- general and organisation ----------------------------------------------------------------


@admin_only
def general():
    settings = _settings()
    tenant = _tenant()
    values = MultiDict(
        {
            "name": tenant.name,
            "timezone": tenant.timezone,
            "locale": tenant.locale,
            "repeat_window_days": str(settings["repeat_window_days"]),
            "departments": "\n".join(settings["departments"]),
            "sites": "\n".join(settings["sites"]),
            "categories": "\n".join(
                f"{c['name']} | {c.get('group', 'other')}" for c in settings["categories"]
            ),
            **{f"revisits_required.{k}": str(v) for k, v in settings["revisits_required"].items()},
        }
    )
    errors = None
    if request.method == "POST":
        form = request.form
        values = form
        categories = []
        for line in _lines(form.get("categories", "")):
            name, _sep, group = line.partition("|")
            categories.append({"name": name.strip(), "group": group.strip() or "other"})
        changes: dict[str, Any] = {
            "name": form.get("name", "").strip(),
            "timezone": form.get("timezone", "").strip(),
            "locale": form.get("locale", ""),
            "repeat_window_days": _int(form.get("repeat_window_days", "")),
            "departments": _lines(form.get("departments", "")),
            "sites": _lines(form.get("sites", "")),
            "categories": categories,
            "revisits_required": {
                group: _int(form.get(f"revisits_required.{group}", "0"))
                for group in CATEGORY_GROUPS
            },
        }
        errors = _save(changes)
        if errors is None:
            flash(_("Settings saved."), "success")
            return redirect(url_for("console.settings_general"), 303)
    return _render(
        "settings/general.html",
        "general",
        values=values,
        errors=errors or FormErrors(),
        locales=LOCALES,
        groups=CATEGORY_GROUPS,
        status=422 if errors else 200,
    )


def _int(text: str) -> int | str:
    text = (text or "").strip()
    try:
        return int(text)
    except ValueError:
        return text


def _render(template: str, section: str, status: int = 200, **context: Any):
    return render_template(template, section=section, **context), status


# --- calendar --------------------------------------------------------------------------------


@admin_only
def calendar():
    calendar = _settings()["calendar"]
    hours = calendar.get("working_hours") or ["09:00", "18:00"]
    values = MultiDict(
        {
            "country": calendar.get("country") or "",
            "opens": hours[0],
            "closes": hours[1],
            "closed_dates": "\n".join(calendar.get("closed_dates", [])),
            "extra_working_days": "\n".join(calendar.get("extra_working_days", [])),
        }
    )
    errors = None
    if request.method == "POST":
        form = values = request.form
        changes = {
            "calendar": {
                "country": form.get("country", "").strip().upper() or None,
                "working_hours": [form.get("opens", "").strip(), form.get("closes", "").strip()],
                "closed_dates": _lines(form.get("closed_dates", "")),
                "extra_working_days": _lines(form.get("extra_working_days", "")),
            }
        }
        errors = _save(changes)
        if errors is None:
            flash(_("Calendar saved. Running deadlines were recomputed."), "success")
            return redirect(url_for("console.settings_calendar"), 303)
    return _render(
        "settings/calendar.html",
        "calendar",
        values=values,
        errors=errors or FormErrors(),
        status=422 if errors else 200,
    )


# --- timers ----------------------------------------------------------------------------------


@admin_only
def timers():
    current = _settings()["timers"]
    values = MultiDict()
    for name in CORE_TIMERS:
        duration = current.get(name)
        values[f"{name}.on"] = "1" if duration else ""
        values[f"{name}.amount"] = str(duration["amount"]) if duration else ""
        values[f"{name}.unit"] = duration["unit"] if duration else "working_days"
    errors = None
    if request.method == "POST":
        form = values = request.form
        changes = {
            "timers": {
                name: {
                    "amount": _int(form.get(f"{name}.amount", "")),
                    "unit": form.get(f"{name}.unit", ""),
                }
                if form.get(f"{name}.on")
                else None
                for name in CORE_TIMERS
            }
        }
        errors = _save(changes)
        if errors is None:
            flash(
                _("Timer durations saved. They apply to deadlines started from now on."), "success"
            )
            return redirect(url_for("console.settings_timers"), 303)
    return _render(
        "settings/timers.html",
        "timers",
        values=values,
        errors=errors or FormErrors(),
        timers=CORE_TIMERS,
        units=TIME_UNITS,
        status=422 if errors else 200,
    )


# --- plugins ---------------------------------------------------------------------------------


def _plugin_cards(
    errors_for: str | None = None, errors: FormErrors | None = None, values: MultiDict | None = None
) -> list[dict[str, Any]]:
    plugins = core().plugins
    enabled = _tenant().plugins or {}
    cards = []
    for name in plugins.names:
        info = plugins.infos[name]
        schema = plugins.call_one(name, "settings_schema")
        current = enabled.get(name)
        inputs = []
        if schema is not None:
            if current is None:
                current = schema().dump(schema().load({}))
            inputs = forms.inputs_of(schema, f"{name}", current)
            if errors_for == name and values is not None:
                for spec in inputs:
                    spec.value = values.get(spec.name, "")
        cards.append(
            {
                "name": name,
                "info": info,
                "enabled": name in enabled,
                "inputs": inputs,
                "errors": errors if errors_for == name else FormErrors(),
            }
        )
    return cards


@admin_only
def plugins_page():
    return _render("settings/plugins.html", "plugins", cards=_plugin_cards())


@admin_only
def plugin_save(name: str):
    plugins = core().plugins
    if name not in plugins.infos:
        return _render("settings/plugins.html", "plugins", cards=_plugin_cards(), status=404)
    tenant = _tenant()
    if request.form.get("op") == "disable":
        tenant.plugins = {k: v for k, v in (tenant.plugins or {}).items() if k != name}
        g.db.commit()
        flash(_("Plugin %(title)s disabled.", title=plugins.infos[name].title), "success")
        return redirect(url_for("console.settings_plugins") + f"#plugin-{name}", 303)
    schema = plugins.call_one(name, "settings_schema")
    values: dict[str, Any] = {}
    unread: dict[str, list[str]] = {}
    if schema is not None:
        values, unread = forms.read(schema, name, request.form, empty_lists=True)
    try:
        if unread:
            raise Problem(422, "Invalid input", errors=unread)
        settings = plugin_settings(plugins, name, values, name)
    except Problem as problem:
        errors = FormErrors(problem)
        cards = _plugin_cards(name, errors, request.form)
        return _render("settings/plugins.html", "plugins", cards=cards, status=422)
    was_enabled = name in (tenant.plugins or {})
    tenant.plugins = {**(tenant.plugins or {}), name: settings}
    g.db.commit()
    title = plugins.infos[name].title
    message = (
        _("Settings of %(title)s saved.", title=title)
        if was_enabled
        else _("Plugin %(title)s enabled.", title=title)
    )
    flash(message, "success")
    return redirect(url_for("console.settings_plugins") + f"#plugin-{name}", 303)


# --- users -----------------------------------------------------------------------------------


def _users_page(status: int = 200, **context: Any):
    users = g.db.scalars(select(User).order_by(User.email)).all()
    context.setdefault("errors", FormErrors())
    context.setdefault("values", MultiDict({"role": "agent"}))
    return _render(
        "settings/users.html", "users", users=users, roles=ROLES, status=status, **context
    )


def _temporary_password() -> str:
    return secrets.token_urlsafe(12)


@admin_only
def users_page():
    return _users_page()


@admin_only
def user_invite():
    form = request.form
    email = form.get("email", "").strip().lower()
    role = form.get("role", "")
    name = form.get("name", "").strip()
    errors = FormErrors()
    if "@" not in email or len(email) > 254 or email.startswith("@") or email.endswith("@"):
        errors.add("email", "Not a valid email address.")
    if role not in ROLES:
        errors.add("role", f"Must be one of: {', '.join(ROLES)}.")
    if len(name) > 200:
        errors.add("name", "Longer than maximum length 200.")
    if not errors and g.db.scalar(select(User.id).where(User.email == email)):
        errors.add("email", _("A user with this email exists already."))
    if errors:
        return _users_page(422, errors=errors, values=form)
    password = _temporary_password()
    g.db.add(
        User(email=email, name=name, role=role, password_hash=hasher().hash(password), active=True)
    )
    g.db.commit()
    return _users_page(
        201, secret={"what": _("Temporary password for %(email)s", email=email), "value": password}
    )


def _user(user_id: str) -> User:
    user = g.db.get(User, (g.tenant.id, user_id)) if len(user_id) <= 64 else None
    if user is None:
        raise Problem(404, "Not found", "No such user.")
    return user


@admin_only
def user_change(user_id: str):
    user = _user(user_id)
    op = request.form.get("op", "")
    myself = user.id == current_user.id
    if op in ("deactivate", "role") and myself:
        return _users_page(
            409, errors=FormErrors(fields={"_": [_("You cannot lock yourself out.")]})
        )
    if op == "deactivate":
        user.active = False
        message = _("%(email)s can no longer sign in.", email=user.email)
    elif op == "activate":
        user.active = True
        message = _("%(email)s can sign in again.", email=user.email)
    elif op == "role" and request.form.get("role") in ROLES:
        user.role = request.form["role"]
        message = _("%(email)s is now %(role)s.", email=user.email, role=user.role)
    elif op == "reset":
        password = _temporary_password()
        user.password_hash = hasher().hash(password)  # also ends the user's open sessions
        g.db.commit()
        return _users_page(
            secret={"what": _("New password for %(email)s", email=user.email), "value": password}
        )
    else:
        return _users_page(422, errors=FormErrors(fields={"_": [_("Unknown change.")]}))
    g.db.commit()
    flash(message, "success")
    return redirect(url_for("console.settings_users"), 303)


# --- API tokens ------------------------------------------------------------------------------


def _tokens_page(status: int = 200, **context: Any):
    tokens = g.db.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())).all()
    context.setdefault("errors", FormErrors())
    context.setdefault("values", MultiDict({"role": "agent"}))
    return _render(
        "settings/tokens.html", "tokens", tokens=tokens, roles=ROLES, status=status, **context
    )


@admin_only
def tokens_page():
    return _tokens_page()


@admin_only
def token_create():
    name = request.form.get("name", "").strip()
    role = request.form.get("role", "")
    errors = FormErrors()
    if not name:
        errors.add("name", "Missing data for required field.")
    elif len(name) > 200:
        errors.add("name", "Longer than maximum length 200.")
    if role not in ROLES:
        errors.add("role", f"Must be one of: {', '.join(ROLES)}.")
    if errors:
        return _tokens_page(422, errors=errors, values=request.form)
    token = create_tenant_token(g.db, g.tenant, name, role)
    g.db.commit()
    return _tokens_page(
        201,
        secret={"what": _("Token %(name)s (shown only now: copy it)", name=name), "value": token},
    )


@admin_only
def token_revoke(token_id: str):
    token = g.db.get(ApiToken, (g.tenant.id, token_id)) if len(token_id) <= 64 else None
    if token is None:
        raise Problem(404, "Not found", "No such token.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        g.db.commit()
    flash(_("Token %(name)s revoked.", name=token.name), "success")
    return redirect(url_for("console.settings_tokens"), 303)


# --- webhooks --------------------------------------------------------------------------------


def _webhooks_page(status: int = 200, **context: Any):
    hooks = g.db.scalars(
        select(Webhook).where(Webhook.active.is_(True)).order_by(Webhook.created_at)
    ).all()
    context.setdefault("errors", FormErrors())
    context.setdefault("values", MultiDict())
    return _render("settings/webhooks.html", "webhooks", hooks=hooks, status=status, **context)


@admin_only
def webhooks_page():
    return _webhooks_page()


@admin_only
def webhook_create():
    events = [e.strip() for e in request.form.get("events", "").replace(",", " ").split()]
    body: dict[str, Any] = {"url": request.form.get("url", "").strip()}
    if events:
        body["events"] = events
    try:
        payload = WebhookCreateSchema().load(body)
    except ValidationError as exc:
        errors = FormErrors(fields=flatten_errors(exc.messages))
        return _webhooks_page(422, errors=errors, values=request.form)
    hook = Webhook(
        url=payload["url"], events=sorted(set(payload["events"])), secret=secrets.token_urlsafe(32)
    )
    g.db.add(hook)
    g.db.commit()
    return _webhooks_page(
        201,
        secret={
            "what": _("Signing secret of %(url)s (shown only now: copy it)", url=hook.url),
            "value": hook.secret,
        },
    )


@admin_only
def webhook_delete(webhook_id: str):
    hook = g.db.get(Webhook, (g.tenant.id, webhook_id)) if len(webhook_id) <= 64 else None
    if hook is None or not hook.active:
        raise Problem(404, "Not found", "No such webhook.")
    hook.active = False
    g.db.commit()
    flash(_("Webhook removed."), "success")
    return redirect(url_for("console.settings_webhooks"), 303)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/settings", "settings_general", general, methods=["GET", "POST"])
    bp.add_url_rule("/settings/calendar", "settings_calendar", calendar, methods=["GET", "POST"])
    bp.add_url_rule("/settings/timers", "settings_timers", timers, methods=["GET", "POST"])
    bp.add_url_rule("/settings/plugins", "settings_plugins", plugins_page)
    bp.add_url_rule("/settings/plugins/<name>", "plugin_save", plugin_save, methods=["POST"])
    bp.add_url_rule("/settings/users", "settings_users", users_page)
    bp.add_url_rule("/settings/users", "user_invite", user_invite, methods=["POST"])
    bp.add_url_rule("/settings/users/<user_id>", "user_change", user_change, methods=["POST"])
    bp.add_url_rule("/settings/tokens", "settings_tokens", tokens_page)
    bp.add_url_rule("/settings/tokens", "token_create", token_create, methods=["POST"])
    bp.add_url_rule(
        "/settings/tokens/<token_id>/revoke", "token_revoke", token_revoke, methods=["POST"]
    )
    bp.add_url_rule("/settings/webhooks", "settings_webhooks", webhooks_page)
    bp.add_url_rule("/settings/webhooks", "webhook_create", webhook_create, methods=["POST"])
    bp.add_url_rule(
        "/settings/webhooks/<webhook_id>/delete", "webhook_delete", webhook_delete, methods=["POST"]
    )
