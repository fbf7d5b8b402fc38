"""The food_service rules (DOMAIN.md section 3), as pure functions.

Every function here takes plain values: the ``data.food_service`` dict as the ``CaseFields``
schema loads it, and the tenant's plugin settings as the ``Settings`` schema loads them. Nothing
here touches the database or Flask; the hook implementations call these and turn the answers into
timers, events and violations.

The recall figures are regulation data, not code: they live in ``recall_levels.json`` under a named
regulation version, so a revision of 食品召回管理办法 is a new version entry in that file.
"""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from fractions import Fraction
from functools import cache
from importlib.resources import files
from types import MappingProxyType
from typing import Any, NamedTuple

from core import Violation, warning

PLUGIN = "food_service"
FIELD_PREFIX = f"data.{PLUGIN}"

HAZARDS: tuple[str, ...] = (
    "foreign_object",
    "spoilage",
    "contamination",
    "allergen",
    "labelling",
    "other",
)
RECALL_LEVELS: tuple[int, ...] = (1, 2, 3)

# DOMAIN.md 3: feedback collection targets per meal service, and the 10-day digest.
TABLE_FEEDBACK_TARGET = 20
NEW_DISH_FEEDBACK_TARGET = 90
DIGEST_INTERVAL_DAYS = 10
DIGEST_CATEGORIES: tuple[str, ...] = ("service", "dishes", "hygiene", "ambience", "other")
DIGEST_FALLBACK = "other"

RECALL_START = "recall_start"
RECALL_COMPLETE = "recall_complete"
LOT_MISSING = f"{PLUGIN}.lot_missing"
PULL_OPEN = f"{PLUGIN}.pull_open"

RECALL_DATA_FILE = "recall_levels.json"
# The core's time units (core.types.TIME_UNITS); repeated here because a plugin may import only
# what the top-level ``core`` package exports, and a data file naming any other unit is a typo.
_TIME_UNITS = frozenset({"hours", "days", "working_days", "working_hours"})


class TimerFigure(NamedTuple):
    """A timer the case should carry: its name and duration (``unit`` is a core time unit)."""

    name: str
    amount: int
    unit: str


# --- recall regulation data ----------------------------------------------------------------


class RecallDataError(ValueError):
    """``recall_levels.json`` is malformed, or names a version or level that it does not hold."""


@dataclass(frozen=True, slots=True)
class RecallLevel:
    """One recall level of one regulation version.

    ``start_*``: from when the business learned of the risk (the case's ``received_at``);
    ``complete_*``: from the publication of the recall notice.
    """

    level: int
    description: Mapping[str, str]
    start_amount: int
    start_unit: str
    complete_amount: int
    complete_unit: str


@dataclass(frozen=True, slots=True)
class RecallRules:
    """The recall levels of one named regulation version."""

    version: str
    regulation: str
    levels: Mapping[int, RecallLevel]

    def level(self, level: int) -> RecallLevel:
        """The figures of ``level``; ``RecallDataError`` if this version has no such level."""
        # bool is an int; ``True`` as a recall level is a caller's bug, not level 1.
        if isinstance(level, bool) or not isinstance(level, int) or level not in self.levels:
            known = ", ".join(str(n) for n in sorted(self.levels))
            raise RecallDataError(
                f"recall level {level!r} is not defined by {self.version} (levels: {known})"
            )
        return self.levels[level]


@dataclass(frozen=True, slots=True)
class RecallTable:
    """Every regulation version in the data file, and which one is current."""

    current: str
    versions: Mapping[str, RecallRules]

    def get(self, version: str | None = None) -> RecallRules:
        """The rules of ``version`` (``None``: the current one); ``RecallDataError`` if unknown."""
        name = self.current if version is None else version
        try:
            return self.versions[name]
        except (KeyError, TypeError):
            known = ", ".join(sorted(self.versions))
            raise RecallDataError(
                f"unknown recall regulation version {name!r} (known: {known})"
            ) from None


