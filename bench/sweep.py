"""The SLA sweep on PostgreSQL: 1,000,000 running timers, 1,000 of them due.

Prints the time of the due-timer selection and of the whole sweep (marking breached, logging
``timer_breached``, writing the outbox), and the same with fewer running timers and with more
due ones, so the growth can be read: it should follow the due timers, not the running ones.

    .venv/bin/python -m bench.sweep [--running 1000000] [--due 1000]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

import psycopg

from bench.common import fresh_database
from core.db import Database
from core.jobs.sla import due_tenants, sweep
from core.plugins import Plugins

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def fill(dsn: str, running: int, due: int) -> None:
    """One tenant; ``running`` cases each with a running first_reply timer; ``due`` are due."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("TRUNCATE tenants, cases, timers, case_events, outbox CASCADE")
        conn.execute(
            "INSERT INTO tenants (id, slug, name, timezone, locale, settings, plugins,"
            " created_at, updated_at) VALUES (1, 'bench', 'Bench', 'Asia/Shanghai',"
            " 'zh_CN', '{}', '{}', now(), now())"
        )
        conn.execute(
            """
            INSERT INTO cases (tenant_id, id, number, kind, state, title, description, channel,
              customer_name, severity, subject_staff, received_at, flags, data, warnings,
              search_text, version, created_at, updated_at)
            SELECT 1, lpad(g::text, 26, '0'), 'B-' || g, 'complaint', 'received', 'bench', '',
              'phone', 'x', 'normal', '[]', now(), '[]', '{}', '[]', '', 1, now(), now()
            FROM generate_series(1, %s) g""",
            (running,),
        )
        conn.execute(
            """
            INSERT INTO timers (tenant_id, case_id, name, amount, unit, pauses, state,
              started_at, due_at, paused_seconds, explanation)
            SELECT 1, lpad(g::text, 26, '0'), 'first_reply', 5, 'working_days', false,
              'running', %s::timestamptz - interval '10 days',
              CASE WHEN g <= %s THEN %s::timestamptz - interval '1 minute'
                   ELSE %s::timestamptz + (g || ' seconds')::interval END,
              0, '{}'
            FROM generate_series(1, %s) g""",
            (NOW, due, NOW, NOW, running),
        )
        conn.execute("VACUUM ANALYZE timers")


def measure(urls, running: int, due: int) -> tuple[float, float]:
    fill(urls.dsn_admin, running, due)
    db = Database(urls.config())
    plugins = Plugins()
    started = time.perf_counter()
    due_tenants(db, NOW)
    select_ms = (time.perf_counter() - started) * 1000
    started = time.perf_counter()
    breached = sweep(db, plugins, NOW)
    sweep_ms = (time.perf_counter() - started) * 1000
    assert breached == due, (breached, due)
    db.dispose()
    return select_ms, sweep_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--running", type=int, default=1_000_000)
    parser.add_argument("--due", type=int, default=1_000)
    args = parser.parse_args()
    with fresh_database() as urls:
        rows = [
            (args.running, args.due),
            (args.running // 10, args.due),
            (args.running, args.due * 10),
        ]
        print(f"{'running':>10} {'due':>7} {'select due (ms)':>16} {'whole sweep (ms)':>17}")
        results = {}
        for running, due in rows:
            select_ms, sweep_ms = measure(urls, running, due)
            results[(running, due)] = sweep_ms
            print(f"{running:>10,} {due:>7,} {select_ms:>16.1f} {sweep_ms:>17.1f}")
        base = results[(args.running, args.due)]
        print(
            f"sweep time ratio, 10x running timers: "
            f"{base / results[(args.running // 10, args.due)]:.2f}x; "
            f"10x due timers: {results[(args.running, args.due * 10)] / base:.2f}x"
        )
        print(
            f"target: under 200 ms at {args.running:,} running / {args.due:,} due: "
            f"{'met' if base < 200 else 'NOT met'} ({base:.1f} ms)"
        )


if __name__ == "__main__":
    main()
