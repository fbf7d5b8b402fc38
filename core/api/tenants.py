"""``/api/v1/tenants``: provisioning (platform) and settings (platform or the tenant's admin)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import current_app, g, url_for
from flask_smorest import Blueprint
from marshmallow import INCLUDE, Schema

from core.api.auth import own_tenant_or_404, requires
from core.api.docs import problems
from core.errors import forbidden, not_found
from core.models import Tenant
from core.schemas import TenantCreateSchema, TenantSchema, TenantSettingsSchema
from core.tenancy import TenantSession
from core.tenants import apply_settings, create_tenant, describe, get_by_slug, plugin_settings

blp = Blueprint("tenants", __name__, url_prefix="/api/v1/tenants", description="Tenants")


class PluginSettingsBody(Schema):
    """The plugin's settings object, validated by the plugin's own schema ({}: defaults)."""

    class Meta:
        unknown = INCLUDE


def _core():
    return current_app.extensions["casecore"]


@contextmanager
def editable(slug: str) -> Iterator[tuple[Tenant, TenantSession]]:
    """The tenant to change, in a session allowed to change it: a platform admin works
    unscoped (logged); a tenant admin in its own session, where RLS lets it update only itself."""
    own_tenant_or_404(slug)
    if g.principal.is_platform:
        with _core().db.unscoped(f"platform: change tenant {slug}") as session:
            yield get_by_slug(session, slug), session
    else:
        yield g.db.get(Tenant, g.principal.tenant.id), g.db


@blp.route("", methods=["POST"])
@blp.arguments(TenantCreateSchema)
@blp.response(201, TenantSchema)
@problems(blp, 401, 403, 409)
@requires(platform=True)
def create(payload: dict[str, Any]):
    """Create a tenant (platform tokens only)."""
    if not g.principal.is_platform:
        raise forbidden("Only platform tokens create tenants.")
    with _core().db.unscoped(f"platform: create tenant {payload['slug']}") as session:
        tenant = create_tenant(session, payload, _core().plugins)
        session.commit()
        return describe(tenant), 201, {"Location": url_for("tenants.show", slug=tenant.slug)}


@blp.route("/<slug>", methods=["GET"])
@blp.response(200, TenantSchema)
@problems(blp, 401, 403, 404)
@requires("admin", platform=True)
def show(slug: str):
    """The tenant with its settings and enabled plugins."""
    own_tenant_or_404(slug)
    tenant = g.db.query(Tenant).filter_by(slug=slug).one_or_none()
    if tenant is None:
        raise not_found("tenant")
    return describe(tenant)


@blp.route("/<slug>", methods=["PATCH"])
@blp.arguments(TenantSettingsSchema)
@blp.response(200, TenantSchema)
@problems(blp, 401, 403, 404)
@requires("admin", platform=True)
def change(payload: dict[str, Any], slug: str):
    """Change the tenant's settings (not its slug)."""
    with editable(slug) as (tenant, session):
        apply_settings(tenant, payload, _core().plugins, _core().config.calendar_dir)
        session.commit()
        return describe(tenant)


@blp.route("/<slug>/plugins/<name>", methods=["PUT"])
@blp.arguments(PluginSettingsBody)
@blp.response(200, TenantSchema)
@problems(blp, 401, 403, 404)
@requires("admin", platform=True)
def enable_plugin(payload: dict[str, Any], slug: str, name: str):
    """Enable a plugin with these settings (unknown keys refused; {} takes the defaults)."""
    if name not in _core().plugins.infos:
        raise not_found("plugin")
    with editable(slug) as (tenant, session):
        settings = plugin_settings(_core().plugins, name, payload)  # errors keyed by field
        tenant.plugins = {**(tenant.plugins or {}), name: settings}
        session.commit()
        return describe(tenant)


@blp.route("/<slug>/plugins/<name>", methods=["DELETE"])
@blp.response(204)
@problems(blp, 401, 403, 404)
@requires("admin", platform=True)
def disable_plugin(slug: str, name: str):
    """Disable a plugin; its rules stop running for this tenant at once."""
    with editable(slug) as (tenant, session):
        if name not in (tenant.plugins or {}):
            raise not_found("enabled plugin")
        tenant.plugins = {k: v for k, v in tenant.plugins.items() if k != name}
        session.commit()
