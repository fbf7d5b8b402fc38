"""Manufacturing 8D: 8D reports D0 to D8, containment and closure timers, repeats.

Registered by entry point (``casecore.plugins``) exactly as a third-party plugin would be.
"""

from core import PluginInfo, TenantContext, hookimpl

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
