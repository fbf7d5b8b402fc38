"""Marshmallow schemas of the auto_repair plugin: the tenant's settings and the case fields.

Both follow DOMAIN.md section 5 to the letter (names, enumerations, defaults). The schemas only
check shape and bounds; ``plugins.auto_repair.rules`` decides warranty, routing and flags, so
every case field is optional here.
"""

from __future__ import annotations

import copy
from typing import Any

from marshmallow import RAISE, Schema, fields, post_load, validate

VEHICLE_CLASSES: tuple[str, ...] = ("car", "motorcycle", "other")
JOB_TYPES: tuple[str, ...] = (
    "overhaul",
    "level2_maintenance",
    "level1_maintenance",
    "minor_repair",
    "special_repair",
)
COMPLAINT_TYPES: tuple[str, ...] = ("quality", "charges", "attitude", "safety", "other")
#: The complaint types that have a route to a department (``other`` has none).
ROUTED_TYPES: tuple[str, ...] = ("safety", "quality", "charges", "attitude")

#: Where the default warranty table comes from; a revision of it is a data change here.
WARRANTY_SOURCE = (
    "机动车维修管理规定 (Provisions on the Administration of Motor Vehicle Repair), art. 37 to 42"
)


def _limits(days: int, km: int) -> dict[str, int]:
    return {"days": days, "km": km}


def _table(
    overhaul: tuple[int, int], level2: tuple[int, int], other_jobs: tuple[int, int]
) -> dict[str, dict[str, int]]:
    # Level-1 maintenance, minor and special repairs share one limit in the regulation.
    return {
        "overhaul": _limits(*overhaul),
        "level2_maintenance": _limits(*level2),
        "level1_maintenance": _limits(*other_jobs),
        "minor_repair": _limits(*other_jobs),
        "special_repair": _limits(*other_jobs),
    }


#: Repair quality warranty by vehicle class and job type: days and km, whichever comes first.
DEFAULT_WARRANTY: dict[str, dict[str, dict[str, int]]] = {
    "car": _table(overhaul=(100, 20_000), level2=(30, 5_000), other_jobs=(10, 2_000)),
    "motorcycle": _table(overhaul=(80, 7_000), level2=(10, 800), other_jobs=(10, 800)),
    "other": _table(overhaul=(60, 6_000), level2=(7, 700), other_jobs=(7, 700)),
}

DEFAULT_ROUTES: dict[str, str] = {
    "safety": "安全部",
    "quality": "技术部",
    "charges": "经理室",
    "attitude": "客服部",
}

#: Tenant settings and their defaults (DOMAIN.md section 5).
DEFAULT_SETTINGS: dict[str, Any] = {
    "reply_hours": 24,
    "evidence_days": 3,
    "routes": DEFAULT_ROUTES,
    "follow_up_days": 7,
    "warranty": DEFAULT_WARRANTY,
}

# Upper bounds keep absurd input a 422 instead of an overflow further down (database, date maths).
MAX_KM = 10_000_000
MAX_WARRANTY_DAYS = 3650
MAX_WARRANTY_KM = 1_000_000
MAX_COUNT = 1000


class AutoRepairWarrantyLimit(Schema):
    """One cell of the warranty table; a key left out keeps the default for that cell."""

    class Meta:
        unknown = RAISE

    days = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_WARRANTY_DAYS))
    km = fields.Integer(strict=True, validate=validate.Range(min=0, max=MAX_WARRANTY_KM))


class AutoRepairVehicleWarranty(Schema):
    """The warranty limits of one vehicle class, by job type."""

    class Meta:
        unknown = RAISE

    overhaul = fields.Nested(AutoRepairWarrantyLimit)
    level2_maintenance = fields.Nested(AutoRepairWarrantyLimit)
    level1_maintenance = fields.Nested(AutoRepairWarrantyLimit)
    minor_repair = fields.Nested(AutoRepairWarrantyLimit)
    special_repair = fields.Nested(AutoRepairWarrantyLimit)


