"""Case intake through the HTTP API under gunicorn, beside a bare Flask endpoint doing one
INSERT with psycopg, in the same run: cases per second, p50 and p95.

    .venv/bin/python -m bench.intake [--requests 2000] [--concurrency 8] [--workers 2]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time

import psycopg
from sqlalchemy import create_engine

from bench.common import fresh_database, summary
from core.db import Database
from core.plugins import Plugins
from core.tenants import create_tenant
from core.tokens import create_tenant_token

CASE = {
    "kind": "complaint",
    "title": "冰箱不制冷",
    "description": "买了三天的冰箱不制冷了",
    "channel": "phone",
    "customer": {"name": "张三", "phone": "13800000000"},
    "category": "质量",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(app: str, env: dict, workers: int) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(workers),
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            app,
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{app} did not start")


def load(
    port: int, path: str, body: bytes, headers: dict, requests: int, concurrency: int
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    per_thread = requests // concurrency

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        for _ in range(per_thread):
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 201, response.status
            mine.append((time.perf_counter() - started) * 1000)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return len(latencies) / (time.perf_counter() - started), latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with fresh_database() as urls:
        with psycopg.connect(urls.dsn_admin, autocommit=True) as conn:
            conn.execute("CREATE TABLE bench_bare (id bigserial PRIMARY KEY, body jsonb)")
            role = urls.app.split("//")[1].split("@")[0]
            conn.execute(f"GRANT INSERT ON bench_bare TO {role}")
            conn.execute(f"GRANT USAGE ON SEQUENCE bench_bare_id_seq TO {role}")
        db = Database(urls.config())
        with db.unscoped("bench: tenant") as session:
            tenant = create_tenant(
                session,
                {
                    "slug": "bench",
                    "name": "Bench",
                    "categories": [{"name": "质量", "group": "quality"}],
                },
                Plugins(),
            )
            session.flush()
            token = create_tenant_token(session, tenant, "bench", "agent")
            session.commit()
        env = {
            "DATABASE_URL": urls.app,
            "DATABASE_ADMIN_URL": urls.admin,
            "SECRET_KEY": "bench",
            "CASECORE_INSTANCE": "/tmp/casecore-bench",
            "BARE_DSN": urls.dsn_admin.replace("postgres@", f"{role}@"),
        }
        body = json.dumps(CASE, ensure_ascii=False).encode()
        results = {}
        for name, app, path, headers in [
            (
                "casecore POST /api/v1/cases",
                "bench.apps:casecore_app()",
                "/api/v1/cases",
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
            ),
            (
                "bare Flask + one INSERT",
                "bench.apps:bare_app()",
                "/bare",
                {"Content-Type": "application/json"},
            ),
        ]:
            proc, port = serve(app, env, args.workers)
            try:
                load(port, path, body, headers, args.concurrency * 10, args.concurrency)  # warm
                rate, latencies = load(port, path, body, headers, args.requests, args.concurrency)
            finally:
                proc.terminate()
                proc.wait(10)
            results[name] = rate
            print(f"{name:32} {rate:8.1f} req/s  {summary(latencies)}")
        db.dispose()
        create_engine(urls.admin).dispose()
        casecore, bare = results.values()
        print(
            f"casecore intake runs at {casecore / bare:.0%} of the bare INSERT's rate "
            f"({args.workers} gunicorn workers, {args.concurrency} clients, one machine)"
        )


if __name__ == "__main__":
    main()
