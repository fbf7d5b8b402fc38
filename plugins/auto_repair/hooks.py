"""The auto_repair plugin's hooks: the rules of DOMAIN.md section 5 wired into the procedure.

The rules are the pure functions of ``rules``; this module reads the case and the tenant, asks
them, and answers the core with a classification, flags, timers and events.

Choices where DOMAIN.md is silent:

- ``first_reply`` (``reply_hours``, 24 clock hours) replaces the core's timer on *complaints*,
  the cases the shop's 24-hour promise is about; feedback and service requests keep the
  tenant's own ``first_reply``. It stops, as the core's does, on ``acknowledge`` or ``reject``.
- ``evidence`` (``evidence_days``, 3 days) runs from the case's ``received_at`` on comebacks; it
  is met when the shop answers: a proposal (free rework, or a paid repair backed by its
  evidence) or a rejection with findings. Breached, it logs ``auto_repair.free_rework`` (the
  shop did not prove a non-repair cause in time).
- ``follow_up`` (``follow_up_days``, 7 days) after an overhaul or level-2 maintenance replaces
  the core's ``follow_up`` on those cases and, like it, starts on ``resolve`` (the follow-up
  call is about the redone work) and stops on a ``contact`` or a ``survey``.
- Flags and timers follow the data at intake and on every edit (an edit that completes the
  odometer readings can make a case a comeback then). On an edit, a safety complaint raises the
  severity to major (never lowers it) and routing fills the department only while the case has
  none: a department chosen by staff is never overwritten.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from core import (
    SEVERITIES,
    Classification,
    NewEvent,
    Outcome,
    TenantContext,
    TimerSpec,
    Violation,
    hookimpl,
)

from .rules import (
    is_comeback,
    is_repeat_failure,
    needs_follow_up,
    route,
    severity_for,
    warranty_unknown,
)
from .schemas import DEFAULT_SETTINGS, AutoRepairCaseFields

NAME = "auto_repair"
COMPLAINT = "complaint"
COMEBACK, REPEAT_FAILURE = "comeback", "repeat_failure"
FLAGS = (COMEBACK, REPEAT_FAILURE)

FIRST_REPLY_STOPS = frozenset({"acknowledge", "reject"})
EVIDENCE_STOPS = frozenset({"propose", "reject"})
FOLLOW_UP_STOPS = frozenset({"contact", "survey"})


# --- reading the case and the tenant ---------------------------------------------------------


def settings_of(tenant: TenantContext) -> dict[str, Any]:
    return {**DEFAULT_SETTINGS, **tenant.plugin_settings(NAME)}


def fields_of(case: Any) -> dict[str, Any]:
    """``data.auto_repair`` as the rules take it (dates as dates)."""
    return case.plugin_fields(NAME, _FIELDS)


_FIELDS = AutoRepairCaseFields()


def received_on(tenant: TenantContext, case: Any) -> date:
    """The day the case was received, in the tenant's time zone (DOMAIN.md section 5)."""
    return tenant.local_date(case.received_at)


def _flags(tenant: TenantContext, case: Any, fields: Mapping[str, Any]) -> list[str]:
    """The plugin's flags that the case's data call for now."""
    flags = []
    if is_comeback(fields, settings_of(tenant), received_on(tenant, case)):
        flags.append(COMEBACK)
    if is_repeat_failure(fields):
        flags.append(REPEAT_FAILURE)
    return flags


# --- intake and edits --------------------------------------------------------------------------


@hookimpl
def classify_case(tenant: TenantContext, case: Any) -> Classification | None:
    """Safety complaints are major; each complaint type goes to its route's department."""
    fields = fields_of(case)
    severity = severity_for(fields)
    department = route(fields, settings_of(tenant), tenant.departments)
    if severity is None and department is None:
        return None
    return Classification(severity=severity, department=department)


@hookimpl
def check_case(tenant: TenantContext, case: Any) -> list[Violation]:
    """A warning when a quality complaint's warranty cannot be judged (see ``rules``)."""
    found = warranty_unknown(fields_of(case), settings_of(tenant), received_on(tenant, case))
    return [found] if found else []


@hookimpl
def case_opened(tenant: TenantContext, case: Any) -> Outcome | None:
    """``comeback`` and ``repeat_failure`` (the ``evidence`` timer comes with the spec)."""
    flags = _flags(tenant, case, fields_of(case))
    return Outcome(flags=flags) if flags else None


@hookimpl
def case_edited(tenant: TenantContext, case: Any, changes: Mapping[str, Any]) -> Outcome | None:
    """The rules again on new data: flags, a raised severity, a department if none yet."""
    if "data" not in changes:
        return None
    fields = fields_of(case)
    now_flagged, flagged = _flags(tenant, case, fields), case.flags or []
    outcome = Outcome(
        flags=[flag for flag in now_flagged if flag not in flagged],
        # Corrected data can undo a flag (and the core stops the evidence timer with it).
        remove_flags=[flag for flag in FLAGS if flag in flagged and flag not in now_flagged],
    )
    severity = severity_for(fields)
    if severity is not None and SEVERITIES.index(severity) > SEVERITIES.index(case.severity):
        outcome.severity = severity
    if case.department is None:
        outcome.department = route(fields, settings_of(tenant), tenant.departments)
    if outcome.flags or outcome.remove_flags or outcome.severity or outcome.department:
        return outcome
    return None


# --- timers ------------------------------------------------------------------------------------


@hookimpl
def register_timers(tenant: TenantContext, case: Any) -> list[TimerSpec]:
    """``first_reply`` in clock hours on complaints; ``evidence`` on comebacks; ``follow_up``
    after an overhaul or level-2 maintenance (see the module docstring)."""
    settings = settings_of(tenant)
    fields = fields_of(case)
    specs = []
    if case.kind == COMPLAINT:
        specs.append(
            TimerSpec(
                "first_reply", int(settings["reply_hours"]), "hours", stop_on=FIRST_REPLY_STOPS
            )
        )
    if is_comeback(fields, settings, received_on(tenant, case)):
        specs.append(
            TimerSpec("evidence", int(settings["evidence_days"]), "days", stop_on=EVIDENCE_STOPS)
        )
    if needs_follow_up(fields):
        specs.append(
            TimerSpec(
                "follow_up",
                int(settings["follow_up_days"]),
                "days",
                start_on="resolve",
                stop_on=FOLLOW_UP_STOPS,
            )
        )
    return specs


@hookimpl
def timer_breached(tenant: TenantContext, case: Any, timer: Any) -> Outcome | None:
    """The evidence window passed without proof of a non-repair cause: the rework is free."""
    if timer.name != "evidence":
        return None
    return Outcome(
        events=[
            NewEvent(
                "auto_repair.free_rework",
                {
                    "reason": "no non-repair cause proven within "
                    f"{settings_of(tenant)['evidence_days']} days",
                    "work_order_no": fields_of(case).get("work_order_no"),
                },
            )
        ]
    )
