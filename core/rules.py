"""The core's own rules of DOMAIN.md section 1, written as a plugin that every tenant has.

Keeping them behind the same hooks as the industry plugins means the contract is exercised by the
core itself, and a rule is found where plugin authors look for rules.
"""

from __future__ import annotations

from datetime import timedelta

from core import Link, Outcome, TenantContext, Violation, hookimpl
from core.lookup import CaseLookup
from core.models import Case, CaseEvent
from core.workflow import NEEDS_APPROVAL, REVISIT_EVENTS, SERIOUS


def category_group(tenant: TenantContext, category: str | None) -> str:
    """``quality``, ``service`` or ``other``, as the tenant maps its categories."""
    for entry in tenant.settings.get("categories", []):
        if entry["name"] == category:
            return entry.get("group", "other")
    return "other"


def revisits_since_reopen(events: list[CaseEvent]) -> int:
    """Follow-up contacts and surveys since the case was last reopened (events oldest first)."""
    count = 0
    for event in events:
        if event.type == "reopen":
            count = 0
        elif event.type in REVISIT_EVENTS:
            count += 1
    return count


@hookimpl(specname="veto_action")
def approval_required(case: Case, action: str) -> Violation | None:
    if action in NEEDS_APPROVAL and case.severity in SERIOUS and case.approved_at is None:
        return Violation(
            "core.approval_required",
            f"A {case.severity} case needs a manager's approval (action approve) before {action}.",
        )
    return None


@hookimpl(specname="veto_action")
def revisits_required(
    tenant: TenantContext, case: Case, action: str, cases: CaseLookup
) -> Violation | None:
    if action != "close" or case.kind != "complaint":
        return None
    group = category_group(tenant, case.category)
    needed = int(tenant.settings["revisits_required"].get(group, 0))
    if needed == 0:
        return None
    done = revisits_since_reopen(cases.events(case.id, types=REVISIT_EVENTS | {"reopen"}))
    if done >= needed:
        return None
    return Violation(
        "core.revisits_required",
        f"A {group} complaint needs {needed} follow-up contacts or surveys before close; "
        f"{done} recorded.",
    )


@hookimpl(specname="case_opened")
def repeat_complaint(tenant: TenantContext, case: Case, cases: CaseLookup) -> Outcome | None:
    """Same contact, same category (and same site when both have one) within the window."""
    if case.category is None or not (case.customer_phone or case.customer_email):
        return None
    window = timedelta(days=int(tenant.settings["repeat_window_days"]))
    earlier = cases.latest(
        phone=case.customer_phone,
        email=case.customer_email,
        category=case.category,
        site_or_unset=case.site,  # same site only when both cases have one
        received_since=case.received_at - window,
        received_until=case.received_at,
        exclude=[case.id],
    )
    if earlier is None:
        return None
    return Outcome(flags=["repeat"], links=[Link(earlier, "repeat_of", "repeated_by")])
