"""Business-calendar arithmetic for SLA timers (DOMAIN.md section 1, DESIGN.md "Timers (SLA)").

A :class:`BusinessCalendar` says which days a tenant works and when. :func:`deadline` turns a
start moment plus an amount of ``hours``, ``days``, ``working_days`` or ``working_hours`` into a
:class:`Deadline` that also records *why*: which calendar data decided the days it looked at,
which days it skipped, and which make-up working days (调休) it counted. That record is shown to
users next to each deadline and lets deadlines be recomputed when better data arrives.

Which days are working days, first rule that applies wins:

1. the tenant's ``extra_working_days``: working;
2. the tenant's ``closed_dates``: closed;
3. the year's official data: listed holidays closed, listed make-up workdays working;
4. Saturday and Sunday closed, every other day working.

The official data of a year comes from, in order of preference:

1. an operator file ``<data_dir>/<country lower>/<year>.json`` (format: calendar_data/README.md);
2. for CN, the ``chinese_calendar`` package (it knows the make-up working days);
3. the ``holidays`` package's rules. For CN this is a *fallback* (no make-up working days) and is
   flagged as such; for other countries it is the normal source.

A calendar without a country uses weekends only.

Time zones: every day decision uses the tenant's local calendar day, while all elapsed-time
arithmetic is done in UTC, because Python subtracts two datetimes sharing one ``tzinfo`` by wall
clock and would get DST days wrong.

Nothing here touches the web, the database or the real clock.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import chinese_calendar
import holidays as holidays_pkg

__all__ = [
    "DEFAULT_DATA_DIR",
    "MAX_AMOUNT",
    "UNITS",
    "BusinessCalendar",
    "CalendarDataError",
    "DayInfo",
    "Deadline",
    "SourceInfo",
    "YearData",
    "clear_caches",
    "deadline",
    "extend",
    "load_year_file",
    "working_days_between",
    "working_seconds_between",
]

Unit = Literal["hours", "days", "working_days", "working_hours"]
UNITS: tuple[str, ...] = ("hours", "days", "working_days", "working_hours")

#: Upper bounds on ``amount``, about ten years of each unit: a bound keeps a typo (or a fuzzer)
#: from walking the calendar for centuries or overflowing ``datetime``.
MAX_AMOUNT: Mapping[str, int] = MappingProxyType(
    {"hours": 87_840, "days": 3_660, "working_days": 2_610, "working_hours": 23_490}
)

#: Where operator data files are shipped with the code (``calendar_data/<country>/<year>.json``).
#: The application decides which directory a calendar reads; this is the natural default.
DEFAULT_DATA_DIR: Path = Path(__file__).resolve().parent / "calendar_data"

DEFAULT_WORKING_HOURS: tuple[str, str] = ("09:00", "18:00")

# A walk that meets this many consecutive days without working time is looking at broken data
# (e.g. a file declaring a whole year a holiday), not at a real calendar.
_MAX_IDLE_DAYS = 3_660
_ONE_DAY = timedelta(days=1)
_END_OF_DAY = time(23, 59, 59)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_HHMM_RE = re.compile(r"^(\d{2}):(\d{2})$")
_CALENDAR_KEYS = frozenset({"country", "closed_dates", "extra_working_days", "working_hours"})
_FILE_KEYS = frozenset({"year", "source", "holidays", "workdays", "notes"})

SourceKind = Literal["file", "chinese_calendar", "holidays", "weekends", "tenant"]


class CalendarDataError(ValueError):
    """Calendar data that cannot be used: a broken operator file, or data with no working days."""


# --------------------------------------------------------------------------------------------
# Data sources


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where a day's (or a year's) working/closed decision came from.

    ``name`` is short and stable (it is stored with deadlines and used in skip reasons), e.g.
    ``"chinese-calendar 1.11.0"``, ``"cn/2027.json"``, ``"holidays 0.109 DE rules"``,
    ``"holidays 0.109 CN rules (no make-up working days)"``, ``"weekends only"``,
    ``"tenant calendar"``. ``detail`` is an operator file's own ``source`` text. ``fallback`` is
    set when the data is known to be incomplete (CN without the official schedule) and
    ``warning`` then says why, for the user.
    """

    name: str
    kind: SourceKind
    fallback: bool = False
    warning: str | None = None
    detail: str | None = None
    path: str | None = None

    @property
    def label(self) -> str:
        """The name with the operator's description, as shown to users."""
        return f"{self.name}: {self.detail}" if self.detail else self.name

    def as_dict(self) -> dict[str, Any]:
        """JSON-serialisable form, for the ``calendar check`` command and the API."""
        return {
            "name": self.name,
            "kind": self.kind,
            "label": self.label,
            "fallback": self.fallback,
            "warning": self.warning,
            "path": self.path,
        }


