"""marshmallow schemas of the API (and of the tenant manifests, which take the same settings)."""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import UTC, datetime, time

import holidays
from marshmallow import (
    INCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates,
    validates_schema,
)

from core.calendars import MAX_AMOUNT
from core.types import ROLES, SEVERITIES, TIME_UNITS
from core.workflow import STATES

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
CORE_KINDS: tuple[str, ...] = ("complaint", "return", "feedback", "service_request")
CHANNELS: tuple[str, ...] = ("phone", "email", "wechat", "web", "on_site", "letter", "other")
CATEGORY_GROUPS: tuple[str, ...] = ("quality", "service", "other")
CORE_TIMERS: tuple[str, ...] = ("first_reply", "department_reply", "follow_up", "resolution")
LOCALES: tuple[str, ...] = ("zh_CN", "en")

_name = validate.Length(min=1, max=200)
# Times the calendar and the database can work with; outside: a 422, not an overflow.
_sane_time = validate.Range(
    min=datetime(1970, 1, 1, tzinfo=UTC),
    max=datetime(2200, 1, 1, tzinfo=UTC),
    error="Give a time between 1970 and 2200.",
)
_long = validate.Length(max=20000)
_int32 = validate.Range(min=0, max=2**31 - 1)


@functools.cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@functools.cache
def _countries() -> frozenset[str]:
    return frozenset(holidays.list_supported_countries())


def _validate_timezone(value: str) -> None:
    if value not in _timezones():
        raise ValidationError("Not a known IANA time zone, e.g. Asia/Shanghai.")


class WholeNumber(fields.Integer):
    """An integer input. A number with a fraction is refused, never cut (a score of 4.5 is no
    score, a version of 3.5 no version); a form's digits ("5") are taken."""

    def _validated(self, value):
        if isinstance(value, float) and not value.is_integer():
            raise self.make_error("invalid")
        return super()._validated(value)


class PluginData(fields.Dict):
    """``{plugin: {field: value}}``. A namespace that is no object is reported under
    ``data.<plugin>``, where marshmallow's Dict would say ``data.<plugin>.value``."""

    def __init__(self, **kwargs):
        super().__init__(
            keys=fields.String(validate=validate.Length(min=1, max=64)),
            values=fields.Dict(),
            **kwargs,
        )

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            return super()._deserialize(value, attr, data, **kwargs)
        except ValidationError as exc:
            if not isinstance(exc.messages, dict):
                raise
            raise ValidationError(
                {
                    plugin: [m for part in errors.values() for m in part]
                    if isinstance(errors, dict) and set(errors) <= {"key", "value"}
                    else errors
                    for plugin, errors in exc.messages.items()
                }
            ) from exc


def _hhmm(value: str) -> time | None:
    if not re.fullmatch(r"\d\d:\d\d", value):
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        return None


# --- errors ----------------------------------------------------------------------------------


class ViolationSchema(Schema):
    code = fields.String(required=True, metadata={"example": "core.approval_required"})
    message = fields.String(required=True)
    field = fields.String(allow_none=True)


class ProblemSchema(Schema):
    """RFC 9457 problem details, as every error of the API is answered."""

    class Meta:
        unknown = INCLUDE

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True)
    detail = fields.String()
    errors = fields.Dict(
        keys=fields.String(),
        values=fields.List(fields.String()),
        metadata={"description": "Schema errors by field; dotted paths for nested fields."},
    )
    violations = fields.List(fields.Nested(ViolationSchema))
    plugin = fields.String(metadata={"description": "The plugin that failed, on a 500."})


# --- tenants ---------------------------------------------------------------------------------


