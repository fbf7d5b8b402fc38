"""A sliding-window rate limiter kept in memory.

Correct for one process. With several workers (gunicorn -w 4) each counts on its own, so the
effective limit is multiplied by the number of workers; production wants the counts in Redis
(one key per subject with a TTL) so that all workers share them.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class RateLimiter:
    """At most ``max_events`` events per subject in any ``window_seconds``."""

    def __init__(
        self,
        max_events: int,
        window_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.max_events = max_events
        self.window = window_seconds
        self.clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        events = self._events.setdefault(key, deque())
        while events and events[0] <= now - self.window:
            events.popleft()
        return events

    def blocked(self, key: str) -> bool:
        """True when ``key`` used up its events in the window."""
        with self._lock:
            events = self._recent(key, self.clock())
            if not events:
                self._events.pop(key, None)
            return len(events) >= self.max_events

    def hit(self, key: str) -> None:
        """Count one event for ``key``."""
        with self._lock:
            now = self.clock()
            self._recent(key, now).append(now)
            if len(self._events) > 100_000:  # bound memory under a spray of subjects
                self._prune(now)

    def reset(self, key: str) -> None:
        with self._lock:
            self._events.pop(key, None)

    def _prune(self, now: float) -> None:
        for key in list(self._events):
            if not self._recent(key, now):
                del self._events[key]