TENANT_SOURCE = SourceInfo(name="tenant calendar", kind="tenant")
WEEKENDS_SOURCE = SourceInfo(name="weekends only", kind="weekends")


@dataclass(frozen=True, slots=True)
class YearData:
    """A year's official exceptions to the Saturday/Sunday rule, and where they came from.

    ``holidays`` maps closed dates to a holiday name; ``workdays`` maps make-up working days to a
    description. Dates not listed follow the weekend rule.
    """

    year: int
    source: SourceInfo
    holidays: Mapping[date, str]
    workdays: Mapping[date, str]


def _parse_iso_date(value: object, what: str) -> date:
    # date.fromisoformat also takes "20270101" and week dates; the files and the API promise
    # plain YYYY-MM-DD, so anything else is more likely a mistake than a wish.
    if isinstance(value, datetime):
        raise ValueError(f"{what}: expected a date, got a datetime {value!r}")
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise ValueError(f"{what}: expected a date as YYYY-MM-DD, got {value!r}")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{what}: {value!r} is not a valid date") from None


def _file_dates(path: Path, raw: object, key: str, year: int) -> dict[date, str]:
    if not isinstance(raw, dict):
        raise CalendarDataError(f"{path}: {key!r} must be an object of date -> name")
    result: dict[date, str] = {}
    for text, name in raw.items():
        try:
            day = _parse_iso_date(text, f"{path}: {key}")
        except ValueError as exc:
            raise CalendarDataError(str(exc)) from None
        if day.year != year:
            raise CalendarDataError(f"{path}: {key} date {text} is not in {year}")
        if not isinstance(name, str) or not name.strip():
            raise CalendarDataError(f"{path}: {key}[{text!r}] must be a non-empty string")
        result[day] = name.strip()
    return result


