"""Retail returns: receipts, the 7-day no-reason window, 三包 remedies, frequent returners.

Registered by entry point (``casecore.plugins``) exactly as a third-party plugin would be.
"""

from core import PluginInfo, TenantContext, hookimpl

from .schemas import RetailCaseFields, RetailSettings

PLUGIN_INFO = PluginInfo(
    name="retail",
    title="Retail returns",
    version="0.1.0",
    description="Return checks: receipts, the 7-day no-reason window, 三包 remedies.",
    requires_core=">=0.1,<1",
)


@hookimpl
def settings_schema():
    return RetailSettings


@hookimpl
def case_fields_schema(tenant: TenantContext, kind: str):
    return RetailCaseFields
