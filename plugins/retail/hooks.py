"""The retail plugin's hooks: the rules of DOMAIN.md section 2 wired into the case procedure.

The rules themselves are the pure functions of ``rules``; this module reads the case and the
tenant, asks them, and answers the core with violations, flags, timers, a department and vetoes.

Which cases the rules apply to (DOMAIN.md is silent on complaints carrying retail data): a
*return* is a case of kind ``return``, or any other case whose ``data.retail`` carries a
``return_type`` (a complaint asking for a return). Returns get the return checks and count, and
are flagged, as returns; a complaint that only names the goods (``sku``, ``amount`` ...) is not
checked. The supervisor limit and the refund timer follow the data, whatever the kind: a refund
above the limit needs approval and goods that came back are refunded on time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from core import (
    ActionSpec,
    Actor,
    CaseLookup,
    NewEvent,
    Outcome,
    TenantContext,
    TimerSpec,
    Violation,
    hookimpl,
    now,
    warning,
)

from .rules import (
    RETURN_KIND,
    check_return,
    is_frequent_returner,
    is_return,
    needs_supervisor_approval,
    quality_department,
    refund_due_start,
    refund_timer_start,
)
from .schemas import DEFAULT_SETTINGS, RETURN_TYPES, RetailCaseFields

NAME = "retail"
FREQUENT_FLAG = "frequent_returner"
REFUND_TIMER = "refund"
APPRAISAL = "request_appraisal"
#: Logged when the refund timer starts, with the date it counts from; an edit giving another
#: date restarts the timer (the log is how a later edit knows the date the timer counts from).
GOODS_RECEIVED = "retail.goods_received"
#: Actions after which no refund is pending: resolved (refunded) or rejected. Closing actions
#: stop every timer anyway.
REFUND_STOPS = frozenset({"resolve", "reject"})
#: The fields an edit can change that a return's checks depend on.
CHECKED_CHANGES = frozenset({"data"})
#: The fields an edit can change that decide whose returns are counted.
CUSTOMER_CHANGES = frozenset({"data", "customer.phone", "customer.email"})


# --- reading the case and the tenant ---------------------------------------------------------


def settings_of(tenant: TenantContext) -> dict[str, Any]:
    """The tenant's retail settings; a setting added after the tenant saved its own (say
    ``quality_department``) takes its default."""
    return {**DEFAULT_SETTINGS, **tenant.plugin_settings(NAME)}


def fields_of(case: Any) -> dict[str, Any]:
    """``data.retail`` as the rules take it (dates as dates)."""
    return case.plugin_fields(NAME, _FIELDS)


_FIELDS = RetailCaseFields()


def received_on(tenant: TenantContext, case: Any) -> date:
    """The day the case was received, in the tenant's time zone (DOMAIN.md section 2)."""
    return tenant.local_date(case.received_at)


# --- intake and edits --------------------------------------------------------------------------


@hookimpl
def check_case(
    tenant: TenantContext, case: Any, changes: Mapping[str, Any] | None
) -> list[Violation]:
    """Every return check of DOMAIN.md section 2, at intake and on each edit of ``data``.

    An edit that leaves ``data`` alone (a new title, say) keeps the plugin's warnings as they
    were and refuses nothing: the return was judged when its data were given, and a change of
    the tenant's settings since (``allow_receiptless`` turned off) must not lock an accepted
    case against edits.
    """
    if changes is not None and not CHECKED_CHANGES & set(changes):
        return [
            warning(w["code"], w["message"], w.get("field"))
            for w in case.warnings or []
            if w["code"].startswith(f"{NAME}.")
        ]
    return check_return(fields_of(case), settings_of(tenant), received_on(tenant, case), case.kind)


@hookimpl
def case_opened(tenant: TenantContext, case: Any, cases: CaseLookup) -> Outcome | None:
    """The frequent-returner flag, and the refund timer when the goods are already back."""
    fields = fields_of(case)
    outcome = Outcome()
    if _frequent_returner(tenant, case, fields, cases):
        outcome.flags.append(FREQUENT_FLAG)
    _start_refund_timer(tenant, case, fields, cases, outcome)
    return outcome if outcome.flags or outcome.start_timers else None


@hookimpl
def case_edited(
    tenant: TenantContext, case: Any, changes: Mapping[str, Any], cases: CaseLookup
) -> Outcome | None:
    """An edit can make a case a return (or name another customer, whose returns decide the
    frequent-returner flag anew), and can give the day the goods came back (or correct it): the
    refund timer then starts (or restarts) from it."""
    fields = fields_of(case)
    outcome = Outcome()
    if CUSTOMER_CHANGES & set(changes):
        frequent = _frequent_returner(tenant, case, fields, cases)
        flagged = FREQUENT_FLAG in (case.flags or [])
        if frequent and not flagged:
            outcome.flags.append(FREQUENT_FLAG)
        elif flagged and not frequent:  # the contact was corrected: another customer's returns
            outcome.remove_flags.append(FREQUENT_FLAG)
    if "data" in changes:
        _start_refund_timer(tenant, case, fields, cases, outcome)
    return outcome if outcome.flags or outcome.remove_flags or outcome.start_timers else None


