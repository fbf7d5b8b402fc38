"""Who is calling, and what they may do: bearer tokens, roles, the tenant's session."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, g, request

from core.errors import forbidden, not_found, unauthorized
from core.tenants import context_of
from core.tokens import Principal, resolve
from core.types import TenantContext

_OPEN_PATHS = ("/api/v1/openapi.json", "/api/v1/docs")


def authenticate() -> None:
    """Before every API request: resolve the bearer token and open the tenant's session."""
    path = request.path
    if (
        not path.startswith("/api/v1/")
        or path.startswith(_OPEN_PATHS)
        or request.url_rule is None  # unknown routes answer 404, token or not
        or request.method == "OPTIONS"
    ):
        return
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized()
    principal = resolve(current_app.extensions["casecore"].db, token.strip())
    if principal is None:
        raise unauthorized("The token is unknown or revoked.")
    g.principal = principal
    g.db = principal.session


def close_session(_exc: BaseException | None = None) -> None:
    session = g.pop("db", None)
    if session is not None:
        session.close()


def principal() -> Principal:
    return g.principal


def tenant_context() -> TenantContext:
    """The calling tenant as hooks see it (built once per request)."""
    if "tenant_ctx" not in g:
        g.tenant_ctx = context_of(g.principal.tenant)
    return g.tenant_ctx


def requires(*roles: str, platform: bool = False) -> Callable:
    """Allow tenant tokens of ``roles`` (and platform tokens when ``platform``); else 403."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            who = g.principal
            if who.is_platform:
                if not platform:
                    raise forbidden("Platform tokens provision tenants; they read no cases.")
            elif who.actor.role not in roles:
                raise forbidden(f"The {who.actor.role} role may not do this.")
            return view(*args, **kwargs)

        return wrapped

    return decorate


def own_tenant_or_404(slug: str) -> None:
    """A tenant token may only see its own tenant; another's is 'not found', never 403."""
    who = g.principal
    if not who.is_platform and who.tenant.slug != slug:
        raise not_found("tenant")
