"""Marshmallow schemas of the retail plugin: the tenant's settings and the case fields.

Both follow DOMAIN.md section 2 to the letter (names, enumerations, defaults). The schemas only
check shape and bounds; whether a return is allowed is decided by ``plugins.retail.rules``, so
every case field is optional here.
"""

from __future__ import annotations

from datetime import date

from marshmallow import RAISE, Schema, fields, validate

RETURN_TYPES: tuple[str, ...] = ("no_reason", "quality")
SALE_CHANNELS: tuple[str, ...] = ("store", "online", "tv", "phone", "mail")
#: Sale channels that are distance sales, where the statutory 7-day no-reason return applies.
DISTANCE_CHANNELS: frozenset[str] = frozenset({"online", "tv", "phone", "mail"})
GOODS_TYPES: tuple[str, ...] = (
    "general",
    "customized",
    "fresh",
    "digital_unsealed",
    "periodical",
    "flagged_non_returnable",
)
CONDITIONS: tuple[str, ...] = (
    "intact",
    "seal_broken",
    "tags_removed",
    "serial_tampered",
    "activated",
    "soiled",
)
REMEDIES: tuple[str, ...] = ("refund", "exchange", "repair")

#: Tenant settings and their defaults (DOMAIN.md section 2).
DEFAULT_SETTINGS: dict[str, object] = {
    "supervisor_limit": 2000,
    "store_no_reason_days": 0,
    "allow_receiptless": False,
    "warranty_days": 365,
    "frequent_returns": 5,
    "frequent_window_days": 90,
    "refund_days": 7,
    # Not a DOMAIN.md figure: where ``request_appraisal`` sends a case. ``None`` chooses the
    # tenant's department whose name contains 质检 or 质量 (see ``rules.quality_department``).
    "quality_department": None,
}

# Upper bounds keep absurd input a 422 instead of an overflow further down (database, date maths).
MAX_MONEY = 100_000_000
MAX_DAYS = 3650
MAX_QUANTITY = 100_000
MAX_COUNT = 1000
# Dates of purchases and returns; the bounds keep date arithmetic (the refund deadline) in range.
DATES = validate.Range(min=date(1900, 1, 1), max=date(2999, 12, 31))


class RetailSettings(Schema):
    """A tenant's retail settings; ``{}`` loads the DOMAIN.md defaults."""

    class Meta:
        unknown = RAISE

    supervisor_limit = fields.Float(
        load_default=DEFAULT_SETTINGS["supervisor_limit"],
        validate=validate.Range(min=0, max=MAX_MONEY),
        metadata={"description": "A refund amount above this needs a manager's approval."},
    )
    store_no_reason_days = fields.Integer(
        strict=True,
        load_default=DEFAULT_SETTINGS["store_no_reason_days"],
        validate=validate.Range(min=0, max=365),
        metadata={"description": "Days of the store's own no-reason return policy (0: none)."},
    )
    allow_receiptless = fields.Boolean(
        load_default=DEFAULT_SETTINGS["allow_receiptless"],
        metadata={"description": "Accept returns without full receipt details, with a warning."},
    )
    warranty_days = fields.Integer(
        strict=True,
        load_default=DEFAULT_SETTINGS["warranty_days"],
        validate=validate.Range(min=0, max=MAX_DAYS),
        metadata={"description": "Quality warranty, in days after the purchase date."},
    )
    frequent_returns = fields.Integer(
        strict=True,
        load_default=DEFAULT_SETTINGS["frequent_returns"],
        # 0 would flag every customer, so the least meaningful threshold is 1.
        validate=validate.Range(min=1, max=MAX_COUNT),
        metadata={"description": "Returns in the window (this one included) that flag a customer."},
    )
    frequent_window_days = fields.Integer(
        strict=True,
        load_default=DEFAULT_SETTINGS["frequent_window_days"],
        validate=validate.Range(min=1, max=MAX_DAYS),
        metadata={"description": "The window, in days, for counting a customer's returns."},
    )
    refund_days = fields.Integer(
        strict=True,
        load_default=DEFAULT_SETTINGS["refund_days"],
        validate=validate.Range(min=0, max=365),
        metadata={"description": "Days to refund after the returned goods come back."},
    )
    quality_department = fields.String(
        load_default=DEFAULT_SETTINGS["quality_department"],
        allow_none=True,
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "The department that appraises goods (action request_appraisal); "
            "null: the tenant's department whose name contains 质检 or 质量."
        },
    )


class RetailCaseFields(Schema):
    """The case's ``data.retail`` fields. All optional: the rules say what a return lacks."""

    class Meta:
        unknown = RAISE

    return_type = fields.String(allow_none=True, validate=validate.OneOf(RETURN_TYPES))
    sale_channel = fields.String(allow_none=True, validate=validate.OneOf(SALE_CHANNELS))
    receipt_no = fields.String(allow_none=True, validate=validate.Length(max=64))
    store = fields.String(allow_none=True, validate=validate.Length(max=200))
    purchased_on = fields.Date(allow_none=True, validate=DATES)
    delivered_on = fields.Date(
        allow_none=True,
        validate=DATES,
        metadata={"description": "The day the customer signed for the goods (distance sales)."},
    )
    sku = fields.String(allow_none=True, validate=validate.Length(max=64))
    # A return of nothing is meaningless, so a given quantity is at least 1.
    quantity = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_QUANTITY)
    )
    amount = fields.Float(
        allow_none=True,
        validate=validate.Range(min=0, max=MAX_MONEY),
        metadata={"description": "The amount paid for the returned goods (the refund amount)."},
    )
    goods_type = fields.String(allow_none=True, validate=validate.OneOf(GOODS_TYPES))
    buyer_confirmed_non_returnable = fields.Boolean(allow_none=True)
    condition = fields.String(allow_none=True, validate=validate.OneOf(CONDITIONS))
    repairs_done = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=MAX_COUNT)
    )
    remedy = fields.String(allow_none=True, validate=validate.OneOf(REMEDIES))
    goods_received_on = fields.Date(
        allow_none=True,
        validate=DATES,
        metadata={"description": "The day the returned goods came back; starts the refund timer."},
    )


# The names the plugin contract asks for; the classes keep plugin-specific names so that the
# OpenAPI document's component names of the four plugins do not collide.
Settings = RetailSettings
CaseFields = RetailCaseFields
