"""The SLA sweep: mark running timers past their deadline as breached, in one indexed query.

Its cost grows with the timers that are due, not with the running ones: the partial index
``ix_timers_due_running`` on ``due_at`` of running timers answers the selection. It crosses
tenants only to learn which tenants have due timers; each tenant is then handled in its own
scope, where plugins' ``timer_breached`` hooks run.
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select, tuple_, update

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
    with db.unscoped("sla sweep: which tenants have due timers", routine=True) as session:
        stmt = select(Timer.tenant_id).where(Timer.state == "running", Timer.due_at <= now)
        return sorted(set(session.scalars(stmt)))


def sweep_tenant(db: Database, plugins: Plugins, tenant_id: int, now: datetime) -> int:
    """Breach one tenant's due timers, a committed batch at a time; returns how many."""
    total = 0
    while True:
        breached = _sweep_batch(db, plugins, tenant_id, now)
        total += breached
        if breached < BATCH:
            return total


def _sweep_batch(db: Database, plugins: Plugins, tenant_id: int, now: datetime) -> int:
    session = db.session(tenant_id)
    try:
        tenant = context_of(session.get(Tenant, tenant_id))
        svc = CaseService(session, tenant, plugins, SYSTEM, now=lambda: now)
        due = (
            select(Timer.case_id, Timer.name)
            .where(Timer.tenant_id == tenant_id, Timer.state == "running", Timer.due_at <= now)
            .order_by(Timer.due_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)  # two sweepers never breach the same timer
        )
        breached = session.execute(
            update(Timer)
            .where(Timer.tenant_id == tenant_id, tuple_(Timer.case_id, Timer.name).in_(due))
            .values(state="breached", breached_at=Timer.due_at)
            .returning(Timer.case_id, Timer.name, Timer.due_at)
            .execution_options(synchronize_session=False)
        ).all()
        local = ZoneInfo(tenant.timezone)  # deadlines are written with the tenant's offset
        svc.record_many(
            [
                (
                    case_id,
                    "timer_breached",
                    {"timer": name, "due_at": due_at.astimezone(local).isoformat()},
                )
                for case_id, name, due_at in breached
            ]
        )
        if breached and svc.hooks.timer_breached.get_hookimpls():
            _tell_plugins(session, svc, tenant, breached)
        session.commit()
        return len(breached)
    finally:
        session.close()


def _tell_plugins(session, svc: CaseService, tenant, breached) -> None:
    """``timer_breached`` for each timer, with the cases loaded in one query."""
    cases = {
        c.id: c
        for c in session.scalars(
            select(Case).where(Case.id.in_({case_id for case_id, _, _ in breached}))
        )
    }
    timers = {
        (t.case_id, t.name): t
        for t in session.scalars(
            select(Timer).where(
                tuple_(Timer.case_id, Timer.name).in_(
                    [(case_id, name) for case_id, name, _ in breached]
                )
            )
        )
    }
    for case_id, name, _ in breached:
        case = cases[case_id]
        answers = svc.hooks.timer_breached(tenant=tenant, case=case, timer=timers[case_id, name])
        if any(answers):
            svc.apply(case, answers)
            svc.touch(case)


def sweep(db: Database, plugins: Plugins, now: datetime) -> int:
    """One sweep over every tenant; returns the number of timers breached."""
    total = 0
    for tenant_id in due_tenants(db, now):
        try:
            total += sweep_tenant(db, plugins, tenant_id, now)
        except Exception:  # one tenant's failing plugin must not leave the others unswept
            log.exception("sla sweep: tenant %s failed; its timers are swept next time", tenant_id)
    if total:
        log.info("sla sweep: %d timers breached", total)
    return total
