"""The food_service rules of DOMAIN.md section 3, table by table."""

from __future__ import annotations

import copy
import json
from importlib.resources import files

import pytest

from core import Violation
from plugins.food_service import rules
from plugins.food_service.rules import (
    RecallDataError,
    TimerFigure,
    close_veto,
    digest,
    feedback_rates,
    is_food_safety,
    lot_missing_warning,
    parse_recall_data,
    proposed_recall_level,
    pull_key,
    recall_rules,
    recall_timers,
    severity_for,
)


def raw_recall_data() -> dict:
    text = files("plugins.food_service").joinpath("recall_levels.json").read_text("utf-8")
    return json.loads(text)


# --- recall levels ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("level", "start_hours", "complete_working_days"),
    [(1, 24, 10), (2, 48, 20), (3, 72, 30)],
)
def test_recall_timers_per_level(level: int, start_hours: int, complete_working_days: int) -> None:
    assert recall_timers(level, {}) == [
        TimerFigure("recall_start", start_hours, "hours"),
        TimerFigure("recall_complete", complete_working_days, "working_days"),
    ]


@pytest.mark.parametrize("level", [1, 2, 3])
def test_recall_timers_under_the_named_current_version(level: int) -> None:
    named = recall_timers(level, {"recall_version": "CFDA-12-2015"})
    assert named == recall_timers(level, {})


def test_current_version_names_the_regulation() -> None:
    current = recall_rules()
    assert current.version == "CFDA-12-2015"
    assert current.regulation == "食品召回管理办法 (CFDA order 12, 2015)"
    assert recall_rules("CFDA-12-2015") is current
    assert rules.current_recall_version() == "CFDA-12-2015"


@pytest.mark.parametrize(
    ("level", "words"),
    [(1, "death"), (2, "General harm"), (3, "labelling")],
)
def test_recall_levels_are_described(level: int, words: str) -> None:
    described = recall_rules().level(level).description
    assert words in described["en"]
    assert described["zh"]


def test_unknown_version_is_a_clear_error() -> None:
    with pytest.raises(RecallDataError, match=r"unknown recall regulation version 'SAMR-2099'.*"):
        recall_rules("SAMR-2099")
    with pytest.raises(RecallDataError, match="CFDA-12-2015"):
        recall_timers(1, {"recall_version": "SAMR-2099"})


@pytest.mark.parametrize("level", [0, 4, True, "1", None])
def test_unknown_level_is_a_clear_error(level: object) -> None:
    with pytest.raises(RecallDataError, match="recall level"):
        recall_timers(level, {})  # type: ignore[arg-type]


def test_a_revision_is_a_data_change() -> None:
    raw = raw_recall_data()
    revised = copy.deepcopy(raw["versions"]["CFDA-12-2015"])
    revised["regulation"] = "食品召回管理办法 (revision)"
    revised["levels"]["1"]["start"]["amount"] = 12
    raw["versions"]["REV-2025"] = revised
    raw["current"] = "REV-2025"
    table = parse_recall_data(raw)
    assert table.get().version == "REV-2025"
    assert table.get().level(1).start_amount == 12
    assert table.get("CFDA-12-2015").level(1).start_amount == 24


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(current="nope"), "'current' names no version"),
        (lambda d: d.update(versions={}), "'versions'"),
        (lambda d: d["versions"]["CFDA-12-2015"].pop("regulation"), "regulation"),
        (
            lambda d: d["versions"]["CFDA-12-2015"]["levels"]["2"]["start"].update(unit="weeks"),
            r"levels\.2\.start\.unit",
        ),
        (
            lambda d: d["versions"]["CFDA-12-2015"]["levels"]["3"]["complete"].update(amount=0),
            r"levels\.3\.complete\.amount",
        ),
        (
            lambda d: d["versions"]["CFDA-12-2015"]["levels"].update(one={}),
            "keyed by their number",
        ),
    ],
)
def test_malformed_recall_data_is_refused(mutate, message: str) -> None:
    raw = raw_recall_data()
    mutate(raw)
    with pytest.raises(RecallDataError, match=message):
        parse_recall_data(raw)