def _duration(raw: Any, where: str) -> tuple[int, str]:
    if not isinstance(raw, Mapping):
        raise RecallDataError(f"{where}: expected an object with amount and unit")
    amount, unit = raw.get("amount"), raw.get("unit")
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        raise RecallDataError(f"{where}.amount: expected a positive integer, got {amount!r}")
    if unit not in _TIME_UNITS:
        raise RecallDataError(f"{where}.unit: {unit!r} is not one of {sorted(_TIME_UNITS)}")
    return amount, unit


def parse_recall_data(raw: Mapping[str, Any]) -> RecallTable:
    """Check and freeze the recall data (the layout of ``recall_levels.json``).

    Checked here rather than trusted because an operator edits the file when the regulation
    changes; a typo must stop the app at start-up, not produce a wrong deadline later.
    """
    versions_raw = raw.get("versions")
    if not isinstance(versions_raw, Mapping) or not versions_raw:
        raise RecallDataError("recall data: 'versions' must be a non-empty object")
    versions: dict[str, RecallRules] = {}
    for name, body in versions_raw.items():
        where = f"versions.{name}"
        if not isinstance(body, Mapping):
            raise RecallDataError(f"{where}: expected an object")
        regulation = body.get("regulation")
        if not isinstance(regulation, str) or not regulation.strip():
            raise RecallDataError(f"{where}.regulation: the regulation must be named")
        levels_raw = body.get("levels")
        if not isinstance(levels_raw, Mapping) or not levels_raw:
            raise RecallDataError(f"{where}.levels: expected a non-empty object")
        levels: dict[int, RecallLevel] = {}
        for key, spec in levels_raw.items():
            at = f"{where}.levels.{key}"
            if not (isinstance(key, str) and key.isdigit()) or not isinstance(spec, Mapping):
                raise RecallDataError(f"{at}: levels are keyed by their number")
            description = spec.get("description", {})
            if not isinstance(description, Mapping):
                raise RecallDataError(f"{at}.description: expected an object by language")
            start = _duration(spec.get("start"), f"{at}.start")
            complete = _duration(spec.get("complete"), f"{at}.complete")
            levels[int(key)] = RecallLevel(
                level=int(key),
                description=MappingProxyType(dict(description)),
                start_amount=start[0],
                start_unit=start[1],
                complete_amount=complete[0],
                complete_unit=complete[1],
            )
        versions[name] = RecallRules(name, regulation, MappingProxyType(levels))
    current = raw.get("current")
    if current not in versions:
        raise RecallDataError(f"recall data: 'current' names no version: {current!r}")
    return RecallTable(current, MappingProxyType(versions))


@cache
def recall_table() -> RecallTable:
    """The recall data shipped with the plugin, read once per process."""
    text = files(__package__).joinpath(RECALL_DATA_FILE).read_text(encoding="utf-8")
    return parse_recall_data(json.loads(text))


def recall_versions() -> tuple[str, ...]:
    """The regulation versions the data file holds, in file order."""
    return tuple(recall_table().versions)


def current_recall_version() -> str:
    """The version the data file marks current: the settings default."""
    return recall_table().current


def recall_rules(version: str | None = None) -> RecallRules:
    """The recall levels of regulation ``version`` (``None``: the current one).

    Raises ``RecallDataError`` naming the known versions when ``version`` is not in the file.
    """
    return recall_table().get(version)


# --- intake ----------------------------------------------------------------------------------


def _normal(value: Any) -> str:
    """Text as compared, not as shown: NFKC (full-width ``ＬＯＴ１`` is ``LOT1``), runs of
    whitespace collapsed, case folded."""
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    return " ".join(text.split()).casefold()


def is_food_safety(fields: Mapping[str, Any]) -> bool:
    """Whether the complaint is a food-safety complaint (DOMAIN.md 3, field ``food_safety``)."""
    return fields.get("food_safety") is True


