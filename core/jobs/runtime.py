"""What job functions run against: the database, the plugins and the queue of this process.

A worker process builds its runtime from the environment on first use; the web process in its
embedded default (no ``REDIS_URL``) installs its own, with an in-memory Redis (fakeredis) that
runs the real rq code path in a worker thread.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import fakeredis
from redis import Redis
from rq import Queue

from core.config import Config
from core.db import Database
from core.plugins import Plugins

_lock = threading.Lock()
_current: Runtime | None = None
_fake_server = fakeredis.FakeServer()


@dataclass
class Runtime:
    config: Config
    db: Database
    plugins: Plugins
    redis: Redis

    @property
    def queue(self) -> Queue:
        return Queue(self.config.queue_name, connection=self.redis)

    @property
    def in_process(self) -> bool:
        return self.config.redis_url is None


def redis_for(config: Config, worker: bool = False) -> Redis:
    """Real Redis when ``REDIS_URL`` is set; else one in-memory server for this process.

    A ``worker``'s connection waits minutes at a time for the next job (rq's blocking pop), so
    it has no read timeout; the web's gives up after 30 s rather than hold a request."""
    if config.redis_url:
        return Redis.from_url(
            config.redis_url, socket_connect_timeout=5, socket_timeout=None if worker else 30
        )
    return fakeredis.FakeRedis(server=_fake_server)


def install(runtime: Runtime) -> Runtime:
    """Make ``runtime`` the one job functions use in this process."""
    global _current
    with _lock:
        _current = runtime
    return runtime


def current() -> Runtime:
    """The process's runtime; a worker builds it from the environment on first use."""
    global _current
    with _lock:
        if _current is None:
            config = Config.from_env()
            _current = Runtime(
                config, Database(config), Plugins(allowed=config.plugins_allowed), redis_for(config)
            )
        return _current
