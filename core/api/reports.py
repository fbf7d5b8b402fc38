"""``GET /api/v1/reports/summary``."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from core.api.auth import requires, tenant_context
from core.api.docs import problems
from core.models import utcnow
from core.reports import plugin_sections, summary
from core.schemas import SummaryArgs

blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Reports")


class ReportSectionSchema(Schema):
    title = fields.String(metadata={"description": "In the tenant's language."})
    figures = fields.Dict(keys=fields.String(), metadata={"description": "Figures by key."})
    rows = fields.List(fields.Dict(keys=fields.String()), metadata={"description": "A table."})
    labels = fields.Dict(
        keys=fields.String(),
        values=fields.String(),
        metadata={"description": "A heading per key, in the tenant's language."},
    )


class SummarySchema(Schema):
    from_ = fields.AwareDateTime(data_key="from")
    to = fields.AwareDateTime()
    total = fields.Integer()
    by_state = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_kind = fields.Dict(keys=fields.String(), values=fields.Integer())
    by_category = fields.Dict(keys=fields.String(), values=fields.Integer())
    sla = fields.Dict(metadata={"description": "Per timer: met, breached, running, paused."})
    satisfaction = fields.Dict()
    repeat_rate = fields.Float(allow_none=True)
    plugins = fields.Dict(
        keys=fields.String(),
        values=fields.Nested(ReportSectionSchema),
        metadata={
            "description": "The sections the tenant's plugins add (hook report_sections), by "
            "plugin name; a plugin with nothing for the period is absent."
        },
    )


@blp.route("/summary", methods=["GET"])
@blp.arguments(SummaryArgs, location="query")
@blp.response(200, SummarySchema)
@problems(blp, 401, 403)
@requires("admin")
def report_summary(args: dict[str, Any]):
    """Cases received between ``from`` and ``to``."""
    result = summary(g.db, args["from_"], args["to"], utcnow())
    result["from_"] = result.pop("from")
    core = current_app.extensions["casecore"]
    sections = plugin_sections(g.db, tenant_context(), core.plugins, args["from_"], args["to"])
    result["plugins"] = {name: section.as_json() for name, section in sections.items()}
    return result
