"""Auto repair: The 24-hour reply, repair warranties, comebacks and routing by complaint type.

Registered by entry point (``casecore.plugins``) exactly as a third-party plugin would be.
"""

from core import PluginInfo, TenantContext, hookimpl

from .schemas import AutoRepairCaseFields, AutoRepairSettings

PLUGIN_INFO = PluginInfo(
    name="auto_repair",
    title="Auto repair",
    version="0.1.0",
    description="The 24-hour reply, repair warranties, comebacks and routing by complaint type.",
    requires_core=">=0.1,<1",
)


@hookimpl
def settings_schema():
    return AutoRepairSettings


@hookimpl
def case_fields_schema(tenant: TenantContext, kind: str):
    return AutoRepairCaseFields
