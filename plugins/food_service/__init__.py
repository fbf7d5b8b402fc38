"""Food safety: Product pulls per lot across sites, recall levels and timers, HACCP reviews.

Registered by entry point (``casecore.plugins``) exactly as a third-party plugin would be. The
hook implementations live in ``hooks.py`` (what they do is described there); they are imported
here because the plugin is this module.
"""

from core import PluginInfo, TenantContext, hookimpl

from .hooks import (
    check_case,
    classify_case,
    food_safety_edited,
    food_safety_moved,
    food_safety_opened,
    pull_action_needs_open_pull,
    pull_open,
    recall_needs_level,
    recall_notice_once,
    register_actions,
    register_documents,
    register_periodic_jobs,
    register_timers,
    render_document,
    report_sections,
)
from .schemas import FoodServiceCaseFields, FoodServiceFeedbackFields, FoodServiceSettings

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
    # Feedback cases also take their meal service, for the collection rates.
    return FoodServiceFeedbackFields if kind == "feedback" else FoodServiceCaseFields


__all__ = [
    "PLUGIN_INFO",
    "case_fields_schema",
    "check_case",
    "classify_case",
    "food_safety_edited",
    "food_safety_moved",
    "food_safety_opened",
    "pull_action_needs_open_pull",
    "pull_open",
    "recall_needs_level",
    "recall_notice_once",
    "register_actions",
    "register_documents",
    "register_periodic_jobs",
    "register_timers",
    "render_document",
    "report_sections",
    "settings_schema",
]
