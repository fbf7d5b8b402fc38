"""The dashboard: open cases by state, deadlines passing soon and passed, SLA met per timer,
satisfaction and survey response rate against the target, repeat rate, cases by category and
by site."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_, select

from core.console.auth import login_required
from core.console.labels import STATE_LABELS, TIMER_LABELS, label
from core.console.web import core, tenant_ctx
from core.models import Case, Timer, utcnow
from core.reports import SURVEY_TARGET, plugin_sections, summary
from core.types import STAFF_ROLES
from core.workflow import STATES

SOON = timedelta(hours=24)
WINDOW = timedelta(days=30)
LISTED = 10


def _due(now, breached: bool):
    """Timers past their deadline (``breached``: swept or not yet), or due within a day."""
    if breached:
        return or_(
            (Timer.state == "breached") & Timer.stopped_at.is_(None),
            (Timer.state == "running") & (Timer.due_at <= now),
        )
    return (Timer.state == "running") & (Timer.due_at > now) & (Timer.due_at <= now + SOON)


def _deadlines(now, breached: bool) -> list[dict[str, Any]]:
    """Timers of open cases past their deadline (``breached``) or due within a day."""
    due = _due(now, breached)
    rows = g.db.execute(
        select(Timer, Case.number, Case.title, Case.state)
        .join(Case, (Case.id == Timer.case_id) & (Case.tenant_id == Timer.tenant_id))
        .where(due, Case.state != "closed")
        .order_by(Timer.due_at)
        .limit(LISTED)
    ).all()
    return [
        {"timer": t, "number": number, "title": title, "state": state, "case_id": t.case_id}
        for t, number, title, state in rows
    ]


def _count_deadlines(now, breached: bool) -> int:
    due = _due(now, breached)
    return int(
        g.db.scalar(
            select(func.count())
            .select_from(Timer)
            .join(Case, (Case.id == Timer.case_id) & (Case.tenant_id == Timer.tenant_id))
            .where(due, Case.state != "closed")
        )
        or 0
    )


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@login_required()
def dashboard():
    if current_user.role not in STAFF_ROLES:
        return redirect(url_for("console.new_case"))
    now = utcnow()
    since = now - WINDOW
    report = summary(g.db, since, now, now)
    open_by_state = dict(
        g.db.execute(
            select(Case.state, func.count()).where(Case.state != "closed").group_by(Case.state)
        ).all()
    )
    by_site = dict(
        g.db.execute(
            select(Case.site, func.count())
            .where(Case.received_at >= since, Case.received_at <= now)
            .group_by(Case.site)
        ).all()
    )
    sla = [
        {
            "name": name,
            "met": t["met"],
            "breached": t["breached"],
            "rate": _rate(t["met"], t["met"] + t["breached"]),
            "open": t["running"] + t["paused"],
        }
        for name, t in report["sla"].items()
    ]
    satisfaction = report["satisfaction"]
    satisfied_rate = _rate(satisfaction["satisfied"], satisfaction["responses"])
    charts = {
        "by_state": {
            "labels": [label(STATE_LABELS, s) for s in STATES if s in open_by_state],
            "values": [open_by_state[s] for s in STATES if s in open_by_state],
        },
        "by_category": _series(report["by_category"], _("No category")),
        "by_site": _series({k or "": v for k, v in by_site.items()}, _("No site")),
        "sla": {
            "labels": [label(TIMER_LABELS, row["name"]) for row in sla],
            "met": [row["met"] for row in sla],
            "breached": [row["breached"] for row in sla],
        },
        "labels": {"cases": _("Cases"), "met": _("Met"), "breached": _("Breached")},
    }
    context = {
        "report": report,
        "open_by_state": open_by_state,
        "open_total": sum(open_by_state.values()),
        "states": [s for s in STATES if s != "closed"],
        "soon": _deadlines(now, breached=False),
        "soon_count": _count_deadlines(now, breached=False),
        "late": _deadlines(now, breached=True),
        "late_count": _count_deadlines(now, breached=True),
        "sla": sla,
        "satisfaction": satisfaction,
        "satisfied_rate": satisfied_rate,
        "target": SURVEY_TARGET,
        "charts": charts,
        "sections": plugin_sections(g.db, tenant_ctx(), core().plugins, since, now),
        "now": now,
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "deadlines":
        return render_template("dashboard/_deadlines.html", **context)
    return render_template("dashboard/index.html", **context)


def _series(counts: dict[str, int], empty: str) -> dict[str, list]:
    ordered = sorted(counts.items(), key=lambda kv: -kv[1])[:12]
    return {"labels": [k or empty for k, _ in ordered], "values": [v for _, v in ordered]}


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/", "dashboard", dashboard)
