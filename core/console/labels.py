"""Words the console shows for the core's codes (states, actions, kinds, ...), in the reader's
language, and the schema messages of the API translated where we know them.

The API's messages stay the reference: in English the console shows them verbatim; in Chinese
the ones marshmallow and the core use most are translated, and any other is shown as it is.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

STATE_LABELS = {
    "received": _l("Received"),
    "acknowledged": _l("Acknowledged"),
    "investigating": _l("Investigating"),
    "in_department": _l("In department"),
    "awaiting_customer": _l("Awaiting customer"),
    "resolving": _l("Resolving"),
    "resolved": _l("Resolved"),
    "follow_up": _l("Follow-up"),
    "closed": _l("Closed"),
}

ACTION_LABELS = {
    "acknowledge": _l("Acknowledge"),
    "investigate": _l("Investigate"),
    "reject": _l("Reject"),
    "assign_department": _l("Assign to department"),
    "propose": _l("Propose a remedy"),
    "accept": _l("Accept proposal"),
    "decline": _l("Decline proposal"),
    "resolve": _l("Resolve"),
    "follow_up": _l("Follow up"),
    "contact": _l("Record a follow-up contact"),
    "close": _l("Close"),
    "reopen": _l("Reopen"),
    "withdraw": _l("Withdraw"),
    "merge": _l("Merge into another case"),
    "assign": _l("Assign owner"),
    "approve": _l("Approve"),
}

EVENT_LABELS = {
    "opened": _l("Opened"),
    "edited": _l("Edited"),
    "comment": _l("Comment"),
    "survey": _l("Survey"),
    "attachment": _l("Attachment"),
    "timer_breached": _l("Deadline passed"),
}

KIND_LABELS = {
    "complaint": _l("Complaint"),
    "return": _l("Return"),
    "feedback": _l("Feedback"),
    "service_request": _l("Service request"),
}

CHANNEL_LABELS = {
    "phone": _l("Phone"),
    "email": _l("Email"),
    "wechat": _l("WeChat"),
    "web": _l("Web"),
    "on_site": _l("On site"),
    "letter": _l("Letter"),
    "other": _l("Other"),
}

SEVERITY_LABELS = {
    "low": _l("Low"),
    "normal": _l("Normal"),
    "major": _l("Major"),
    "critical": _l("Critical"),
}

TIMER_LABELS = {
    "first_reply": _l("First reply"),
    "department_reply": _l("Department reply"),
    "follow_up": _l("Follow-up"),
    "resolution": _l("Resolution"),
}

TIMER_STATE_LABELS = {
    "running": _l("Running"),
    "paused": _l("Paused"),
    "met": _l("Met"),
    "breached": _l("Breached"),
}

UNIT_LABELS = {
    "hours": _l("hours"),
    "days": _l("days"),
    "working_days": _l("working days"),
    "working_hours": _l("working hours"),
}

ROLE_LABELS = {
    "admin": _l("Administrator"),
    "manager": _l("Manager"),
    "agent": _l("Agent"),
    "intake": _l("Intake"),
}

GROUP_LABELS = {"quality": _l("Quality"), "service": _l("Service"), "other": _l("Other")}

FIELD_LABELS = {
    "department": _l("Department"),
    "proposal": _l("Proposal"),
    "resolution": _l("Resolution"),
    "findings": _l("Findings"),
    "into": _l("Case number to merge into"),
    "owner": _l("New owner"),
    "note": _l("Note"),
}

RELATION_LABELS = {
    "repeat_of": _l("Repeat of"),
    "repeated_by": _l("Repeated by"),
    "merged_into": _l("Merged into"),
    "merged_from": _l("Merged from"),
}


def label(table: dict, code: str | None) -> str:
    """The reader's word for ``code``; a code we have no word for (a plugin's) as it is."""
    if code is None:
        return ""
    found = table.get(code)
    return str(found) if found is not None else code.replace("_", " ")


# --- the API's messages, translated where known ----------------------------------------------

_EXACT: dict[str, Callable[[], str]] = {
    "Missing data for required field.": lambda: _("Missing data for required field."),
    "Field may not be null.": lambda: _("Field may not be null."),
    "Not a valid integer.": lambda: _("Not a valid integer."),
    "Not a valid number.": lambda: _("Not a valid number."),
    "Not a valid boolean.": lambda: _("Not a valid boolean."),
    "Not a valid date.": lambda: _("Not a valid date."),
    "Not a valid datetime.": lambda: _("Not a valid datetime."),
    "Not a valid email address.": lambda: _("Not a valid email address."),
    "Not a valid URL.": lambda: _("Not a valid URL."),
    "Not a valid string.": lambda: _("Not a valid string."),
    "Unknown field.": lambda: _("Unknown field."),
    "Invalid value.": lambda: _("Invalid value."),
    "Not valid JSON.": lambda: _("Not valid JSON."),
    "Names must be unique.": lambda: _("Names must be unique."),
}

_PATTERNS: list[tuple[re.Pattern[str], Callable[..., str]]] = [
    (
        re.compile(r"^Shorter than minimum length (\d+)\.$"),
        lambda n: _("Shorter than minimum length %(n)s.", n=n),
    ),
    (
        re.compile(r"^Longer than maximum length (\d+)\.$"),
        lambda n: _("Longer than maximum length %(n)s.", n=n),
    ),
    (
        re.compile(r"^Length must be between (\d+) and (\d+)\.$"),
        lambda a, b: _("Length must be between %(a)s and %(b)s.", a=a, b=b),
    ),
    (
        re.compile(r"^Must be one of: (.*)\.$"),
        lambda choices: _("Must be one of: %(choices)s.", choices=choices),
    ),
    (
        re.compile(r"^Must be greater than or equal to (\S+) and less than or equal to (\S+)\.$"),
        lambda a, b: _("Must be between %(a)s and %(b)s.", a=a, b=b),
    ),
    (
        re.compile(r"^Must be greater than or equal to (\S+)\.$"),
        lambda a: _("Must be at least %(a)s.", a=a),
    ),
    (
        re.compile(r"^Must be less than or equal to (\S+)\.$"),
        lambda b: _("Must be at most %(b)s.", b=b),
    ),
]


def localise_message(message: str) -> str:
    """An API message in the reader's language when we know it; else as the API wrote it."""
    message = str(message)
    if get_locale() is None or get_locale().language == "en":
        return message  # the API's own words
    exact = _EXACT.get(message)
    if exact is not None:
        return exact()
    for pattern, render in _PATTERNS:
        match = pattern.match(message)
        if match:
            return render(*match.groups())
    return message


