"""Fixtures: every app test runs on SQLite and on PostgreSQL (a fresh database and roles per run,
dropped at the end), with small factories for tenants, tokens and cases."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine, text

from core.app import create_app
from core.config import Config
from core.db import Database
from core.migrate import upgrade
from core.models import Base
from core.tokens import create_platform_token, create_tenant_token
from tests.support import PG_ADMIN_DSN, REDIS_URL, REQUIRE_SERVICES, need_service  # noqa: F401


@dataclass
class Backend:
    name: str
    app_url: str
    admin_url: str

    @property
    def is_postgres(self) -> bool:
        return self.name == "postgresql"


@pytest.fixture(scope="session")
def sqlite_backend(tmp_path_factory) -> Backend:
    path = tmp_path_factory.mktemp("sqlite") / "casecore.db"
    url = f"sqlite:///{path}"
    upgrade(create_engine(url))
    return Backend("sqlite", url, url)


@pytest.fixture(scope="session")
def pg_backend() -> Iterator[Backend]:
    """A fresh database owned by ``postgres`` and a fresh app role that owns nothing."""
    try:
        server = psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        need_service("PostgreSQL", str(exc).strip())
    suffix = secrets.token_hex(4)
    dbname, role = f"casecore_test_{suffix}", f"casecore_app_{suffix}"
    server.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS")
    server.execute(f"CREATE DATABASE {dbname}")
    base = "postgresql+psycopg://{user}@127.0.0.1:5432/" + dbname
    backend = Backend("postgresql", base.format(user=role), base.format(user="postgres"))
    engine = create_engine(backend.admin_url)
    upgrade(engine, backend.app_url)
    engine.dispose()
    try:
        yield backend
    finally:
        server.execute(f"DROP DATABASE IF EXISTS {dbname} WITH (FORCE)")
        server.execute(f"DROP ROLE IF EXISTS {role}")
        server.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request) -> Backend:
    backend: Backend = request.getfixturevalue(
        f"{'pg' if request.param == 'postgresql' else 'sqlite'}_backend"
    )
    _empty(backend)
    return backend


def _empty(backend: Backend) -> None:
    engine = create_engine(backend.admin_url)
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with engine.begin() as conn:
        if backend.is_postgres:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                conn.execute(text(f"DELETE FROM {table}"))
    engine.dispose()


@pytest.fixture
def config(backend: Backend, tmp_path: Path) -> Config:
    return Config(
        database_url=backend.app_url,
        database_admin_url=backend.admin_url,
        secret_key="test-secret",
        instance_dir=tmp_path / "instance",
        calendar_dir=tmp_path / "calendars",
        testing=True,
    )


@pytest.fixture
def clock():
    """``clock.set(datetime)`` fixes the time the core reads; the real clock again after."""
    import core.clock

    class Clock:
        def set(self, at):
            core.clock.set_now(at)

        def advance(self, delta):
            core.clock.set_now(core.clock.utcnow() + delta)

    yield Clock()
    core.clock.set_now(None)


@pytest.fixture
def extra_plugins() -> tuple[Any, ...]:
    """Override in a module to register test plugins."""
    return ()


@pytest.fixture
def app(config: Config, extra_plugins):
    app = create_app(config, extra_plugins=extra_plugins)
    yield app
    app.extensions["casecore"].db.dispose()


@pytest.fixture
def db(app) -> Database:
    return app.extensions["casecore"].db


@pytest.fixture
def client(app):
    return app.test_client()


# --- factories -----------------------------------------------------------------------------


@dataclass
class TenantHandle:
    """A tenant made for a test, with a token per role."""

    slug: str
    id: int
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, role: str = "admin") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


@pytest.fixture
def platform_token(db: Database) -> str:
    with db.unscoped("test: platform token") as session:
        token = create_platform_token(session, "test-platform")
        session.commit()
    return token


@pytest.fixture
def make_tenant(client, db: Database, platform_token: str):
    """``make_tenant("acme", plugins={...}, ...)``: POST /api/v1/tenants, plus role tokens."""

    def make(slug: str = "acme", **settings: Any) -> TenantHandle:
        body = {"slug": slug, "name": settings.pop("name", slug.title()), **settings}
        response = client.post(
            "/api/v1/tenants", json=body, headers={"Authorization": f"Bearer {platform_token}"}
        )
        assert response.status_code == 201, response.json
        from core.models import Tenant

        with db.unscoped("test: tokens") as session:
            tenant = session.query(Tenant).filter_by(slug=slug).one()
            handle = TenantHandle(slug, tenant.id)
            for role in ("admin", "manager", "agent", "intake"):
                handle.tokens[role] = create_tenant_token(session, tenant, f"{role}-bot", role)
            session.commit()
        return handle

    return make


@pytest.fixture
def named_token(db: Database):
    """``named_token(tenant, name, role)``: auth headers of a token with a chosen name (an
    actor is named by its token's name)."""
    from core.models import Tenant

    def make(tenant: TenantHandle, name: str, role: str) -> dict[str, str]:
        with db.unscoped("test: named token") as session:
            token = create_tenant_token(session, session.get(Tenant, tenant.id), name, role)
            session.commit()
        return {"Authorization": f"Bearer {token}"}

    return make


CASE_BODY: dict[str, Any] = {
    "kind": "complaint",
    "title": "冰箱不制冷",
    "description": "买了三天的冰箱不制冷了",
    "channel": "phone",
    "customer": {"name": "张三", "phone": "13800000000"},
}


@pytest.fixture
def make_case(client):
    """``make_case(tenant, **overrides)`` opens a case through the API and returns its body."""

    def make(tenant: TenantHandle, role: str = "agent", **overrides: Any) -> dict[str, Any]:
        body = {**CASE_BODY, **overrides}
        response = client.post("/api/v1/cases", json=body, headers=tenant.auth(role))
        assert response.status_code == 201, response.json
        return response.json

    return make


@pytest.fixture
def act(client):
    """``act(tenant, case, "acknowledge", role="agent", **params)`` -> response."""

    def do(
        tenant: TenantHandle,
        case: dict[str, Any],
        action: str,
        role: str = "agent",
        headers: dict[str, str] | None = None,
        **params: Any,
    ):
        current = client.get(f"/api/v1/cases/{case['id']}", headers=tenant.auth("admin")).json
        body = {"action": action, "version": current["version"], **params}
        return client.post(
            f"/api/v1/cases/{case['id']}/actions", json=body, headers=headers or tenant.auth(role)
        )

    return do
