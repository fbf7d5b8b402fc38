"""Periodic jobs as data (stable ids), the cron loop that enqueues them, and the in-process
runner of the embedded default.

Only one cron loop enqueues at a time per deployment (a lease in Redis), however many workers
run; each periodic job that spans tenants fans out one job per tenant (``run_periodic``).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import Any

from rq import SimpleWorker
from rq.cron import CronScheduler
from rq.timeouts import TimerDeathPenalty

from core.jobs import tasks
from core.jobs.runtime import Runtime, install
from core.plugins import Plugins

log = logging.getLogger("casecore.schedule")

LEASE_SECONDS = 30


def lease_key(rt: Runtime) -> str:
    """One cron leader per deployment (its queue name): deployments sharing a Redis each get
    their own periodic jobs."""
    return f"casecore:cron:leader:{rt.queue.name}"


@dataclass(frozen=True)
class Periodic:
    id: str
    func: Any
    interval: int | None = None
    cron: str | None = None
    args: tuple = ()


CORE_PERIODIC: tuple[Periodic, ...] = (
    Periodic("sla-sweep", tasks.sla_sweep, interval=30),  # DESIGN.md: at least every 30 s
    Periodic("outbox-relay", tasks.relay, interval=2),
)


def definitions(plugins: Plugins) -> list[Periodic]:
    """The core's periodic jobs and every installed plugin's, by stable id."""
    found = list(CORE_PERIODIC)
    for name in plugins.names:
        for answer in plugins.hook("register_periodic_jobs", [name])():
            for job in answer or []:
                found.append(
                    Periodic(
                        f"{name}:{job.id}", tasks.run_periodic, cron=job.cron, args=(name, job.id)
                    )
                )
    ids = [p.id for p in found]
    if len(ids) != len(set(ids)):
        raise ValueError(f"periodic job ids must be unique: {sorted(ids)}")
    return found


def cron_scheduler(rt: Runtime) -> CronScheduler:
    scheduler = CronScheduler(connection=rt.redis, logging_level="WARNING")
    for job in definitions(rt.plugins):
        scheduler.register(
            job.func,
            rt.queue.name,
            args=job.args,
            interval=job.interval,
            cron=job.cron,
            name=job.id,
        )
    return scheduler


def run_cron(rt: Runtime, stop: threading.Event, tick: float = 1.0) -> None:
    """Enqueue due periodic jobs while this process holds the lease."""
    scheduler = cron_scheduler(rt)
    me, key = scheduler.name.encode(), lease_key(rt)
    while not stop.is_set():
        try:
            if rt.redis.set(key, me, nx=True, ex=LEASE_SECONDS) or rt.redis.get(key) == me:
                rt.redis.expire(key, LEASE_SECONDS)
                scheduler.enqueue_jobs()
        except Exception:  # Redis away: try again next tick; nothing is lost (outbox)
            log.warning("cron: could not reach Redis; retrying", exc_info=True)
        stop.wait(tick)
    try:  # hand the lease on at once rather than when it expires
        if rt.redis.get(key) == me:
            rt.redis.delete(key)
    except Exception:
        log.warning("cron: could not release the lease; it expires in %d s", LEASE_SECONDS)


class ThreadWorker(SimpleWorker):
    """rq's SimpleWorker as a thread of the web process. Only a process's main thread may set
    signal handlers, and the web server keeps its own: this worker installs none, and times jobs
    out with a timer instead of SIGALRM."""

    death_penalty_class = TimerDeathPenalty

    def _install_signal_handlers(self) -> None:
        pass


def work_in_process(rt: Runtime, stop: threading.Event, tick: float = 0.5) -> None:
    """Run queued jobs, and scheduled ones (retries) once due, until ``stop``. A burst at a time,
    so that rq's scheduler runs in this thread too: rq would fork it into a process of its own,
    and a forked process does not share the in-memory Redis."""
    while not stop.is_set():
        try:
            ThreadWorker([rt.queue], connection=rt.redis).work(
                burst=True, with_scheduler=True, logging_level="WARNING"
            )
        except Exception:  # a broken burst must not end background work for good
            log.exception("in-process worker: a burst failed; trying again")
        stop.wait(tick)


def start_in_process(rt: Runtime) -> threading.Event:
    """The embedded default: a worker thread and the cron loop on an in-memory Redis; both end
    when the returned event is set."""
    install(rt)
    stop = threading.Event()
    for name, loop in (("casecore-worker", work_in_process), ("casecore-cron", run_cron)):
        threading.Thread(target=loop, args=(rt, stop), name=name, daemon=True).start()
    log.info("jobs run in-process (no REDIS_URL): SLA sweep every 30 s, outbox relay every 2 s")
    return stop


def prepare_worker(rt: Runtime) -> None:
    """A forking worker: the runtime is built once; each forked job gets fresh DB pools."""
    install(rt)
    os.register_at_fork(after_in_child=lambda: _fresh_pools(rt))


def _fresh_pools(rt: Runtime) -> None:
    rt.db.engine.dispose(close=False)
    if rt.db.admin_engine is not rt.db.engine:
        rt.db.admin_engine.dispose(close=False)
