"""The retail return rules of DOMAIN.md section 2, as pure functions.

Inputs are what the schemas load: the case's ``data.retail`` dict (dates as ``datetime.date``,
absent or ``None`` meaning unknown), the tenant's loaded retail settings, and the date the case
was received (its ``received_at`` in the tenant's time zone). Nothing here touches the database
or Flask; the hook wiring calls these and turns their answers into violations, flags and timers.

Day counting (DOMAIN.md section 2): day 1 is the day after the reference date, and "within N
days" includes day N. So with a reference date of Nov 1, Nov 8 is day 7.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from core import Violation, warning

from .schemas import DEFAULT_SETTINGS, DISTANCE_CHANNELS

# Statutory figures, kept as data naming their source: a revision of the regulation is a change
# here, not in the logic. They are not tenant settings because DOMAIN.md does not list them so.
STATUTE = {
    "distance_no_reason_days": 7,  # 网络购买商品七日无理由退货暂行办法 (2017); CRPL art. 25
    "quality_refund_days": 7,  # 部分商品修理更换退货责任规定 (三包, 1995)
    "quality_exchange_days": 15,  # 部分商品修理更换退货责任规定 (三包, 1995)
    "failed_repairs_for_exchange": 2,  # 三包 (1995): after two failed repairs
}

#: The receipt details a return needs, in the order they are reported.
RECEIPT_FIELDS: tuple[str, ...] = ("receipt_no", "purchased_on", "sku", "quantity", "amount")

#: Goods a no-reason return never covers, whatever the buyer confirmed.
EXCLUDED_GOODS: frozenset[str] = frozenset(
    {"customized", "fresh", "digital_unsealed", "periodical"}
)

RETURN_KIND = "return"

END_OF_DAY = time(23, 59, 59)


def _path(name: str) -> str:
    return f"data.retail.{name}"


def _setting(settings: Mapping[str, Any], name: str) -> Any:
    # Settings arrive loaded (defaults filled in); the fallback keeps a partial dict usable.
    return settings.get(name, DEFAULT_SETTINGS[name])


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def is_return(kind: str, fields: Mapping[str, Any]) -> bool:
    """Whether a case is a return for these rules: a case of kind ``return``, or any other case
    whose ``data.retail`` carries a ``return_type`` (a complaint asking for a return).

    Returns are checked (:func:`check_return`), counted for the frequent-returner flag, and
    flagged; other cases carrying retail data (a complaint naming the goods) are not.
    """
    return kind == RETURN_KIND or fields.get("return_type") is not None


def day_number(reference: date, received_on: date) -> int:
    """Which day after ``reference`` the case was received on (DOMAIN.md section 2).

    Day 1 is the day after the reference date; the reference date itself is day 0.
    """
    return (received_on - reference).days


def check_return(
    fields: Mapping[str, Any],
    settings: Mapping[str, Any],
    received_on: date,
    kind: str,
) -> list[Violation]:
    """Check a return against the rules of DOMAIN.md section 2; every violation that applies.

    The checks run for a case of kind ``return`` and for any case whose ``data.retail`` carries a
    ``return_type`` (a complaint asking for a return); other cases get ``[]``.

    - Receipt details (``receipt_no``, ``purchased_on``, ``sku``, ``quantity``, ``amount``):
      one ``retail.receipt_incomplete`` per missing field (``field`` is its path, the message
      names every missing field). With ``allow_receiptless`` a single warning
      ``retail.receiptless`` instead (refund capped at the lowest price).
    - ``no_reason`` returns: the window (``retail.no_reason_window_closed``): 7 days after
      ``delivered_on`` for distance sales (``online``, ``tv``, ``phone``, ``mail``), the tenant's
      ``store_no_reason_days`` after ``purchased_on`` for ``store`` sales (0: refused);
      excluded goods (``retail.excluded_goods``: ``customized``, ``fresh``, ``digital_unsealed``,
      ``periodical``, and ``flagged_non_returnable`` only when
      ``buyer_confirmed_non_returnable``); a ``condition`` other than ``intact``
      (``retail.goods_not_intact``).
    - ``quality`` returns, by day after ``purchased_on``: days 1 to 7 any remedy; days 8 to 15 no
      ``refund``; after day 15 inside ``warranty_days`` only ``repair`` unless
      ``repairs_done >= 2`` (``retail.remedy_not_available``); after the warranty
      ``retail.warranty_expired``. The statutory 7- and 15-day rights apply even if a tenant sets
      a warranty shorter than 15 days.

    Missing data (DOMAIN.md is silent; these are this module's choices):

    - a ``no_reason`` distance sale without ``delivered_on`` is refused with
      ``retail.delivery_date_missing`` (falling back to ``purchased_on`` could wrongly refuse a
      customer whose window is still open);
    - a return that needs ``purchased_on`` for its window (quality, or a store sale under a
      store policy) but lacks it is refused with ``retail.purchase_date_missing``, unless
      ``retail.receipt_incomplete`` already names that field;
    - a ``no_reason`` return without ``sale_channel`` is refused with
      ``retail.sale_channel_missing`` (the window cannot be chosen);
    - a reference date after ``received_on`` is refused with ``retail.date_after_received``
      (the day count would be negative: the data is wrong);
    - no ``goods_type`` counts as ``general``, no ``condition`` is not refused (it is judged when
      the goods come back), no ``remedy`` refuses no remedy (only ``warranty_expired`` can
      apply), no ``repairs_done`` counts as 0, no ``return_type`` runs the receipt check only.
    """
    if not is_return(kind, fields):
        return []
    return_type = fields.get("return_type")

    violations = _check_receipt(fields, settings)
    # When the receipt refusal already names purchased_on, asking for it again adds nothing.
    purchase_date_reported = any(v.field == _path("purchased_on") for v in violations)

    if return_type == "no_reason":
        violations += _check_no_reason(fields, settings, received_on, purchase_date_reported)
    elif return_type == "quality":
        violations += _check_quality(fields, settings, received_on, purchase_date_reported)
    return violations


def _check_receipt(fields: Mapping[str, Any], settings: Mapping[str, Any]) -> list[Violation]:
    missing = [name for name in RECEIPT_FIELDS if _missing(fields.get(name))]
    if not missing:
        return []
    listed = ", ".join(missing)
    if _setting(settings, "allow_receiptless"):
        return [
            warning(
                "retail.receiptless",
                f"Receipt-less return (missing: {listed}): the refund is capped at the lowest "
                "price the goods sold for.",
            )
        ]
    return [
        Violation(
            "retail.receipt_incomplete",
            f"A return needs the receipt details; missing: {listed}.",
            _path(name),
        )
        for name in missing
    ]


def _reference_day(
    fields: Mapping[str, Any],
    name: str,
    received_on: date,
    missing_code: str | None,
    what: str,
) -> tuple[int | None, list[Violation]]:
    """The day number of ``received_on`` after the date field ``name``, or why there is none."""
    reference = fields.get(name)
    if reference is None:
        if missing_code is None:
            return None, []
        return None, [Violation(missing_code, f"Give {what} to check this return.", _path(name))]
    if reference > received_on:
        return None, [
            Violation(
                "retail.date_after_received",
                f"{name} ({reference.isoformat()}) is after the day the case was received "
                f"({received_on.isoformat()}).",
                _path(name),
            )
        ]
    return day_number(reference, received_on), []


def _check_no_reason(
    fields: Mapping[str, Any],
    settings: Mapping[str, Any],
    received_on: date,
    purchase_date_reported: bool,
) -> list[Violation]:
    violations: list[Violation] = []
    channel = fields.get("sale_channel")

    if channel is None:
        violations.append(
            Violation(
                "retail.sale_channel_missing",
                "Give the sale channel: the no-reason return window depends on it.",
                _path("sale_channel"),
            )
        )
    elif channel in DISTANCE_CHANNELS:
        limit = STATUTE["distance_no_reason_days"]
        day, problems = _reference_day(
            fields,
            "delivered_on",
            received_on,
            "retail.delivery_date_missing",
            "the date the customer signed for the goods (delivered_on)",
        )
        violations += problems
        if day is not None and day > limit:
            violations.append(
                Violation(
                    "retail.no_reason_window_closed",
                    f"A no-reason return of a distance sale is possible within {limit} days "
                    f"after delivery; this is day {day}.",
                    _path("delivered_on"),
                )
            )
    else:  # a store sale: only the store's own policy offers a no-reason return
        limit = _setting(settings, "store_no_reason_days")
        if limit <= 0:
            violations.append(
                Violation(
                    "retail.no_reason_window_closed",
                    "This store offers no no-reason returns of goods bought in the store.",
                    _path("return_type"),
                )
            )
        else:
            day, problems = _reference_day(
                fields,
                "purchased_on",
                received_on,
                None if purchase_date_reported else "retail.purchase_date_missing",
                "the purchase date (purchased_on)",
            )
            violations += problems
            if day is not None and day > limit:
                violations.append(
                    Violation(
                        "retail.no_reason_window_closed",
                        f"The store takes no-reason returns within {limit} days after the "
                        f"purchase; this is day {day}.",
                        _path("purchased_on"),
                    )
                )

    goods_type = fields.get("goods_type") or "general"
    if goods_type in EXCLUDED_GOODS:
        violations.append(
            Violation(
                "retail.excluded_goods",
                f"Goods of type {goods_type} are excluded from no-reason returns.",
                _path("goods_type"),
            )
        )
    elif goods_type == "flagged_non_returnable" and fields.get("buyer_confirmed_non_returnable"):
        violations.append(
            Violation(
                "retail.excluded_goods",
                "The buyer confirmed at purchase that these goods are not returnable without "
                "reason.",
                _path("goods_type"),
            )
        )

    condition = fields.get("condition")
    if condition is not None and condition != "intact":
        violations.append(
            Violation(
                "retail.goods_not_intact",
                f"A no-reason return needs the goods intact; their condition is {condition}.",
                _path("condition"),
            )
        )
    return violations


def _check_quality(
    fields: Mapping[str, Any],
    settings: Mapping[str, Any],
    received_on: date,
    purchase_date_reported: bool,
) -> list[Violation]:
    day, problems = _reference_day(
        fields,
        "purchased_on",
        received_on,
        None if purchase_date_reported else "retail.purchase_date_missing",
        "the purchase date (purchased_on)",
    )
    if day is None:
        return problems

    remedy = fields.get("remedy")
    refund_days = STATUTE["quality_refund_days"]
    exchange_days = STATUTE["quality_exchange_days"]
    warranty_days = _setting(settings, "warranty_days")

    if day <= refund_days:
        return []
    if day <= exchange_days:
        if remedy == "refund":
            return [
                Violation(
                    "retail.remedy_not_available",
                    f"Day {day} after the purchase: a refund is possible within {refund_days} "
                    "days; exchange or repair only.",
                    _path("remedy"),
                )
            ]
        return []
    if day > warranty_days:
        return [
            Violation(
                "retail.warranty_expired",
                f"Day {day} after the purchase: the {warranty_days}-day warranty has ended.",
                _path("purchased_on"),
            )
        ]
    repairs_done = fields.get("repairs_done") or 0
    if remedy in ("refund", "exchange") and repairs_done < STATUTE["failed_repairs_for_exchange"]:
        return [
            Violation(
                "retail.remedy_not_available",
                f"Day {day} after the purchase, inside the warranty: repair only, until "
                f"{STATUTE['failed_repairs_for_exchange']} repairs have failed "
                f"({repairs_done} so far).",
                _path("remedy"),
            )
        ]
    return []


def refund_amount(fields: Mapping[str, Any]) -> float | None:
    """The amount the customer gets back, or ``None`` when the return is not a refund.

    ``amount`` is the amount paid for the returned goods. A return is a refund when its remedy is
    ``refund``, or when it is a ``no_reason`` return without a remedy (a no-reason return gives
    the money back).
    """
    amount = fields.get("amount")
    if amount is None:
        return None
    remedy = fields.get("remedy")
    if remedy == "refund" or (remedy is None and fields.get("return_type") == "no_reason"):
        return amount
    return None


def needs_supervisor_approval(fields: Mapping[str, Any], settings: Mapping[str, Any]) -> bool:
    """Whether the refund is above the tenant's ``supervisor_limit`` (DOMAIN.md section 2).

    A refund equal to the limit (default 2,000) needs no approval; one cent more does
    (``core.approval_required`` then applies to resolving). No refund, no approval.
    """
    amount = refund_amount(fields)
    if amount is None:
        return False
    # Compared as decimals so that binary floating point cannot blur a cent at the limit.
    return Decimal(str(amount)) > Decimal(str(_setting(settings, "supervisor_limit")))


def is_frequent_returner(previous_returns_in_window: int, settings: Mapping[str, Any]) -> bool:
    """Whether this return makes the customer a frequent returner (flag ``frequent_returner``).

    DOMAIN.md section 2: ``frequent_returns`` (5) or more returns in ``frequent_window_days``
    (90), this one included; so 4 earlier returns plus this one flag the customer.
    ``previous_returns_in_window`` counts the customer's earlier returns inside that window.
    """
    return previous_returns_in_window + 1 >= _setting(settings, "frequent_returns")


def refund_due_start(fields: Mapping[str, Any]) -> date | None:
    """The day the ``refund`` timer starts: ``goods_received_on``, or ``None`` until known.

    DOMAIN.md section 2: the refund is due ``refund_days`` (7) days from ``goods_received_on``.
    """
    return fields.get("goods_received_on")


#: What a department's name contains when it is the quality department (质检部, 质量管理部...).
QUALITY_DEPARTMENT_WORDS: tuple[str, ...] = ("质检", "质量")
#: Where appraisals go in a tenant that keeps no list of departments (departments are free text).
DEFAULT_QUALITY_DEPARTMENT = "质检部"


def quality_department(settings: Mapping[str, Any], departments: Sequence[str]) -> str | None:
    """The department ``request_appraisal`` sends a case to, or ``None`` when there is none.

    The tenant's ``quality_department`` setting when given (and, if the tenant lists its
    departments, one of them); else the first of the tenant's departments whose name contains
    质检 or 质量; a tenant that lists no departments at all (they are free text) gets 质检部.
    """
    chosen = settings.get("quality_department")
    if chosen:
        return chosen if not departments or chosen in departments else None
    for department in departments:
        if any(word in department for word in QUALITY_DEPARTMENT_WORDS):
            return department
    return None if departments else DEFAULT_QUALITY_DEPARTMENT


def refund_timer_start(goods_received_on: date, timezone: str) -> datetime:
    """The moment the ``refund`` timer starts: the end (23:59:59) of ``goods_received_on`` in the
    tenant's time zone.

    Day counts in DOMAIN.md section 2 start the day after the reference date and include the
    last day, so ``refund_days`` (7) calendar days from this moment end at 23:59:59 of day 7:
    goods back on Nov 6 are refunded by Nov 13 23:59:59.
    """
    return datetime.combine(goods_received_on, END_OF_DAY, tzinfo=ZoneInfo(timezone))
