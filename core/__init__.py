"""casecore: the kernel. What plugins may import is exported here and nowhere else."""

import pluggy

from core.types import (
    SEVERITIES,
    SYSTEM,
    ActionSpec,
    Actor,
    Channel,
    Classification,
    Document,
    Link,
    NewEvent,
    Outcome,
    Panel,
    PeriodicJob,
    PluginInfo,
    ReportSection,
    TenantContext,
    TimerSpec,
    Violation,
    warning,
)

__version__ = "0.1.0"

PROJECT = "casecore"
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = [
    "OPEN_STATES",
    "SEVERITIES",
    "STATES",
    "SYSTEM",
    "ActionSpec",
    "Actor",
    "Channel",
    "Classification",
    "Document",
    "Link",
    "NewEvent",
    "Outcome",
    "Panel",
    "PeriodicJob",
    "PluginInfo",
    "ReportSection",
    "TenantContext",
    "TimerSpec",
    "Violation",
    "__version__",
    "hookimpl",
    "warning",
]

from core.lookup import CaseLookup  # noqa: E402  (needs the names above first)
from core.workflow import OPEN_STATES, STATES  # noqa: E402


def now():
    """The core's clock: the moment of the action a hook reacts to (tests set it)."""
    from core.clock import utcnow

    return utcnow()


def request_tenant() -> TenantContext:
    """In a plugin's API route (``register_blueprints``): the calling tenant."""
    from core.api.auth import tenant_context

    return tenant_context()


__all__ += ["CaseLookup", "now", "request_tenant"]
