"""casecore: the kernel. What plugins may import is exported here and nowhere else."""

import pluggy

from core.types import (
    SYSTEM,
    ActionSpec,
    Actor,
    Classification,
    Document,
    Link,
    NewEvent,
    Outcome,
    Panel,
    PeriodicJob,
    PluginInfo,
    TenantContext,
    TimerSpec,
    Violation,
    warning,
)

__version__ = "0.1.0"

PROJECT = "casecore"
hookimpl = pluggy.HookimplMarker(PROJECT)

__all__ = [
    "SYSTEM",
    "ActionSpec",
    "Actor",
    "Classification",
    "Document",
    "Link",
    "NewEvent",
    "Outcome",
    "Panel",
    "PeriodicJob",
    "PluginInfo",
    "TenantContext",
    "TimerSpec",
    "Violation",
    "__version__",
    "hookimpl",
    "warning",
]

from core.lookup import CaseLookup  # noqa: E402  (needs the names above first)

__all__ += ["CaseLookup"]
