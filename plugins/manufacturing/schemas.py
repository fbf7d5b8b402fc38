"""The manufacturing schemas: the tenant's plugin settings and the case fields
``data.manufacturing``, with the 8D report (DOMAIN.md section 4).

Every schema, nested ones included, refuses unknown keys, every integer is bounded and every
string has a maximum length, so bad input is a 422 with the field's path rather than a database
error. The 8D is filled in over time, so nothing inside it is required except what makes a row
meaningful (a containment action's text, a duration's amount and unit).
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates

from plugins.manufacturing.rules import (
    DEFAULT_TIMERS,
    DOCUMENTS,
    FOUND_AT,
    LANGUAGES,
    OPERATOR_ERROR_PHRASES,
    REPEAT_WINDOW_DAYS,
)

NAME_MAX = 200  # identifiers and names: customer, part number, lot, people
TEXT_MAX = 2000  # one-line descriptions: the defect, a containment action
LONG_MAX = 20000  # narrative 8D text
QUANTITY = validate.Range(min=0, max=10**9)
# The core's time units (core.types.TIME_UNITS); repeated because a plugin may import only what
# the top-level ``core`` package exports.
TIME_UNITS: tuple[str, ...] = ("hours", "days", "working_days", "working_hours")


def _name(**kwargs: Any) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=NAME_MAX), **kwargs)


def _long(**kwargs: Any) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(max=LONG_MAX), **kwargs)


def _quantity() -> fields.Integer:
    return fields.Integer(strict=True, allow_none=True, validate=QUANTITY)


# --- settings --------------------------------------------------------------------------------


class ManufacturingDuration(Schema):
    """A timer's duration, as the core's tenant ``timers`` setting writes it."""

    class Meta:
        unknown = RAISE

    amount = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=10**5))
    unit = fields.String(required=True, validate=validate.OneOf(TIME_UNITS))


def _default_timer(name: str) -> Any:
    return lambda: dict(DEFAULT_TIMERS[name])


class ManufacturingTimers(Schema):
    """The 8D timers (DOMAIN.md 4); one given leaves the others at their defaults."""

    class Meta:
        unknown = RAISE

    containment = fields.Nested(ManufacturingDuration, load_default=_default_timer("containment"))
    action_plan = fields.Nested(ManufacturingDuration, load_default=_default_timer("action_plan"))
    closure = fields.Nested(ManufacturingDuration, load_default=_default_timer("closure"))


class ManufacturingCustomerTimers(Schema):
    """One customer's own deadlines; a timer not given here keeps the tenant's."""

    class Meta:
        unknown = RAISE

    containment = fields.Nested(ManufacturingDuration)
    action_plan = fields.Nested(ManufacturingDuration)
    closure = fields.Nested(ManufacturingDuration)


class ManufacturingSettings(Schema):
    """The tenant's manufacturing settings; ``{}`` loads every default of DOMAIN.md 4."""

    class Meta:
        unknown = RAISE

    operator_error_phrases = fields.List(
        fields.String(validate=validate.Length(min=1, max=NAME_MAX)),
        load_default=lambda: list(OPERATOR_ERROR_PHRASES),
        validate=validate.Length(max=100),
        metadata={"description": "Root causes containing one of these are refused (D4)."},
    )
    timers = fields.Nested(
        ManufacturingTimers,
        load_default=lambda: {name: dict(value) for name, value in DEFAULT_TIMERS.items()},
        metadata={"description": "containment, action_plan, closure: amount and unit."},
    )
    customer_timers = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=NAME_MAX)),
        values=fields.Nested(ManufacturingCustomerTimers),
        load_default=dict,
        validate=validate.Length(max=10000),
        metadata={"description": "Per customer (by name): the timers that customer imposes."},
    )
    repeat_window_days = fields.Integer(
        strict=True,
        load_default=REPEAT_WINDOW_DAYS,
        validate=validate.Range(min=1, max=3660),
        metadata={"description": "Same part and defect within this many days is a repeat."},
    )

    @validates("operator_error_phrases")
    def _no_blank_phrase(self, value: list[str], **_: Any) -> None:
        # A blank phrase is a substring of every root cause: every D4 would be refused.
        if any(not phrase.strip() for phrase in value):
            raise ValidationError("A phrase may not be blank.")


# --- the 8D ----------------------------------------------------------------------------------


class EightD0(Schema):
    """D0: the emergency response."""

    class Meta:
        unknown = RAISE

    emergency_response = _long()


