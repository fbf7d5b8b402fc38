"""The SLA sweep: mark running timers past their deadline as breached, in one indexed query.

Its cost grows with the timers that are due, not with the running ones: the partial index
``ix_timers_due_running`` on ``due_at`` of running timers answers the selection. It crosses
tenants only to learn which tenants have due timers; each tenant is then handled in its own
scope, where plugins' ``timer_breached`` hooks run.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select

from core.cases import CaseService
from core.db import Database
from core.models import Case, Tenant, Timer
from core.plugins import Plugins
from core.tenants import context_of
from core.types import SYSTEM

log = logging.getLogger("casecore.sla")

BATCH = 1000


def due_tenants(db: Database, now: datetime) -> list[int]:
    """Tenants with running timers due by ``now`` (the one cross-tenant query)."""
    with db.unscoped("sla sweep: which tenants have due timers") as session:
        stmt = select(Timer.tenant_id).where(Timer.state == "running", Timer.due_at <= now)
        return sorted(set(session.scalars(stmt)))


def sweep_tenant(db: Database, plugins: Plugins, tenant_id: int, now: datetime) -> int:
    """Breach one tenant's due timers (a batch at a time); returns how many were breached."""
    session = db.session(tenant_id)
    try:
        tenant = context_of(session.get(Tenant, tenant_id))
        svc = CaseService(session, tenant, plugins, SYSTEM, now=lambda: now)
        stmt = (
            select(Timer)
            .where(Timer.state == "running", Timer.due_at <= now)
            .order_by(Timer.due_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)  # two sweepers never breach the same timer
        )
        breached = 0
        for timer in session.scalars(stmt).all():
            case = session.get(Case, (tenant_id, timer.case_id))
            timer.state, timer.breached_at = "breached", timer.due_at
            svc.record(
                case, "timer_breached", {"timer": timer.name, "due_at": timer.due_at.isoformat()}
            )
            svc.apply(case, svc.hooks.timer_breached(tenant=tenant, case=case, timer=timer))
            breached += 1
        session.commit()
        return breached
    finally:
        session.close()


def sweep(db: Database, plugins: Plugins, now: datetime) -> int:
    """One sweep over every tenant; returns the number of timers breached."""
    total = 0
    for tenant_id in due_tenants(db, now):
        total += sweep_tenant(db, plugins, tenant_id, now)
    if total:
        log.info("sla sweep: %d timers breached", total)
    return total