class CalendarSchema(Schema):
    country = fields.String(load_default="CN", allow_none=True, validate=validate.Length(max=8))
    closed_dates = fields.List(fields.Date(), load_default=list, validate=validate.Length(max=1000))
    extra_working_days = fields.List(
        fields.Date(), load_default=list, validate=validate.Length(max=1000)
    )
    working_hours = fields.List(
        fields.String(validate=validate.Length(max=5)),
        load_default=lambda: ["09:00", "18:00"],
        validate=validate.Length(equal=2),
    )

    @validates("country")
    def _country(self, value: str | None, **_) -> None:
        if value is not None and value not in _countries():
            raise ValidationError("Not a country the holidays data knows (ISO 3166 code).")

    @validates("working_hours")
    def _hours(self, value: list[str], **_) -> None:
        start, end = (_hhmm(v) for v in value)
        if start is None or end is None:
            raise ValidationError('Give opening and closing as "HH:MM", e.g. ["09:00", "18:00"].')
        if start >= end:
            raise ValidationError("Opening must be before closing.")

    @post_load
    def _iso(self, data: dict, **_) -> dict:
        # Settings are stored as JSON: dates as ISO strings.
        for key in ("closed_dates", "extra_working_days"):
            data[key] = sorted({d.isoformat() for d in data[key]})
        return data


class CategorySchema(Schema):
    name = fields.String(required=True, validate=_name)
    group = fields.String(load_default="other", validate=validate.OneOf(CATEGORY_GROUPS))


class DurationSchema(Schema):
    amount = WholeNumber(required=True, validate=validate.Range(min=1, max=100000))
    unit = fields.String(required=True, validate=validate.OneOf(TIME_UNITS))

    @validates_schema
    def _within_calendar(self, data: dict, **_) -> None:
        limit = MAX_AMOUNT.get(data.get("unit", ""), 0)
        if data.get("amount", 0) > limit > 0:
            raise ValidationError(f"At most {limit} {data['unit']}.", "amount")


class TimersSchema(Schema):
    """Durations of the core timers; ``null`` turns a timer off (``resolution`` is off unless
    set). Defaults from DOMAIN.md section 1."""

    first_reply = fields.Nested(
        DurationSchema, allow_none=True, load_default=lambda: {"amount": 5, "unit": "working_days"}
    )
    department_reply = fields.Nested(
        DurationSchema, allow_none=True, load_default=lambda: {"amount": 3, "unit": "working_days"}
    )
    follow_up = fields.Nested(
        DurationSchema, allow_none=True, load_default=lambda: {"amount": 5, "unit": "working_days"}
    )
    resolution = fields.Nested(DurationSchema, allow_none=True, load_default=None)


class RevisitsSchema(Schema):
    """Follow-up contacts needed before a complaint of each category group may close."""

    quality = WholeNumber(load_default=2, validate=validate.Range(min=0, max=100))
    service = WholeNumber(load_default=1, validate=validate.Range(min=0, max=100))
    other = WholeNumber(load_default=0, validate=validate.Range(min=0, max=100))


def _unique_names(values: list[str]) -> None:
    if len(set(values)) != len(values):
        raise ValidationError("Names must be unique.")


class TenantSettingsSchema(Schema):
    """The settings a tenant may change (``PATCH /api/v1/tenants/{slug}``)."""

    name = fields.String(validate=_name)
    timezone = fields.String(validate=_validate_timezone)
    locale = fields.String(validate=validate.OneOf(LOCALES))
    calendar = fields.Nested(CalendarSchema)
    departments = fields.List(
        fields.String(validate=_name), validate=[validate.Length(max=500), _unique_names]
    )
    sites = fields.List(
        fields.String(validate=_name), validate=[validate.Length(max=5000), _unique_names]
    )
    categories = fields.List(fields.Nested(CategorySchema), validate=validate.Length(max=500))
    timers = fields.Nested(TimersSchema)
    repeat_window_days = WholeNumber(validate=validate.Range(min=0, max=3650))
    revisits_required = fields.Nested(RevisitsSchema)
    plugins = fields.Dict(
        keys=fields.String(validate=validate.Length(min=1, max=64)),
        values=fields.Dict(),
        metadata={"description": "Enabled plugins and their settings, by plugin name."},
    )

    @validates("categories")
    def _categories(self, value: list[dict], **_) -> None:
        # Runs even when an entry failed its own schema: look only at the names given.
        _unique_names([c["name"] for c in value if isinstance(c, dict) and "name" in c])


class TenantCreateSchema(TenantSettingsSchema):
    slug = fields.String(
        required=True,
        validate=validate.Regexp(SLUG, error="Lower-case letters, digits and hyphens, 1 to 63."),
    )
    name = fields.String(required=True, validate=_name)