def event_label(event_type: str) -> str:
    """An event of the log: the core's own, an action's, or a plugin's ``<plugin>.<event>``."""
    if event_type in EVENT_LABELS:
        return str(EVENT_LABELS[event_type])
    return label(ACTION_LABELS, event_type)


def figure(value: Any) -> str:
    """A value of a plugin's report section as the dashboard shows it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


TEMPLATE_GLOBALS: dict[str, Callable[..., str]] = {
    "state_label": lambda code: label(STATE_LABELS, code),
    "action_label": lambda code: label(ACTION_LABELS, code),
    "kind_label": lambda code: label(KIND_LABELS, code),
    "channel_label": lambda code: label(CHANNEL_LABELS, code),
    "severity_label": lambda code: label(SEVERITY_LABELS, code),
    "timer_label": lambda code: label(TIMER_LABELS, code),
    "timer_state_label": lambda code: label(TIMER_STATE_LABELS, code),
    "unit_label": lambda code: label(UNIT_LABELS, code),
    "role_label": lambda code: label(ROLE_LABELS, code),
    "group_label": lambda code: label(GROUP_LABELS, code),
    "relation_label": lambda code: label(RELATION_LABELS, code),
    "field_label": lambda code: label(FIELD_LABELS, code),
    "event_label": event_label,
    "figure": figure,
    "localise": localise_message,
}
