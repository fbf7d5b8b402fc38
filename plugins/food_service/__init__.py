"""Food safety: Product pulls per lot across sites, recall levels and timers, HACCP reviews.

Registered by entry point (``casecore.plugins``) exactly as a third-party plugin would be.
"""

from core import PluginInfo, TenantContext, hookimpl

from .schemas import FoodServiceCaseFields, FoodServiceSettings

PLUGIN_INFO = PluginInfo(
    name="food_service",
    title="Food safety",
    version="0.1.0",
    description="Product pulls per lot across sites, recall levels and timers, HACCP reviews.",
    requires_core=">=0.1,<1",
)


@hookimpl
def settings_schema():
    return FoodServiceSettings


@hookimpl
def case_fields_schema(tenant: TenantContext, kind: str):
    return FoodServiceCaseFields