class TenantSchema(Schema):
    slug = fields.String()
    name = fields.String()
    timezone = fields.String()
    locale = fields.String()
    calendar = fields.Dict()
    departments = fields.List(fields.String())
    sites = fields.List(fields.String())
    categories = fields.List(fields.Dict())
    timers = fields.Dict()
    repeat_window_days = fields.Integer()
    revisits_required = fields.Dict()
    plugins = fields.Dict(metadata={"description": "Enabled plugins with their settings."})


class PluginSchema(Schema):
    name = fields.String()
    title = fields.String()
    version = fields.String()
    description = fields.String()
    settings_schema = fields.Dict(metadata={"description": "JSON Schema of the settings."})
    case_fields_schema = fields.Dict(metadata={"description": "JSON Schema of data.<name>."})


# --- cases -----------------------------------------------------------------------------------


class CustomerSchema(Schema):
    name = fields.String(required=True, validate=_name)
    phone = fields.String(allow_none=True, validate=validate.Length(max=64))
    email = fields.Email(allow_none=True, validate=validate.Length(max=254))


class CustomerEditSchema(CustomerSchema):
    name = fields.String(validate=_name)


class CaseCreateSchema(Schema):
    kind = fields.String(
        required=True,
        validate=validate.Length(min=1, max=32),
        metadata={"description": f"One of {', '.join(CORE_KINDS)}, or a plugin's kind."},
    )
    title = fields.String(required=True, validate=validate.Length(min=1, max=500))
    description = fields.String(load_default="", validate=_long)
    channel = fields.String(required=True, validate=validate.OneOf(CHANNELS))
    customer = fields.Nested(CustomerSchema, required=True)
    category = fields.String(allow_none=True, validate=_name)
    severity = fields.String(load_default="normal", validate=validate.OneOf(SEVERITIES))
    site = fields.String(allow_none=True, validate=_name)
    subject_staff = fields.List(
        fields.String(validate=validate.Length(min=1, max=254)),
        load_default=list,
        validate=validate.Length(max=50),
    )
    remedy_sought = fields.String(allow_none=True, validate=_long)
    received_at = fields.AwareDateTime(
        validate=_sane_time,
        metadata={"description": "When the case was received (RFC 3339); default now."},
    )
    data = PluginData(
        load_default=dict,
        metadata={"description": "Fields of enabled plugins, by plugin name."},
    )