def load_year_file(path: Path, year: int | None = None, name: str | None = None) -> YearData:
    """Read and validate one operator data file (format: ``core/calendar_data/README.md``).

    ``year`` defaults to the file's stem (``2027.json`` → 2027) and must match the file's
    ``year``. ``name`` is the source name to record (default: ``<parent dir>/<file name>``).
    Raises :class:`CalendarDataError` naming the file on any problem.
    """
    path = Path(path)
    if year is None:
        if not path.stem.isdigit():
            raise CalendarDataError(f"{path}: file name must be <year>.json")
        year = int(path.stem)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CalendarDataError(f"{path}: cannot read: {exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CalendarDataError(f"{path}: not valid UTF-8 JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise CalendarDataError(f"{path}: top level must be a JSON object")
    unknown = sorted(set(raw) - _FILE_KEYS)
    if unknown:
        # A misspelt key ("holiday") would otherwise silently drop a whole schedule.
        raise CalendarDataError(f"{path}: unknown keys {unknown}; allowed: {sorted(_FILE_KEYS)}")
    for required in ("year", "source", "holidays"):
        if required not in raw:
            raise CalendarDataError(f"{path}: missing required key {required!r}")
    file_year = raw["year"]
    if not isinstance(file_year, int) or isinstance(file_year, bool) or file_year != year:
        raise CalendarDataError(f"{path}: 'year' is {file_year!r}, expected {year}")
    source = raw["source"]
    if not isinstance(source, str) or not source.strip():
        raise CalendarDataError(f"{path}: 'source' must name the notice the data comes from")
    if "notes" in raw and not isinstance(raw["notes"], str):
        raise CalendarDataError(f"{path}: 'notes' must be a string")
    closed = _file_dates(path, raw["holidays"], "holidays", year)
    working = _file_dates(path, raw.get("workdays", {}), "workdays", year)
    both = sorted(closed.keys() & working.keys())
    if both:
        listed = ", ".join(d.isoformat() for d in both)
        raise CalendarDataError(f"{path}: dates in both holidays and workdays: {listed}")
    info = SourceInfo(
        name=name or f"{path.parent.name}/{path.name}",
        kind="file",
        detail=source.strip(),
        path=str(path),
    )
    return YearData(year, info, MappingProxyType(closed), MappingProxyType(working))


@functools.lru_cache(maxsize=256)
def _cached_file(path: str, year: int, name: str, mtime_ns: int, size: int) -> YearData:
    # mtime and size are part of the key so an edited file is re-read without a restart.
    del mtime_ns, size
    return load_year_file(Path(path), year, name)


@functools.lru_cache(maxsize=1)
def _chinese_calendar_range() -> tuple[int, int]:
    years = [d.year for d in chinese_calendar.holidays]
    return min(years), max(years)


def _chinese_calendar_has(year: int) -> bool:
    # Ask the package itself rather than trusting the dicts: it raises NotImplementedError for
    # years it has no schedule for, and that is the contract we rely on.
    try:
        chinese_calendar.get_holiday_detail(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


@functools.lru_cache(maxsize=64)
def _chinese_calendar_year(year: int) -> YearData:
    info = SourceInfo(
        name=f"chinese-calendar {chinese_calendar.__version__}", kind="chinese_calendar"
    )
    closed = {d: name for d, name in chinese_calendar.holidays.items() if d.year == year}
    working = {
        d: f"{name} make-up working day"
        for d, name in chinese_calendar.workdays.items()
        if d.year == year
    }
    return YearData(year, info, MappingProxyType(closed), MappingProxyType(working))


@functools.lru_cache(maxsize=256)
def _holidays_year(country: str, year: int, missing_file: str | None) -> YearData:
    version = holidays_pkg.__version__
    if country == "CN":
        lo, hi = _chinese_calendar_range()
        where = (
            f" and there is no operator file {missing_file}"
            if missing_file
            else " and no operator data directory is configured"
        )
        info = SourceInfo(
            name=f"holidays {version} CN rules (no make-up working days)",
            kind="holidays",
            fallback=True,
            warning=(
                f"No official CN holiday schedule for {year} (chinese-calendar "
                f"{chinese_calendar.__version__} covers {lo}-{hi}{where}); deadlines use the "
                f"holidays package's rules, which have no make-up working days (调休)."
            ),
        )
    else:
        info = SourceInfo(name=f"holidays {version} {country} rules", kind="holidays")
    # English names: skip reasons are stored and shown next to deadlines in any UI language.
    table = holidays_pkg.country_holidays(country, years=year, language="en_US")
    closed = {d: str(name) for d, name in table.items() if d.year == year}
    return YearData(year, info, MappingProxyType(closed), MappingProxyType({}))


@functools.lru_cache(maxsize=1)
def _supported_countries() -> frozenset[str]:
    return frozenset(holidays_pkg.list_supported_countries())


def _official_year(country: str | None, year: int, data_dir: Path | None) -> YearData:
    """The official data for one year, by the order of preference in the module docstring."""
    if country is None:
        return YearData(year, WEEKENDS_SOURCE, MappingProxyType({}), MappingProxyType({}))
    missing_file: str | None = None
    if data_dir is not None:
        path = data_dir / country.lower() / f"{year}.json"
        try:
            stat = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            missing_file = f"{country.lower()}/{year}.json"
        except OSError as exc:
            # Unreadable is not absent: silently falling back would hide the operator's data.
            raise CalendarDataError(f"{path}: cannot read: {exc}") from None
        else:
            name = f"{country.lower()}/{year}.json"
            return _cached_file(str(path), year, name, stat.st_mtime_ns, stat.st_size)
    if country == "CN" and _chinese_calendar_has(year):
        return _chinese_calendar_year(year)
    return _holidays_year(country, year, missing_file)


def clear_caches() -> None:
    """Forget cached year data (tests; an operator file is re-read anyway when it changes)."""
    _cached_file.cache_clear()
    _chinese_calendar_year.cache_clear()
    _holidays_year.cache_clear()


# --------------------------------------------------------------------------------------------
# The calendar


@dataclass(frozen=True, slots=True)
class DayInfo:
    """One local calendar day: working or not, why, and which source decided.

    ``reason`` is a holiday or make-up day name, ``"tenant closed date"``,
    ``"tenant extra working day"``, ``"weekend"`` or ``"working day"``; ``made_up`` marks a
    working day that falls on a weekend.
    """

    day: date
    working: bool
    reason: str
    source: SourceInfo
    made_up: bool = False

    @property
    def explained(self) -> str:
        """The reason with its source, unless the reason already says where it comes from."""
        if self.source.kind in ("tenant", "weekends") or self.reason in ("weekend", "working day"):
            return self.reason
        return f"{self.reason} ({self.source.name})"


def _parse_hhmm(value: object, what: str, allow_24: bool) -> int:
    if not isinstance(value, str):
        raise ValueError(f"{what}: expected 'HH:MM', got {value!r}")
    match = _HHMM_RE.match(value)
    if not match:
        raise ValueError(f"{what}: expected 'HH:MM', got {value!r}")
    hour, minute = int(match[1]), int(match[2])
    if allow_24 and (hour, minute) == (24, 0):
        return 24 * 60
    if hour > 23 or minute > 59:
        raise ValueError(f"{what}: {value!r} is not a time of day")
    return hour * 60 + minute


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """A tenant's business calendar. Immutable and hashable; build it with :meth:`from_settings`.

    ``working_hours`` are local wall-clock times ``("HH:MM", "HH:MM")``, opening before closing;
    closing may be ``"24:00"``. ``country`` is an ISO 3166 code the ``holidays`` package knows
    (``"CN"`` uses chinese-calendar first), or ``None`` for weekends only. ``data_dir`` holds
    operator data files (``<country lower>/<year>.json``); ``None`` means no operator files.
    """

    timezone: str
    country: str | None = None
    working_hours: tuple[str, str] = DEFAULT_WORKING_HOURS
    closed_dates: frozenset[date] = frozenset()
    extra_working_days: frozenset[date] = frozenset()
    data_dir: Path | None = None
    tz: ZoneInfo = field(init=False, repr=False, compare=False)
    _open_minute: int = field(init=False, repr=False, compare=False)
    _close_minute: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.timezone, str) or not self.timezone:
            raise ValueError(f"timezone: expected an IANA time zone name, got {self.timezone!r}")
        try:
            tz = ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise ValueError(f"timezone: unknown time zone {self.timezone!r}") from None
        object.__setattr__(self, "tz", tz)

        if self.country is not None:
            if not isinstance(self.country, str):
                raise ValueError(f"country: expected an ISO country code, got {self.country!r}")
            country = self.country.strip().upper()
            if country not in _supported_countries():
                raise ValueError(f"country: {self.country!r} is not a supported country code")
            object.__setattr__(self, "country", country)

        hours = self.working_hours
        if not isinstance(hours, list | tuple) or len(hours) != 2:
            raise ValueError(f"working_hours: expected ['HH:MM', 'HH:MM'], got {hours!r}")
        opening = _parse_hhmm(hours[0], "working_hours opening", allow_24=False)
        closing = _parse_hhmm(hours[1], "working_hours closing", allow_24=True)
        if opening >= closing:
            raise ValueError(f"working_hours: opening {hours[0]} must be before closing {hours[1]}")
        object.__setattr__(self, "working_hours", (hours[0], hours[1]))
        object.__setattr__(self, "_open_minute", opening)
        object.__setattr__(self, "_close_minute", closing)

        closed = self._date_set(self.closed_dates, "closed_dates")
        extra = self._date_set(self.extra_working_days, "extra_working_days")
        both = sorted(closed & extra)
        if both:
            # Precedence would quietly pick "working"; a date in both lists is a settings mistake.
            listed = ", ".join(d.isoformat() for d in both)
            raise ValueError(f"dates in both closed_dates and extra_working_days: {listed}")
        object.__setattr__(self, "closed_dates", closed)
        object.__setattr__(self, "extra_working_days", extra)

        if self.data_dir is not None:
            object.__setattr__(self, "data_dir", Path(self.data_dir))

    @staticmethod
    def _date_set(values: object, what: str) -> frozenset[date]:
        if isinstance(values, str | bytes) or not isinstance(values, Iterable):
            raise ValueError(f"{what}: expected a list of dates, got {values!r}")
        return frozenset(_parse_iso_date(v, what) for v in values)

    @classmethod
    def from_settings(
        cls,
        timezone: str,
        calendar: Mapping[str, Any] | None,
        data_dir: Path | None = None,
    ) -> BusinessCalendar:
        """Build a calendar from tenant settings in the API's shape.

        ``calendar`` is ``{"country": "CN", "closed_dates": ["2026-10-09"],
        "extra_working_days": [...], "working_hours": ["09:00", "18:00"]}``; every key is
        optional (no country: weekends only; default hours 09:00-18:00). Raises ValueError
        with a message naming the offending setting.
        """
        if calendar is None:
            calendar = {}
        if not isinstance(calendar, Mapping):
            raise ValueError(f"calendar: expected an object, got {calendar!r}")
        unknown = sorted(set(calendar) - _CALENDAR_KEYS)
        if unknown:
            raise ValueError(f"calendar: unknown keys {unknown}; allowed: {sorted(_CALENDAR_KEYS)}")
        hours = calendar.get("working_hours")
        return cls(
            timezone=timezone,
            country=calendar.get("country"),
            working_hours=DEFAULT_WORKING_HOURS if hours is None else hours,
            closed_dates=calendar.get("closed_dates") or frozenset(),
            extra_working_days=calendar.get("extra_working_days") or frozenset(),
            data_dir=data_dir,
        )

    def year_data(self, year: int) -> YearData:
        """The official data used for ``year`` (without the tenant's own dates)."""
        return _official_year(self.country, year, self.data_dir)

    def year_sources(self, years: Iterable[int]) -> dict[int, SourceInfo]:
        """Which data each year uses, and whether it is a fallback (``casecore calendar check``).

        Raises :class:`CalendarDataError` for a broken operator file.
        """
        return {year: self.year_data(year).source for year in years}

    def day_info(self, day: date) -> DayInfo:
        """Whether ``day`` (a local calendar date) is a working day, why, and by which source."""
        return _Resolver(self).day(day)

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` (a local calendar date) is a working day."""
        return self.day_info(day).working


# --------------------------------------------------------------------------------------------
# Walking the calendar


class _Resolver:
    """Day decisions for one computation; memoises years so a walk stats each file only once."""

    __slots__ = ("cal", "_years")

    def __init__(self, cal: BusinessCalendar) -> None:
        self.cal = cal
        self._years: dict[int, YearData] = {}

    def year(self, year: int) -> YearData:
        data = self._years.get(year)
        if data is None:
            data = self._years[year] = self.cal.year_data(year)
        return data

    def day(self, day: date) -> DayInfo:
        weekend = day.weekday() >= 5
        if day in self.cal.extra_working_days:
            return DayInfo(day, True, "tenant extra working day", TENANT_SOURCE, made_up=weekend)
        if day in self.cal.closed_dates:
            return DayInfo(day, False, "tenant closed date", TENANT_SOURCE)
        data = self.year(day.year)
        name = data.workdays.get(day)
        if name is not None:
            return DayInfo(day, True, name, data.source, made_up=weekend)
        name = data.holidays.get(day)
        if name is not None:
            return DayInfo(day, False, name, data.source)
        if weekend:
            return DayInfo(day, False, "weekend", data.source)
        return DayInfo(day, True, "working day", data.source)

    def midnight(self, day: date) -> datetime:
        """The UTC instant at which local ``day`` begins."""
        return datetime.combine(day, time(0), tzinfo=self.cal.tz).astimezone(UTC)

    def window(self, day: date, hours_only: bool) -> tuple[datetime, datetime]:
        """The UTC span of working time on a working ``day``: its working hours, or all of it."""
        if not hours_only:
            return self.midnight(day), self.midnight(day + _ONE_DAY)
        return self._local_minute(day, self.cal._open_minute), self._local_minute(
            day, self.cal._close_minute
        )

    def _local_minute(self, day: date, minute: int) -> datetime:
        if minute == 24 * 60:
            return self.midnight(day + _ONE_DAY)
        wall = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=self.cal.tz)
        return wall.astimezone(UTC)

    def local_date(self, instant: datetime) -> date:
        return instant.astimezone(self.cal.tz).date()


@dataclass
class _Notes:
    """What a walk looked at, for :class:`Deadline`'s explanation."""

    sources: dict[SourceInfo, None] = field(default_factory=dict)
    skipped: dict[date, str] = field(default_factory=dict)
    made_up: dict[date, str] = field(default_factory=dict)

    def see(self, info: DayInfo) -> None:
        self.sources.setdefault(info.source, None)
        if not info.working:
            self.skipped.setdefault(info.day, info.explained)

    def count(self, info: DayInfo) -> None:
        if info.made_up:
            self.made_up.setdefault(info.day, info.explained)


def _advance(
    r: _Resolver, start: datetime, amount: timedelta, hours_only: bool, notes: _Notes | None
) -> datetime:
    """Move ``start`` (UTC) later by ``amount`` of working time.

    Working time is the working hours of working days (``hours_only``) or the whole of each
    working day. A start outside working time counts from the next opening; landing exactly on
    a closing time stays there rather than jumping to the next opening.
    """
    t = start
    left = amount
    day = r.local_date(start)
    idle = 0
    while True:
        info = r.day(day)
        if notes is not None:
            notes.see(info)
        if info.working:
            opens, closes = r.window(day, hours_only)
            # A DST jump inside short working hours can make the window empty (or inverted).
            if closes > opens:
                t = max(t, opens)
                if t <= closes:
                    available = closes - t
                    if left <= available:
                        if notes is not None and left:
                            notes.count(info)
                        return t + left
                    left -= available
                    if available and notes is not None:
                        notes.count(info)
                    idle = 0 if available else idle + 1
                else:
                    idle += 1
            else:
                idle += 1
        else:
            idle += 1
        if idle > _MAX_IDLE_DAYS:
            raise CalendarDataError(
                f"no working time in the {_MAX_IDLE_DAYS} days before {day}: "
                "check the calendar data"
            )
        day += _ONE_DAY


def _working_time_between(r: _Resolver, a: datetime, b: datetime, hours_only: bool) -> timedelta:
    """Working time inside [a, b] (both UTC), by the same windows as :func:`_advance`."""
    total = timedelta(0)
    day = r.local_date(a)
    while r.midnight(day) < b:
        info = r.day(day)
        if info.working:
            opens, closes = r.window(day, hours_only)
            overlap = min(closes, b) - max(opens, a)
            if overlap > timedelta(0):
                total += overlap
        day += _ONE_DAY
    return total


# --------------------------------------------------------------------------------------------
# Public arithmetic


def _check_instant(value: object, what: str) -> datetime:
    if not isinstance(value, datetime):
        raise ValueError(f"{what}: expected a datetime, got {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what}: naive datetime {value.isoformat()}; give it a time zone")
    return value.astimezone(UTC)


def _check_unit(unit: object) -> str:
    if unit not in UNITS:
        raise ValueError(f"unit: {unit!r} is not one of {', '.join(UNITS)}")
    return str(unit)


def _check_amount(amount: object, unit: str) -> int:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise ValueError(f"amount: expected a whole number, got {amount!r}")
    if amount < 0:
        raise ValueError(f"amount: must not be negative, got {amount}")
    if amount > MAX_AMOUNT[unit]:
        raise ValueError(f"amount: at most {MAX_AMOUNT[unit]} {unit}, got {amount}")
    return amount


def _rfc3339(value: datetime) -> str:
    return value.isoformat()


@dataclass(frozen=True, slots=True)
class Deadline:
    """A computed deadline and how it was computed.

    ``due_at`` is aware, in the tenant's time zone. ``sources`` are the distinct data sources
    that decided the days looked at (empty for ``hours`` and ``days``, which ignore the
    calendar). ``skipped`` lists (date, reason) for non-working days passed over; ``made_up``
    lists (date, reason) for working days on a weekend that were counted. ``paused_seconds``
    is the working time added by :meth:`extended`.
    """

    unit: str
    amount: int
    start: datetime
    due_at: datetime
    sources: tuple[SourceInfo, ...] = ()
    skipped: tuple[tuple[date, str], ...] = ()
    made_up: tuple[tuple[date, str], ...] = ()
    paused_seconds: float = 0.0

    @property
    def fallback(self) -> bool:
        """True when any day was decided by fallback data (tell the user)."""
        return any(s.fallback for s in self.sources)

    @property
    def warnings(self) -> list[str]:
        """The fallback sources' warnings, for the user."""
        return [s.warning for s in self.sources if s.warning]

    def explain(self) -> dict[str, Any]:
        """JSON-serialisable explanation shown next to the deadline."""
        return {
            "unit": self.unit,
            "amount": self.amount,
            "start": _rfc3339(self.start),
            "due_at": _rfc3339(self.due_at),
            "timezone": str(self.due_at.tzinfo),
            "sources": [s.label for s in self.sources],
            "fallback": self.fallback,
            "warnings": self.warnings,
            "skipped": [{"date": d.isoformat(), "reason": why} for d, why in self.skipped],
            "made_up": [{"date": d.isoformat(), "reason": why} for d, why in self.made_up],
            "paused_seconds": self.paused_seconds,
        }

    def extended(self, cal: BusinessCalendar, seconds: float) -> Deadline:
        """This deadline moved later by ``seconds`` of paused working time (see :func:`extend`).

        Unlike :func:`extend` it keeps the explanation complete: days the extension walked over
        add their sources, skipped days and made-up days.
        """
        notes = _Notes(dict.fromkeys(self.sources), dict(self.skipped), dict(self.made_up))
        due = _extend(cal, self.due_at, seconds, self.unit, notes)
        return Deadline(
            unit=self.unit,
            amount=self.amount,
            start=self.start,
            due_at=due,
            sources=tuple(notes.sources),
            skipped=tuple(sorted(notes.skipped.items())),
            made_up=tuple(sorted(notes.made_up.items())),
            paused_seconds=self.paused_seconds + seconds,
        )


def deadline(cal: BusinessCalendar, start: datetime, amount: int, unit: str) -> Deadline:
    """The deadline ``amount`` ``unit`` after ``start`` on ``cal`` (DOMAIN.md section 1).

    - ``hours``: ``amount`` real hours later; holidays and DST do not matter.
    - ``days``: ``amount`` × 24 real hours later.
    - ``working_days``: the start's own local day never counts; due at 23:59:59 local of the
      ``amount``-th working day after it. ``amount`` 0 means the end (23:59:59) of the start's
      own day, working or not.
    - ``working_hours``: counted inside working hours on working days from the start, or from
      the next opening when the start is outside them; a deadline landing exactly on closing
      time stays at closing time. ``amount`` 0 gives the start itself when it is inside working
      hours (closing time included), otherwise the next opening.

    Raises ValueError for a naive ``start``, an unknown unit, or a negative, non-integer or too
    large amount; CalendarDataError (a ValueError) for a broken operator data file.
    """
    unit = _check_unit(unit)
    amount = _check_amount(amount, unit)
    start_utc = _check_instant(start, "start")
    tz = cal.tz
    local_start = start_utc.astimezone(tz)
    try:
        if unit in ("hours", "days"):
            hours = amount if unit == "hours" else amount * 24
            due = (start_utc + timedelta(hours=hours)).astimezone(tz)
            return Deadline(unit, amount, local_start, due)

        r = _Resolver(cal)
        notes = _Notes()
        if unit == "working_hours":
            due_utc = _advance(r, start_utc, timedelta(hours=amount), True, notes)
            due = due_utc.astimezone(tz)
        else:
            day = local_start.date()
            counted = 0
            idle = 0
            while counted < amount:
                day += _ONE_DAY
                info = r.day(day)
                notes.see(info)
                if info.working:
                    counted += 1
                    notes.count(info)
                    idle = 0
                else:
                    idle += 1
                    if idle > _MAX_IDLE_DAYS:
                        raise CalendarDataError(
                            f"no working day in the {_MAX_IDLE_DAYS} days before {day}: "
                            "check the calendar data"
                        )
            due = datetime.combine(day, _END_OF_DAY, tzinfo=tz)
    except OverflowError:
        raise ValueError(
            f"deadline {amount} {unit} after {start.isoformat()} is out of range"
        ) from None
    return Deadline(
        unit=unit,
        amount=amount,
        start=local_start,
        due_at=due,
        sources=tuple(notes.sources),
        skipped=tuple(sorted(notes.skipped.items())),
        made_up=tuple(sorted(notes.made_up.items())),
    )


def working_seconds_between(cal: BusinessCalendar, a: datetime, b: datetime, unit: str) -> float:
    """The time between ``a`` and ``b`` that counts for ``unit``, in seconds.

    ``hours`` and ``days``: plain elapsed seconds. ``working_days``: the seconds of [a, b] that
    fall on working days (local days; a DST day is 23 or 25 hours). ``working_hours``: the
    seconds inside working hours on working days. This is what a pause from ``a`` to ``b``
    adds to a timer of that unit (see :func:`extend`). Raises ValueError if ``b`` < ``a``.
    """
    unit = _check_unit(unit)
    a_utc = _check_instant(a, "a")
    b_utc = _check_instant(b, "b")
    if b_utc < a_utc:
        raise ValueError(f"interval ends ({b.isoformat()}) before it starts ({a.isoformat()})")
    if unit in ("hours", "days"):
        return (b_utc - a_utc).total_seconds()
    r = _Resolver(cal)
    return _working_time_between(r, a_utc, b_utc, unit == "working_hours").total_seconds()


def working_days_between(cal: BusinessCalendar, a: datetime, b: datetime) -> int:
    """The working days in (local date of ``a``, local date of ``b``]: how many whole working
    days a pause from ``a`` to ``b`` moves a ``working_days`` deadline.

    As a start's own day never counts for :func:`deadline`, the day the pause began never
    counts; the day it ended does. A pause within one local day gives 0; a pause from Monday to
    Wednesday of a week without holidays gives 2. The paused timer's new deadline is
    ``deadline(cal, due_at, n, "working_days")``, still 23:59:59 local, and stays ``due_at``
    when ``n`` is 0. Raises ValueError for a naive moment or if ``b`` < ``a``.
    """
    a_utc = _check_instant(a, "a")
    b_utc = _check_instant(b, "b")
    if b_utc < a_utc:
        raise ValueError(f"interval ends ({b.isoformat()}) before it starts ({a.isoformat()})")
    r = _Resolver(cal)
    day, last = r.local_date(a_utc), r.local_date(b_utc)
    count = 0
    while day < last:
        day += _ONE_DAY
        if r.day(day).working:
            count += 1
    return count


def _extend(
    cal: BusinessCalendar, due_at: datetime, seconds: float, unit: str, notes: _Notes | None
) -> datetime:
    unit = _check_unit(unit)
    due_utc = _check_instant(due_at, "due_at")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds != seconds:
        raise ValueError(f"seconds: expected a number, got {seconds!r}")
    if seconds < 0:
        raise ValueError(f"seconds: must not be negative, got {seconds}")
    try:
        amount = timedelta(seconds=seconds)
        if not amount:
            # Extending by nothing must not move a deadline that sits outside working time.
            return due_utc.astimezone(cal.tz)
        if unit in ("hours", "days"):
            return (due_utc + amount).astimezone(cal.tz)
        r = _Resolver(cal)
        return _advance(r, due_utc, amount, unit == "working_hours", notes).astimezone(cal.tz)
    except OverflowError:
        raise ValueError(f"extending {due_at.isoformat()} by {seconds} s is out of range") from None


def extend(cal: BusinessCalendar, due_at: datetime, seconds: float, unit: str) -> datetime:
    """Move ``due_at`` later by ``seconds`` of ``unit`` working time, skipping the rest.

    For ``hours``/``days`` that is plain elapsed time; for ``working_days`` the seconds are
    spent only on working days; for ``working_hours`` only inside working hours on working
    days. A paused ``hours``, ``days`` or ``working_hours`` timer's new deadline is
    ``extend(cal, due_at, working_seconds_between(cal, paused_at, resumed_at, unit), unit)``
    (a ``working_days`` timer moves by whole days instead: :func:`working_days_between`),
    and ``working_seconds_between(cal, due_at, result, unit) == seconds`` always holds.
    The result is in the tenant's time zone.
    """
    return _extend(cal, due_at, seconds, unit, None)
