"""Business-calendar arithmetic (core/calendars.py) against DOMAIN.md section 1.

Every case is on a fixed date; expected deadlines are exact. The 2026 CN dates come from
chinese-calendar 1.11.0:
- Spring Festival: closed 2026-02-15 .. 02-23; make-up working Saturdays 02-14 and 02-28;
- May Day: closed 05-01 .. 05-05; make-up working Saturday 05-09;
- Mid-autumn 09-25 .. 09-27 and National Day 10-01 .. 10-07; make-up working Sunday 09-20 and
  Saturday 10-10.
Europe/Berlin changes to summer time on Sunday 2026-03-29 and back on Sunday 2026-10-25.
"""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.calendars import (
    UNITS,
    BusinessCalendar,
    CalendarDataError,
    Deadline,
    deadline,
    extend,
    working_days_between,
    working_seconds_between,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
CC = "chinese-calendar 1.11.0"
CN_FALLBACK = f"holidays {holidays.__version__} CN rules (no make-up working days)"


def sh(*args: int) -> datetime:
    """A Shanghai wall-clock time."""
    return datetime(*args, tzinfo=SHANGHAI)


def be(*args: int) -> datetime:
    """A Berlin wall-clock time."""
    return datetime(*args, tzinfo=BERLIN)


def utc(*args: int) -> datetime:
    """A UTC time."""
    return datetime(*args, tzinfo=UTC)


def cn(**calendar: Any) -> BusinessCalendar:
    return BusinessCalendar.from_settings("Asia/Shanghai", {"country": "CN", **calendar})


def de(**calendar: Any) -> BusinessCalendar:
    return BusinessCalendar.from_settings("Europe/Berlin", {"country": "DE", **calendar})


H, D, WD, WH = "hours", "days", "working_days", "working_hours"
CN = cn()
DE = de()
CN_CLOSED_OCT9 = cn(closed_dates=["2026-10-09"])
CN_CLOSED_FEB14 = cn(closed_dates=["2026-02-14"])
CN_EXTRA_MAR7 = cn(extra_working_days=["2026-03-07"])
CN_EXTRA_OCT2 = cn(extra_working_days=["2026-10-02"])
CN_0830 = cn(working_hours=["08:30", "17:30"])
# A Sunday of work, 01:00-05:00, on each change day: 3 real hours in spring, 5 in autumn.
DE_SUN_MAR29 = de(extra_working_days=["2026-03-29"], working_hours=["01:00", "05:00"])
DE_SUN_OCT25 = de(extra_working_days=["2026-10-25"], working_hours=["01:00", "05:00"])
WEEKENDS = BusinessCalendar.from_settings("UTC", None)

# (id, calendar, start, amount, unit, expected due_at in RFC 3339)
CASES: list[tuple[str, BusinessCalendar, datetime, int, str, str]] = [
    # Spring Festival 2026
    ("sf-fri+1-makeup-sat", CN, sh(2026, 2, 13, 10), 1, WD, "2026-02-14T23:59:59+08:00"),
    ("sf-wed+5", CN, sh(2026, 2, 11, 10), 5, WD, "2026-02-25T23:59:59+08:00"),
    ("sf-from-makeup-sat+1", CN, sh(2026, 2, 14, 10), 1, WD, "2026-02-24T23:59:59+08:00"),
    ("sf-thu+2-makeup-feb28", CN, sh(2026, 2, 26, 10), 2, WD, "2026-02-28T23:59:59+08:00"),
    # May Day 2026
    ("mayday-thu+3", CN, sh(2026, 4, 30, 10), 3, WD, "2026-05-08T23:59:59+08:00"),
    ("mayday-thu+4-makeup-sat", CN, sh(2026, 4, 30, 10), 4, WD, "2026-05-09T23:59:59+08:00"),
    # Mid-autumn and National Day 2026
    ("nd-fri+1-makeup-sun-sep20", CN, sh(2026, 9, 18, 10), 1, WD, "2026-09-20T23:59:59+08:00"),
    ("mid-autumn-thu+1", CN, sh(2026, 9, 24, 10), 1, WD, "2026-09-28T23:59:59+08:00"),
    ("nd-tue+3", CN, sh(2026, 9, 29, 9), 3, WD, "2026-10-09T23:59:59+08:00"),
    ("nd-tue+4-makeup-sat", CN, sh(2026, 9, 29, 9), 4, WD, "2026-10-10T23:59:59+08:00"),
    # No holidays: DOMAIN.md's own example, and the local day of a UTC start
    ("wed-morning+5", CN, sh(2026, 3, 4, 9, 30), 5, WD, "2026-03-11T23:59:59+08:00"),
    ("utc-same-local-day", CN, utc(2026, 3, 4, 15, 30), 5, WD, "2026-03-11T23:59:59+08:00"),
    ("utc-next-local-day", CN, utc(2026, 3, 4, 17, 30), 5, WD, "2026-03-12T23:59:59+08:00"),
    ("wd-0-end-of-start-day", CN, sh(2026, 3, 4, 9, 30), 0, WD, "2026-03-04T23:59:59+08:00"),
    ("wd-0-on-holiday", CN, sh(2026, 10, 3, 9), 0, WD, "2026-10-03T23:59:59+08:00"),
    # hours and days ignore the calendar
    ("hours-0-is-start", CN, sh(2026, 2, 16, 10, 5), 0, H, "2026-02-16T10:05:00+08:00"),
    ("hours-24-in-holiday", CN, sh(2026, 2, 16, 10), 24, H, "2026-02-17T10:00:00+08:00"),
    ("days-3-in-holiday", CN, sh(2026, 2, 16, 10), 3, D, "2026-02-19T10:00:00+08:00"),
    ("hours-from-utc", CN, utc(2026, 3, 4, 2), 5, H, "2026-03-04T15:00:00+08:00"),
    # the tenant's own dates
    ("tenant-closed-oct9", CN_CLOSED_OCT9, sh(2026, 9, 29, 9), 3, WD, "2026-10-10T23:59:59+08:00"),
    ("tenant-closed-makeup", CN_CLOSED_FEB14, sh(2026, 2, 13), 1, WD, "2026-02-24T23:59:59+08:00"),
    ("tenant-extra-sat", CN_EXTRA_MAR7, sh(2026, 3, 6, 10), 1, WD, "2026-03-07T23:59:59+08:00"),
    ("tenant-extra-holiday", CN_EXTRA_OCT2, sh(2026, 9, 30), 1, WD, "2026-10-02T23:59:59+08:00"),
    # working hours, 09:00-18:00
    ("wh-before-opening", CN, sh(2026, 3, 9, 7, 30), 2, WH, "2026-03-09T11:00:00+08:00"),
    ("wh-after-closing", CN, sh(2026, 3, 9, 19), 2, WH, "2026-03-10T11:00:00+08:00"),
    ("wh-at-closing", CN, sh(2026, 3, 9, 18), 1, WH, "2026-03-10T10:00:00+08:00"),
    ("wh-lands-on-closing", CN, sh(2026, 3, 9, 17), 1, WH, "2026-03-09T18:00:00+08:00"),
    ("wh-full-day-to-closing", CN, sh(2026, 3, 9, 9), 9, WH, "2026-03-09T18:00:00+08:00"),
    ("wh-next-day-closing", CN, sh(2026, 3, 9, 16), 11, WH, "2026-03-10T18:00:00+08:00"),
    ("wh-over-weekend", CN, sh(2026, 3, 13, 17), 2, WH, "2026-03-16T10:00:00+08:00"),
    ("wh-start-saturday", CN, sh(2026, 3, 14, 12), 1, WH, "2026-03-16T10:00:00+08:00"),
    ("wh-mayday-eve", CN, sh(2026, 4, 30, 16), 4, WH, "2026-05-06T11:00:00+08:00"),
    ("wh-sf-eve-makeup-sat", CN, sh(2026, 2, 13, 17), 2, WH, "2026-02-14T10:00:00+08:00"),
    ("wh-sf-eve-over-holiday", CN, sh(2026, 2, 13, 17), 11, WH, "2026-02-24T10:00:00+08:00"),
    ("wh-0-at-closing", CN, sh(2026, 3, 9, 18), 0, WH, "2026-03-09T18:00:00+08:00"),
    ("wh-0-after-closing", CN, sh(2026, 3, 9, 20), 0, WH, "2026-03-10T09:00:00+08:00"),
    ("wh-custom-hours", CN_0830, sh(2026, 3, 9, 17), 1, WH, "2026-03-10T09:00:00+08:00"),
    # daylight saving time (Europe/Berlin)
    ("dst-hours-spring", DE, be(2026, 3, 28, 12), 24, H, "2026-03-29T13:00:00+02:00"),
    ("dst-days-spring", DE, be(2026, 3, 28, 12), 1, D, "2026-03-29T13:00:00+02:00"),
    ("dst-hours-autumn", DE, be(2026, 10, 24, 12), 24, H, "2026-10-25T11:00:00+01:00"),
    ("dst-wh-over-weekend", DE, be(2026, 3, 27, 17), 2, WH, "2026-03-30T10:00:00+02:00"),
    ("dst-wh-spring-day", DE_SUN_MAR29, be(2026, 3, 29), 3, WH, "2026-03-29T05:00:00+02:00"),
    ("dst-wh-spring-next", DE_SUN_MAR29, be(2026, 3, 29), 4, WH, "2026-03-30T02:00:00+02:00"),
    ("dst-wh-autumn-day", DE_SUN_OCT25, be(2026, 10, 25), 5, WH, "2026-10-25T05:00:00+01:00"),
    ("dst-working-days", DE, be(2026, 3, 26, 10), 2, WD, "2026-03-30T23:59:59+02:00"),
    ("de-easter", DE, be(2026, 4, 2, 10), 1, WD, "2026-04-07T23:59:59+02:00"),
    # no country: weekends only (Oct 1 is no holiday here)
    ("weekends-only", WEEKENDS, utc(2026, 10, 1, 10), 1, WD, "2026-10-02T23:59:59+00:00"),
]


@pytest.mark.parametrize(
    ("cal", "start", "amount", "unit", "expected"),
    [pytest.param(*row[1:], id=row[0]) for row in CASES],
)
def test_deadline(
    cal: BusinessCalendar, start: datetime, amount: int, unit: str, expected: str
) -> None:
    result = deadline(cal, start, amount, unit)
    assert result.due_at.isoformat() == expected
    assert result.due_at.tzinfo == cal.tz
    assert result.explain()["due_at"] == expected
    json.dumps(result.explain())


def test_explain_spring_festival() -> None:
    result = deadline(cn(), sh(2026, 2, 11, 10), 5, "working_days")
    holiday = f"Spring Festival ({CC})"
    assert result.explain() == {
        "unit": "working_days",
        "amount": 5,
        "start": "2026-02-11T10:00:00+08:00",
        "due_at": "2026-02-25T23:59:59+08:00",
        "timezone": "Asia/Shanghai",
        "sources": [CC],
        "fallback": False,
        "warnings": [],
        "skipped": [{"date": f"2026-02-{d}", "reason": holiday} for d in range(15, 24)],
        "made_up": [
            {"date": "2026-02-14", "reason": f"Spring Festival make-up working day ({CC})"}
        ],
        "paused_seconds": 0.0,
    }


def test_explain_weekend_and_tenant_reasons() -> None:
    cal = cn(closed_dates=["2026-03-09"], extra_working_days=["2026-03-08"])
    result = deadline(cal, sh(2026, 3, 6, 10), 2, "working_days")
    assert result.due_at.isoformat() == "2026-03-10T23:59:59+08:00"
    assert result.skipped == (
        (date(2026, 3, 7), "weekend"),
        (date(2026, 3, 9), "tenant closed date"),
    )
    assert result.made_up == ((date(2026, 3, 8), "tenant extra working day"),)
    assert [s.name for s in result.sources] == [CC, "tenant calendar"]


def test_hours_ignore_the_calendar() -> None:
    result = deadline(cn(), sh(2026, 2, 16, 10), 24, "hours")
    assert result.sources == () and result.skipped == () and not result.fallback


# --- 2027: no chinese-calendar data -------------------------------------------------------------

FILE_2027 = {
    "year": 2027,
    "source": "test fixture: hypothetical 2027 notice",
    "holidays": {
        "2027-01-01": "New Year's Day",
        "2027-01-02": "New Year's Day",
        "2027-01-03": "New Year's Day",
        "2027-01-04": "New Year's Day",
    },
    "workdays": {"2027-01-09": "New Year's Day make-up working day"},
}


def write_year(data_dir: Path, country: str, year: int, content: Any) -> Path:
    path = data_dir / country / f"{year}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    path.write_text(text, encoding="utf-8")
    return path


def test_year_boundary_falls_back_to_holidays_package(tmp_path: Path) -> None:
    cal = BusinessCalendar.from_settings("Asia/Shanghai", {"country": "CN"}, data_dir=tmp_path)
    result = deadline(cal, sh(2026, 12, 30, 10), 6, "working_days")
    assert result.due_at.isoformat() == "2027-01-08T23:59:59+08:00"
    assert result.fallback is True
    assert [s.name for s in result.sources] == [CC, CN_FALLBACK]
    assert result.skipped[0] == (date(2027, 1, 1), f"New Year's Day ({CN_FALLBACK})")
    assert result.made_up == ()
    (warning,) = result.warnings
    assert "2027" in warning and "cn/2027.json" in warning and "make-up" in warning
    explained = result.explain()
    assert explained["fallback"] is True and explained["warnings"] == [warning]


def test_year_boundary_operator_file_wins(tmp_path: Path) -> None:
    write_year(tmp_path, "cn", 2027, FILE_2027)
    cal = BusinessCalendar.from_settings("Asia/Shanghai", {"country": "CN"}, data_dir=tmp_path)
    result = deadline(cal, sh(2026, 12, 30, 10), 6, "working_days")
    assert result.due_at.isoformat() == "2027-01-09T23:59:59+08:00"
    assert result.fallback is False
    assert result.explain()["sources"] == [
        CC,
        "cn/2027.json: test fixture: hypothetical 2027 notice",
    ]
    assert result.made_up == (
        (date(2027, 1, 9), "New Year's Day make-up working day (cn/2027.json)"),
    )
    assert [d for d, _ in result.skipped] == [date(2027, 1, d) for d in (1, 2, 3, 4)]


def test_operator_file_is_reread_when_changed(tmp_path: Path) -> None:
    cal = BusinessCalendar.from_settings("Asia/Shanghai", {"country": "CN"}, data_dir=tmp_path)
    path = write_year(tmp_path, "cn", 2027, FILE_2027)
    assert deadline(cal, sh(2026, 12, 30, 10), 6, "working_days").due_at.day == 9
    write_year(tmp_path, "cn", 2027, {**FILE_2027, "workdays": {}})
    os.utime(path, ns=(1, 1))  # a distinct mtime even on a coarse-grained file system
    assert deadline(cal, sh(2026, 12, 30, 10), 6, "working_days").due_at.day == 11


def test_operator_file_for_other_country(tmp_path: Path) -> None:
    write_year(tmp_path, "de", 2026, {"year": 2026, "source": "fixture", "holidays": {}})
    cal = BusinessCalendar.from_settings("Europe/Berlin", {"country": "DE"}, data_dir=tmp_path)
    # Good Friday is not in this file, so it is an ordinary working day.
    assert deadline(cal, be(2026, 4, 2, 10), 1, "working_days").due_at.isoformat() == (
        "2026-04-03T23:59:59+02:00"
    )


def test_year_sources(tmp_path: Path) -> None:
    write_year(tmp_path, "cn", 2027, FILE_2027)
    cal = BusinessCalendar.from_settings("Asia/Shanghai", {"country": "CN"}, data_dir=tmp_path)
    sources = cal.year_sources([2026, 2027, 2028])
    assert sources[2026].name == CC and not sources[2026].fallback
    assert sources[2027].name == "cn/2027.json" and sources[2027].kind == "file"
    assert sources[2027].path == str(tmp_path / "cn" / "2027.json")
    assert sources[2028].name == CN_FALLBACK and sources[2028].fallback and sources[2028].warning
    assert json.dumps([s.as_dict() for s in sources.values()])
    de_sources = de().year_sources([2027])
    assert de_sources[2027].name == f"holidays {holidays.__version__} DE rules"
    assert not de_sources[2027].fallback
    none_sources = BusinessCalendar.from_settings("UTC", {}).year_sources([2030])
    assert none_sources[2030].name == "weekends only"


BROKEN_FILES: list[tuple[str, Any, str]] = [
    ("not-json", "{not json", "not valid UTF-8 JSON"),
    ("not-object", [1, 2], "top level must be a JSON object"),
    ("wrong-year", {**FILE_2027, "year": 2026}, "expected 2027"),
    ("unknown-key", {**FILE_2027, "holiday": {}}, "unknown keys ['holiday']"),
    (
        "no-source",
        {k: v for k, v in FILE_2027.items() if k != "source"},
        "missing required key 'source'",
    ),
    ("bad-date", {**FILE_2027, "holidays": {"2027-02-30": "x"}}, "not a valid date"),
    ("loose-date", {**FILE_2027, "holidays": {"20270101": "x"}}, "YYYY-MM-DD"),
    ("other-year-date", {**FILE_2027, "holidays": {"2026-12-31": "x"}}, "is not in 2027"),
    ("empty-name", {**FILE_2027, "workdays": {"2027-01-09": ""}}, "non-empty string"),
    ("in-both", {**FILE_2027, "workdays": {"2027-01-01": "x"}}, "in both holidays and workdays"),
]


@pytest.mark.parametrize(
    ("content", "message"), [pytest.param(c, m, id=i) for i, c, m in BROKEN_FILES]
)
def test_broken_operator_file(tmp_path: Path, content: Any, message: str) -> None:
    path = write_year(tmp_path, "cn", 2027, content)
    cal = BusinessCalendar.from_settings("Asia/Shanghai", {"country": "CN"}, data_dir=tmp_path)
    with pytest.raises(CalendarDataError, match=re.escape(message)) as caught:
        deadline(cal, sh(2026, 12, 30, 10), 6, "working_days")
    assert str(path) in str(caught.value)
    with pytest.raises(CalendarDataError):
        cal.year_sources([2027])
    # 2026 alone does not need the file.
    assert deadline(cal, sh(2026, 3, 4, 9), 5, "working_days").due_at.day == 11


# --- pauses -------------------------------------------------------------------------------------

# (id, (calendar, unit, start, amount, due before), (paused at, resumed at, paused s, due after))
PAUSES = [
    (
        "wd-over-spring-festival",
        (CN, WD, sh(2026, 2, 11, 10), 5, "2026-02-25T23:59:59+08:00"),
        (sh(2026, 2, 13, 12), sh(2026, 2, 25, 12), 3 * 86400, "2026-02-28T23:59:59+08:00"),
    ),
    (
        "wd-weekend-only",
        (CN, WD, sh(2026, 3, 4, 9), 5, "2026-03-11T23:59:59+08:00"),
        (sh(2026, 3, 7, 8), sh(2026, 3, 8, 20), 0, "2026-03-11T23:59:59+08:00"),
    ),
    (
        "wh-over-may-day",
        (CN, WH, sh(2026, 4, 30, 16), 4, "2026-05-06T11:00:00+08:00"),
        (sh(2026, 4, 30, 17), sh(2026, 5, 6, 10), 2 * 3600, "2026-05-06T13:00:00+08:00"),
    ),
    (
        "wh-due-at-closing",
        (CN, WH, sh(2026, 3, 9, 9), 9, "2026-03-09T18:00:00+08:00"),
        (sh(2026, 3, 9, 10), sh(2026, 3, 9, 12, 30), 9000, "2026-03-10T11:30:00+08:00"),
    ),
    (
        "hours-over-holiday",
        (CN, H, sh(2026, 2, 13, 10), 24, "2026-02-14T10:00:00+08:00"),
        (sh(2026, 2, 13, 12), sh(2026, 2, 13, 18), 6 * 3600, "2026-02-14T16:00:00+08:00"),
    ),
    (
        "days-over-dst",
        (DE, D, be(2026, 3, 27, 12), 3, "2026-03-30T13:00:00+02:00"),
        (be(2026, 3, 29), be(2026, 3, 30), 23 * 3600, "2026-03-31T12:00:00+02:00"),
    ),
]


@pytest.mark.parametrize(
    ("timer", "pause"), [pytest.param(timer, pause, id=name) for name, timer, pause in PAUSES]
)
def test_pause(
    timer: tuple[BusinessCalendar, str, datetime, int, str],
    pause: tuple[datetime, datetime, int, str],
) -> None:
    cal, unit, start, amount, before = timer
    paused_at, resumed_at, paused, after = pause
    original = deadline(cal, start, amount, unit)
    assert original.due_at.isoformat() == before
    seconds = working_seconds_between(cal, paused_at, resumed_at, unit)
    assert seconds == paused
    moved = extend(cal, original.due_at, seconds, unit)
    assert moved.isoformat() == after
    assert working_seconds_between(cal, original.due_at, moved, unit) == paused
    extended = original.extended(cal, seconds)
    assert extended.due_at == moved and extended.paused_seconds == paused


def test_extended_deadline_keeps_explanation() -> None:
    original = deadline(cn(), sh(2026, 2, 11, 10), 5, "working_days")
    extended = original.extended(cn(), 3 * 86400)
    assert extended.due_at.isoformat() == "2026-02-28T23:59:59+08:00"
    assert [d for d, _ in extended.made_up] == [date(2026, 2, 14), date(2026, 2, 28)]
    assert extended.explain()["paused_seconds"] == 3 * 86400


def test_working_seconds_between_dst_day() -> None:
    cal = de(extra_working_days=["2026-03-29"])
    a, b = be(2026, 3, 29, 0), be(2026, 3, 30, 0)
    assert working_seconds_between(cal, a, b, "hours") == 23 * 3600
    assert working_seconds_between(cal, a, b, "working_days") == 23 * 3600
    assert working_seconds_between(cal, a, b, "working_hours") == 9 * 3600
    assert working_seconds_between(de(), a, b, "working_days") == 0


def test_extend_by_zero_does_not_move() -> None:
    due = sh(2026, 3, 7, 12)  # a Saturday
    assert extend(cn(), due, 0, "working_hours") == due


# (id, calendar, paused at, resumed at, working days the pause moves a working_days deadline)
PAUSED_DAYS = [
    ("same-day", CN, sh(2026, 11, 30, 2, 46, 1), sh(2026, 11, 30, 2, 46, 4), 0),
    ("whole-day-same-date", CN, sh(2026, 3, 4, 0, 0), sh(2026, 3, 4, 23, 59, 59), 0),
    ("mon-to-wed", CN, sh(2026, 3, 2, 10), sh(2026, 3, 4, 9), 2),
    ("over-midnight", CN, sh(2026, 3, 2, 23, 30), sh(2026, 3, 3, 0, 30), 1),
    ("into-a-weekend", CN, sh(2026, 3, 6, 10), sh(2026, 3, 8, 10), 0),
    ("over-a-weekend", CN, sh(2026, 3, 6, 10), sh(2026, 3, 9, 10), 1),
    # closed 02-15 .. 02-23; 02-14 is a make-up working Saturday (after the start, so counted)
    ("spring-festival", CN, sh(2026, 2, 13, 12), sh(2026, 2, 25, 12), 3),
    ("tenant-closed-date", CN_CLOSED_OCT9, sh(2026, 10, 8, 10), sh(2026, 10, 12, 10), 2),
    ("tenant-extra-day", CN_EXTRA_MAR7, sh(2026, 3, 6, 10), sh(2026, 3, 9, 10), 2),
    # the same instants are one UTC day apart but the same Shanghai day
    ("local-dates-not-utc", CN, utc(2026, 3, 2, 17), utc(2026, 3, 3, 15), 0),
    ("berlin-over-dst", DE, be(2026, 3, 27, 12), be(2026, 3, 30, 12), 1),
]


@pytest.mark.parametrize(
    ("cal", "paused_at", "resumed_at", "days"),
    [pytest.param(*row[1:], id=row[0]) for row in PAUSED_DAYS],
)
def test_working_days_between(
    cal: BusinessCalendar, paused_at: datetime, resumed_at: datetime, days: int
) -> None:
    assert working_days_between(cal, paused_at, resumed_at) == days


def test_working_days_between_keeps_a_deadline_at_end_of_day() -> None:
    due = deadline(CN, sh(2026, 11, 23, 10), 5, WD).due_at
    assert due.isoformat() == "2026-11-30T23:59:59+08:00"
    days = working_days_between(CN, sh(2026, 11, 30, 10), sh(2026, 12, 2, 15))
    assert days == 2
    assert deadline(CN, due, days, WD).due_at.isoformat() == "2026-12-02T23:59:59+08:00"


def test_working_days_between_bad_calls() -> None:
    with pytest.raises(ValueError, match="before it starts"):
        working_days_between(CN, sh(2026, 3, 5), sh(2026, 3, 4))
    with pytest.raises(ValueError, match="naive"):
        working_days_between(CN, datetime(2026, 3, 4), sh(2026, 3, 5))


# --- bad input ----------------------------------------------------------------------------------

BAD_SETTINGS: list[tuple[str, str, Any, str]] = [
    ("unknown-tz", "Mars/Olympus", None, "unknown time zone"),
    ("empty-tz", "", None, "timezone"),
    ("unknown-country", "UTC", {"country": "XX"}, "not a supported country"),
    ("country-not-str", "UTC", {"country": 86}, "country"),
    ("unknown-key", "UTC", {"holidays": []}, "unknown keys"),
    ("not-a-dict", "UTC", ["CN"], "expected an object"),
    ("hours-reversed", "UTC", {"working_hours": ["18:00", "09:00"]}, "must be before"),
    ("hours-equal", "UTC", {"working_hours": ["09:00", "09:00"]}, "must be before"),
    ("hours-format", "UTC", {"working_hours": ["9am", "18:00"]}, "HH:MM"),
    ("hours-range", "UTC", {"working_hours": ["09:00", "25:00"]}, "not a time of day"),
    ("hours-one", "UTC", {"working_hours": ["09:00"]}, "working_hours"),
    ("hours-24-opening", "UTC", {"working_hours": ["24:00", "24:00"]}, "not a time of day"),
    ("closed-bad-date", "UTC", {"closed_dates": ["2026-13-01"]}, "not a valid date"),
    ("closed-not-list", "UTC", {"closed_dates": "2026-10-09"}, "list of dates"),
    ("extra-not-date", "UTC", {"extra_working_days": [20261009]}, "YYYY-MM-DD"),
    (
        "in-both",
        "UTC",
        {"closed_dates": ["2026-10-09"], "extra_working_days": ["2026-10-09"]},
        "in both",
    ),
]


@pytest.mark.parametrize(
    ("tz", "calendar", "message"), [pytest.param(*row[1:], id=row[0]) for row in BAD_SETTINGS]
)
def test_bad_settings(tz: str, calendar: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BusinessCalendar.from_settings(tz, calendar)


def test_settings_accepted() -> None:
    cal = BusinessCalendar.from_settings(
        "Asia/Shanghai",
        {"country": "cn", "working_hours": ["00:00", "24:00"], "closed_dates": [date(2026, 1, 5)]},
    )
    assert cal.country == "CN" and cal.working_hours == ("00:00", "24:00")
    assert cal.closed_dates == frozenset({date(2026, 1, 5)})
    assert hash(cal) == hash(
        BusinessCalendar.from_settings(
            "Asia/Shanghai",
            {"country": "CN", "working_hours": ("00:00", "24:00"), "closed_dates": ["2026-01-05"]},
        )
    )
    # 24-hour working days: 30 working hours from Friday noon skip the weekend.
    result = deadline(cal, sh(2026, 3, 6, 12), 30, "working_hours")
    assert result.due_at.isoformat() == "2026-03-09T18:00:00+08:00"


BAD_CALLS: list[tuple[str, datetime, Any, Any, str]] = [
    ("naive-start", datetime(2026, 3, 4, 9), 5, "working_days", "naive"),
    ("negative", sh(2026, 3, 4, 9), -1, "working_days", "negative"),
    ("unknown-unit", sh(2026, 3, 4, 9), 5, "weeks", "not one of"),
    ("float-amount", sh(2026, 3, 4, 9), 1.5, "hours", "whole number"),
    ("bool-amount", sh(2026, 3, 4, 9), True, "hours", "whole number"),
    ("str-amount", sh(2026, 3, 4, 9), "5", "hours", "whole number"),
    ("too-large", sh(2026, 3, 4, 9), 10**9, "working_days", "at most"),
    ("date-start", date(2026, 3, 4), 5, "working_days", "expected a datetime"),
]


@pytest.mark.parametrize(
    ("start", "amount", "unit", "message"), [pytest.param(*row[1:], id=row[0]) for row in BAD_CALLS]
)
def test_bad_deadline_calls(start: datetime, amount: Any, unit: Any, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        deadline(cn(), start, amount, unit)


def test_bad_pause_calls() -> None:
    cal = cn()
    with pytest.raises(ValueError, match="before it starts"):
        working_seconds_between(cal, sh(2026, 3, 5), sh(2026, 3, 4), "working_days")
    with pytest.raises(ValueError, match="naive"):
        working_seconds_between(cal, datetime(2026, 3, 4), sh(2026, 3, 5), "hours")
    with pytest.raises(ValueError, match="negative"):
        extend(cal, sh(2026, 3, 4), -1, "hours")
    with pytest.raises(ValueError, match="not one of"):
        extend(cal, sh(2026, 3, 4), 1, "weeks")
    with pytest.raises(ValueError, match="out of range"):
        deadline(cal, datetime(9999, 12, 30, tzinfo=UTC), 72, "hours")


def test_units_match_core_types() -> None:
    from core.types import TIME_UNITS

    assert tuple(UNITS) == tuple(TIME_UNITS)


# --- properties ---------------------------------------------------------------------------------

PROPERTY_CALENDARS = {
    "cn": cn(closed_dates=["2026-03-10", "2027-06-01"], extra_working_days=["2026-03-14"]),
    "de": de(working_hours=["08:30", "17:00"]),
}


def starts(cal: BusinessCalendar) -> st.SearchStrategy[datetime]:
    # 2025-2027: chinese-calendar data, then the fallback year.
    return st.datetimes(
        min_value=datetime(2025, 1, 1),
        max_value=datetime(2027, 11, 30),
        timezones=st.just(cal.tz),
        allow_imaginary=False,
    )


calendars = st.sampled_from(sorted(PROPERTY_CALENDARS)).map(PROPERTY_CALENDARS.__getitem__)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), cal=calendars, amount=st.integers(min_value=1, max_value=25))
def test_working_days_land_on_working_days_and_increase(
    data: st.DataObject, cal: BusinessCalendar, amount: int
) -> None:
    start = data.draw(starts(cal))
    due = deadline(cal, start, amount, "working_days").due_at
    later = deadline(cal, start, amount + 1, "working_days").due_at
    assert due.timetz() == time(23, 59, 59, tzinfo=cal.tz)
    assert cal.is_working_day(due.date()) and cal.is_working_day(later.date())
    assert due.date() > start.astimezone(cal.tz).date()
    assert later > due


@settings(max_examples=200, deadline=None)
@given(data=st.data(), cal=calendars, amount=st.integers(min_value=0, max_value=60))
def test_working_hours_inside_working_hours_and_non_decreasing(
    data: st.DataObject, cal: BusinessCalendar, amount: int
) -> None:
    start = data.draw(starts(cal))
    result: Deadline = deadline(cal, start, amount, "working_hours")
    later = deadline(cal, start, amount + 1, "working_hours").due_at
    due = result.due_at
    opening, closing = (time.fromisoformat(t) for t in cal.working_hours)
    assert cal.is_working_day(due.date())
    assert opening <= due.time() <= closing
    assert due >= start and later >= due
    assert working_seconds_between(cal, start, due, "working_hours") == amount * 3600


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    cal=calendars,
    unit=st.sampled_from(["working_days", "working_hours"]),
    seconds=st.integers(min_value=0, max_value=20 * 86400),
)
def test_extend_adds_exactly_the_paused_working_time(
    data: st.DataObject, cal: BusinessCalendar, unit: str, seconds: int
) -> None:
    due = data.draw(starts(cal))
    moved = extend(cal, due, seconds, unit)
    assert moved >= due
    assert working_seconds_between(cal, due, moved, unit) == seconds
    assert moved - due <= timedelta(days=400)


@settings(max_examples=200, deadline=None)
@given(data=st.data(), cal=calendars, hours=st.integers(min_value=0, max_value=40 * 24))
def test_working_days_between_counts_the_days_a_deadline_walks(
    data: st.DataObject, cal: BusinessCalendar, hours: int
) -> None:
    paused_at = data.draw(starts(cal))
    resumed_at = paused_at + timedelta(hours=hours)
    days = working_days_between(cal, paused_at, resumed_at)
    resumed_day = resumed_at.astimezone(cal.tz).date()
    if days:
        # the days-th working day after the pause's day is the resume's day, or the last
        # working day before it
        walked = deadline(cal, paused_at, days, WD).due_at.date()
        assert walked <= resumed_day
        assert deadline(cal, paused_at, days + 1, WD).due_at.date() > resumed_day
    else:
        assert deadline(cal, paused_at, 1, WD).due_at.date() > resumed_day
