"""Case queries shared by the API and the console: recusal, text search, breaches, and the case
body both render (timers and links fetched in one query each for a whole page)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Boolean,
    ColumnElement,
    column,
    exists,
    func,
    literal_column,
    not_,
    or_,
    select,
    table,
)

from core.cases import CaseService
from core.clock import utcnow
from core.models import Case, Timer
from core.schemas import CaseSchema
from core.search import query_terms
from core.tenancy import TenantSession
from core.timers import timer_view

CASE_COLUMNS = tuple(c for c in CaseSchema().fields if c in Case.__table__.c)


def not_recused(session: TenantSession, actor: str) -> ColumnElement[bool]:
    """Cases whose ``subject_staff`` does not name ``actor`` (recusal hides them)."""
    name = actor.lower()
    if session.bind.dialect.name == "postgresql":
        return not_(func.jsonb_exists(Case.subject_staff, name, type_=Boolean))
    each = func.json_each(Case.subject_staff).table_valued("value")
    return ~exists(select(1).select_from(each).where(each.c.value == name))


def text_match(session: TenantSession, query: str) -> ColumnElement[bool]:
    """Every term of the query in the case's search text (CJK as bigrams: core.search)."""
    terms = query_terms(query)
    if not terms:
        return Case.id.is_(None)  # nothing searchable in the query: nothing matches
    if session.bind.dialect.name == "postgresql":
        return func.to_tsvector("simple", Case.search_text).op("@@")(
            func.plainto_tsquery("simple", " ".join(terms))
        )
    match = " ".join('"' + t.replace('"', '""') + '"' for t in terms)
    fts = table("cases_fts", column("rowid"), column("cases_fts"))
    hits = select(fts.c.rowid).where(fts.c.cases_fts.op("MATCH")(match))
    return literal_column("cases.rowid").in_(hits)


def breached(now: datetime | None = None) -> ColumnElement[bool]:
    """Cases with a timer past its deadline (marked breached, or running and due)."""
    now = now or utcnow()
    return exists().where(
        Timer.case_id == Case.id,
        Timer.tenant_id == Case.tenant_id,
        or_(Timer.state == "breached", (Timer.state == "running") & (Timer.due_at <= now)),
    )


def in_zone(values: dict[str, Any], zone: ZoneInfo) -> dict[str, Any]:
    """Times as the tenant reads them: RFC 3339 with the tenant's offset."""
    return {k: v.astimezone(zone) if isinstance(v, datetime) else v for k, v in values.items()}


def bodies(svc: CaseService, cases: list[Case]) -> list[dict[str, Any]]:
    """Case bodies as the API gives them, for a page of cases at once."""
    ids = [c.id for c in cases]
    links = svc.links_of(ids)
    timers: dict[str, list[Timer]] = {cid: [] for cid in ids}
    if ids:
        for timer in svc.session.scalars(select(Timer).where(Timer.case_id.in_(ids))):
            timers[timer.case_id].append(timer)
    now = utcnow()
    local = ZoneInfo(svc.tenant.timezone)
    actions = svc.actions()
    out = []
    for case in cases:
        ordered = sorted(timers[case.id], key=lambda t: (t.started_at, t.name))
        out.append(
            in_zone(
                {
                    **{c: getattr(case, c) for c in CASE_COLUMNS},
                    "customer": case.customer,
                    "links": links[case.id],
                    "violations": case.warnings or [],
                    "timers": [in_zone(timer_view(t, now), local) for t in ordered],
                    "allowed_actions": svc.allowed_actions(case, actions),
                },
                local,
            )
        )
    return out
