"""SLA timers of cases: which a case carries, when they start, stop, pause, and breach.

Core timers (DOMAIN.md section 1) take their durations from the tenant's settings; plugins add
and override timers through ``register_timers``. Deadlines come from ``core.calendars``, and each
timer keeps the explanation of its deadline (calendar sources, days skipped, pauses), so a
deadline can be explained and recomputed when better calendar data arrives.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select

from core.calendars import (
    BusinessCalendar,
    Deadline,
    deadline,
    extend,
    working_days_between,
    working_seconds_between,
)
from core.models import Case, Timer
from core.tenancy import TenantSession
from core.types import TenantContext, TimerSpec

log = logging.getLogger("casecore.timers")

AWAITING = "awaiting_customer"
CLOSING_ACTIONS = frozenset({"close", "withdraw", "merge"})

# When each core timer starts and stops (its duration is the tenant's setting).
CORE_TIMER_RULES: dict[str, dict[str, Any]] = {
    "first_reply": {"start_on": "opened", "stop_on": {"acknowledge", "reject"}},
    "department_reply": {"start_on": "assign_department", "stop_on": {"propose", "reject"}},
    "follow_up": {"start_on": "resolve", "stop_on": {"contact", "survey"}},
    "resolution": {"start_on": "opened", "stop_on": {"resolve", "reject"}, "pauses": True},
}


def core_specs(tenant: TenantContext) -> list[TimerSpec]:
    """The core timers the tenant has on (``resolution`` only when it set a duration)."""
    specs = []
    for name, rule in CORE_TIMER_RULES.items():
        duration = tenant.settings.get("timers", {}).get(name)
        if duration:
            specs.append(
                TimerSpec(
                    name=name,
                    amount=int(duration["amount"]),
                    unit=duration["unit"],
                    start_on=rule["start_on"],
                    stop_on=frozenset(rule["stop_on"]),
                    pauses=rule.get("pauses", False),
                )
            )
    return specs


def calendar_of(tenant: TenantContext, data_dir=None) -> BusinessCalendar:
    return BusinessCalendar.from_settings(
        tenant.timezone, tenant.settings.get("calendar"), data_dir=data_dir
    )


def timer_state(timer: Timer, now: datetime) -> str:
    """running, paused, met or breached; a running timer past its deadline reads as breached."""
    if timer.state == "running" and timer.due_at <= now:
        return "breached"
    return timer.state


def timer_view(timer: Timer, now: datetime) -> dict[str, Any]:
    return {
        "name": timer.name,
        "state": timer_state(timer, now),
        "started_at": timer.started_at,
        "due_at": timer.due_at,
        "paused_seconds": timer.paused_seconds,
        "stopped_at": timer.stopped_at,
        "breached_at": timer.breached_at
        or (timer.due_at if timer_state(timer, now) == "breached" else None),
        "amount": timer.amount,
        "unit": timer.unit,
        "explanation": timer.explanation,
    }


class CaseTimers:
    """The timers of cases of one tenant, inside the request's session."""

    def __init__(self, session: TenantSession, tenant: TenantContext, hooks, data_dir=None):
        self.session = session
        self.tenant = tenant
        self.hooks = hooks
        self.data_dir = data_dir
        self._calendar: BusinessCalendar | None = None

    @property
    def calendar(self) -> BusinessCalendar:
        if self._calendar is None:
            self._calendar = calendar_of(self.tenant, self.data_dir)
        return self._calendar

    def specs(self, case: Case) -> dict[str, TimerSpec]:
        """Core timers, then plugins' (a plugin's spec replaces one of the same name)."""
        specs = {s.name: s for s in core_specs(self.tenant)}
        for answer in self.hooks.register_timers(tenant=self.tenant, case=case):
            for spec in answer or []:
                specs[spec.name] = spec
        return specs

    def of(self, case: Case) -> dict[str, Timer]:
        return {
            t.name: t for t in self.session.scalars(select(Timer).where(Timer.case_id == case.id))
        }

    # --- events ----------------------------------------------------------------------------

    def opened(self, case: Case) -> None:
        for spec in self.specs(case).values():
            if spec.start_on == "opened":
                self.start(case, spec, case.received_at)

    def edited(self, case: Case, now: datetime) -> None:
        """A spec that applies now (an edit made an 8D required) starts from intake; a running
        or paused timer whose spec no longer applies (the edit corrected what made the case a
        comeback) stops, as no longer owed."""
        existing = self.of(case)
        specs = self.specs(case)
        for spec in specs.values():
            if spec.start_on == "opened" and spec.name not in existing:
                self.start(case, spec, case.received_at)
        for name, timer in existing.items():
            if name not in specs and timer.state in ("running", "paused"):
                self.stop(timer, now)

    def moved(self, case: Case, action: str, from_state: str, now: datetime) -> None:
        """Stop, start, pause and resume timers for an action just taken."""
        specs = self.specs(case)
        timers = self.of(case)
        for name, timer in timers.items():
            spec = specs.get(name)
            if action in CLOSING_ACTIONS or (spec and action in spec.stop_on):
                self.stop(timer, now)
        for spec in specs.values():
            if spec.start_on == action:
                self.start(case, spec, now, timers.get(spec.name))
        if case.state == AWAITING and from_state != AWAITING:
            for timer in timers.values():
                if timer.pauses and timer.state == "running" and timer.due_at > now:
                    timer.state, timer.paused_at = "paused", now
        elif from_state == AWAITING and case.state != AWAITING:
            for timer in timers.values():
                if timer.state == "paused":
                    self.resume(timer, now)

    def apply(
        self, case: Case, start: dict[str, datetime], stop: Iterable[str], now: datetime
    ) -> None:
        """What a plugin's ``Outcome`` asked: start named timers (from their registered specs)
        at the given moments, and stop others."""
        specs = self.specs(case)
        timers = self.of(case)
        for name, at in start.items():
            if name not in specs:
                raise ValueError(f"no timer spec named {name!r} is registered for this case")
            self.start(case, specs[name], at, timers.get(name))
        for name in stop:
            if name in timers:
                self.stop(timers[name], now)

    # --- one timer -------------------------------------------------------------------------

    def start(
        self, case: Case, spec: TimerSpec, at: datetime, existing: Timer | None = None
    ) -> Timer:
        """Start (or restart) a timer at ``at``."""
        due = deadline(self.calendar, at, spec.amount, spec.unit)
        timer = existing or Timer(tenant_id=case.tenant_id, case_id=case.id, name=spec.name)
        timer.amount, timer.unit, timer.pauses = spec.amount, spec.unit, spec.pauses
        timer.started_at, timer.due_at = at, due.due_at
        timer.state, timer.paused_at, timer.paused_seconds = "running", None, 0
        timer.stopped_at = timer.breached_at = None
        timer.explanation = {**due.explain(), "pauses": []}
        if existing is None:
            self.session.add(timer)
        return timer

    def stop(self, timer: Timer, now: datetime) -> None:
        if timer.state in ("met", "breached") and timer.stopped_at is not None:
            return
        if timer.state == "paused":
            self.resume(timer, now)
        timer.stopped_at = now
        if timer.state == "breached" or timer.due_at < now:
            timer.state = "breached"
            timer.breached_at = timer.breached_at or timer.due_at
        else:
            timer.state = "met"

    def resume(self, timer: Timer, now: datetime) -> None:
        """End a pause: a ``working_days`` deadline moves by whole working days (it stays at
        23:59:59 local), other units' by the paused time that counts for them."""
        paused_at = timer.paused_at or now
        timer.due_at, pause = self._after_pause(timer.due_at, timer.unit, paused_at, now)
        timer.paused_seconds += int((now - paused_at).total_seconds())
        timer.explanation = {
            **timer.explanation,
            "due_at": timer.due_at.isoformat(),
            "pauses": [*timer.explanation.get("pauses", []), pause],
        }
        timer.state, timer.paused_at = "running", None

    def _after_pause(
        self, due_at: datetime, unit: str, paused_at: datetime, resumed_at: datetime
    ) -> tuple[datetime, dict[str, Any]]:
        """The deadline after a pause from ``paused_at`` to ``resumed_at``, and the pause as
        the explanation records it (times with the tenant's offset).

        A ``working_days`` deadline moves by whole working days (the working days after the
        day the pause began, up to the day it ended), so it stays at 23:59:59 local; other
        units move by the paused time that counts for them."""
        cal = self.calendar
        if unit == "working_days":
            days = working_days_between(cal, paused_at, resumed_at)
            if days:
                due_at = deadline(cal, due_at, days, unit).due_at
            moved: dict[str, Any] = {"moved_working_days": days}
        else:
            seconds = working_seconds_between(cal, paused_at, resumed_at, unit)
            due_at = extend(cal, due_at, seconds, unit)
            moved = {"moved_seconds": seconds}
        pause = {
            "from": paused_at.astimezone(cal.tz).isoformat(),
            "to": resumed_at.astimezone(cal.tz).isoformat(),
            **moved,
        }
        return due_at.astimezone(cal.tz), pause

    def recompute(self, now: datetime) -> int:
        """After a calendar change: running and paused timers get deadlines on the new calendar
        (with their pauses applied again, by the same rule as :meth:`resume`). Returns how many
        changed."""
        changed = 0
        tz = self.calendar.tz
        live = select(Timer).where(  # explicit tenant: platform admins run this unscoped
            Timer.tenant_id == self.tenant.id, Timer.state.in_(["running", "paused"])
        )
        for timer in self.session.scalars(live):
            fresh: Deadline = deadline(self.calendar, timer.started_at, timer.amount, timer.unit)
            due = fresh.due_at
            pauses = []
            for earlier in timer.explanation.get("pauses", []):
                due, pause = self._after_pause(
                    due,
                    timer.unit,
                    datetime.fromisoformat(earlier["from"]),
                    datetime.fromisoformat(earlier["to"]),
                )
                pauses.append(pause)
            if due != timer.due_at:
                changed += 1
                history = [
                    *timer.explanation.get("recomputed", []),
                    {
                        "at": now.astimezone(tz).isoformat(),
                        "was": timer.due_at.astimezone(tz).isoformat(),
                        "now": due.isoformat(),
                        "reason": "calendar changed",
                    },
                ]
                timer.explanation = {
                    **fresh.explain(),
                    "due_at": due.isoformat(),
                    "pauses": pauses,
                    "recomputed": history,
                }
                timer.due_at = due
        if changed:
            log.info(
                "tenant %s: calendar changed, %d running timers recomputed",
                self.tenant.slug,
                changed,
            )
        return changed
