"""SLA timers of cases (Kernel 2 fills in starting, stopping, pausing and the sweep)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core.models import Timer


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
        "breached_at": timer.breached_at,
        "amount": timer.amount,
        "unit": timer.unit,
        "explanation": timer.explanation,
    }