class EightD1(Schema):
    """D1: the team."""

    class Meta:
        unknown = RAISE

    champion = _name()
    leader = _name()
    members = fields.List(
        fields.String(validate=validate.Length(min=1, max=NAME_MAX)),
        allow_none=True,
        validate=validate.Length(max=100),
    )


class EightD2(Schema):
    """D2: the problem in 5W2H, and is / is-not."""

    class Meta:
        unknown = RAISE

    what = _long()
    where = _long()
    when = _long()
    who = _long()
    why = _long()
    how = _long()
    how_many = _long()
    is_not = _long()


class EightDContainmentAction(Schema):
    """One containment action of D3."""

    class Meta:
        unknown = RAISE

    action = fields.String(required=True, validate=validate.Length(min=1, max=TEXT_MAX))
    owner = _name()
    started_on = fields.Date(allow_none=True)
    verified = fields.Boolean(allow_none=True)


class EightDSuspectStock(Schema):
    """D3: suspect quantities by location."""

    class Meta:
        unknown = RAISE

    in_process = _quantity()
    finished_goods = _quantity()
    in_transit = _quantity()
    at_customer = _quantity()


class EightD3(Schema):
    """D3: containment actions and suspect stock."""

    class Meta:
        unknown = RAISE

    actions = fields.List(
        fields.Nested(EightDContainmentAction), allow_none=True, validate=validate.Length(max=200)
    )
    suspect_stock = fields.Nested(EightDSuspectStock, allow_none=True)


class EightD4(Schema):
    """D4: the root cause of occurrence and the escape point."""

    class Meta:
        unknown = RAISE

    occurrence_root_cause = _long()
    escape_point = _long()
    verification = _long()


class EightD5(Schema):
    """D5: permanent actions against occurrence and for detection."""

    class Meta:
        unknown = RAISE

    occurrence_actions = _long()
    detection_actions = _long()


class EightD6(Schema):
    """D6: implementation and evidence of effectiveness."""

    class Meta:
        unknown = RAISE

    implemented_on = fields.Date(allow_none=True)
    effectiveness_evidence = _long()


class EightD7(Schema):
    """D7: prevention: documents revised, similar products checked."""

    class Meta:
        unknown = RAISE

    documents_revised = fields.List(
        fields.String(validate=validate.OneOf(DOCUMENTS)),
        allow_none=True,
        validate=validate.Length(max=len(DOCUMENTS)),
    )
    similar_products_checked = _long()


class EightD8(Schema):
    """D8: closure and lessons learned."""

    class Meta:
        unknown = RAISE

    closed_on = fields.Date(allow_none=True)
    lessons_learned = _long()


class EightD(Schema):
    """The 8D report, d0 to d8; any discipline may be absent until it is done."""

    class Meta:
        unknown = RAISE

    d0 = fields.Nested(EightD0, allow_none=True)
    d1 = fields.Nested(EightD1, allow_none=True)
    d2 = fields.Nested(EightD2, allow_none=True)
    d3 = fields.Nested(EightD3, allow_none=True)
    d4 = fields.Nested(EightD4, allow_none=True)
    d5 = fields.Nested(EightD5, allow_none=True)
    d6 = fields.Nested(EightD6, allow_none=True)
    d7 = fields.Nested(EightD7, allow_none=True)
    d8 = fields.Nested(EightD8, allow_none=True)


class ManufacturingCaseFields(Schema):
    """``data.manufacturing`` of a case (DOMAIN.md 4). Every field is optional.

    ``language`` has no default here: it defaults to the tenant's locale, which only the core
    knows when it renders the report.
    """

    class Meta:
        unknown = RAISE

    customer = _name()
    customer_complaint_no = _name()
    part_no = _name()
    part_name = _name()
    lots = fields.List(
        fields.String(validate=validate.Length(min=1, max=NAME_MAX)),
        allow_none=True,
        validate=validate.Length(max=1000),
    )
    quantity_affected = _quantity()
    defect = fields.String(allow_none=True, validate=validate.Length(max=TEXT_MAX))
    found_at = fields.String(allow_none=True, validate=validate.OneOf(FOUND_AT))
    cause_known = fields.Boolean(allow_none=True)
    language = fields.String(allow_none=True, validate=validate.OneOf(LANGUAGES))
    eight_d = fields.Nested(EightD, allow_none=True)


# The names the plugin's hooks use; the classes carry the plugin's name so that the OpenAPI
# document, which names components after schema classes, has no two plugins' ``Settings``.
Settings = ManufacturingSettings
CaseFields = ManufacturingCaseFields
