"""The manufacturing hooks (DOMAIN.md section 4): what the rules of ``rules.py`` do to cases.

A *product complaint* here is a ``complaint`` that carries ``data.manufacturing``; only those
can need an 8D (a delivery complaint without part data, or a piece of feedback, never does).

- intake and edits: D4 is checked whenever the case is opened or edited
  (``manufacturing.root_cause_incomplete``); an 8D is required when the cause is unknown or the
  severity major or critical (flag ``8d_required``), and then the case carries the timers
  ``containment``, ``action_plan`` and ``closure`` from ``received_at`` (per-customer overrides
  from the settings); ``containment`` is met once D1 to D3 are filled in, ``action_plan`` once D1
  to D5 are. The same part and defect within the repeat window is a repeat: flag ``repeat``,
  linked ``repeat_of`` to the latest earlier case, severity raised to at least major. The same part
  and lot in open cases of other customers: linked ``same_part_lot`` and listed in the event
  ``manufacturing.other_customers``.
- close: every gate at once: ``manufacturing.8d_incomplete``, ``manufacturing.8d_not_approved``
  (the core's ``approve``, given after the customer's last rejection) and D4 again.
- ``reject_8d`` (the customer rejects the report, with the ``reason``): back to D4. The case goes
  back to ``investigating``; the rejected root cause is kept in the event
  ``manufacturing.8d_rejected``; the ``action_plan`` timer runs again from the rejection; the case
  cannot close until D4 is revised and the 8D approved again.
- documents: the 8D report, ``8d.html`` (printable) and ``8d.pdf``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from marshmallow import Schema, fields, validate

from core import (
    OPEN_STATES,
    SEVERITIES,
    ActionSpec,
    CaseLookup,
    Document,
    Link,
    NewEvent,
    Outcome,
    TenantContext,
    TimerSpec,
    Violation,
    hookimpl,
    now,
)

from . import report
from .rules import (
    EIGHT_D_FIELD,
    EIGHT_D_INCOMPLETE,
    EIGHT_D_NOT_APPROVED,
    PLUGIN,
    ROOT_CAUSE_INCOMPLETE,
    check_eight_d,
    close_violations,
    eight_d_required,
    normal,
    repeat_key,
    repeat_window_start,
    same_part_lot_keys,
    timers_for,
    timers_met,
)

FLAG_8D = "8d_required"
FLAG_REPEAT = "repeat"
OTHER_CUSTOMERS = f"{PLUGIN}.other_customers"
REJECTED = f"{PLUGIN}.8d_rejected"
NO_8D = f"{PLUGIN}.no_8d"
REJECT = "reject_8d"
ESCALATED = "major"
CANDIDATES = 1000  # earlier cases of one part looked at per intake

# Where the customer can have the report in hand to reject it.
REJECT_FROM = frozenset(
    {"investigating", "in_department", "awaiting_customer", "resolving", "resolved", "follow_up"}
)


class ManufacturingReject8D(Schema):
    """The fields of ``reject_8d``."""

    reason = fields.String(
        required=True,
        validate=validate.Length(min=1, max=5000),
        metadata={"description": "Why the customer rejected the 8D report."},
    )


def is_product_complaint(case: Any) -> bool:
    return case.kind == "complaint" and bool(case.plugin_data(PLUGIN))


def needs_8d(case: Any) -> bool:
    return is_product_complaint(case) and eight_d_required(case.plugin_data(PLUGIN), case.severity)


def _fingerprint(section: Any) -> str:
    text = json.dumps(section or {}, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _last_rejection(case: Any, cases: CaseLookup) -> Any | None:
    rejections = cases.events(case.id, types=[REJECTED])
    return rejections[-1] if rejections else None


def _d4_unrevised(case: Any, cases: CaseLookup) -> bool:
    """Whether the customer rejected the 8D and D4 has not changed since."""
    rejection = _last_rejection(case, cases)
    eight_d = case.plugin_data(PLUGIN).get("eight_d") or {}
    return rejection is not None and rejection.data.get("d4_fingerprint") == _fingerprint(
        eight_d.get("d4")
    )


# --- declaration ---------------------------------------------------------------------------


@hookimpl
def register_actions(tenant: TenantContext) -> list[ActionSpec]:
    return [
        ActionSpec(
            name=REJECT,
            from_states=REJECT_FROM,
            to_state="investigating",
            params=ManufacturingReject8D,
            title="Customer rejects the 8D",
        )
    ]


# --- intake and edits ----------------------------------------------------------------------


@hookimpl
def check_case(tenant: TenantContext, case: Any) -> list[Violation]:
    eight_d = case.plugin_data(PLUGIN).get("eight_d")
    return check_eight_d(eight_d, tenant.plugin_settings(PLUGIN))


@hookimpl(specname="case_opened")
def product_complaint_opened(tenant: TenantContext, case: Any, cases: CaseLookup) -> Outcome | None:
    if not is_product_complaint(case):
        return None
    outcome = Outcome()
    _eight_d(case, cases, outcome)
    _repeat(tenant, case, cases, outcome)
    _other_customers(case, cases, outcome)
    return outcome


@hookimpl(specname="case_edited")
def product_complaint_edited(
    tenant: TenantContext, case: Any, changes: dict[str, Any], cases: CaseLookup
) -> Outcome | None:
    if not is_product_complaint(case) or not {"data", "severity", "kind"} & set(changes):
        return None
    outcome = Outcome()
    _eight_d(case, cases, outcome)
    if not cases.links(case.id, "repeat_of"):
        _repeat(tenant, case, cases, outcome)
    _other_customers(case, cases, outcome)
    return outcome


def _eight_d(case: Any, cases: CaseLookup, outcome: Outcome) -> None:
    if not needs_8d(case):
        return
    if FLAG_8D not in case.flags:
        outcome.flags.append(FLAG_8D)
    met = timers_met(case.plugin_data(PLUGIN).get("eight_d"))
    if "action_plan" in met and _d4_unrevised(case, cases):
        met.remove("action_plan")
    outcome.stop_timers += met


def _repeat(tenant: TenantContext, case: Any, cases: CaseLookup, outcome: Outcome) -> None:
    fields_ = case.plugin_data(PLUGIN)
    key = repeat_key(fields_)
    if key is None:
        return
    settings = tenant.plugin_settings(PLUGIN)
    earlier = [
        other
        for other in cases.find(
            data={PLUGIN: {"part_no": fields_["part_no"]}},
            received_since=repeat_window_start(case.received_at, settings),
            received_until=case.received_at,
            exclude=[case.id],
            limit=CANDIDATES,
        )
        if other.kind == "complaint" and repeat_key(other.plugin_data(PLUGIN)) == key
    ]
    if not earlier:
        return
    latest = max(earlier, key=lambda c: (c.received_at, c.id))
    outcome.flags.append(FLAG_REPEAT)
    outcome.links.append(Link(latest.id, "repeat_of", "repeated_by"))
    if SEVERITIES.index(case.severity) < SEVERITIES.index(ESCALATED):
        outcome.severity = ESCALATED


def _other_customers(case: Any, cases: CaseLookup, outcome: Outcome) -> None:
    fields_ = case.plugin_data(PLUGIN)
    keys = set(same_part_lot_keys(fields_))
    if not keys:
        return
    customer = normal(fields_.get("customer"))
    linked = {link.other_id for link in cases.links(case.id, "same_part_lot")}
    found = []
    for other in cases.find(
        data={PLUGIN: {"part_no": fields_["part_no"]}},
        states=OPEN_STATES,
        exclude=[case.id, *linked],
        limit=CANDIDATES,
    ):
        theirs = other.plugin_data(PLUGIN)
        common = keys & set(same_part_lot_keys(theirs))
        if not common or normal(theirs.get("customer")) == customer:
            continue
        lots = [lot for lot in theirs.get("lots") or [] if _pair(theirs, lot) in common]
        found.append(
            {
                "case": other.id,
                "number": other.number,
                "customer": theirs.get("customer"),
                "part_no": theirs.get("part_no"),
                "lots": lots,
            }
        )
        outcome.links.append(Link(other.id, "same_part_lot"))
    if found:
        outcome.events.append(NewEvent(OTHER_CUSTOMERS, {"cases": found}))


def _pair(fields_: dict[str, Any], lot: str) -> tuple[str, str]:
    return (normal(fields_.get("part_no")), normal(lot))


# --- workflow ------------------------------------------------------------------------------


@hookimpl(specname="veto_action")
def eight_d_incomplete(case: Any, action: str, cases: CaseLookup) -> Violation | None:
    if action != "close" or not needs_8d(case):
        return None
    eight_d = case.plugin_data(PLUGIN).get("eight_d")
    gaps = [v for v in close_violations(eight_d, approved=True) if v.code == EIGHT_D_INCOMPLETE]
    if _d4_unrevised(case, cases):
        gaps.append(
            Violation(
                EIGHT_D_INCOMPLETE,
                "D4 has not been revised since the customer rejected the 8D.",
                f"{EIGHT_D_FIELD}.d4",
            )
        )
    if not gaps:
        return None
    # One violation per rule reaches the client (veto_action answers one); it names every gap.
    return Violation(
        EIGHT_D_INCOMPLETE,
        " ".join(v.message for v in gaps),
        gaps[0].field if len(gaps) == 1 else EIGHT_D_FIELD,
    )


@hookimpl(specname="veto_action")
def eight_d_not_approved(case: Any, action: str, cases: CaseLookup) -> Violation | None:
    if action != "close" or not needs_8d(case):
        return None
    approved = case.approved_at is not None
    rejection = _last_rejection(case, cases)
    if approved and rejection is not None and case.approved_at <= rejection.at:
        approved = False  # the approval was of the report the customer then rejected
    found = [v for v in close_violations({}, approved) if v.code == EIGHT_D_NOT_APPROVED]
    return found[0] if found else None


@hookimpl(specname="veto_action")
def root_cause_still_complete(tenant: TenantContext, case: Any, action: str) -> Violation | None:
    """D4 again at close: the phrases refused may have grown since D4 was written."""
    if action != "close" or not needs_8d(case):
        return None
    found = check_eight_d(case.plugin_data(PLUGIN).get("eight_d"), tenant.plugin_settings(PLUGIN))
    if not found:
        return None
    return Violation(ROOT_CAUSE_INCOMPLETE, " ".join(v.message for v in found), found[0].field)


@hookimpl(specname="veto_action")
def reject_needs_8d(case: Any, action: str) -> Violation | None:
    if action != REJECT or needs_8d(case):
        return None
    return Violation(NO_8D, "This case has no 8D report to reject.")


@hookimpl(specname="case_moved")
def eight_d_rejected(
    case: Any, action: str, params: dict[str, Any], cases: CaseLookup
) -> Outcome | None:
    if action != REJECT:
        return None
    at = now()
    eight_d = case.plugin_data(PLUGIN).get("eight_d") or {}
    return Outcome(
        events=[
            NewEvent(
                REJECTED,
                {
                    "reason": params["reason"],
                    "back_to": "d4",
                    "rejected": {d: eight_d.get(d) for d in ("d4", "d5", "d6", "d7", "d8")},
                    "d4_fingerprint": _fingerprint(eight_d.get("d4")),
                },
            )
        ],
        start_timers={"action_plan": at},
    )


# --- timers --------------------------------------------------------------------------------


@hookimpl
def register_timers(tenant: TenantContext, case: Any) -> list[TimerSpec]:
    if not needs_8d(case):
        return []
    return [
        TimerSpec(figure.name, figure.amount, figure.unit, start_on="opened")
        for figure in timers_for(case.plugin_data(PLUGIN), tenant.plugin_settings(PLUGIN))
    ]


# --- documents -----------------------------------------------------------------------------


@hookimpl
def register_documents(tenant: TenantContext, case: Any) -> list[Document]:
    if not is_product_complaint(case):
        return []
    return [
        Document(report.HTML, "text/html", title="8D report"),
        Document(report.PDF, "application/pdf", title="8D report (PDF)"),
    ]


@hookimpl
def render_document(
    tenant: TenantContext, case: Any, name: str, cases: CaseLookup
) -> bytes | str | None:
    if name not in (report.HTML, report.PDF) or not is_product_complaint(case):
        return None
    html = report.html(tenant, case, _rejections(case, cases))
    return html if name == report.HTML else report.pdf(html)


def _rejections(case: Any, cases: CaseLookup) -> list[dict[str, Any]]:
    return [
        {"at": event.at, "reason": event.data.get("reason")}
        for event in cases.events(case.id, types=[REJECTED])
    ]