class CaseEditSchema(Schema):
    version = WholeNumber(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    title = fields.String(validate=validate.Length(min=1, max=500))
    description = fields.String(validate=_long)
    customer = fields.Nested(CustomerEditSchema)
    category = fields.String(allow_none=True, validate=_name)
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    site = fields.String(allow_none=True, validate=_name)
    subject_staff = fields.List(
        fields.String(validate=validate.Length(min=1, max=254)), validate=validate.Length(max=50)
    )
    remedy_sought = fields.String(allow_none=True, validate=_long)
    data = PluginData(metadata={"description": "Plugin namespaces to replace, each whole."})

    @validates_schema
    def _something(self, data: dict, **_) -> None:
        if set(data) == {"version"}:
            raise ValidationError("Give at least one field to change.", "_schema")


class TimerSchema(Schema):
    name = fields.String()
    state = fields.String(metadata={"description": "running, paused, met or breached"})
    started_at = fields.AwareDateTime()
    due_at = fields.AwareDateTime()
    paused_seconds = fields.Integer()
    stopped_at = fields.AwareDateTime(allow_none=True)
    breached_at = fields.AwareDateTime(allow_none=True)
    amount = fields.Integer()
    unit = fields.String()
    explanation = fields.Dict(metadata={"description": "How the deadline was computed."})


class LinkSchema(Schema):
    case = fields.String()
    relation = fields.String()


class CaseSchema(Schema):
    id = fields.String()
    number = fields.String()
    kind = fields.String()
    state = fields.String()
    title = fields.String()
    description = fields.String()
    channel = fields.String()
    customer = fields.Nested(CustomerSchema)
    category = fields.String(allow_none=True)
    severity = fields.String()
    site = fields.String(allow_none=True)
    subject_staff = fields.List(fields.String())
    remedy_sought = fields.String(allow_none=True)
    received_at = fields.AwareDateTime()
    owner = fields.String(allow_none=True)
    department = fields.String(allow_none=True)
    proposal = fields.String(allow_none=True)
    resolution = fields.String(allow_none=True)
    approved_by = fields.String(allow_none=True)
    approved_at = fields.AwareDateTime(allow_none=True)
    version = fields.Integer()
    flags = fields.List(fields.String())
    links = fields.List(fields.Nested(LinkSchema))
    data = fields.Dict()
    violations = fields.List(fields.Nested(ViolationSchema))
    timers = fields.List(fields.Nested(TimerSchema))
    allowed_actions = fields.List(fields.String())
    events = fields.List(
        fields.Nested(lambda: EventSchema()),
        metadata={
            "description": "Only in the answer to opening a case: the events its opening logged "
            "(``opened`` and plugins' events such as ``food_service.pull_started``)."
        },
    )
    created_at = fields.AwareDateTime()
    updated_at = fields.AwareDateTime()
    closed_at = fields.AwareDateTime(allow_none=True)


class ActionSchema(Schema):
    """An action; its own fields (``department``, ``proposal``, ...) travel beside these."""

    class Meta:
        unknown = INCLUDE

    action = fields.String(required=True, validate=validate.Length(min=1, max=64))
    note = fields.String(load_default=None, allow_none=True, validate=_long)
    version = WholeNumber(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    department = fields.String(metadata={"description": "assign_department"})
    proposal = fields.String(metadata={"description": "propose"})
    resolution = fields.String(metadata={"description": "resolve"})
    findings = fields.String(metadata={"description": "reject"})
    into = fields.String(metadata={"description": "merge: the case this one duplicates"})
    owner = fields.String(metadata={"description": "assign: the new owner"})


class SurveySchema(Schema):
    score = WholeNumber(required=True, validate=validate.Range(min=1, max=5))
    comment = fields.String(load_default="", validate=_long)


class CommentSchema(Schema):
    body = fields.String(required=True, validate=validate.Length(min=1, max=20000))
    internal = fields.Boolean(load_default=False)


class EventSchema(Schema):
    id = fields.String()
    type = fields.String()
    at = fields.AwareDateTime()
    actor = fields.String()
    data = fields.Dict()


class AttachmentSchema(Schema):
    id = fields.String()
    filename = fields.String()
    content_type = fields.String()
    size = fields.Integer()
    sha256 = fields.String()
    created_at = fields.AwareDateTime()


# --- lists -----------------------------------------------------------------------------------


class PageArgs(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, validate=validate.Length(max=200))


class CaseListArgs(PageArgs):
    state = fields.String(validate=validate.OneOf(STATES))
    kind = fields.String(validate=validate.Length(max=32))
    category = fields.String(validate=_name)
    breached = fields.Boolean()
    q = fields.String(validate=validate.Length(min=1, max=200))
    customer = fields.String(
        validate=validate.Length(min=1, max=254),
        metadata={"description": "A customer contact: phone or email."},
    )
    owner = fields.String(
        validate=validate.Length(min=1, max=254), metadata={"description": "me, or an actor"}
    )


class SummaryArgs(Schema):
    from_ = fields.AwareDateTime(data_key="from", required=True, validate=_sane_time)
    to = fields.AwareDateTime(required=True, validate=_sane_time)

    @validates_schema
    def _order(self, data: dict, **_) -> None:
        if data["from_"] > data["to"]:
            raise ValidationError("'from' must not be after 'to'.", "from")


def page_of(item_schema: type[Schema]) -> type[Schema]:
    """``{"items": [...], "next_cursor": ...}``, the shape of every list of the API."""
    return type(
        f"{item_schema.__name__.removesuffix('Schema')}PageSchema",
        (Schema,),
        {
            "items": fields.List(fields.Nested(item_schema)),
            "next_cursor": fields.String(allow_none=True),
        },
    )


class TokenCreateSchema(Schema):
    name = fields.String(required=True, validate=_name)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
