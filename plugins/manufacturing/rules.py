"""The manufacturing rules (DOMAIN.md section 4: 8D reports), as pure functions.

Every function here takes plain values: the ``data.manufacturing`` dict as the ``CaseFields``
schema loads it (dates may also arrive as ISO strings, as they come back from the JSON column),
and the tenant's plugin settings as the ``Settings`` schema loads them. Nothing here touches the
database or Flask; the hook implementations call these.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from core import Violation

PLUGIN = "manufacturing"
EIGHT_D_FIELD = f"data.{PLUGIN}.eight_d"

ROOT_CAUSE_INCOMPLETE = f"{PLUGIN}.root_cause_incomplete"
EIGHT_D_INCOMPLETE = f"{PLUGIN}.8d_incomplete"
EIGHT_D_NOT_APPROVED = f"{PLUGIN}.8d_not_approved"

FOUND_AT: tuple[str, ...] = ("incoming", "production", "field", "in_transit")
LANGUAGES: tuple[str, ...] = ("zh", "en")
DOCUMENTS: tuple[str, ...] = ("pfmea", "control_plan", "work_instruction", "inspection_instruction")
# DOMAIN.md 4: closing needs a PFMEA or control-plan revision; instructions alone do not prevent
# recurrence at the source.
PREVENTION_DOCUMENTS = frozenset({"pfmea", "control_plan"})
SEVERITIES_NEEDING_8D = frozenset({"major", "critical"})

# DOMAIN.md 4 defaults.
OPERATOR_ERROR_PHRASES: tuple[str, ...] = (
    "operator error",
    "human error",
    "操作失误",
    "人为失误",
    "员工失误",
)
TIMER_NAMES: tuple[str, ...] = ("containment", "action_plan", "closure")
DEFAULT_TIMERS: Mapping[str, Mapping[str, Any]] = {
    "containment": {"amount": 24, "unit": "hours"},
    "action_plan": {"amount": 14, "unit": "days"},
    "closure": {"amount": 60, "unit": "days"},
}
REPEAT_WINDOW_DAYS = 90

# The disciplines and their keys, in report order (DOMAIN.md 4 "Keys inside").
DISCIPLINES: Mapping[str, tuple[str, ...]] = {
    "d0": ("emergency_response",),
    "d1": ("champion", "leader", "members"),
    "d2": ("what", "where", "when", "who", "why", "how", "how_many", "is_not"),
    "d3": ("actions", "suspect_stock"),
    "d4": ("occurrence_root_cause", "escape_point", "verification"),
    "d5": ("occurrence_actions", "detection_actions"),
    "d6": ("implemented_on", "effectiveness_evidence"),
    "d7": ("documents_revised", "similar_products_checked"),
    "d8": ("closed_on", "lessons_learned"),
}
CLOSE_REQUIRED: tuple[str, ...] = ("d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8")
SUSPECT_STOCK_KEYS: tuple[str, ...] = ("in_process", "finished_goods", "in_transit", "at_customer")
ACTION_KEYS: tuple[str, ...] = ("action", "owner", "started_on", "verified")


class TimerFigure(NamedTuple):
    """A timer the case should carry: its name and duration (``unit`` is a core time unit)."""

    name: str
    amount: int
    unit: str


def _normal(value: Any) -> str:
    """Text as compared, not as shown: NFKC (full-width letters are plain letters), runs of
    whitespace collapsed, case folded."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split()).casefold()


def normal(value: Any) -> str:
    """How two spellings of a name, part number or lot are compared (public for the hooks)."""
    return _normal(value)


