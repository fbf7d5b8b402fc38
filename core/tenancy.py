"""The tenant scope that no query can forget.

A session is bound to one tenant (``session.info["tenant_id"]``). Every ORM statement on a
tenant-owned model gets ``tenant_id = <bound tenant>`` added; inserts get ``tenant_id`` set; a
statement on a tenant-owned model with no tenant bound raises ``TenantScopeError``. Work across
tenants opens ``Database.unscoped(reason)``, which is logged, so ``grep unscoped`` finds it all.
On PostgreSQL the bound tenant is also set as ``app.tenant_id`` at the start of each transaction,
for the row-level security policies under all of this.
"""

from __future__ import annotations

import logging

from sqlalchemy import event, select, text
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria
from sqlalchemy.sql.util import find_tables

from core.models import Base, Tenant, TenantOwned

log = logging.getLogger("casecore.tenancy")


class TenantScopeError(RuntimeError):
    """A tenant-owned row was touched with no tenant bound, or across tenants."""


_TENANT_TABLES = frozenset(
    m.local_table for m in Base.registry.mappers if issubclass(m.class_, TenantOwned)
)


class TenantSession(Session):
    """A Session that carries its tenant; see the module docstring."""

    @property
    def tenant_id(self) -> int | None:
        return self.info.get("tenant_id")

    @property
    def is_unscoped(self) -> bool:
        return bool(self.info.get("unscoped"))


def _touches_tenant_data(state: ORMExecuteState) -> bool:
    """Every table the statement reads or writes, subqueries included, not only the entities
    it returns: ``select(func.count()).select_from(Case)`` returns no entity but reads cases."""
    mappers = state.all_mappers if state.is_select else [state.bind_mapper]
    if any(m is not None and issubclass(m.class_, TenantOwned) for m in mappers):
        return True
    tables = find_tables(
        state.statement,
        check_columns=True,
        include_aliases=True,
        include_crud=True,
        include_joins=True,
        include_selects=True,
    )
    return not _TENANT_TABLES.isdisjoint(tables)


@event.listens_for(TenantSession, "do_orm_execute")
def _scope_statement(state: ORMExecuteState) -> None:
    session = state.session
    if session.info.get("unscoped") or not _touches_tenant_data(state):
        return
    tenant_id = session.info.get("tenant_id")
    if tenant_id is None:
        raise TenantScopeError("a query on tenant data ran with no tenant bound")
    if state.is_column_load or state.is_relationship_load:
        return  # the criteria below propagate to these loads already
    state.statement = state.statement.options(
        with_loader_criteria(
            TenantOwned,
            lambda cls: cls.tenant_id == tenant_id,
            include_aliases=True,  # the lambda's tenant_id becomes a bound parameter
        )
    )


@event.listens_for(TenantSession, "before_flush")
def _stamp_tenant(session: Session, _context, _instances) -> None:
    if session.info.get("unscoped"):
        return
    tenant_id = session.info.get("tenant_id")
    for obj in session.new:
        if not isinstance(obj, TenantOwned):
            continue
        if tenant_id is None:
            raise TenantScopeError(f"inserting {type(obj).__name__} with no tenant bound")
        if obj.tenant_id is None:
            obj.tenant_id = tenant_id
        elif obj.tenant_id != tenant_id:
            raise TenantScopeError(f"inserting {type(obj).__name__} into another tenant")


@event.listens_for(TenantSession, "after_begin")
def _set_rls_tenant(session: Session, _transaction, connection) -> None:
    tenant_id = session.info.get("tenant_id")
    if connection.dialect.name != "postgresql" or session.info.get("unscoped") or not tenant_id:
        return  # with no tenant set, the policies match no tenant-owned row
    # set_config(..., true) is transaction-local; SET LOCAL cannot take a bind parameter.
    connection.execute(text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)})


def bind_tenant_by_slug(session: TenantSession, slug: str) -> int | None:
    """Bind a session with no tenant yet to the tenant with this ``slug``, in the transaction
    it is in: a request's first statement both finds its tenant and, on PostgreSQL, sets it for
    row-level security (one round trip, no second transaction). Answers the tenant's id, or
    ``None`` for an unknown slug (the session stays unbound)."""
    if session.tenant_id is not None or session.is_unscoped:
        raise TenantScopeError("only a session with no tenant can be bound to one")
    if session.bind.dialect.name == "postgresql":
        found = session.scalar(
            text(
                "SELECT set_config('app.tenant_id',"
                " coalesce((SELECT id::text FROM tenants WHERE slug = :slug), ''), true)"
            ),
            {"slug": slug},
        )
    else:
        found = session.scalar(select(Tenant.id).where(Tenant.slug == slug))
    if not found:
        return None
    session.info["tenant_id"] = int(found)
    return session.info["tenant_id"]
