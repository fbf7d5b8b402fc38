"""Engines and sessions: the app's connection (RLS applies) and the owner's (migrations)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from core.config import Config
from core.tenancy import TenantScopeError, TenantSession

log = logging.getLogger("casecore.db")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the one writer
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def insert_if_absent(
    session: Session, model: type, values: dict[str, Any], unique: list[str]
) -> bool:
    """INSERT a row unless one with the same ``unique`` columns exists, atomically (two sessions
    doing it at once make one row). Answers whether this call made it."""
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
    stmt = (
        dialect.insert(model)
        .values(**values)
        .on_conflict_do_nothing(index_elements=unique)
        .returning(*[getattr(model, c) for c in unique])
    )
    return session.execute(stmt).first() is not None


def insert_rows(session: TenantSession, model: type, rows: list[dict[str, Any]]) -> None:
    """INSERT many complete rows of a tenant-owned ``model`` in the session's tenant.

    The rows go through the table, not the ORM's bulk path: its statement compiles once and is
    cached, where a many-row ``VALUES`` compiles anew each time (most of an SLA sweep's cost).
    The tenant of every row is checked here, as a flush would check it.
    """
    if not rows:
        return
    if any(row["tenant_id"] != session.tenant_id for row in rows):
        raise TenantScopeError(f"inserting {model.__name__} rows outside the session's tenant")
    session.execute(model.__table__.insert(), rows)


class Database:
    """The two connections of DESIGN.md "Tenancy" and the sessions made from them."""

    def __init__(self, config: Config):
        self.config = config
        self.engine = make_engine(config.database_url)
        self.admin_engine = (
            make_engine(config.database_admin_url) if config.separate_admin else self.engine
        )
        self._sessions = sessionmaker(self.engine, class_=TenantSession, expire_on_commit=False)
        self._admin_sessions = sessionmaker(
            self.admin_engine, class_=TenantSession, expire_on_commit=False
        )
        if self.engine.dialect.name == "postgresql" and not config.separate_admin:
            log.warning(
                "DATABASE_ADMIN_URL is not set, or is DATABASE_URL: the app connects as the "
                "owner role and row-level security, the second wall between tenants, is down"
            )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def session(self, tenant_id: int | None) -> TenantSession:
        """A session bound to one tenant (``None``: platform tables only)."""
        return self._sessions(info={"tenant_id": tenant_id})

    @contextmanager
    def unscoped(self, reason: str, routine: bool = False) -> Iterator[TenantSession]:
        """A session across tenants, on the owner's connection. Every use is logged; the
        ``routine`` ones that run every few seconds (the outbox relay, the SLA sweep) at DEBUG,
        so that they do not drown the rest."""
        log.log(logging.DEBUG if routine else logging.INFO, "unscoped: %s", reason)
        session = self._admin_sessions(info={"unscoped": True, "reason": reason})
        try:
            yield session
        finally:
            session.close()

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()
        if self.admin_engine is not self.engine:
            self.admin_engine.dispose()
