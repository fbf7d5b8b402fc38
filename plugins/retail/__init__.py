"""Retail returns: receipts, the 7-day no-reason window, 三包 remedies, frequent returners.

Registered by entry point (``casecore.plugins``) exactly as a third-party plugin would be. The
hooks that apply the rules live in ``hooks``; they are imported here because the plugin is this
module.
"""

from core import PluginInfo, TenantContext, hookimpl

from .hooks import (
    appraisal_needs_a_quality_department,
    case_edited,
    case_moved,
    case_opened,
    check_case,
    frequent_returner_needs_approval,
    refund_above_supervisor_limit,
    register_actions,
    register_timers,
)
from .schemas import RetailCaseFields, RetailSettings

PLUGIN_INFO = PluginInfo(
    name="retail",
    title="Retail returns",
    version="0.1.0",
    description="Return checks: receipts, the 7-day no-reason window, 三包 remedies, "
    "frequent returners, appraisals and the refund deadline.",
    requires_core=">=0.1,<1",
)

__all__ = [
    "PLUGIN_INFO",
    "appraisal_needs_a_quality_department",
    "case_edited",
    "case_fields_schema",
    "case_moved",
    "case_opened",
    "check_case",
    "frequent_returner_needs_approval",
    "refund_above_supervisor_limit",
    "register_actions",
    "register_timers",
    "settings_schema",
]


@hookimpl
def settings_schema():
    return RetailSettings


@hookimpl
def case_fields_schema(tenant: TenantContext, kind: str):
    return RetailCaseFields
