"""Shared set-up for the benchmarks: a throwaway PostgreSQL database with the app role."""

from __future__ import annotations

import os
import secrets
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import psycopg
from sqlalchemy import create_engine

from core.config import Config
from core.migrate import upgrade

PG = os.environ.get("CASECORE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


@dataclass
class Urls:
    app: str
    admin: str
    dsn_admin: str

    def config(self, **extra) -> Config:
        return Config(
            database_url=self.app, database_admin_url=self.admin, secret_key="bench", **extra
        )


@contextmanager
def fresh_database() -> Iterator[Urls]:
    """A new database and app role, migrated; both dropped at the end."""
    suffix = secrets.token_hex(4)
    db, role = f"casecore_bench_{suffix}", f"casecore_bench_app_{suffix}"
    server = psycopg.connect(PG, autocommit=True)
    server.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS")
    server.execute(f"CREATE DATABASE {db}")
    base = "postgresql+psycopg://{user}@127.0.0.1:5432/" + db
    urls = Urls(
        base.format(user=role),
        base.format(user="postgres"),
        f"postgresql://postgres@127.0.0.1:5432/{db}",
    )
    engine = create_engine(urls.admin)
    upgrade(engine, urls.app)
    engine.dispose()
    try:
        yield urls
    finally:
        server.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        server.execute(f"DROP ROLE IF EXISTS {role}")
        server.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(values_ms: list[float]) -> str:
    return (
        f"p50 {percentile(values_ms, 50):.2f} ms, p95 {percentile(values_ms, 95):.2f} ms, "
        f"mean {statistics.fmean(values_ms):.2f} ms (n={len(values_ms)})"
    )
