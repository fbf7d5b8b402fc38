"""Auto repair: The 24-hour reply, repair warranties, comebacks and routing by complaint type.

Registered by entry point (``casecore.plugins``) exactly as a third-party plugin would be. The
hooks that apply the rules live in ``hooks``; they are imported here because the plugin is this
module.
"""

from core import PluginInfo, TenantContext, hookimpl

from .hooks import (
    case_edited,
    case_opened,
    check_case,
    classify_case,
    register_timers,
    timer_breached,
)
from .schemas import AutoRepairCaseFields, AutoRepairSettings

PLUGIN_INFO = PluginInfo(
    name="auto_repair",
    title="Auto repair",
    version="0.1.0",
    description="The 24-hour reply, repair warranties, comebacks and routing by complaint type.",
    requires_core=">=0.1,<1",
)

__all__ = [
    "PLUGIN_INFO",
    "case_edited",
    "case_fields_schema",
    "case_opened",
    "check_case",
    "classify_case",
    "register_timers",
    "settings_schema",
    "timer_breached",
]


@hookimpl
def settings_schema():
    return AutoRepairSettings


@hookimpl
def case_fields_schema(tenant: TenantContext, kind: str):
    return AutoRepairCaseFields