def _filled(value: Any) -> bool:
    """Whether a value says something: blank text, empty lists and objects say nothing."""
    if value is None:
        return False
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, Mapping):
        return any(_filled(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_filled(item) for item in value)
    return True  # numbers (0 included), booleans, dates: an answer was given


def _section(eight_d: Mapping[str, Any] | None, name: str) -> Mapping[str, Any] | None:
    """Discipline ``name`` if it was filled in at all, else ``None``."""
    section = (eight_d or {}).get(name)
    return section if isinstance(section, Mapping) and _filled(section) else None


# --- intake ----------------------------------------------------------------------------------


def eight_d_required(fields: Mapping[str, Any], severity: str | None) -> bool:
    """Whether the complaint needs an 8D (flag ``8d_required``), DOMAIN.md 4.

    Required when the cause is unknown or the severity is major or critical; with the cause
    known and severity low or normal a statement suffices. ``cause_known`` not given counts as
    unknown: nobody has said the cause is known.
    """
    return fields.get("cause_known") is not True or severity in SEVERITIES_NEEDING_8D


def timers_for(fields: Mapping[str, Any], settings: Mapping[str, Any]) -> list[TimerFigure]:
    """The 8D timers from ``received_at``, for a case that needs an 8D (DOMAIN.md 4).

    ``containment`` (D1 to D3) 24 hours, ``action_plan`` (to D5) 14 calendar days, ``closure``
    (D8) 60 calendar days, or the tenant's ``timers``; then the customer's own deadlines from
    ``customer_timers``, timer by timer. The customer is matched by name ignoring case and
    spacing, because the same customer is typed by many people.
    """
    timers = {**DEFAULT_TIMERS, **(settings.get("timers") or {})}
    wanted = _normal(fields.get("customer"))
    if wanted:
        for customer, overrides in (settings.get("customer_timers") or {}).items():
            if _normal(customer) == wanted:
                timers.update({k: v for k, v in (overrides or {}).items() if v})
                break
    return [
        TimerFigure(name, int(timers[name]["amount"]), str(timers[name]["unit"]))
        for name in TIMER_NAMES
    ]


def repeat_key(fields: Mapping[str, Any]) -> tuple[str, str] | None:
    """(part_no, defect) normalised, for "same part and same defect within 90 days" (DOMAIN.md 4).

    ``None`` when either is missing: a case without a part or a defect is never a repeat by this
    rule. The database query that finds earlier cases with this key is done by the hook.
    """
    part_no, defect = _normal(fields.get("part_no")), _normal(fields.get("defect"))
    return (part_no, defect) if part_no and defect else None


def repeat_window_start(received_at: datetime, settings: Mapping[str, Any]) -> datetime:
    """The earliest ``received_at`` of an earlier case that makes this one a repeat.

    DOMAIN.md 4: "within 90 days" (setting ``repeat_window_days``); a case exactly 90 days
    earlier is still within.
    """
    return received_at - timedelta(days=settings.get("repeat_window_days", REPEAT_WINDOW_DAYS))


def same_part_lot_keys(fields: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(part_no, lot) pairs, normalised and without duplicates, in the order given.

    DOMAIN.md 4: "the same part and lot in open cases of other customers" are linked
    (``same_part_lot``); empty when there is no part number or no lot.
    """
    part_no = _normal(fields.get("part_no"))
    if not part_no:
        return []
    keys: list[tuple[str, str]] = []
    for lot in fields.get("lots") or []:
        key = (part_no, _normal(lot))
        if key[1] and key not in keys:
            keys.append(key)
    return keys


# The disciplines a timer waits for (DOMAIN.md 4: containment is D1 to D3, the action plan is
# up to D5); ``closure`` waits for the case's close.
TIMER_DISCIPLINES: Mapping[str, tuple[str, ...]] = {
    "containment": ("d1", "d2", "d3"),
    "action_plan": ("d1", "d2", "d3", "d4", "d5"),
}


def timers_met(eight_d: Mapping[str, Any] | None) -> list[str]:
    """The 8D timers whose disciplines are all filled in, in ``TIMER_NAMES`` order.

    A discipline counts once anything in it is filled in, as for the close check; D4's own
    content is checked by ``check_eight_d`` before any edit is accepted.
    """
    return [
        name
        for name in TIMER_NAMES
        if name in TIMER_DISCIPLINES
        and all(_section(eight_d, d) is not None for d in TIMER_DISCIPLINES[name])
    ]


# --- checks on every open and edit -----------------------------------------------------------


def operator_error_phrase(text: Any, phrases: Iterable[str]) -> str | None:
    """The first refused phrase found in ``text`` (case-insensitive substring), or ``None``."""
    haystack = _normal(text)
    for phrase in phrases:
        needle = _normal(phrase)
        # A blank phrase would match every root cause; settings refuse it, this guards anyway.
        if needle and needle in haystack:
            return phrase
    return None


def check_eight_d(
    eight_d: Mapping[str, Any] | None, settings: Mapping[str, Any]
) -> list[Violation]:
    """``manufacturing.root_cause_incomplete`` for the D4 present, one violation per problem.

    DOMAIN.md 4: D4 without both an occurrence root cause and an escape point, or with operator
    error as the root cause (setting ``operator_error_phrases``), is refused. "Operator error"
    names who, not why: the root cause is the process gap that let the error happen. Checked
    whenever the case is opened or edited; a D4 not yet filled in is not checked.
    """
    d4 = _section(eight_d, "d4")
    if d4 is None:
        return []
    found: list[Violation] = []
    root_cause = d4.get("occurrence_root_cause")
    if not _filled(root_cause):
        found.append(
            Violation(
                ROOT_CAUSE_INCOMPLETE,
                "D4 needs the occurrence root cause.",
                f"{EIGHT_D_FIELD}.d4.occurrence_root_cause",
            )
        )
    else:
        phrases = settings.get("operator_error_phrases", OPERATOR_ERROR_PHRASES)
        phrase = operator_error_phrase(root_cause, phrases)
        if phrase is not None:
            found.append(
                Violation(
                    ROOT_CAUSE_INCOMPLETE,
                    f"'{phrase}' is not a root cause: name the process gap that allowed it.",
                    f"{EIGHT_D_FIELD}.d4.occurrence_root_cause",
                )
            )
    if not _filled(d4.get("escape_point")):
        found.append(
            Violation(
                ROOT_CAUSE_INCOMPLETE,
                "D4 needs the escape point (where the defect should have been detected).",
                f"{EIGHT_D_FIELD}.d4.escape_point",
            )
        )
    return found


# --- close -----------------------------------------------------------------------------------


def close_violations(eight_d: Mapping[str, Any] | None, approved: bool) -> list[Violation]:
    """Every reason the 8D does not allow the case to close (DOMAIN.md 4), all at once.

    ``manufacturing.8d_incomplete`` once per gap, each with the field to fill in: a missing
    discipline among D1 to D8 (one not filled in at all; D0 is not required), D6 without
    effectiveness evidence, D7 without a PFMEA or control-plan revision. One violation per gap
    rather than one naming them all, so a form can mark each field. D6 and D7 are checked inside
    only when present: a missing D6 is reported once, as missing.
    ``manufacturing.8d_not_approved`` when no manager has approved (the core's ``approve``).
    D4's own check is ``check_eight_d``; the close hook runs both.
    """
    found: list[Violation] = []
    for name in CLOSE_REQUIRED:
        if _section(eight_d, name) is None:
            found.append(
                Violation(
                    EIGHT_D_INCOMPLETE,
                    f"{name.upper()} is missing from the 8D.",
                    f"{EIGHT_D_FIELD}.{name}",
                )
            )
    d6 = _section(eight_d, "d6")
    if d6 is not None and not _filled(d6.get("effectiveness_evidence")):
        found.append(
            Violation(
                EIGHT_D_INCOMPLETE,
                "D6 needs evidence that the permanent actions are effective.",
                f"{EIGHT_D_FIELD}.d6.effectiveness_evidence",
            )
        )
    d7 = _section(eight_d, "d7")
    if d7 is not None and not PREVENTION_DOCUMENTS & set(d7.get("documents_revised") or ()):
        found.append(
            Violation(
                EIGHT_D_INCOMPLETE,
                "D7 needs a revised PFMEA or control plan.",
                f"{EIGHT_D_FIELD}.d7.documents_revised",
            )
        )
    if not approved:
        found.append(
            Violation(
                EIGHT_D_NOT_APPROVED,
                "The 8D needs a manager's approval (approve) before the case closes.",
            )
        )
    return found


# --- the printable report --------------------------------------------------------------------

_TITLES: Mapping[str, Mapping[str, str]] = {
    "en": {
        "d0": "D0 Emergency response",
        "d1": "D1 Team",
        "d2": "D2 Problem description",
        "d3": "D3 Containment",
        "d4": "D4 Root cause",
        "d5": "D5 Permanent corrective actions",
        "d6": "D6 Implementation and effectiveness",
        "d7": "D7 Prevention of recurrence",
        "d8": "D8 Closure and lessons learned",
    },
    "zh": {
        "d0": "D0 应急响应",
        "d1": "D1 成立小组",
        "d2": "D2 问题描述",
        "d3": "D3 临时遏制措施",
        "d4": "D4 根本原因",
        "d5": "D5 永久纠正措施",
        "d6": "D6 实施与效果验证",
        "d7": "D7 预防再发生",
        "d8": "D8 结案与经验总结",
    },
}

_LABELS: Mapping[str, Mapping[str, str]] = {
    "en": {
        "emergency_response": "Emergency response",
        "champion": "Champion",
        "leader": "Team leader",
        "members": "Members",
        "what": "What",
        "where": "Where",
        "when": "When",
        "who": "Who",
        "why": "Why",
        "how": "How",
        "how_many": "How many",
        "is_not": "Is / is not",
        "actions": "Containment actions",
        "action": "Containment action",
        "in_process": "Suspect stock: in process",
        "finished_goods": "Suspect stock: finished goods",
        "in_transit": "Suspect stock: in transit",
        "at_customer": "Suspect stock: at customer",
        "occurrence_root_cause": "Occurrence root cause",
        "escape_point": "Escape point",
        "verification": "How verified",
        "occurrence_actions": "Actions against occurrence",
        "detection_actions": "Actions for detection",
        "implemented_on": "Implemented on",
        "effectiveness_evidence": "Effectiveness evidence",
        "documents_revised": "Documents revised",
        "similar_products_checked": "Similar products checked",
        "closed_on": "Closed on",
        "lessons_learned": "Lessons learned",
        "owner": "owner",
        "started_on": "started",
        "verified": "verified",
        "yes": "yes",
        "no": "no",
        "pfmea": "PFMEA",
        "control_plan": "Control plan",
        "work_instruction": "Work instruction",
        "inspection_instruction": "Inspection instruction",
    },
    "zh": {
        "emergency_response": "应急响应措施",
        "champion": "倡导者",
        "leader": "组长",
        "members": "组员",
        "what": "什么问题 (What)",
        "where": "在哪里 (Where)",
        "when": "何时 (When)",
        "who": "谁 (Who)",
        "why": "为什么 (Why)",
        "how": "如何发生 (How)",
        "how_many": "多少 (How many)",
        "is_not": "是 / 不是",
        "actions": "遏制措施",
        "action": "遏制措施",
        "in_process": "可疑品：在制品",
        "finished_goods": "可疑品：成品库存",
        "in_transit": "可疑品：在途",
        "at_customer": "可疑品：客户处",
        "occurrence_root_cause": "发生根本原因",
        "escape_point": "流出点",
        "verification": "验证方法",
        "occurrence_actions": "针对发生的措施",
        "detection_actions": "针对流出的措施",
        "implemented_on": "实施日期",
        "effectiveness_evidence": "效果验证证据",
        "documents_revised": "已修订文件",
        "similar_products_checked": "类似产品排查",
        "closed_on": "结案日期",
        "lessons_learned": "经验教训",
        "owner": "负责人",
        "started_on": "开始",
        "verified": "已验证",
        "yes": "是",
        "no": "否",
        "pfmea": "PFMEA",
        "control_plan": "控制计划",
        "work_instruction": "作业指导书",
        "inspection_instruction": "检验指导书",
    },
}

_SEPARATOR = {"en": ", ", "zh": "、"}


def report_language(language: str | None) -> str:
    """``zh`` for any Chinese locale (``zh``, ``zh_CN``, ``zh-Hans``), else ``en``.

    The case's ``language`` defaults to the tenant's locale (DOMAIN.md 4), which may carry a
    region or be neither language; English is the report's fallback.
    """
    primary = (language or "").replace("-", "_").split("_")[0].lower()
    return "zh" if primary == "zh" else "en"


def _text(value: Any, lang: str) -> str:
    """A field value as printed: dates in ISO form, booleans as yes/no, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return _LABELS[lang]["yes" if value else "no"]
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return _SEPARATOR[lang].join(_text(item, lang) for item in value if _filled(item))
    return str(value)


def _action_text(action: Mapping[str, Any], lang: str) -> str:
    labels = _LABELS[lang]
    parts = [_text(action.get("action"), lang)]
    for key in ("owner", "started_on", "verified"):
        if _filled(action.get(key)):
            parts.append(f"{labels[key]}: {_text(action.get(key), lang)}")
    return "; ".join(part for part in parts if part)


def _rows(name: str, section: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    labels = _LABELS[lang]
    if name == "d3":
        actions = [a for a in section.get("actions") or [] if isinstance(a, Mapping)]
        rows = [
            (f"{labels['action']} {number}", _action_text(action, lang))
            for number, action in enumerate(actions, start=1)
        ] or [(labels["actions"], "")]
        stock = section.get("suspect_stock") or {}
        rows += [(labels[key], _text(stock.get(key), lang)) for key in SUSPECT_STOCK_KEYS]
        return rows
    if name == "d7":
        documents = [labels.get(d, str(d)) for d in section.get("documents_revised") or []]
        return [
            (labels["documents_revised"], _SEPARATOR[lang].join(documents)),
            (
                labels["similar_products_checked"],
                _text(section.get("similar_products_checked"), lang),
            ),
        ]
    return [(labels[key], _text(section.get(key), lang)) for key in DISCIPLINES[name]]


def report_sections(
    eight_d: Mapping[str, Any] | None, language: str | None
) -> list[tuple[str, list[tuple[str, str]]]]:
    """The 8D as titled sections of (label, text) rows, for the printable report (DOMAIN.md 4).

    All nine disciplines, D0 to D8, always appear in order with every row, blanks as ``""``: the
    printed 8D is a form, and a blank line shows what is still open. ``language`` is ``zh`` or
    ``en`` (see ``report_language`` for locales); values are printed as entered, not translated,
    except yes/no and the names of revised documents.
    """
    lang = report_language(language)
    sections = []
    for name in DISCIPLINES:
        section = (eight_d or {}).get(name)
        rows = _rows(name, section if isinstance(section, Mapping) else {}, lang)
        sections.append((_TITLES[lang][name], rows))
    return sections
