"""Tenants: their settings (with DOMAIN.md's defaults), their plugins, and the context hooks see."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError
from sqlalchemy.orm import object_session

from core.errors import Problem, invalid, not_found
from core.models import Counter, Tenant, utcnow
from core.plugins import Plugins
from core.schemas import CalendarSchema, RevisitsSchema, TimersSchema
from core.tenancy import TenantSession
from core.timers import CaseTimers, calendar_of
from core.types import TenantContext

DEFAULT_SETTINGS: dict[str, Any] = {
    "calendar": CalendarSchema().load({}),
    "departments": [],
    "sites": [],
    "categories": [],
    "timers": TimersSchema().load({}),
    "repeat_window_days": 90,
    "revisits_required": RevisitsSchema().load({}),
}
SETTING_KEYS = tuple(DEFAULT_SETTINGS)


def context_of(tenant: Tenant) -> TenantContext:
    """The tenant as hooks see it."""
    settings = copy.deepcopy(DEFAULT_SETTINGS)
    settings.update(tenant.settings or {})
    return TenantContext(
        id=tenant.id,
        slug=tenant.slug,
        name=tenant.name,
        timezone=tenant.timezone,
        locale=tenant.locale,
        settings=settings,
        plugins=dict(tenant.plugins or {}),
    )


def probe_context(plugins: Plugins) -> TenantContext:
    """A tenant with every installed plugin on its default settings: what declaration hooks
    and start-up checks are asked with when no real tenant is at hand."""
    defaults = {}
    for name in plugins.names:
        schema_cls = plugins.call_one(name, "settings_schema")
        defaults[name] = schema_cls().dump(schema_cls().load({})) if schema_cls else {}
    return TenantContext(
        id=0,
        slug="-",
        name="-",
        timezone="UTC",
        locale="en",
        settings=copy.deepcopy(DEFAULT_SETTINGS),
        plugins=defaults,
    )


def describe(tenant: Tenant) -> dict[str, Any]:
    """The tenant as the API shows it."""
    ctx = context_of(tenant)
    return {
        "slug": ctx.slug,
        "name": ctx.name,
        "timezone": ctx.timezone,
        "locale": ctx.locale,
        **{key: ctx.settings[key] for key in SETTING_KEYS},
        "plugins": ctx.plugins,
    }


def plugin_settings(plugins: Plugins, name: str, settings: Any, path: str = "") -> dict[str, Any]:
    """Validate one plugin's settings with its schema (unknown keys refused; ``{}``: defaults).
    Errors are keyed under ``path`` (``plugins.retail`` in a tenant body; none when the body
    is the settings themselves)."""
    here = path or "_schema"
    if name not in plugins.infos:
        raise invalid({here: [f"No plugin named {name!r} is installed."]})
    if not isinstance(settings, dict):
        raise invalid({here: ["Give the plugin's settings as an object."]})
    schema_cls: type[Schema] | None = plugins.call_one(name, "settings_schema")
    if schema_cls is None:
        if settings:
            raise invalid({here: ["This plugin has no settings."]})
        return {}
    try:
        return schema_cls(unknown=RAISE).dump(schema_cls(unknown=RAISE).load(settings))
    except ValidationError as exc:
        raise invalid(exc.messages, prefix=path) from exc


def apply_settings(
    tenant: Tenant, changes: dict[str, Any], plugins: Plugins, calendar_dir: Path | None = None
) -> None:
    """Apply validated settings (``TenantSettingsSchema`` output) to the tenant. A change of
    calendar or time zone recomputes the deadlines of running timers (and logs it)."""
    calendar_before = (tenant.timezone, (tenant.settings or {}).get("calendar"))
    for key in ("name", "timezone", "locale"):
        if key in changes:
            setattr(tenant, key, changes[key])
    settings = dict(tenant.settings or {})
    for key in SETTING_KEYS:
        if key in changes:
            settings[key] = changes[key]
    tenant.settings = settings
    if "plugins" in changes:
        tenant.plugins = {
            name: plugin_settings(plugins, name, value, f"plugins.{name}")
            for name, value in changes["plugins"].items()
        }
    context = context_of(tenant)
    try:
        calendar_of(context, calendar_dir)
    except ValueError as exc:
        raise invalid({"calendar": [str(exc)]}) from exc
    session = object_session(tenant)
    if (
        tenant.id is not None
        and session is not None
        and calendar_before != (tenant.timezone, tenant.settings.get("calendar"))
    ):
        CaseTimers(session, context, hooks=None, data_dir=calendar_dir).recompute(utcnow())


def create_tenant(session: TenantSession, data: dict[str, Any], plugins: Plugins) -> Tenant:
    """A new tenant with DOMAIN.md's defaults where ``data`` is silent (an unscoped session)."""
    if session.query(Tenant.id).filter_by(slug=data["slug"]).first() is not None:
        raise Problem(
            409, "Conflict", f"A tenant with slug {data['slug']!r} exists.", kind="conflict"
        )
    tenant = Tenant(
        slug=data["slug"],
        name=data["name"],
        timezone="Asia/Shanghai",
        locale="zh_CN",
        settings=copy.deepcopy(DEFAULT_SETTINGS),
        plugins={},
    )
    apply_settings(tenant, data, plugins)
    session.add(tenant)
    session.flush()
    session.add(Counter(tenant_id=tenant.id, name="case", value=0))
    return tenant


def get_by_slug(session: TenantSession, slug: str) -> Tenant:
    tenant = session.query(Tenant).filter_by(slug=slug).one_or_none()
    if tenant is None:
        raise not_found("tenant")
    return tenant
