"""The auto_repair rules of DOMAIN.md section 5, as pure functions.

Inputs are what the schemas load: the case's ``data.auto_repair`` dict (dates as
``datetime.date``, absent or ``None`` meaning unknown), the tenant's loaded auto_repair settings,
and the date the case was received (its ``received_at`` in the tenant's time zone). Nothing here
touches the database or Flask; the hook wiring turns the answers into flags, timers, a severity
and a department.

Counting (DOMAIN.md section 5): day 1 is the day after ``completed_on`` and "10 days" includes
day 10; the distance is ``odometer_now - odometer_at_completion`` and "2,000 km" includes 2,000.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from core import Violation, warning

from .schemas import DEFAULT_ROUTES, DEFAULT_WARRANTY

#: Job types after which the shop makes a follow-up call (timer ``follow_up``).
FOLLOW_UP_JOBS: frozenset[str] = frozenset({"overhaul", "level2_maintenance"})

#: Repairs of the same fault after which a new failure is a repeat failure.
REPEAT_FAILURE_REPAIRS = 2


def warranty_limit(
    vehicle_class: str, job_type: str, settings: Mapping[str, Any]
) -> tuple[int, int]:
    """The repair quality warranty ``(days, km)`` for a vehicle class and job type.

    DOMAIN.md section 5 (机动车维修管理规定): cars overhaul 100 days / 20,000 km, level-2
    maintenance 30 / 5,000, level-1, minor and special repairs 10 / 2,000; motorcycles 80 / 7,000,
    10 / 800, 10 / 800; other vehicles 60 / 6,000, 7 / 700, 7 / 700. The tenant's ``warranty``
    setting overrides these. Raises ``ValueError`` for a class or job type not in the table.
    """
    table = settings.get("warranty") or DEFAULT_WARRANTY
    try:
        limits = table[vehicle_class][job_type]
    except KeyError:
        raise ValueError(
            f"no warranty for vehicle class {vehicle_class!r}, job {job_type!r}"
        ) from None
    return limits["days"], limits["km"]


def in_warranty(
    fields: Mapping[str, Any], settings: Mapping[str, Any], received_on: date
) -> bool | None:
    """Whether the repair was still under its quality warranty on ``received_on``.

    DOMAIN.md section 5: whichever limit comes first ends the warranty, so the repair is out of
    warranty as soon as the day number (day 1 is the day after ``completed_on``) is above the
    days limit or the distance is above the km limit; on the limit it is still in.

    ``None`` means the answer cannot be given from the data: ``vehicle_class``, ``job_type`` or
    ``completed_on`` is missing; or the days are within the limit but an odometer reading is
    missing (the km limit could still have ended it); or the data contradict themselves
    (``received_on`` before ``completed_on``, or ``odometer_now`` below
    ``odometer_at_completion``). A limit that is known to be exceeded answers ``False`` even
    when the other one cannot be computed.
    """
    vehicle_class = fields.get("vehicle_class")
    job_type = fields.get("job_type")
    completed_on = fields.get("completed_on")
    if vehicle_class is None or job_type is None or completed_on is None:
        return None
    days_limit, km_limit = warranty_limit(vehicle_class, job_type, settings)

    day = (received_on - completed_on).days
    if day < 0:
        return None

    at_completion = fields.get("odometer_at_completion")
    now = fields.get("odometer_now")
    distance = None if at_completion is None or now is None else now - at_completion
    if distance is not None and distance < 0:
        return None

    if day > days_limit:
        return False
    if distance is None:
        return None
    return distance <= km_limit


def is_comeback(fields: Mapping[str, Any], settings: Mapping[str, Any], received_on: date) -> bool:
    """Whether the case is a comeback (flag ``comeback``, timer ``evidence``).

    DOMAIN.md section 5: a ``quality`` complaint inside the repair's warranty. An unknown
    warranty (``in_warranty`` is ``None``) is not a comeback until the missing data are given.
    """
    return (
        fields.get("complaint_type") == "quality"
        and in_warranty(fields, settings, received_on) is True
    )


def is_repeat_failure(fields: Mapping[str, Any]) -> bool:
    """Whether the same fault failed after 2 repairs (flag ``repeat_failure``; DOMAIN.md 5).

    ``same_fault_repairs`` counts the repairs of this fault so far; 2 or more makes it one.
    """
    return (fields.get("same_fault_repairs") or 0) >= REPEAT_FAILURE_REPAIRS


def route(
    fields: Mapping[str, Any], settings: Mapping[str, Any], departments: Sequence[str]
) -> str | None:
    """The department for the complaint type, from the tenant's ``routes`` (DOMAIN.md 5).

    ``departments`` are the tenant's departments. ``None`` (leave the department unset) for
    type ``other``, no type, a type without a route, or a route naming a department the tenant
    does not have.
    """
    complaint_type = fields.get("complaint_type")
    if complaint_type is None:
        return None
    routes = settings.get("routes")
    if routes is None:
        routes = DEFAULT_ROUTES
    department = routes.get(complaint_type)
    if department is None or department not in departments:
        return None
    return department


def severity_for(fields: Mapping[str, Any]) -> str | None:
    """The severity the complaint type sets: ``major`` for ``safety`` (DOMAIN.md section 5).

    ``None`` leaves the case's severity as it is.
    """
    return "major" if fields.get("complaint_type") == "safety" else None


def needs_follow_up(fields: Mapping[str, Any]) -> bool:
    """Whether the job calls for a follow-up call (timer ``follow_up``, DOMAIN.md section 5).

    After an ``overhaul`` or ``level2_maintenance``, within ``follow_up_days`` (7).
    """
    return fields.get("job_type") in FOLLOW_UP_JOBS


#: What a warranty judgement needs, in the order they are asked for.
WARRANTY_FIELDS: tuple[str, ...] = (
    "vehicle_class",
    "job_type",
    "completed_on",
    "odometer_at_completion",
    "odometer_now",
)


def warranty_unknown(
    fields: Mapping[str, Any], settings: Mapping[str, Any], received_on: date
) -> Violation | None:
    """A warning for a ``quality`` complaint whose warranty cannot be judged, or ``None``.

    Not a DOMAIN.md rule: it says why a quality complaint is not (yet) a comeback, and what
    to add (``auto_repair.warranty_unknown``, naming the missing fields, or the contradiction).
    It never blocks: the complaint is taken whatever the data.
    """
    if fields.get("complaint_type") != "quality":
        return None
    if in_warranty(fields, settings, received_on) is not None:
        return None
    missing = [name for name in WARRANTY_FIELDS if fields.get(name) is None]
    if missing:
        return warning(
            "auto_repair.warranty_unknown",
            "Whether the repair is under warranty (a comeback) cannot be told without: "
            f"{', '.join(missing)}.",
            f"data.auto_repair.{missing[0]}",
        )
    if fields["completed_on"] > received_on:
        return warning(
            "auto_repair.warranty_unknown",
            "Whether the repair is under warranty cannot be told: the complaint was received "
            "before the repair was completed.",
            "data.auto_repair.completed_on",
        )
    return warning(
        "auto_repair.warranty_unknown",
        "Whether the repair is under warranty cannot be told: the odometer reads less now than "
        "at completion.",
        "data.auto_repair.odometer_now",
    )
