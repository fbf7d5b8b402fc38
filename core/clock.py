"""The one clock the core reads, so tests (and replays) can set the time."""

from __future__ import annotations

from datetime import UTC, datetime

_fixed: datetime | None = None


def utcnow() -> datetime:
    """Now, in UTC (or the time a test set)."""
    return _fixed if _fixed is not None else datetime.now(UTC)


def set_now(at: datetime | None) -> None:
    """Set the time (``None``: the real clock again). For tests and tools, not for requests."""
    global _fixed
    if at is not None and at.tzinfo is None:
        raise ValueError("set_now needs an aware datetime")
    _fixed = at
