"""The summary report: counts, SLA met and breached per timer, satisfaction, repeat rate."""

from __future__ import annotations

from collections import Counter as Tally
from datetime import datetime

from sqlalchemy import func, select

from core.models import Case, CaseEvent, Timer
from core.tenancy import TenantSession
from core.timers import timer_state

SURVEY_TARGET = 0.85  # DOMAIN.md section 1: satisfaction-survey response rate target


def summary(session: TenantSession, since: datetime, until: datetime, now: datetime) -> dict:
    """Cases received in [since, until]: by state, kind and category; SLA; satisfaction."""
    received = (Case.received_at >= since) & (Case.received_at <= until)

    def by(column) -> dict[str, int]:
        rows = session.execute(select(column, func.count()).where(received).group_by(column))
        return {str(key) if key is not None else "": n for key, n in rows}

    flags = session.scalars(select(Case.flags).where(received)).all()
    total = len(flags)
    sla: dict[str, Tally] = {}
    timers = session.scalars(
        select(Timer)
        .join(Case, (Case.id == Timer.case_id) & (Case.tenant_id == Timer.tenant_id))
        .where(received)
    )
    for timer in timers:
        sla.setdefault(timer.name, Tally())[timer_state(timer, now)] += 1
    surveys = session.execute(
        select(CaseEvent.case_id, CaseEvent.data)
        .join(Case, (Case.id == CaseEvent.case_id) & (Case.tenant_id == CaseEvent.tenant_id))
        .where(received, CaseEvent.type == "survey")
    ).all()
    scores = [int(data["score"]) for _, data in surveys]
    surveyed = {case_id for case_id, _ in surveys}
    done = (
        session.scalar(
            select(func.count())
            .select_from(Case)
            .where(received, Case.state.in_(["resolved", "follow_up", "closed"]))
        )
        or 0
    )
    return {
        "from": since,
        "to": until,
        "total": total,
        "by_state": by(Case.state),
        "by_kind": by(Case.kind),
        "by_category": by(Case.category),
        "sla": {
            name: {
                "met": t["met"],
                "breached": t["breached"],
                "running": t["running"],
                "paused": t["paused"],
            }
            for name, t in sorted(sla.items())
        },
        "satisfaction": {
            "responses": len(scores),
            "average": round(sum(scores) / len(scores), 2) if scores else None,
            "satisfied": sum(1 for s in scores if s >= 4),
            "response_rate": round(len(surveyed) / done, 4) if done else None,
            "response_rate_target": SURVEY_TARGET,
        },
        "repeat_rate": round(sum(1 for f in flags if "repeat" in (f or [])) / total, 4)
        if total
        else None,
    }
