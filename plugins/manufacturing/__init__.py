"""Manufacturing 8D: 8D reports D0 to D8, containment and closure timers, repeats.

Registered by entry point (``casecore.plugins``) exactly as a third-party plugin would be. The
hook implementations live in ``hooks.py`` (what they do is described there); they are imported
here because the plugin is this module.
"""

from core import PluginInfo, TenantContext, hookimpl

from .hooks import (
    check_case,
    eight_d_incomplete,
    eight_d_not_approved,
    eight_d_rejected,
    product_complaint_edited,
    product_complaint_opened,
    register_actions,
    register_documents,
    register_timers,
    reject_needs_8d,
    render_document,
    root_cause_still_complete,
)
from .schemas import ManufacturingCaseFields, ManufacturingSettings

PLUGIN_INFO = PluginInfo(
    name="manufacturing",
    title="Manufacturing 8D",
    version="0.1.0",
    description="8D reports D0 to D8, containment and closure timers, repeats by part and defect.",
    requires_core=">=0.1,<1",
)


@hookimpl
def settings_schema():
    return ManufacturingSettings


@hookimpl
def case_fields_schema(tenant: TenantContext, kind: str):
    return ManufacturingCaseFields


__all__ = [
    "PLUGIN_INFO",
    "case_fields_schema",
    "check_case",
    "eight_d_incomplete",
    "eight_d_not_approved",
    "eight_d_rejected",
    "product_complaint_edited",
    "product_complaint_opened",
    "register_actions",
    "register_documents",
    "register_timers",
    "reject_needs_8d",
    "render_document",
    "root_cause_still_complete",
    "settings_schema",
]