# --- illness, severity, proposed level -------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "level", "severity"),
    [
        ({"illness_reported": True}, 1, "critical"),
        ({"illness_reported": True, "recall_level": 3}, 1, "critical"),
        ({"illness_reported": False, "recall_level": 2}, 2, None),
        ({"recall_level": 3}, 3, None),
        ({"illness_reported": False}, None, None),
        ({"recall_level": None}, None, None),
        ({}, None, None),
    ],
)
def test_illness_proposes_level_1_and_critical(
    fields: dict, level: int | None, severity: str | None
) -> None:
    assert proposed_recall_level(fields) == level
    assert severity_for(fields) == severity


# --- pulls -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"food_safety": True, "product": "Milk", "lot": "L2409A"}, ("milk", "l2409a")),
        ({"food_safety": True, "product": "  Milk ", "lot": " L2409A\t"}, ("milk", "l2409a")),
        ({"food_safety": True, "product": "Soy   Milk", "lot": "l2409a"}, ("soy milk", "l2409a")),
        # Full-width input (a Chinese keyboard) is the same lot.
        ({"food_safety": True, "product": "豆奶", "lot": "ＬＯＴ１"}, ("豆奶", "lot1")),
        ({"food_safety": True, "product": "Milk", "lot": "   "}, None),
        ({"food_safety": True, "product": "Milk", "lot": None}, None),
        ({"food_safety": True, "product": "Milk"}, None),
        ({"food_safety": True, "lot": "L1"}, None),
        ({"food_safety": False, "product": "Milk", "lot": "L1"}, None),
        ({"product": "Milk", "lot": "L1"}, None),
    ],
)
def test_pull_key(fields: dict, expected: tuple[str, str] | None) -> None:
    assert pull_key(fields) == expected


def test_same_lot_typed_differently_is_one_pull() -> None:
    a = {"food_safety": True, "product": "Chicken Burger", "lot": "b-0917"}
    b = {"food_safety": True, "product": " chicken  burger", "lot": "B-0917 "}
    assert pull_key(a) == pull_key(b)
    assert pull_key(a) != pull_key({**b, "lot": "B-0918"})


@pytest.mark.parametrize(
    ("fields", "food_safety"),
    [({"food_safety": True}, True), ({"food_safety": False}, False), ({}, False)],
)
def test_is_food_safety(fields: dict, food_safety: bool) -> None:
    assert is_food_safety(fields) is food_safety


@pytest.mark.parametrize(
    ("fields", "warns"),
    [
        ({"food_safety": True, "product": "Milk"}, True),
        ({"food_safety": True, "product": "Milk", "lot": ""}, True),
        ({"food_safety": True, "product": "Milk", "lot": "  "}, True),
        ({"food_safety": True, "product": "Milk", "lot": None}, True),
        ({"food_safety": True, "product": "Milk", "lot": "L1"}, False),
        ({"food_safety": False, "product": "Milk"}, False),
        ({"product": "Milk"}, False),
    ],
)
def test_lot_missing_warning_only_for_food_safety(fields: dict, warns: bool) -> None:
    found = lot_missing_warning(fields)
    if not warns:
        assert found is None
        return
    assert found is not None
    assert found.code == "food_service.lot_missing"
    assert found.field == "data.food_service.lot"
    assert found.blocking is False


@pytest.mark.parametrize(("pull_open", "code"), [(True, "food_service.pull_open"), (False, None)])
def test_close_veto(pull_open: bool, code: str | None) -> None:
    veto = close_veto(pull_open)
    if code is None:
        assert veto is None
    else:
        assert isinstance(veto, Violation)
        assert veto.code == code
        assert veto.blocking is True


# --- feedback --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("served", "with_feedback", "rate", "met"),
    [
        (1000, 199, 19.9, False),
        (1000, 200, 20.0, True),
        (10, 2, 20.0, True),
        (10, 1, 10.0, False),
        (7, 7, 100.0, True),
        (0, 0, None, None),
    ],
)
def test_table_feedback_against_20_percent(
    served: int, with_feedback: int, rate: float | None, met: bool | None
) -> None:
    tables = feedback_rates(served, with_feedback, 0, 0, {})["tables"]
    if rate is None:
        assert tables.rate is None
    else:
        assert tables.rate == pytest.approx(rate)
    assert tables.target == 20
    assert tables.met is met


@pytest.mark.parametrize(
    ("served", "with_feedback", "met"),
    [(100, 89, False), (100, 90, True), (1000, 899, False), (1000, 900, True), (10, 9, True)],
)
def test_new_dish_feedback_against_90_percent(served: int, with_feedback: int, met: bool) -> None:
    dishes = feedback_rates(0, 0, served, with_feedback, {})["new_dishes"]
    assert dishes.target == 90
    assert dishes.met is met


