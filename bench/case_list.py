"""The first page of the case list at 1,000,000 cases in one tenant (PostgreSQL, RLS on),
through the API in-process: p50 and p95 of GET /api/v1/cases, plus a filtered page.

    .venv/bin/python -m bench.case_list [--cases 1000000] [--requests 200]
"""

from __future__ import annotations

import argparse
import time

import psycopg

from bench.common import fresh_database, percentile, summary
from core.app import create_app
from core.db import Database
from core.plugins import Plugins
from core.tenants import create_tenant
from core.tokens import create_tenant_token


def fill(dsn: str, tenant_id: int, count: int) -> None:
    states = "ARRAY['received','acknowledged','investigating','in_department','closed']"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(
            f"""
            INSERT INTO cases (tenant_id, id, number, kind, state, title, description, channel,
              customer_name, customer_phone, severity, subject_staff, received_at, flags, data,
              warnings, search_text, version, created_at, updated_at)
            SELECT %s, lpad(g::text, 26, '0'), '2026-' || lpad(g::text, 7, '0'), 'complaint',
              ({states})[1 + g %% 5], '冰箱不制冷 ' || g, '', 'phone', '张三',
              '138' || lpad((g %% 100000)::text, 8, '0'), 'normal', '[]',
              now() - (g || ' seconds')::interval, '[]', '{{}}', '[]', '', 1, now(), now()
            FROM generate_series(1, %s) g""",
            (tenant_id, count),
        )
        conn.execute("VACUUM ANALYZE cases")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with fresh_database() as urls:
        config = urls.config()
        db = Database(config)
        with db.unscoped("bench: tenant") as session:
            tenant = create_tenant(session, {"slug": "bench", "name": "Bench"}, Plugins())
            session.flush()
            token = create_tenant_token(session, tenant, "bench", "agent")
            session.commit()
            tenant_id = tenant.id
        db.dispose()
        started = time.perf_counter()
        fill(urls.dsn_admin, tenant_id, args.cases)
        print(f"filled {args.cases:,} cases in {time.perf_counter() - started:.0f} s")
        client = create_app(config).test_client()
        headers = {"Authorization": f"Bearer {token}"}
        for label, query in [
            ("first page", "/api/v1/cases?limit=50"),
            ("first page, state=investigating", "/api/v1/cases?limit=50&state=investigating"),
        ]:
            for _ in range(10):
                client.get(query, headers=headers)
            timings = []
            for _ in range(args.requests):
                t = time.perf_counter()
                response = client.get(query, headers=headers)
                timings.append((time.perf_counter() - t) * 1000)
                assert response.status_code == 200 and len(response.json["items"]) == 50
            print(f"{label:34} {summary(timings)}")
            if label == "first page":
                p95 = percentile(timings, 95)
                print(f"target p95 under 20 ms: {'met' if p95 < 20 else 'NOT met'} ({p95:.1f} ms)")


if __name__ == "__main__":
    main()
