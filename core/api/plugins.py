"""``GET /api/v1/plugins``: what is installed, with its schemas as JSON Schema."""

from __future__ import annotations

from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import current_app, g
from flask_smorest import Blueprint

from core.api.auth import tenant_context
from core.api.docs import problems
from core.plugins import Plugins
from core.schemas import CORE_KINDS, PageArgs, PluginSchema, page_of
from core.tenants import probe_context

blp = Blueprint("plugins", __name__, url_prefix="/api/v1/plugins", description="Plugins")


def json_schema(schema_cls: type | None) -> dict[str, Any]:
    """A marshmallow schema as JSON Schema (through apispec, as the OpenAPI document does)."""
    if schema_cls is None:
        return {}
    plugin = MarshmallowPlugin()
    APISpec("x", "1", "3.0.3", plugins=[plugin])
    return plugin.converter.schema2jsonschema(schema_cls)


def describe(plugins: Plugins, name: str, tenant) -> dict[str, Any]:
    info = plugins.infos[name]
    return {
        "name": name,
        "title": info.title,
        "version": info.version,
        "description": info.description,
        "settings_schema": json_schema(plugins.call_one(name, "settings_schema")),
        "case_fields_schema": {
            kind: json_schema(
                plugins.call_one(name, "case_fields_schema", tenant=tenant, kind=kind)
            )
            for kind in CORE_KINDS
        },
    }


@blp.route("", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(PluginSchema))
@problems(blp, 401)
def list_plugins(args: dict[str, Any]):
    """Installed plugins; ``case_fields_schema`` is given per case kind."""
    plugins: Plugins = current_app.extensions["casecore"].plugins
    # Declaration hooks describe the plugin: a platform admin (no tenant) sees the defaults.
    tenant = probe_context(plugins) if g.principal.is_platform else tenant_context()
    names = [n for n in plugins.names if not args.get("cursor") or n > args["cursor"]]
    chosen = names[: args["limit"]]
    more = len(names) > len(chosen)
    return {
        "items": [describe(plugins, n, tenant) for n in chosen],
        "next_cursor": chosen[-1] if more else None,
    }
