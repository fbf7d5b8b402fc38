"""The retail settings and case-field schemas: defaults, refusals, and the field they name."""

from __future__ import annotations

from datetime import date

import pytest
from marshmallow import ValidationError

from plugins.retail.schemas import CaseFields, Settings

HUGE = 10**30


def errors_of(schema, data) -> dict:
    with pytest.raises(ValidationError) as caught:
        schema.load(data)
    return caught.value.messages


def test_empty_settings_load_the_domain_defaults() -> None:
    assert Settings().load({}) == {
        "supervisor_limit": 2000,
        "store_no_reason_days": 0,
        "allow_receiptless": False,
        "warranty_days": 365,
        "frequent_returns": 5,
        "frequent_window_days": 90,
        "refund_days": 7,
        "quality_department": None,  # not a DOMAIN.md figure: found by name (see the rules)
    }


def test_given_settings_replace_the_defaults() -> None:
    loaded = Settings().load({"store_no_reason_days": 7, "allow_receiptless": True})
    assert loaded["store_no_reason_days"] == 7
    assert loaded["allow_receiptless"] is True
    assert loaded["warranty_days"] == 365


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"surprise": 1}, "surprise"),
        ({"supervisor_limit": -1}, "supervisor_limit"),
        ({"supervisor_limit": HUGE}, "supervisor_limit"),
        ({"supervisor_limit": float("nan")}, "supervisor_limit"),
        ({"store_no_reason_days": -1}, "store_no_reason_days"),
        ({"store_no_reason_days": HUGE}, "store_no_reason_days"),
        ({"store_no_reason_days": 7.5}, "store_no_reason_days"),
        ({"store_no_reason_days": "7"}, "store_no_reason_days"),
        ({"warranty_days": HUGE}, "warranty_days"),
        ({"warranty_days": True}, "warranty_days"),
        ({"frequent_returns": 0}, "frequent_returns"),
        ({"frequent_window_days": HUGE}, "frequent_window_days"),
        ({"refund_days": -7}, "refund_days"),
        ({"allow_receiptless": "maybe"}, "allow_receiptless"),
        ({"quality_department": ""}, "quality_department"),
        ({"quality_department": 7}, "quality_department"),
    ],
)
def test_bad_settings_are_refused_on_their_field(data, field) -> None:
    assert list(errors_of(Settings(), data)) == [field]


def test_unknown_setting_is_refused_with_a_message_on_that_key() -> None:
    assert errors_of(Settings(), {"supervisor_limt": 1000}) == {
        "supervisor_limt": ["Unknown field."]
    }


FULL_CASE = {
    "return_type": "no_reason",
    "sale_channel": "online",
    "receipt_no": "R-1001",
    "store": "上海一店",
    "purchased_on": "2025-10-30",
    "delivered_on": "2025-11-01",
    "sku": "SKU-1",
    "quantity": 2,
    "amount": 2000.01,
    "goods_type": "flagged_non_returnable",
    "buyer_confirmed_non_returnable": False,
    "condition": "intact",
    "repairs_done": 0,
    "remedy": "refund",
    "goods_received_on": "2025-11-06",
}


def test_case_fields_load_every_domain_field_with_dates_as_dates() -> None:
    loaded = CaseFields().load(FULL_CASE)
    assert set(loaded) == set(FULL_CASE)
    assert loaded["purchased_on"] == date(2025, 10, 30)
    assert loaded["delivered_on"] == date(2025, 11, 1)
    assert loaded["goods_received_on"] == date(2025, 11, 6)
    assert loaded["amount"] == 2000.01
    assert loaded["store"] == "上海一店"


def test_case_fields_are_all_optional_and_nullable() -> None:
    assert CaseFields().load({}) == {}
    assert CaseFields().load({"delivered_on": None, "remedy": None}) == {
        "delivered_on": None,
        "remedy": None,
    }


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"return_type": "because"}, "return_type"),
        ({"sale_channel": "drone"}, "sale_channel"),
        ({"goods_type": "used"}, "goods_type"),
        ({"condition": "broken"}, "condition"),
        ({"remedy": "voucher"}, "remedy"),
        ({"quantity": -1}, "quantity"),
        ({"quantity": 0}, "quantity"),
        ({"quantity": HUGE}, "quantity"),
        ({"quantity": 1.5}, "quantity"),
        ({"amount": -0.01}, "amount"),
        ({"amount": HUGE}, "amount"),
        ({"amount": "lots"}, "amount"),
        ({"repairs_done": -1}, "repairs_done"),
        ({"repairs_done": HUGE}, "repairs_done"),
        ({"purchased_on": "2025-02-30"}, "purchased_on"),
        ({"delivered_on": "yesterday"}, "delivered_on"),
        ({"goods_received_on": 20251106}, "goods_received_on"),
        ({"goods_received_on": "9999-12-31"}, "goods_received_on"),  # no deadline after it
        ({"purchased_on": "0001-01-01"}, "purchased_on"),
        ({"delivered_on": "3000-01-01"}, "delivered_on"),
        ({"receipt_no": "R" * 65}, "receipt_no"),
        ({"sku": 12345}, "sku"),
        ({"buyer_confirmed_non_returnable": "perhaps"}, "buyer_confirmed_non_returnable"),
    ],
)
def test_bad_case_fields_are_refused_on_their_field(data, field) -> None:
    assert list(errors_of(CaseFields(), {**FULL_CASE, **data})) == [field]


def test_unknown_case_field_is_refused_with_a_message_on_that_key() -> None:
    assert errors_of(CaseFields(), {"sku": "SKU-1", "colour": "red"}) == {
        "colour": ["Unknown field."]
    }
