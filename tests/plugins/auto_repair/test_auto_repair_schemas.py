"""The auto_repair settings and case-field schemas: defaults, refusals, and the field they name."""

from __future__ import annotations

from datetime import date

import pytest
from marshmallow import ValidationError

from plugins.auto_repair.schemas import CaseFields, Settings

HUGE = 10**30

DOMAIN_WARRANTY = {
    "car": {
        "overhaul": {"days": 100, "km": 20_000},
        "level2_maintenance": {"days": 30, "km": 5_000},
        "level1_maintenance": {"days": 10, "km": 2_000},
        "minor_repair": {"days": 10, "km": 2_000},
        "special_repair": {"days": 10, "km": 2_000},
    },
    "motorcycle": {
        "overhaul": {"days": 80, "km": 7_000},
        "level2_maintenance": {"days": 10, "km": 800},
        "level1_maintenance": {"days": 10, "km": 800},
        "minor_repair": {"days": 10, "km": 800},
        "special_repair": {"days": 10, "km": 800},
    },
    "other": {
        "overhaul": {"days": 60, "km": 6_000},
        "level2_maintenance": {"days": 7, "km": 700},
        "level1_maintenance": {"days": 7, "km": 700},
        "minor_repair": {"days": 7, "km": 700},
        "special_repair": {"days": 7, "km": 700},
    },
}


def errors_of(schema, data) -> dict:
    with pytest.raises(ValidationError) as caught:
        schema.load(data)
    return caught.value.messages


def test_empty_settings_load_the_domain_defaults() -> None:
    assert Settings().load({}) == {
        "reply_hours": 24,
        "evidence_days": 3,
        "routes": {
            "safety": "安全部",
            "quality": "技术部",
            "charges": "经理室",
            "attitude": "客服部",
        },
        "follow_up_days": 7,
        "warranty": DOMAIN_WARRANTY,
    }


def test_loaded_defaults_are_not_shared_between_tenants() -> None:
    first = Settings().load({})
    first["routes"]["safety"] = "changed"
    first["warranty"]["car"]["overhaul"]["days"] = 1
    second = Settings().load({})
    assert second["routes"]["safety"] == "安全部"
    assert second["warranty"]["car"]["overhaul"]["days"] == 100


def test_a_partial_warranty_table_is_laid_over_the_defaults() -> None:
    loaded = Settings().load({"warranty": {"motorcycle": {"overhaul": {"km": 9_000}}}})
    assert loaded["warranty"]["motorcycle"]["overhaul"] == {"days": 80, "km": 9_000}
    assert loaded["warranty"]["car"] == DOMAIN_WARRANTY["car"]
    assert loaded["warranty"]["motorcycle"]["minor_repair"] == {"days": 10, "km": 800}


def test_given_routes_replace_the_default_routes() -> None:
    assert Settings().load({"routes": {"quality": "售后部"}})["routes"] == {"quality": "售后部"}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"surprise": 1}, "surprise"),
        ({"reply_hours": 0}, "reply_hours"),
        ({"reply_hours": HUGE}, "reply_hours"),
        ({"reply_hours": "24"}, "reply_hours"),
        ({"evidence_days": -3}, "evidence_days"),
        ({"evidence_days": HUGE}, "evidence_days"),
        ({"follow_up_days": HUGE}, "follow_up_days"),
        ({"follow_up_days": 7.5}, "follow_up_days"),
        ({"routes": {"parking": "前台"}}, "routes"),
        ({"routes": {"other": "前台"}}, "routes"),
        ({"routes": {"quality": ""}}, "routes"),
        ({"routes": {"quality": "部" * 101}}, "routes"),
        ({"routes": ["技术部"]}, "routes"),
        ({"warranty": {"truck": {}}}, "warranty"),
        ({"warranty": {"car": {"oil_change": {"days": 1}}}}, "warranty"),
        ({"warranty": {"car": {"overhaul": {"days": -1}}}}, "warranty"),
        ({"warranty": {"car": {"overhaul": {"km": HUGE}}}}, "warranty"),
        ({"warranty": {"car": {"overhaul": {"miles": 100}}}}, "warranty"),
    ],
)
def test_bad_settings_are_refused_on_their_field(data, field) -> None:
    assert list(errors_of(Settings(), data)) == [field]


def test_unknown_setting_is_refused_with_a_message_on_that_key() -> None:
    assert errors_of(Settings(), {"reply_hour": 12}) == {"reply_hour": ["Unknown field."]}


def test_bad_warranty_cell_names_its_path() -> None:
    errors = errors_of(Settings(), {"warranty": {"car": {"overhaul": {"km": -5}}}})
    assert list(errors["warranty"]["car"]["overhaul"]) == ["km"]


FULL_CASE = {
    "plate": "沪A12345",
    "vin": "LSVAU2180N2183294",
    "vehicle_class": "car",
    "job_type": "overhaul",
    "work_order_no": "WO-2025-1101",
    "completed_on": "2025-11-01",
    "odometer_at_completion": 52_000,
    "odometer_now": 54_000,
    "complaint_type": "quality",
    "same_fault_repairs": 1,
}


def test_case_fields_load_every_domain_field_with_dates_as_dates() -> None:
    loaded = CaseFields().load(FULL_CASE)
    assert set(loaded) == set(FULL_CASE)
    assert loaded["completed_on"] == date(2025, 11, 1)
    assert loaded["plate"] == "沪A12345"


def test_case_fields_are_all_optional_and_nullable() -> None:
    assert CaseFields().load({}) == {}
    assert CaseFields().load({"odometer_now": None}) == {"odometer_now": None}


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"vehicle_class": "truck"}, "vehicle_class"),
        ({"job_type": "car_wash"}, "job_type"),
        ({"complaint_type": "noise"}, "complaint_type"),
        ({"completed_on": "2025-11-31"}, "completed_on"),
        ({"completed_on": "01/11/2025"}, "completed_on"),
        ({"odometer_at_completion": -1}, "odometer_at_completion"),
        ({"odometer_at_completion": HUGE}, "odometer_at_completion"),
        ({"odometer_now": -1}, "odometer_now"),
        ({"odometer_now": HUGE}, "odometer_now"),
        ({"odometer_now": 54_000.5}, "odometer_now"),
        ({"same_fault_repairs": -1}, "same_fault_repairs"),
        ({"same_fault_repairs": HUGE}, "same_fault_repairs"),
        ({"plate": "P" * 21}, "plate"),
        ({"vin": 123}, "vin"),
        ({"work_order_no": "W" * 65}, "work_order_no"),
    ],
)
def test_bad_case_fields_are_refused_on_their_field(data, field) -> None:
    assert list(errors_of(CaseFields(), {**FULL_CASE, **data})) == [field]


def test_unknown_case_field_is_refused_with_a_message_on_that_key() -> None:
    assert errors_of(CaseFields(), {"plate": "沪A12345", "mileage": 100}) == {
        "mileage": ["Unknown field."]
    }
