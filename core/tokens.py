"""API tokens: shown once, stored as a hash, named, one role each (API.md "Auth").

A tenant token reads ``ct.<tenant slug>.<secret>`` and a platform token ``cp.<secret>``: the slug
lets a request find its tenant without reading any table across tenants.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import select

from core.db import Database
from core.models import ApiToken, PlatformToken, Tenant
from core.tenancy import TenantSession, bind_tenant_by_slug
from core.types import Actor


def _hash(token: str) -> str:
    # The secret is 256 random bits: a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(token.encode()).hexdigest()


def create_tenant_token(session: TenantSession, tenant: Tenant, name: str, role: str) -> str:
    """A new token for ``tenant``; the plain token is returned once and never stored."""
    token = f"ct.{tenant.slug}.{secrets.token_urlsafe(32)}"
    session.add(ApiToken(tenant_id=tenant.id, name=name, role=role, token_hash=_hash(token)))
    return token


def create_platform_token(session: TenantSession, name: str) -> str:
    token = f"cp.{secrets.token_urlsafe(32)}"
    session.add(PlatformToken(name=name, token_hash=_hash(token)))
    return token


@dataclass
class Principal:
    """Who is calling: a tenant's token or user (``tenant`` set), or a platform admin."""

    actor: Actor
    tenant: Tenant | None
    session: TenantSession

    @property
    def is_platform(self) -> bool:
        return self.tenant is None


def resolve(db: Database, token: str) -> Principal | None:
    """The principal a bearer token stands for, with a session bound to its tenant; or None."""
    if len(token) > 200:
        return None
    kind, _, rest = token.partition(".")
    if kind == "cp" and rest:
        session = db.session(None)
        row = session.scalar(
            select(PlatformToken).where(
                PlatformToken.token_hash == _hash(token), PlatformToken.revoked_at.is_(None)
            )
        )
        if row is None:
            session.close()
            return None
        return Principal(Actor(row.name, "platform", "token"), None, session)
    slug, _, secret = rest.partition(".")
    if kind != "ct" or not slug or not secret:
        return None
    session = db.session(None)
    if bind_tenant_by_slug(session, slug) is None:
        session.close()
        return None
    found = session.execute(
        select(ApiToken, Tenant)
        .join(Tenant, Tenant.id == ApiToken.tenant_id)
        .where(ApiToken.token_hash == _hash(token), ApiToken.revoked_at.is_(None))
    ).first()
    if found is None:
        session.close()
        return None
    row, tenant = found
    return Principal(Actor(row.name, row.role, "token"), tenant, session)
