"""The summary report: counts, SLA met and breached per timer, satisfaction, repeat rate, and
the sections the tenant's plugins add (``report_sections``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, case, distinct, func, or_, select

from core.lookup import CaseLookup
from core.models import Case, CaseEvent, Timer
from core.plugins import Plugins
from core.tenancy import TenantSession
from core.types import ReportSection, TenantContext

SURVEY_TARGET = 0.85  # DOMAIN.md section 1: satisfaction-survey response rate target


def summary(session: TenantSession, since: datetime, until: datetime, now: datetime) -> dict:
    """Cases received in [since, until]: by state, kind and category; SLA; satisfaction.

    Every figure is an aggregate the database computes: the report reads no case rows, so it
    costs the same few queries whatever the number of cases."""
    received = (Case.received_at >= since) & (Case.received_at <= until)

    def by(column) -> dict[str, int]:
        rows = session.execute(select(column, func.count()).where(received).group_by(column))
        return {str(key) if key is not None else "": n for key, n in rows}

    def count(*where) -> int:
        return int(session.scalar(select(func.count()).select_from(Case).where(received, *where)))

    total = count()
    repeats = count(_flagged(session, "repeat"))
    # As timer_state reads it: a running timer past its deadline is breached.
    state = case(
        ((Timer.state == "running") & (Timer.due_at <= now), "breached"), else_=Timer.state
    )
    sla: dict[str, dict[str, int]] = {}
    for name, read_state, n in session.execute(
        select(Timer.name, state, func.count())
        .join(Case, (Case.id == Timer.case_id) & (Case.tenant_id == Timer.tenant_id))
        .where(received)
        .group_by(Timer.name, state)
    ):
        sla.setdefault(name, dict.fromkeys(("met", "breached", "running", "paused"), 0))
        sla[name][read_state] = n
    survey = (
        (CaseEvent.case_id == Case.id)
        & (CaseEvent.tenant_id == Case.tenant_id)
        & (CaseEvent.type == "survey")
    )
    score = CaseEvent.data["score"].as_integer()
    responses, average, satisfied, surveyed = session.execute(
        select(
            func.count(),
            func.avg(score),
            func.coalesce(func.sum(case((score >= 4, 1), else_=0)), 0),
            func.count(distinct(CaseEvent.case_id)),
        )
        .join(Case, survey)
        .where(received)
    ).one()
    # The cases a survey could be asked for: those resolved, and those surveyed (a low score
    # reopens a case, which was resolved when it was asked), so the rate never passes 1.
    done = count(
        or_(
            Case.state.in_(["resolved", "follow_up", "closed"]),
            select(CaseEvent.id).where(survey).exists(),
        )
    )
    return {
        "from": since,
        "to": until,
        "total": total,
        "by_state": by(Case.state),
        "by_kind": by(Case.kind),
        "by_category": by(Case.category),
        "sla": dict(sorted(sla.items())),
        "satisfaction": {
            "responses": responses,
            "average": round(float(average), 2) if responses else None,
            "satisfied": int(satisfied),
            "response_rate": round(surveyed / done, 4) if done else None,
            "response_rate_target": SURVEY_TARGET,
        },
        "repeat_rate": round(repeats / total, 4) if total else None,
    }


def _flagged(session: TenantSession, flag: str) -> ColumnElement[bool]:
    """Cases whose ``flags`` list holds ``flag``: JSONB containment on PostgreSQL (indexable),
    the list's elements through ``json_each`` on SQLite."""
    if session.bind.dialect.name == "postgresql":
        return Case.flags.op("@>")(func.jsonb_build_array(flag))
    elements = func.json_each(Case.flags).table_valued("value")
    return select(elements.c.value).where(elements.c.value == flag).exists()


def plugin_sections(
    session: TenantSession,
    tenant: TenantContext,
    plugins: Plugins,
    since: datetime,
    until: datetime,
) -> dict[str, ReportSection]:
    """Each enabled plugin's section of the report for [since, until], by plugin name; plugins
    with nothing to add for the period are left out."""
    answers = plugins.call_each(
        "report_sections",
        tenant.plugins,
        tenant=tenant,
        since=since,
        until=until,
        cases=CaseLookup(session),
    )
    return {name: section for name, section in answers if section is not None}