def pull_key(fields: Mapping[str, Any]) -> tuple[str, str] | None:
    """The (product, lot) a food-safety complaint pulls, normalised; ``None``: no pull.

    DOMAIN.md 3: "a food-safety complaint with a ``product`` and ``lot``" starts one pull per
    product+lot, however many cases report it, so the key must make the same lot typed by
    different people equal. Both parts are NFKC-normalised, whitespace-collapsed and case-folded:
    lot codes printed on packs are not case-sensitive in practice, and a missed match means two
    pulls (and unlinked cases) for one lot, which is worse than the unlikely merge of two lots
    that differ only in case. Show the case's own spelling; use this only as the identity.
    """
    if not is_food_safety(fields):
        return None
    product, lot = _normal(fields.get("product")), _normal(fields.get("lot"))
    if not product or not lot:
        return None
    return product, lot


def lot_missing_warning(fields: Mapping[str, Any]) -> Violation | None:
    """Warning ``food_service.lot_missing`` for a food-safety complaint without a lot.

    DOMAIN.md 3: such a case is accepted, with a warning asking for the lot (no pull can start
    without it). Not a food-safety complaint: nothing to ask.
    """
    if not is_food_safety(fields) or _normal(fields.get("lot")):
        return None
    return warning(
        LOT_MISSING,
        "Food-safety complaint without a lot (batch): add it so the product can be pulled.",
        f"{FIELD_PREFIX}.lot",
    )


def proposed_recall_level(fields: Mapping[str, Any]) -> int | None:
    """The recall level to propose: 1 when illness is reported, else the level given (or None).

    DOMAIN.md 3: "``illness_reported``: severity critical; recall level 1 proposed". Reported
    illness overrides a lower level entered at intake, because level 1 is the one for harm to
    health; the staff can still change it afterwards.
    """
    if fields.get("illness_reported") is True:
        return 1
    level = fields.get("recall_level")
    return level if level in RECALL_LEVELS and not isinstance(level, bool) else None


def severity_for(fields: Mapping[str, Any]) -> str | None:
    """``"critical"`` when illness is reported (DOMAIN.md 3); ``None`` leaves severity as is."""
    return "critical" if fields.get("illness_reported") is True else None


def recall_timers(level: int, settings: Mapping[str, Any]) -> list[TimerFigure]:
    """The two recall timers of ``level`` under the tenant's regulation version.

    DOMAIN.md 3: ``recall_start`` runs from the case's ``received_at`` (24/48/72 hours under
    CFDA order 12), ``recall_complete`` from the publication of the recall notice (10/20/30
    working days). Raises ``RecallDataError`` for an unknown version or level.
    """
    rules = recall_rules(settings.get("recall_version"))
    figures = rules.level(level)
    return [
        TimerFigure(RECALL_START, figures.start_amount, figures.start_unit),
        TimerFigure(RECALL_COMPLETE, figures.complete_amount, figures.complete_unit),
    ]


# --- close -----------------------------------------------------------------------------------


def close_veto(pull_open: bool) -> Violation | None:
    """``food_service.pull_open`` when the case's pull or recall is still open (DOMAIN.md 3).

    The open pull is ended by the action ``end_pull``, so the message names it.
    """
    if not pull_open:
        return None
    return Violation(
        PULL_OPEN,
        "The product pull or recall of this case is still open: end it (end_pull) first.",
    )


# --- feedback --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FeedbackRate:
    """Feedback collected against a target, in percent.

    ``rate`` and ``met`` are ``None`` when nothing was served: there is no rate to judge.
    """

    served: int
    with_feedback: int
    rate: float | None
    target: float
    met: bool | None


def _rate(served: int, with_feedback: int, target: float, what: str) -> FeedbackRate:
    for name, value in ((f"{what} served", served), (f"{what} with feedback", with_feedback)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}: expected a non-negative integer, got {value!r}")
    if with_feedback > served:
        raise ValueError(f"{what}: {with_feedback} with feedback out of {served} served")
    if served == 0:
        return FeedbackRate(0, 0, None, target, None)
    # Compare exactly: at 199 of 1000 tables a float rate could round onto the 20 % target.
    met = Fraction(with_feedback * 100, served) >= Fraction(str(target))
    return FeedbackRate(served, with_feedback, with_feedback * 100 / served, target, met)


