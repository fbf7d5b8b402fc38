"""The retail return rules (DOMAIN.md section 2), table by table, at every boundary."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import pytest

from plugins.retail.rules import (
    check_return,
    day_number,
    is_frequent_returner,
    is_return,
    needs_supervisor_approval,
    quality_department,
    refund_due_start,
    refund_timer_start,
)
from plugins.retail.schemas import Settings

DEFAULTS = Settings().load({})
NOV_1 = date(2025, 11, 1)


def settings(**changes: Any) -> dict[str, Any]:
    return Settings().load(changes)


def no_reason(**changes: Any) -> dict[str, Any]:
    """A complete, allowed no-reason return of an online sale delivered on Nov 1."""
    fields = {
        "return_type": "no_reason",
        "sale_channel": "online",
        "receipt_no": "R-1001",
        "store": "Shanghai 1",
        "purchased_on": date(2025, 10, 30),
        "delivered_on": NOV_1,
        "sku": "SKU-1",
        "quantity": 1,
        "amount": 199.0,
        "goods_type": "general",
        "condition": "intact",
    }
    fields.update(changes)
    return fields


def quality(**changes: Any) -> dict[str, Any]:
    """A complete quality return of goods bought in the store on Nov 1, asking for a refund."""
    fields = {
        "return_type": "quality",
        "sale_channel": "store",
        "receipt_no": "R-2002",
        "purchased_on": NOV_1,
        "sku": "SKU-2",
        "quantity": 1,
        "amount": 899.0,
        "remedy": "refund",
        "repairs_done": 0,
    }
    fields.update(changes)
    return fields


def codes(fields: dict[str, Any], received_on: date, tenant: dict | None = None, kind="return"):
    return [v.code for v in check_return(fields, tenant or DEFAULTS, received_on, kind)]


def test_day_one_is_the_day_after_the_reference_date() -> None:
    assert day_number(NOV_1, NOV_1) == 0
    assert day_number(NOV_1, date(2025, 11, 2)) == 1
    assert day_number(NOV_1, date(2025, 11, 8)) == 7


# --- no-reason returns of distance sales: 7 days after delivered_on --------------------------


@pytest.mark.parametrize("channel", ["online", "tv", "phone", "mail"])
@pytest.mark.parametrize(
    ("received_on", "expected"),
    [
        (NOV_1, []),
        (date(2025, 11, 8), []),  # day 7: the last day
        (date(2025, 11, 9), ["retail.no_reason_window_closed"]),  # day 8
        (date(2025, 12, 31), ["retail.no_reason_window_closed"]),
    ],
)
def test_distance_sale_window_counts_from_delivery(channel, received_on, expected) -> None:
    assert codes(no_reason(sale_channel=channel), received_on) == expected


def test_distance_window_is_not_counted_from_the_purchase() -> None:
    # Bought Oct 1, delivered Nov 1: Nov 8 is still inside although day 38 after the purchase.
    fields = no_reason(purchased_on=date(2025, 10, 1))
    assert codes(fields, date(2025, 11, 8)) == []


def test_distance_sale_without_delivery_date_is_refused_asking_for_it() -> None:
    violations = check_return(no_reason(delivered_on=None), DEFAULTS, date(2025, 11, 3), "return")
    assert [(v.code, v.field, v.blocking) for v in violations] == [
        ("retail.delivery_date_missing", "data.retail.delivered_on", True)
    ]


def test_delivery_date_after_the_received_date_is_refused() -> None:
    violations = check_return(no_reason(), DEFAULTS, date(2025, 10, 31), "return")
    assert [(v.code, v.field) for v in violations] == [
        ("retail.date_after_received", "data.retail.delivered_on")
    ]


def test_no_reason_return_without_sale_channel_is_refused_asking_for_it() -> None:
    violations = check_return(no_reason(sale_channel=None), DEFAULTS, NOV_1, "return")
    assert [(v.code, v.field) for v in violations] == [
        ("retail.sale_channel_missing", "data.retail.sale_channel")
    ]


# --- no-reason returns of store sales: only under the tenant's own policy ---------------------


@pytest.mark.parametrize(
    ("policy_days", "received_on", "expected"),
    [
        (0, NOV_1, ["retail.no_reason_window_closed"]),  # no policy: refused even on the day
        (0, date(2025, 11, 2), ["retail.no_reason_window_closed"]),
        (7, NOV_1, []),
        (7, date(2025, 11, 8), []),  # day 7
        (7, date(2025, 11, 9), ["retail.no_reason_window_closed"]),  # day 8
        (30, date(2025, 12, 1), []),  # day 30
        (30, date(2025, 12, 2), ["retail.no_reason_window_closed"]),
    ],
)
def test_store_sale_window_follows_the_tenant_policy(policy_days, received_on, expected) -> None:
    fields = no_reason(sale_channel="store", purchased_on=NOV_1, delivered_on=None)
    assert codes(fields, received_on, settings(store_no_reason_days=policy_days)) == expected


def test_store_sale_window_counts_from_the_purchase_not_the_delivery() -> None:
    fields = no_reason(sale_channel="store", purchased_on=NOV_1, delivered_on=date(2025, 11, 5))
    tenant = settings(store_no_reason_days=7)
    assert codes(fields, date(2025, 11, 9), tenant) == ["retail.no_reason_window_closed"]


# --- excluded goods and the intact test --------------------------------------------------------


@pytest.mark.parametrize(
    ("goods_type", "confirmed", "expected"),
    [
        ("general", None, []),
        ("customized", None, ["retail.excluded_goods"]),
        ("fresh", None, ["retail.excluded_goods"]),
        ("digital_unsealed", None, ["retail.excluded_goods"]),
        ("periodical", None, ["retail.excluded_goods"]),
        ("customized", False, ["retail.excluded_goods"]),  # excluded whatever was confirmed
        ("flagged_non_returnable", True, ["retail.excluded_goods"]),
        ("flagged_non_returnable", False, []),
        ("flagged_non_returnable", None, []),
        (None, None, []),  # unknown goods type counts as general
    ],
)
def test_excluded_goods(goods_type, confirmed, expected) -> None:
    fields = no_reason(goods_type=goods_type, buyer_confirmed_non_returnable=confirmed)
    assert codes(fields, date(2025, 11, 3)) == expected


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("intact", []),
        ("seal_broken", ["retail.goods_not_intact"]),
        ("tags_removed", ["retail.goods_not_intact"]),
        ("serial_tampered", ["retail.goods_not_intact"]),
        ("activated", ["retail.goods_not_intact"]),
        ("soiled", ["retail.goods_not_intact"]),
        (None, []),  # judged when the goods come back
    ],
)
def test_goods_must_be_intact(condition, expected) -> None:
    assert codes(no_reason(condition=condition), date(2025, 11, 3)) == expected


def test_every_refusing_rule_is_reported() -> None:
    fields = no_reason(goods_type="fresh", condition="soiled")
    assert codes(fields, date(2025, 11, 20)) == [
        "retail.no_reason_window_closed",
        "retail.excluded_goods",
        "retail.goods_not_intact",
    ]


@pytest.mark.parametrize("condition", ["soiled", "activated"])
def test_exclusions_and_condition_do_not_apply_to_quality_returns(condition) -> None:
    fields = quality(goods_type="fresh", condition=condition)
    assert codes(fields, date(2025, 11, 3)) == []


# --- quality returns: remedies by day after purchased_on --------------------------------------


@pytest.mark.parametrize(
    ("day", "remedy", "repairs_done", "expected"),
    [
        (0, "refund", 0, []),
        (7, "refund", 0, []),
        (8, "refund", 0, ["retail.remedy_not_available"]),
        (8, "exchange", 0, []),
        (8, "repair", 0, []),
        (15, "refund", 0, ["retail.remedy_not_available"]),
        (15, "exchange", 0, []),
        (16, "refund", 0, ["retail.remedy_not_available"]),
        (16, "exchange", 0, ["retail.remedy_not_available"]),
        (16, "repair", 0, []),
        (100, "exchange", 1, ["retail.remedy_not_available"]),
        (100, "refund", 1, ["retail.remedy_not_available"]),
        (100, "exchange", 2, []),
        (100, "refund", 2, []),
        (100, "refund", 3, []),
        (100, "repair", 1, []),
        (100, None, 0, []),  # no remedy chosen yet: nothing to refuse
        (365, "repair", 0, []),
        (365, "refund", 2, []),
        (366, "repair", 0, ["retail.warranty_expired"]),
        (366, "refund", 2, ["retail.warranty_expired"]),
        (366, None, 0, ["retail.warranty_expired"]),
    ],
)
def test_quality_remedies_by_day(day, remedy, repairs_done, expected) -> None:
    fields = quality(remedy=remedy, repairs_done=repairs_done)
    assert codes(fields, NOV_1 + timedelta(days=day)) == expected


def test_missing_repairs_done_counts_as_none_done() -> None:
    fields = quality(remedy="exchange", repairs_done=None)
    assert codes(fields, NOV_1 + timedelta(days=30)) == ["retail.remedy_not_available"]


@pytest.mark.parametrize(
    ("warranty_days", "day", "expected"),
    [
        (730, 366, []),
        (730, 730, []),
        (730, 731, ["retail.warranty_expired"]),
        (90, 90, []),
        (90, 91, ["retail.warranty_expired"]),
        # The statutory 7- and 15-day rights hold even under a warranty shorter than 15 days.
        (10, 12, []),
        (10, 16, ["retail.warranty_expired"]),
    ],
)
def test_tenant_warranty_setting(warranty_days, day, expected) -> None:
    fields = quality(remedy="repair")
    tenant = settings(warranty_days=warranty_days)
    assert codes(fields, NOV_1 + timedelta(days=day), tenant) == expected


def test_quality_return_purchased_after_received_is_refused() -> None:
    violations = check_return(quality(), DEFAULTS, date(2025, 10, 31), "return")
    assert [(v.code, v.field) for v in violations] == [
        ("retail.date_after_received", "data.retail.purchased_on")
    ]


# --- receipt details ---------------------------------------------------------------------------


ABSENT = object()


@pytest.mark.parametrize(
    ("missing", "value"),
    [
        ("receipt_no", ABSENT),
        ("receipt_no", None),
        ("receipt_no", "  "),  # blank text is no receipt number
        ("purchased_on", ABSENT),
        ("purchased_on", None),
        ("sku", ABSENT),
        ("sku", ""),
        ("quantity", ABSENT),
        ("quantity", None),
        ("amount", ABSENT),
        ("amount", None),
    ],
)
def test_each_missing_receipt_field_is_refused_and_named(missing, value) -> None:
    fields = no_reason()
    if value is ABSENT:
        del fields[missing]
    else:
        fields[missing] = value
    violations = check_return(fields, DEFAULTS, date(2025, 11, 3), "return")
    assert [(v.code, v.field, v.blocking) for v in violations] == [
        ("retail.receipt_incomplete", f"data.retail.{missing}", True)
    ]
    assert missing in violations[0].message


def test_an_amount_of_zero_is_given() -> None:
    assert codes(no_reason(amount=0), date(2025, 11, 3)) == []


def test_every_missing_receipt_field_is_named() -> None:
    fields = no_reason(receipt_no=None, sku=None, amount=None)
    violations = check_return(fields, DEFAULTS, date(2025, 11, 3), "return")
    assert [v.field for v in violations] == [
        "data.retail.receipt_no",
        "data.retail.sku",
        "data.retail.amount",
    ]
    for violation in violations:
        assert violation.code == "retail.receipt_incomplete"
        for name in ("receipt_no", "sku", "amount"):
            assert name in violation.message


@pytest.mark.parametrize("missing", ["receipt_no", "purchased_on", "sku", "quantity", "amount"])
def test_receiptless_returns_are_accepted_with_a_warning_when_allowed(missing) -> None:
    violations = check_return(
        no_reason(**{missing: None}), settings(allow_receiptless=True), date(2025, 11, 3), "return"
    )
    assert [(v.code, v.blocking) for v in violations] == [("retail.receiptless", False)]
    assert missing in violations[0].message


def test_receiptless_return_still_needs_the_purchase_date_for_a_quality_remedy() -> None:
    violations = check_return(
        quality(purchased_on=None), settings(allow_receiptless=True), NOV_1, "return"
    )
    assert [(v.code, v.blocking, v.field) for v in violations] == [
        ("retail.receiptless", False, None),
        ("retail.purchase_date_missing", True, "data.retail.purchased_on"),
    ]


def test_missing_purchase_date_is_named_once() -> None:
    # Not allowed receipt-less: the receipt refusal names purchased_on; no second violation.
    assert codes(quality(purchased_on=None), NOV_1) == ["retail.receipt_incomplete"]
    fields = no_reason(sale_channel="store", purchased_on=None)
    assert codes(fields, NOV_1, settings(store_no_reason_days=7)) == ["retail.receipt_incomplete"]


def test_receiptless_store_return_under_a_policy_needs_the_purchase_date() -> None:
    fields = no_reason(sale_channel="store", purchased_on=None)
    tenant = settings(store_no_reason_days=7, allow_receiptless=True)
    assert codes(fields, NOV_1, tenant) == ["retail.receiptless", "retail.purchase_date_missing"]


# --- which cases are checked ---------------------------------------------------------------------


def test_a_complaint_that_is_not_a_return_is_not_checked() -> None:
    assert codes({"sku": "SKU-1"}, NOV_1, kind="complaint") == []


def test_a_complaint_asking_for_a_return_is_checked() -> None:
    fields = no_reason()
    assert codes(fields, date(2025, 11, 9), kind="complaint") == ["retail.no_reason_window_closed"]


def test_a_return_without_return_type_gets_the_receipt_check_only() -> None:
    assert codes({"receipt_no": "R-1"}, NOV_1) == ["retail.receipt_incomplete"] * 4
    fields = no_reason(return_type=None, goods_type="fresh", condition="soiled")
    assert codes(fields, date(2025, 12, 31)) == []


# --- supervisor approval, frequent returners, refund timer ---------------------------------------


@pytest.mark.parametrize(
    ("fields", "tenant", "expected"),
    [
        (no_reason(amount=2000), {}, False),
        (no_reason(amount=2000.0), {}, False),
        (no_reason(amount=2000.01), {}, True),
        (no_reason(amount=1999.99), {}, False),
        (quality(remedy="refund", amount=2000.01), {}, True),
        (quality(remedy="exchange", amount=5000), {}, False),  # no refund, no approval
        (quality(remedy="repair", amount=5000), {}, False),
        (no_reason(remedy="exchange", amount=5000), {}, False),
        (no_reason(amount=None), {}, False),
        (no_reason(amount=500.01), {"supervisor_limit": 500}, True),
        (no_reason(amount=500), {"supervisor_limit": 500}, False),
        (no_reason(amount=0.3), {"supervisor_limit": 0.3}, False),  # no float blur at the limit
    ],
)
def test_needs_supervisor_approval(fields, tenant, expected) -> None:
    assert needs_supervisor_approval(fields, settings(**tenant)) is expected


@pytest.mark.parametrize(
    ("previous", "tenant", "expected"),
    [
        (0, {}, False),
        (3, {}, False),  # 4 returns with this one
        (4, {}, True),  # 5 returns with this one
        (10, {}, True),
        (1, {"frequent_returns": 3}, False),
        (2, {"frequent_returns": 3}, True),
    ],
)
def test_is_frequent_returner(previous, tenant, expected) -> None:
    assert is_frequent_returner(previous, settings(**tenant)) is expected


def test_refund_due_start_is_the_day_the_goods_came_back() -> None:
    assert refund_due_start(no_reason(goods_received_on=date(2025, 11, 6))) == date(2025, 11, 6)
    assert refund_due_start(no_reason()) is None


def test_the_refund_timer_counts_from_the_end_of_the_day_the_goods_came_back() -> None:
    start = refund_timer_start(date(2026, 3, 4), "Asia/Shanghai")
    assert start.isoformat() == "2026-03-04T23:59:59+08:00"
    # 7 calendar days later is the end of day 7, which is still inside.
    assert (start + timedelta(days=7)).isoformat() == "2026-03-11T23:59:59+08:00"
    assert refund_timer_start(date(2026, 3, 4), "Europe/Berlin").utcoffset() == timedelta(hours=1)
    assert isinstance(start, datetime)


@pytest.mark.parametrize(
    ("kind", "fields", "expected"),
    [
        ("return", {}, True),
        ("return", {"return_type": None}, True),
        ("complaint", {"return_type": "quality"}, True),
        ("complaint", {"return_type": "no_reason", "sku": "SKU-1"}, True),
        ("feedback", {"return_type": "no_reason"}, True),
        ("complaint", {"sku": "SKU-1", "amount": 10}, False),
        ("complaint", {}, False),
    ],
)
def test_is_return(kind, fields, expected) -> None:
    assert is_return(kind, fields) is expected


@pytest.mark.parametrize(
    ("setting", "departments", "expected"),
    [
        (None, ["客服部", "质检部", "质量管理部"], "质检部"),  # the first that matches
        (None, ["客服部", "质量管理部"], "质量管理部"),
        (None, ["客服部", "财务部"], None),
        (None, [], "质检部"),  # free-text departments
        ("售后鉴定中心", ["售后鉴定中心", "质检部"], "售后鉴定中心"),
        ("售后鉴定中心", ["质检部"], None),  # the setting names a department the tenant lacks
        ("售后鉴定中心", [], "售后鉴定中心"),
    ],
)
def test_quality_department(setting, departments, expected) -> None:
    assert quality_department(settings(quality_department=setting), departments) == expected