class AutoRepairWarrantyTable(Schema):
    """The warranty table by vehicle class; what a tenant gives is laid over the default.

    A tenant that changes one figure (say car overhaul days) keeps every other default, so a
    partial table never leaves a vehicle class or job type without a limit.
    """

    class Meta:
        unknown = RAISE

    car = fields.Nested(AutoRepairVehicleWarranty)
    motorcycle = fields.Nested(AutoRepairVehicleWarranty)
    other = fields.Nested(AutoRepairVehicleWarranty)

    @post_load
    def _over_defaults(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        table = copy.deepcopy(DEFAULT_WARRANTY)
        for vehicle_class, jobs in data.items():
            for job_type, limits in jobs.items():
                table[vehicle_class][job_type].update(limits)
        return table


class AutoRepairSettings(Schema):
    """A tenant's auto_repair settings; ``{}`` loads the DOMAIN.md defaults.

    ``routes`` given by a tenant replace the default routes as a whole (a type left out has no
    route, so its cases get no department); ``warranty`` is laid over the default table.
    """

    class Meta:
        unknown = RAISE

    reply_hours = fields.Integer(
        strict=True,
        load_default=DEFAULT_SETTINGS["reply_hours"],
        validate=validate.Range(min=1, max=24 * 365),
        metadata={"description": "First reply with a result within these clock hours."},
    )
    evidence_days = fields.Integer(
        strict=True,
        load_default=DEFAULT_SETTINGS["evidence_days"],
        validate=validate.Range(min=1, max=365),
        metadata={"description": "Days for the shop to prove a non-repair cause of a comeback."},
    )
    routes = fields.Dict(
        keys=fields.String(validate=validate.OneOf(ROUTED_TYPES)),
        values=fields.String(validate=validate.Length(min=1, max=100)),
        # A callable, so no tenant's loaded settings share (and could mutate) the default dict.
        load_default=lambda: dict(DEFAULT_ROUTES),
        metadata={"description": "Department for each complaint type."},
    )
    follow_up_days = fields.Integer(
        strict=True,
        load_default=DEFAULT_SETTINGS["follow_up_days"],
        validate=validate.Range(min=1, max=365),
        metadata={"description": "Follow-up call after an overhaul or level-2 maintenance."},
    )
    warranty = fields.Nested(
        AutoRepairWarrantyTable,
        load_default=lambda: copy.deepcopy(DEFAULT_WARRANTY),
        metadata={"description": f"Repair quality warranty: days and km. {WARRANTY_SOURCE}."},
    )


class AutoRepairCaseFields(Schema):
    """The case's ``data.auto_repair`` fields. All optional: the rules say what is missing."""

    class Meta:
        unknown = RAISE

    plate = fields.String(allow_none=True, validate=validate.Length(max=20))
    vin = fields.String(allow_none=True, validate=validate.Length(max=32))
    vehicle_class = fields.String(allow_none=True, validate=validate.OneOf(VEHICLE_CLASSES))
    job_type = fields.String(allow_none=True, validate=validate.OneOf(JOB_TYPES))
    work_order_no = fields.String(allow_none=True, validate=validate.Length(max=64))
    completed_on = fields.Date(allow_none=True)
    odometer_at_completion = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=MAX_KM)
    )
    odometer_now = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=MAX_KM)
    )
    complaint_type = fields.String(allow_none=True, validate=validate.OneOf(COMPLAINT_TYPES))
    same_fault_repairs = fields.Integer(
        strict=True, allow_none=True, validate=validate.Range(min=0, max=MAX_COUNT)
    )


# The names the plugin contract asks for; the classes keep plugin-specific names so that the
# OpenAPI document's component names of the four plugins do not collide.
Settings = AutoRepairSettings
CaseFields = AutoRepairCaseFields