def _frequent_returner(
    tenant: TenantContext, case: Any, fields: Mapping[str, Any], cases: CaseLookup
) -> bool:
    """DOMAIN.md section 2: the customer's returns (by phone or email) in the window, this one
    included. Every return counts, whatever became of it (a withdrawn return was still made)."""
    if not is_return(case.kind, fields):
        return False
    if not (case.customer_phone or case.customer_email):
        return False  # an anonymous customer cannot be recognised
    settings = settings_of(tenant)
    # Day counts go by the local date (DOMAIN.md 2): the window opens at the start of the day
    # ``frequent_window_days`` before this case's, whatever the hour either came in.
    first_day = received_on(tenant, case) - timedelta(days=int(settings["frequent_window_days"]))
    criteria = {
        "phone": case.customer_phone,
        "email": case.customer_email,
        "received_since": tenant.day_start(first_day),
        "received_until": case.received_at,
    }
    returns = count_returns(cases, **criteria)
    # The count includes this case (already stored); the rule takes the earlier ones.
    return is_frequent_returner(returns - 1, settings)


def count_returns(cases: CaseLookup, **criteria: Any) -> int:
    """How many returns (see the module docstring) match ``criteria``: the cases of kind
    ``return``, and cases of other kinds carrying a ``return_type``."""
    returns = [{"kind": RETURN_KIND}, {"data": {NAME: {"return_type": RETURN_TYPES}}}]
    return cases.count(any_of=returns, **criteria)


def _start_refund_timer(
    tenant: TenantContext,
    case: Any,
    fields: Mapping[str, Any],
    cases: CaseLookup,
    outcome: Outcome,
) -> None:
    """Start the refund timer from ``goods_received_on`` unless it already counts from it."""
    goods_received_on = refund_due_start(fields)
    if goods_received_on is None:
        return
    if case.id is not None:
        logged = cases.events(case.id, types=[GOODS_RECEIVED])
        if logged and logged[-1].data.get("goods_received_on") == goods_received_on.isoformat():
            return
    outcome.start_timers[REFUND_TIMER] = refund_timer_start(goods_received_on, tenant.timezone)
    outcome.events.append(
        NewEvent(
            GOODS_RECEIVED,
            {
                "goods_received_on": goods_received_on.isoformat(),
                "refund_days": int(settings_of(tenant)["refund_days"]),
            },
        )
    )


# --- timers ------------------------------------------------------------------------------------


@hookimpl
def register_timers(tenant: TenantContext, case: Any) -> list[TimerSpec]:
    """``refund``: ``refund_days`` (7) calendar days, started by :func:`case_opened` or
    :func:`case_edited` once ``goods_received_on`` is known (never at intake by itself)."""
    if refund_due_start(fields_of(case)) is None:
        return []
    days = int(settings_of(tenant)["refund_days"])
    return [TimerSpec(REFUND_TIMER, days, "days", start_on=None, stop_on=REFUND_STOPS)]


# --- workflow ----------------------------------------------------------------------------------


@hookimpl
def register_actions(tenant: TenantContext) -> list[ActionSpec]:
    """``request_appraisal``: quality cannot be judged at the counter, so the case goes to the
    quality department (``in_department``, as ``assign_department`` would send it)."""
    return [
        ActionSpec(
            name=APPRAISAL,
            from_states=frozenset({"acknowledged", "investigating", "in_department"}),
            to_state="in_department",
            title="Request appraisal",
        )
    ]


@hookimpl(specname="veto_action")
def appraisal_needs_a_quality_department(tenant: TenantContext, action: str) -> Violation | None:
    if action != APPRAISAL or quality_department(settings_of(tenant), tenant.departments):
        return None
    return Violation(
        "retail.no_quality_department",
        "This tenant has no quality department to appraise the goods: add one whose name "
        "contains 质检 or 质量, or set the retail setting quality_department.",
    )


@hookimpl(specname="veto_action")
def frequent_returner_needs_approval(case: Any, action: str) -> Violation | None:
    if action != "resolve" or FREQUENT_FLAG not in (case.flags or []) or case.approved_at:
        return None
    return Violation(
        "core.approval_required",
        "The customer is a frequent returner: resolving needs a manager's approval "
        "(action approve).",
    )


@hookimpl(specname="veto_action")
def refund_above_supervisor_limit(
    tenant: TenantContext, case: Any, action: str
) -> Violation | None:
    if action != "resolve" or case.approved_at:
        return None
    settings = settings_of(tenant)
    if not needs_supervisor_approval(fields_of(case), settings):
        return None
    return Violation(
        "core.approval_required",
        f"A refund above {settings['supervisor_limit']:g} needs a manager's approval "
        "(action approve) before resolve.",
        f"data.{NAME}.amount",
    )


@hookimpl
def case_moved(
    tenant: TenantContext, case: Any, action: str, actor: Actor, cases: CaseLookup
) -> Outcome | None:
    """``request_appraisal``: the department becomes the quality department, and it answers
    within the tenant's ``department_reply`` time as any department given the case does."""
    if action != APPRAISAL:
        return None
    outcome = Outcome(department=quality_department(settings_of(tenant), tenant.departments))
    if tenant.settings.get("timers", {}).get("department_reply"):
        outcome.start_timers["department_reply"] = now()
    return outcome