def feedback_rates(
    tables_served: int,
    tables_with_feedback: int,
    new_dish_served: int,
    new_dish_feedback: int,
    settings: Mapping[str, Any],
) -> dict[str, FeedbackRate]:
    """Feedback collection per meal service against its targets, for the report.

    DOMAIN.md 3: feedback from at least 20 % of tables and 90 % for new dishes (tenant settings
    ``table_feedback_target``, ``new_dish_feedback_target``); reaching the target meets it.
    Returns ``{"tables": ..., "new_dishes": ...}``. Raises ``ValueError`` for a negative count or
    more feedback than servings.
    """
    table_target = settings.get("table_feedback_target", TABLE_FEEDBACK_TARGET)
    dish_target = settings.get("new_dish_feedback_target", NEW_DISH_FEEDBACK_TARGET)
    return {
        "tables": _rate(tables_served, tables_with_feedback, table_target, "tables"),
        "new_dishes": _rate(new_dish_served, new_dish_feedback, dish_target, "new dishes"),
    }


def digest(
    feedback_items: Iterable[Mapping[str, Any]],
    categories: Iterable[str] = DIGEST_CATEGORIES,
) -> dict[str, int]:
    """Counts of feedback items by category, for the 10-day digest (DOMAIN.md 3).

    Every category appears, with 0 when it had no feedback, in the order given. An item's
    ``category`` is matched case-insensitively; a missing or unknown one counts as ``other``,
    so the counts always add up to the number of items.
    """
    counts = {_normal(name): 0 for name in categories}
    counts.setdefault(DIGEST_FALLBACK, 0)
    for item in feedback_items:
        category = _normal(item.get("category"))
        counts[category if category in counts else DIGEST_FALLBACK] += 1
    return counts


MEALS: tuple[str, ...] = ("breakfast", "lunch", "dinner", "late_night")


def meal_service_rates(
    entries: Iterable[Mapping[str, Any]], settings: Mapping[str, Any]
) -> dict[str, FeedbackRate] | None:
    """Feedback collection of one meal service, from its feedback entries (DOMAIN.md 3).

    Each entry is the ``data.food_service`` of one feedback case of that service: one table's
    feedback, ``new_dish`` when it covers a new dish, and the service's counts as the person who
    logged it knew them (``tables_served``, ``new_dish_servings``). The largest count given is the
    service's (later entries know more tables); feedback beyond the count served raises the count
    served rather than failing, because the count is the one that was typed late or low.
    ``None`` when no entry says how many tables were served: there is no rate to show.
    """
    entries = list(entries)
    served = [e["tables_served"] for e in entries if isinstance(e.get("tables_served"), int)]
    if not served:
        return None
    tables_with_feedback = len(entries)
    new_dish_feedback = sum(1 for e in entries if e.get("new_dish") is True)
    dish_served = [
        e["new_dish_servings"] for e in entries if isinstance(e.get("new_dish_servings"), int)
    ]
    return feedback_rates(
        max(max(served), tables_with_feedback),
        tables_with_feedback,
        max(max(dish_served, default=0), new_dish_feedback),
        new_dish_feedback,
        settings,
    )


def digest_due(day: date, interval_days: int) -> bool:
    """Whether the feedback digest runs on ``day`` (the tenant's local date).

    The job is scheduled daily and the tenant's ``digest_interval_days`` decides: a digest is due
    on the days whose ordinal is a multiple of the interval, so the periods of consecutive digests
    meet without gap or overlap whatever the month lengths.
    """
    return day.toordinal() % interval_days == 0


def digest_period(day: date, interval_days: int) -> tuple[date, date]:
    """The local dates a digest sent on ``day`` covers: the ``interval_days`` days before it
    (``day`` itself excluded: it is not over yet), as ``(first, last)``."""
    return day - timedelta(days=interval_days), day - timedelta(days=1)
