"""Sliding-window rate limiters: in memory for one process, in Redis for many.

The in-memory one is right for the embedded default (one process). With several workers
(gunicorn -w 4) each would count on its own, multiplying the limit by the number of workers, so
with ``REDIS_URL`` the counts live in Redis (a sorted set of event times per subject, expiring
with the window) and every worker shares them. If Redis stops answering, a worker counts in its
own memory until it answers again: sign-in keeps working, and is still limited.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger("casecore.limits")


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


class RedisRateLimiter:
    """:class:`RateLimiter` with the counts shared in Redis under ``prefix``."""

    def __init__(
        self,
        redis: Redis,
        prefix: str,
        max_events: int,
        window_seconds: float,
        clock: Callable[[], float] = time.time,  # shared by processes: wall-clock time
    ):
        self.redis = redis
        self.prefix = prefix
        self.max_events = max_events
        self.window = window_seconds
        self.clock = clock
        self.fallback = RateLimiter(max_events, window_seconds, time.monotonic)

    def _key(self, subject: str) -> str:
        return f"{self.prefix}{subject}"

    def blocked(self, key: str) -> bool:
        """True when ``key`` used up its events in the window."""
        now = self.clock()
        try:
            with self.redis.pipeline() as pipe:
                pipe.zremrangebyscore(self._key(key), "-inf", now - self.window)
                pipe.zcard(self._key(key))
                _, count = pipe.execute()
        except RedisError as exc:
            self._unreachable(exc)
            return self.fallback.blocked(key)
        return count >= self.max_events or self.fallback.blocked(key)

    def hit(self, key: str) -> None:
        """Count one event for ``key``."""
        now = self.clock()
        try:
            with self.redis.pipeline() as pipe:
                pipe.zadd(self._key(key), {f"{now}:{secrets.token_hex(4)}": now})
                pipe.expire(self._key(key), int(self.window) + 1)
                pipe.execute()
        except RedisError as exc:
            self._unreachable(exc)
            self.fallback.hit(key)

    def reset(self, key: str) -> None:
        self.fallback.reset(key)
        try:
            self.redis.delete(self._key(key))
        except RedisError as exc:
            self._unreachable(exc)

    def _unreachable(self, exc: RedisError) -> None:
        log.warning("rate limits: Redis did not answer (%s); counting in this process", exc)
