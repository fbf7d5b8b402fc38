"""``casecore demo``: migrate, load the demo tenants, seed their sample cases, list the logins.

Sample cases live in the manifests (``[[sample_cases]]``): the fields of ``POST /api/v1/cases``
plus ``received_days_ago`` and ``then``, the actions to take afterwards (``{action = "...",
...fields}``), so each industry's demo shows its rules at work. A date in the sample's data may
be written ``{ days_ago = 40 }``, so the demo shows the same rules whenever it is run.
"""

from __future__ import annotations

import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from core.cases import CaseService
from core.clock import utcnow
from core.config import Config
from core.db import Database
from core.errors import Problem
from core.migrate import upgrade
from core.models import ApiToken, Case, Tenant
from core.plugins import Plugins
from core.schemas import CaseCreateSchema
from core.tenants import context_of
from core.tokens import create_tenant_token
from core.types import Actor

DEMO_PASSWORD = "casecore-demo"
#: The demo tenants' manifests: the repository's ``tenants/`` folder, wherever the command runs.
DEMO_TENANTS = Path(__file__).resolve().parent.parent / "tenants"
DEMO_TOKEN = "demo"


def set_up(config: Config, database: Database, tenants_dir: Path) -> list[str]:
    """Everything the demo needs, idempotent: run it twice and nothing doubles. Only the
    manifests' tenants are touched (another tenant in the same database gets no token), and
    each run's admin token replaces the last run's."""
    from core.cli import load_manifest

    upgrade(database.admin_engine, config.database_url)
    plugins = Plugins(allowed=config.plugins_allowed)
    samples: dict[str, list[dict[str, Any]]] = {}
    for file in sorted(tenants_dir.glob("*.toml")):
        load_manifest(database, plugins, file, config.calendar_dir)
        manifest = tomllib.loads(file.read_text(encoding="utf-8"))
        samples[manifest["slug"]] = manifest.get("sample_cases", [])
    lines = []
    with database.unscoped("demo: tokens and sample cases") as session:
        demo_tenants = select(Tenant).where(Tenant.slug.in_(samples)).order_by(Tenant.slug)
        for tenant in session.scalars(demo_tenants).all():
            session.execute(
                update(ApiToken)
                .where(
                    ApiToken.tenant_id == tenant.id,
                    ApiToken.name == DEMO_TOKEN,
                    ApiToken.revoked_at.is_(None),
                )
                .values(revoked_at=utcnow())
            )
            token = create_tenant_token(session, tenant, DEMO_TOKEN, "admin")
            session.commit()
            seeded = seed(database, plugins, tenant, samples.get(tenant.slug, []), config)
            lines.append(
                f"{tenant.slug}: console /t/{tenant.slug}/login as admin@{tenant.slug}.example "
                f"/ {DEMO_PASSWORD}; API token {token}"
                + (f" ({seeded} sample cases)" if seeded else "")
            )
    return lines


def local_today(tenant: Tenant) -> date:
    return utcnow().astimezone(ZoneInfo(tenant.timezone)).date()


def _relative_dates(value: Any, today: date) -> Any:
    """``{ days_ago = N }`` anywhere in a sample becomes the ISO date N days before today."""
    if isinstance(value, dict):
        if set(value) == {"days_ago"}:
            return (today - timedelta(days=int(value["days_ago"]))).isoformat()
        return {k: _relative_dates(v, today) for k, v in value.items()}
    if isinstance(value, list):
        return [_relative_dates(v, today) for v in value]
    return value


def seed(
    database: Database,
    plugins: Plugins,
    tenant: Tenant,
    samples: list[dict[str, Any]],
    config: Config,
) -> int:
    """Open the sample cases (once: a tenant that has cases is left alone)."""
    session = database.session(tenant.id)
    try:
        if session.scalar(select(func.count()).select_from(Case)):
            return 0
        svc = CaseService(
            session,
            context_of(tenant),
            plugins,
            Actor("demo", "admin", "token"),
            calendar_dir=config.calendar_dir,
        )
        for sample in samples:
            sample = dict(sample)
            then = sample.pop("then", [])
            days = sample.pop("received_days_ago", 0)
            body = CaseCreateSchema().load(_relative_dates(sample, local_today(tenant)))
            body["received_at"] = utcnow() - timedelta(days=days)
            try:
                case = svc.open(body)
                session.flush()
                for step in then:
                    svc.act(case.id, {**step, "version": case.version})
                    session.flush()
            except Problem as problem:
                raise SystemExit(
                    f"demo sample {sample.get('title')!r} of {tenant.slug} was refused: "
                    f"{problem.detail} {problem.errors or ''}"
                ) from problem
        session.commit()
        return len(samples)
    finally:
        session.close()