def test_feedback_targets_come_from_settings() -> None:
    settings = {"table_feedback_target": 12.5, "new_dish_feedback_target": 50.0}
    result = feedback_rates(8, 1, 10, 4, settings)
    assert (result["tables"].met, result["new_dishes"].met) == (True, False)


@pytest.mark.parametrize(("served", "with_feedback"), [(5, 6), (-1, 0), (5, -1)])
def test_impossible_feedback_counts_are_refused(served: int, with_feedback: int) -> None:
    with pytest.raises(ValueError):
        feedback_rates(served, with_feedback, 0, 0, {})


@pytest.mark.parametrize(
    ("items", "expected"),
    [
        ([], {"service": 0, "dishes": 0, "hygiene": 0, "ambience": 0, "other": 0}),
        (
            [
                {"category": "service"},
                {"category": "Service "},
                {"category": "dishes"},
                {"category": "hygiene"},
                {"category": "ambience"},
                {"category": "parking"},
                {"category": None},
                {},
                {"category": "other"},
            ],
            {"service": 2, "dishes": 1, "hygiene": 1, "ambience": 1, "other": 4},
        ),
    ],
)
def test_digest_counts_by_category(items: list[dict], expected: dict[str, int]) -> None:
    counts = digest(items)
    assert counts == expected
    assert list(counts) == ["service", "dishes", "hygiene", "ambience", "other"]
    assert sum(counts.values()) == len(items)


def test_digest_with_the_tenants_categories() -> None:
    counts = digest([{"category": "music"}, {"category": "dishes"}], ["music", "other"])
    assert counts == {"music": 1, "other": 1}


# --- one meal service's collection rates, and the digest's schedule ---------------------------


@pytest.mark.parametrize(
    ("entries", "tables", "dishes"),
    [
        # 2 of 10 tables: exactly the 20 % target; 1 of 2 new-dish servings: below 90 %
        (
            [{"tables_served": 10, "new_dish": True, "new_dish_servings": 2}, {}],
            (10, 2, True),
            (2, 1, False),
        ),
        # the largest count given is the service's (later entries know more tables)
        ([{"tables_served": 8}, {"tables_served": 11}, {}], (11, 3, True), (0, 0, None)),
        # 1 of 6 tables: 16.7 %, below
        ([{"tables_served": 6}], (6, 1, False), (0, 0, None)),
        # more feedback than tables counted: the count was low, the rate is 100 %
        ([{"tables_served": 1}, {}, {}], (3, 3, True), (0, 0, None)),
        # new-dish feedback without a servings count: every serving had feedback
        ([{"tables_served": 5, "new_dish": True}], (5, 1, True), (1, 1, True)),
    ],
)
def test_meal_service_rates(entries: list[dict], tables: tuple, dishes: tuple) -> None:
    rates = rules.meal_service_rates(entries, {})
    for name, (served, with_feedback, met) in (("tables", tables), ("new_dishes", dishes)):
        assert (rates[name].served, rates[name].with_feedback, rates[name].met) == (
            served,
            with_feedback,
            met,
        )


def test_meal_service_without_a_table_count_has_no_rate() -> None:
    assert rules.meal_service_rates([{"new_dish": True}, {}], {}) is None
    assert rules.meal_service_rates([], {}) is None


@pytest.mark.parametrize(
    ("day", "interval", "due"),
    [
        ("2026-03-05", 10, True),  # ordinal 739680
        ("2026-03-04", 10, False),
        ("2026-03-15", 10, True),
        ("2026-03-06", 7, False),
        ("2026-03-08", 7, True),  # 739683 = 7 x 105669
        ("2026-03-06", 1, True),  # daily
    ],
)
def test_digest_due(day: str, interval: int, due: bool) -> None:
    from datetime import date

    assert rules.digest_due(date.fromisoformat(day), interval) is due


def test_digest_periods_meet_without_gap_or_overlap() -> None:
    from datetime import date, timedelta

    days = [date(2026, 1, 1) + timedelta(days=n) for n in range(120)]
    due = [day for day in days if rules.digest_due(day, 10)]
    periods = [rules.digest_period(day, 10) for day in due]
    assert all(last - first == timedelta(days=9) for first, last in periods)
    for (_, last), (first, _) in zip(periods, periods[1:], strict=False):
        assert first == last + timedelta(days=1)
