"""The food_service schemas: the tenant's plugin settings and the case fields ``data.food_service``.

DOMAIN.md section 3 names the fields and the defaults. Every schema refuses unknown keys, every
integer is bounded and every string has a maximum length, so bad input is a 422 with a field path
rather than a database error.
"""

from __future__ import annotations

from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    validate,
    validates,
    validates_schema,
)

from plugins.food_service.rules import (
    DIGEST_CATEGORIES,
    DIGEST_FALLBACK,
    DIGEST_INTERVAL_DAYS,
    HAZARDS,
    MEALS,
    NEW_DISH_FEEDBACK_TARGET,
    RECALL_LEVELS,
    TABLE_FEEDBACK_TARGET,
    current_recall_version,
    recall_versions,
)

NAME_MAX = 200  # product names, lot codes, site names, category names
PERCENT = validate.Range(min=0, max=100)


class FoodServiceSettings(Schema):
    """The tenant's food_service settings; ``{}`` loads every default of DOMAIN.md 3."""

    class Meta:
        unknown = RAISE

    # The default is read from the data file when loading, so marking a new version current in
    # recall_levels.json changes the default without a code change.
    recall_version = fields.String(
        load_default=current_recall_version,
        validate=validate.Length(min=1, max=NAME_MAX),
        metadata={"description": "The recall regulation version (recall_levels.json)."},
    )
    table_feedback_target = fields.Float(
        load_default=float(TABLE_FEEDBACK_TARGET),
        validate=PERCENT,
        metadata={"description": "Percent of tables per meal service asked for feedback."},
    )
    new_dish_feedback_target = fields.Float(
        load_default=float(NEW_DISH_FEEDBACK_TARGET),
        validate=PERCENT,
        metadata={"description": "Percent of new-dish servings asked for feedback."},
    )
    digest_interval_days = fields.Integer(
        strict=True,
        load_default=DIGEST_INTERVAL_DAYS,
        validate=validate.Range(min=1, max=366),
        metadata={"description": "Days between feedback digests."},
    )
    digest_categories = fields.List(
        fields.String(validate=validate.Length(min=1, max=NAME_MAX)),
        load_default=lambda: list(DIGEST_CATEGORIES),
        validate=validate.Length(min=1, max=50),
        metadata={"description": "Feedback categories of the digest; must include 'other'."},
    )

    @validates("recall_version")
    def _known_version(self, value: str, **_: Any) -> None:
        if value not in recall_versions():
            raise ValidationError(f"Unknown version; one of: {', '.join(recall_versions())}.")

    @validates("digest_categories")
    def _has_fallback(self, value: list[str], **_: Any) -> None:
        names = [name.strip().casefold() for name in value]
        # Feedback with an unknown category is counted under 'other'; without it, it would vanish.
        if DIGEST_FALLBACK not in names:
            raise ValidationError(f"The categories must include '{DIGEST_FALLBACK}'.")
        if len(set(names)) != len(names):
            raise ValidationError("The categories must be distinct.")


class FoodServiceCaseFields(Schema):
    """``data.food_service`` of a case (DOMAIN.md 3). Every field is optional.

    A food-safety complaint without a lot is accepted (with the warning
    ``food_service.lot_missing``), so nothing here is required.
    """

    class Meta:
        unknown = RAISE

    food_safety = fields.Boolean(allow_none=True)
    illness_reported = fields.Boolean(allow_none=True)
    product = fields.String(allow_none=True, validate=validate.Length(max=NAME_MAX))
    lot = fields.String(allow_none=True, validate=validate.Length(max=NAME_MAX))
    produced_on = fields.Date(allow_none=True)
    best_before = fields.Date(allow_none=True)
    site = fields.String(allow_none=True, validate=validate.Length(max=NAME_MAX))
    hazard = fields.String(allow_none=True, validate=validate.OneOf(HAZARDS))
    recall_level = fields.Integer(
        strict=True,
        allow_none=True,
        validate=validate.Range(min=min(RECALL_LEVELS), max=max(RECALL_LEVELS)),
    )

    @validates_schema
    def _dates_in_order(self, data: dict[str, Any], **_: Any) -> None:
        produced, best_before = data.get("produced_on"), data.get("best_before")
        # A best-before date earlier than production is a typing error in one of the two.
        if produced and best_before and best_before < produced:
            raise ValidationError("Must not be earlier than produced_on.", "best_before")


COUNT = validate.Range(min=0, max=100_000)


class FoodServiceFeedbackFields(FoodServiceCaseFields):
    """``data.food_service`` of a feedback case: the case fields, plus the meal service the
    feedback was collected at and its counts, for the collection rates (DOMAIN.md 3: at least
    20 % of tables, 90 % for new dishes, per meal service).

    A meal service is the case's ``site`` with ``service_date`` (default: the day the feedback was
    received, in the tenant's time zone) and ``meal``; one feedback case is one table's feedback.
    ``tables_served`` and ``new_dish_servings`` are the service's counts as known when the
    feedback was logged (the largest given counts).
    """

    service_date = fields.Date(allow_none=True)
    meal = fields.String(allow_none=True, validate=validate.OneOf(MEALS))
    tables_served = fields.Integer(strict=True, allow_none=True, validate=COUNT)
    new_dish = fields.Boolean(allow_none=True)
    new_dish_servings = fields.Integer(strict=True, allow_none=True, validate=COUNT)


# The names the plugin's hooks use; the classes carry the plugin's name so that the OpenAPI
# document, which names components after schema classes, has no two plugins' ``Settings``.
Settings = FoodServiceSettings
CaseFields = FoodServiceCaseFields
FeedbackFields = FoodServiceFeedbackFields
