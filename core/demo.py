"""``casecore demo``: migrate, load the demo tenants, seed sample cases, list the logins."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import func, select

from core.cases import CaseService
from core.config import Config
from core.db import Database
from core.migrate import upgrade
from core.models import Case, Tenant, utcnow
from core.plugins import Plugins
from core.tenants import context_of
from core.tokens import create_tenant_token
from core.types import Actor

DEMO_PASSWORD = "casecore-demo"

SAMPLES = [
    {
        "kind": "complaint",
        "title": "店员服务态度差",
        "channel": "phone",
        "description": "顾客反映收银员态度冷淡，结账时未找零。",
        "severity": "normal",
        "customer": {"name": "李女士", "phone": "13800000001"},
        "remedy_sought": "道歉",
    },
    {
        "kind": "complaint",
        "title": "产品质量问题，要求退款",
        "channel": "web",
        "description": "购买后第二天出现故障。",
        "severity": "major",
        "customer": {"name": "王先生", "email": "wang@example.com"},
        "remedy_sought": "退款",
    },
    {
        "kind": "feedback",
        "title": "建议增加营业时间",
        "channel": "wechat",
        "customer": {"name": "赵先生", "phone": "13900000002"},
    },
]


def set_up(config: Config, database: Database, tenants_dir: Path) -> list[str]:
    """Everything the demo needs, idempotent: run it twice and nothing doubles."""
    from core.cli import load_manifest

    upgrade(database.admin_engine, config.database_url)
    plugins = Plugins(allowed=config.plugins_allowed)
    for file in sorted(tenants_dir.glob("*.toml")):
        load_manifest(database, plugins, file)
    lines = []
    with database.unscoped("demo: seed sample cases and tokens") as session:
        for tenant in session.scalars(select(Tenant).order_by(Tenant.slug)):
            token = create_tenant_token(session, tenant, "demo", "admin")
            session.commit()
            seeded = _seed(database, plugins, tenant)
            lines.append(
                f"{tenant.slug}: console /t/{tenant.slug}/login as admin@{tenant.slug}.example "
                f"/ {DEMO_PASSWORD}; API token {token}"
                + (f" ({seeded} sample cases)" if seeded else "")
            )
    return lines


def _seed(database: Database, plugins: Plugins, tenant: Tenant) -> int:
    session = database.session(tenant.id)
    try:
        if session.scalar(select(func.count()).select_from(Case)):
            return 0
        svc = CaseService(session, context_of(tenant), plugins, Actor("demo", "admin", "token"))
        for days, sample in enumerate(SAMPLES):
            svc.open({**sample, "received_at": utcnow() - timedelta(days=days)})
        session.commit()
        return len(SAMPLES)
    finally:
        session.close()
