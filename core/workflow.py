"""Case states and the actions between them (DESIGN.md "Cases and their workflow").

The transition table is data; guards that depend on the case (approval, revisits, plugin rules)
are vetoes, in ``core.rules`` and in plugins.
"""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from core.types import MANAGING_ROLES, STAFF_ROLES, ActionSpec

STATES: tuple[str, ...] = (
    "received",
    "acknowledged",
    "investigating",
    "in_department",
    "awaiting_customer",
    "resolving",
    "resolved",
    "follow_up",
    "closed",
)
OPEN_STATES: frozenset[str] = frozenset(STATES) - {"closed"}
SURVEY_STATES: frozenset[str] = frozenset({"resolved", "follow_up", "closed"})
REVISIT_EVENTS: frozenset[str] = frozenset({"contact", "survey"})

_text = validate.Length(min=1, max=20000)


class _Department(Schema):
    department = fields.String(required=True, validate=validate.Length(min=1, max=200))


class _Proposal(Schema):
    proposal = fields.String(required=True, validate=_text)


class _Resolution(Schema):
    resolution = fields.String(required=True, validate=_text)


class _Findings(Schema):
    findings = fields.String(required=True, validate=_text)


class _Into(Schema):
    into = fields.String(required=True, validate=validate.Length(min=1, max=64))


class _Owner(Schema):
    owner = fields.String(required=True, validate=validate.Length(min=1, max=254))


def _spec(name: str, src: frozenset[str] | set[str], dst: str | None, **kw) -> ActionSpec:
    return ActionSpec(name=name, from_states=frozenset(src), to_state=dst, **kw)


CORE_ACTIONS: dict[str, ActionSpec] = {
    spec.name: spec
    for spec in (
        _spec("acknowledge", {"received"}, "acknowledged"),
        _spec("investigate", {"acknowledged"}, "investigating"),
        _spec("reject", {"investigating"}, "resolved", params=_Findings),
        _spec(
            "assign_department",
            {"investigating", "in_department"},
            "in_department",
            params=_Department,
        ),
        _spec("propose", {"in_department"}, "awaiting_customer", params=_Proposal),
        _spec("accept", {"awaiting_customer"}, "resolving"),
        _spec("decline", {"awaiting_customer"}, "in_department"),
        _spec("resolve", {"resolving"}, "resolved", params=_Resolution),
        _spec("follow_up", {"resolved"}, "follow_up"),
        _spec("contact", {"resolved", "follow_up"}, None),
        _spec("close", {"follow_up"}, "closed"),
        _spec("reopen", {"resolved", "follow_up", "closed"}, "investigating"),
        _spec("withdraw", OPEN_STATES, "closed"),
        _spec("merge", OPEN_STATES, "closed", params=_Into),
        _spec("assign", OPEN_STATES, None, roles=MANAGING_ROLES, params=_Owner),
        _spec("approve", OPEN_STATES, None, roles=MANAGING_ROLES),
    )
}

# Actions that need approval first on major and critical cases (DOMAIN.md section 1).
NEEDS_APPROVAL: frozenset[str] = frozenset({"resolve", "close"})
SERIOUS: frozenset[str] = frozenset({"major", "critical"})

assert all(spec.roles <= STAFF_ROLES for spec in CORE_ACTIONS.values())


def allowed_actions(state: str, role: str, actions: dict[str, ActionSpec]) -> list[str]:
    """The actions a user of ``role`` may take now, in the table's order (for the console)."""
    return [n for n, s in actions.items() if state in s.from_states and role in s.roles]
