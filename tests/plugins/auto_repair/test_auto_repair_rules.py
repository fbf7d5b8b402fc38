"""The auto_repair rules (DOMAIN.md section 5), table by table, at every boundary."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from plugins.auto_repair.rules import (
    in_warranty,
    is_comeback,
    is_repeat_failure,
    needs_follow_up,
    route,
    severity_for,
    warranty_limit,
    warranty_unknown,
)
from plugins.auto_repair.schemas import Settings

DEFAULTS = Settings().load({})
COMPLETED = date(2025, 11, 1)
ODOMETER = 52_000

# DOMAIN.md section 5, written out again here so that a wrong default table fails the tests.
WARRANTY = {
    ("car", "overhaul"): (100, 20_000),
    ("car", "level2_maintenance"): (30, 5_000),
    ("car", "level1_maintenance"): (10, 2_000),
    ("car", "minor_repair"): (10, 2_000),
    ("car", "special_repair"): (10, 2_000),
    ("motorcycle", "overhaul"): (80, 7_000),
    ("motorcycle", "level2_maintenance"): (10, 800),
    ("motorcycle", "level1_maintenance"): (10, 800),
    ("motorcycle", "minor_repair"): (10, 800),
    ("motorcycle", "special_repair"): (10, 800),
    ("other", "overhaul"): (60, 6_000),
    ("other", "level2_maintenance"): (7, 700),
    ("other", "level1_maintenance"): (7, 700),
    ("other", "minor_repair"): (7, 700),
    ("other", "special_repair"): (7, 700),
}


def repair(
    vehicle_class: str = "car",
    job_type: str = "minor_repair",
    km: int | None = 0,
    **changes: Any,
) -> dict[str, Any]:
    """A repair completed on Nov 1 at 52,000 km, now ``km`` further on."""
    fields = {
        "plate": "沪A12345",
        "vehicle_class": vehicle_class,
        "job_type": job_type,
        "work_order_no": "WO-1",
        "completed_on": COMPLETED,
        "odometer_at_completion": ODOMETER,
        "odometer_now": None if km is None else ODOMETER + km,
        "complaint_type": "quality",
        "same_fault_repairs": 0,
    }
    fields.update(changes)
    return fields


def day(n: int) -> date:
    """Day ``n`` after completion: day 1 is the day after ``completed_on``."""
    return COMPLETED + timedelta(days=n)


@pytest.mark.parametrize(("vehicle_class", "job_type"), list(WARRANTY))
def test_warranty_limit_is_the_domain_table(vehicle_class, job_type) -> None:
    assert warranty_limit(vehicle_class, job_type, DEFAULTS) == WARRANTY[vehicle_class, job_type]


def test_warranty_limit_refuses_an_unknown_class() -> None:
    with pytest.raises(ValueError):
        warranty_limit("truck", "overhaul", DEFAULTS)


def _warranty_boundaries() -> list[Any]:
    cases = []
    for (vehicle_class, job_type), (days, km) in WARRANTY.items():
        cell = f"{vehicle_class}-{job_type}"
        cases += [
            pytest.param(vehicle_class, job_type, days, 0, True, id=f"{cell}-day{days}"),
            pytest.param(vehicle_class, job_type, days + 1, 0, False, id=f"{cell}-day{days + 1}"),
            pytest.param(vehicle_class, job_type, 0, km, True, id=f"{cell}-{km}km"),
            pytest.param(vehicle_class, job_type, 0, km + 1, False, id=f"{cell}-{km + 1}km"),
            # Both limits reached exactly: still in; one over and the other within: out.
            pytest.param(vehicle_class, job_type, days, km, True, id=f"{cell}-both-on-limit"),
            pytest.param(vehicle_class, job_type, 1, km + 1, False, id=f"{cell}-km-first"),
            pytest.param(vehicle_class, job_type, days + 1, 1, False, id=f"{cell}-days-first"),
        ]
    return cases


@pytest.mark.parametrize(
    ("vehicle_class", "job_type", "days_after", "km", "expected"), _warranty_boundaries()
)
def test_in_warranty_whichever_limit_comes_first(
    vehicle_class, job_type, days_after, km, expected
) -> None:
    fields = repair(vehicle_class, job_type, km)
    assert in_warranty(fields, DEFAULTS, day(days_after)) is expected


@pytest.mark.parametrize(
    ("changes", "received_on", "expected"),
    [
        ({"vehicle_class": None}, day(1), None),
        ({"job_type": None}, day(1), None),
        ({"completed_on": None}, day(1), None),
        ({"odometer_now": None}, day(1), None),  # days within; km could have ended it
        ({"odometer_at_completion": None}, day(1), None),
        ({"odometer_now": None}, day(11), False),  # the days limit alone already ended it
        ({"odometer_now": ODOMETER - 1}, day(1), None),  # odometer went backwards
        ({}, day(-1), None),  # received before the repair was completed
        ({}, day(0), True),  # the day of completion is inside
    ],
)
def test_in_warranty_with_missing_or_contradictory_data(changes, received_on, expected) -> None:
    fields = {**repair("car", "minor_repair", 100), **changes}
    assert in_warranty(fields, DEFAULTS, received_on) is expected


def test_in_warranty_follows_the_tenant_table() -> None:
    tenant = Settings().load({"warranty": {"car": {"minor_repair": {"days": 30}}}})
    assert warranty_limit("car", "minor_repair", tenant) == (30, 2_000)
    assert in_warranty(repair(km=0), tenant, day(30)) is True
    assert in_warranty(repair(km=0), tenant, day(31)) is False
    assert in_warranty(repair(km=2_001), tenant, day(1)) is False


@pytest.mark.parametrize(
    ("complaint_type", "days_after", "km", "expected"),
    [
        ("quality", 10, 2_000, True),
        ("quality", 11, 0, False),
        ("quality", 1, 2_001, False),
        ("quality", 1, None, False),  # warranty unknown: not a comeback yet
        ("charges", 1, 0, False),
        ("attitude", 1, 0, False),
        ("safety", 1, 0, False),
        ("other", 1, 0, False),
        (None, 1, 0, False),
    ],
)
def test_is_comeback(complaint_type, days_after, km, expected) -> None:
    fields = repair("car", "minor_repair", km, complaint_type=complaint_type)
    assert is_comeback(fields, DEFAULTS, day(days_after)) is expected


@pytest.mark.parametrize(
    ("repairs", "expected"), [(None, False), (0, False), (1, False), (2, True), (5, True)]
)
def test_is_repeat_failure(repairs, expected) -> None:
    assert is_repeat_failure(repair(same_fault_repairs=repairs)) is expected


ALL_DEPARTMENTS = ["安全部", "技术部", "经理室", "客服部", "前台"]


@pytest.mark.parametrize(
    ("complaint_type", "departments", "expected"),
    [
        ("safety", ALL_DEPARTMENTS, "安全部"),
        ("quality", ALL_DEPARTMENTS, "技术部"),
        ("charges", ALL_DEPARTMENTS, "经理室"),
        ("attitude", ALL_DEPARTMENTS, "客服部"),
        ("other", ALL_DEPARTMENTS, None),
        (None, ALL_DEPARTMENTS, None),
        ("safety", ["技术部", "经理室", "客服部"], None),  # the tenant has no 安全部
        ("quality", [], None),
    ],
)
def test_route_by_complaint_type(complaint_type, departments, expected) -> None:
    fields = repair(complaint_type=complaint_type)
    assert route(fields, DEFAULTS, departments) == expected


def test_route_follows_the_tenant_routes() -> None:
    tenant = Settings().load({"routes": {"quality": "售后部"}})
    assert route(repair(complaint_type="quality"), tenant, ["售后部"]) == "售后部"
    # Given routes replace the defaults: safety has no route in this tenant.
    assert route(repair(complaint_type="safety"), tenant, ALL_DEPARTMENTS) is None


@pytest.mark.parametrize(
    ("complaint_type", "expected"),
    [
        ("safety", "major"),
        ("quality", None),
        ("charges", None),
        ("attitude", None),
        ("other", None),
        (None, None),
    ],
)
def test_severity_for(complaint_type, expected) -> None:
    assert severity_for(repair(complaint_type=complaint_type)) == expected


@pytest.mark.parametrize(
    ("job_type", "expected"),
    [
        ("overhaul", True),
        ("level2_maintenance", True),
        ("level1_maintenance", False),
        ("minor_repair", False),
        ("special_repair", False),
        (None, False),
    ],
)
def test_needs_follow_up(job_type, expected) -> None:
    assert needs_follow_up(repair(job_type=job_type)) is expected


@pytest.mark.parametrize(
    ("changes", "received_on", "field"),
    [
        ({}, day(1), None),  # in warranty: known
        ({}, day(11), None),  # out of warranty: known
        ({"odometer_now": None}, day(1), "data.auto_repair.odometer_now"),
        ({"odometer_now": None}, day(11), None),  # the days limit alone ended it
        ({"vehicle_class": None}, day(1), "data.auto_repair.vehicle_class"),
        ({"completed_on": None, "odometer_now": None}, day(1), "data.auto_repair.completed_on"),
        ({}, day(-1), "data.auto_repair.completed_on"),  # received before completion
        ({"odometer_now": ODOMETER - 1}, day(1), "data.auto_repair.odometer_now"),
        ({"complaint_type": "charges", "odometer_now": None}, day(1), None),  # not about quality
    ],
)
def test_warranty_unknown_warns_about_quality_complaints_only(changes, received_on, field) -> None:
    fields = {**repair("car", "minor_repair", 100), **changes}
    found = warranty_unknown(fields, DEFAULTS, received_on)
    if field is None:
        assert found is None
    else:
        assert (found.code, found.field, found.blocking) == (
            "auto_repair.warranty_unknown",
            field,
            False,
        )
