"""``casecore db upgrade``: migrations, then what the app role may do (PostgreSQL)."""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, make_url, text

from core.models import TENANT_OWNED_TABLES

log = logging.getLogger("casecore.migrate")

MIGRATIONS = Path(__file__).parent / "migrations"

# The app role never deletes and never rewrites the event log; retention is the operator's job.
_APP_GRANTS = {
    "case_events": "SELECT, INSERT",
    "platform_tokens": "SELECT",
    "tenants": "SELECT, UPDATE",
}
_DEFAULT_GRANT = "SELECT, INSERT, UPDATE"


def alembic_config(connection) -> AlembicConfig:
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(admin_engine: Engine, app_url: str | None = None) -> None:
    """Apply every migration on the owner's connection; then grant the app role its rights."""
    with admin_engine.begin() as connection:
        command.upgrade(alembic_config(connection), "head")
    if admin_engine.dialect.name == "postgresql" and app_url:
        app_role = make_url(app_url).username
        owner = make_url(str(admin_engine.url)).username
        if app_role and app_role != owner:
            grant_app_role(admin_engine, app_role)


def grant_app_role(admin_engine: Engine, role: str) -> None:
    """Give the app role exactly the rights it needs; row-level security does the rest."""
    quoted = admin_engine.dialect.identifier_preparer.quote(role)
    tables = [*TENANT_OWNED_TABLES, "tenants", "platform_tokens"]
    with admin_engine.begin() as conn:
        conn.execute(text(f"GRANT USAGE ON SCHEMA public TO {quoted}"))
        for table in tables:
            conn.execute(text(f"REVOKE ALL ON {table} FROM {quoted}"))
            rights = _APP_GRANTS.get(table, _DEFAULT_GRANT)
            conn.execute(text(f"GRANT {rights} ON {table} TO {quoted}"))
        conn.execute(text(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}"))
    log.info("granted the app role %s its rights on %d tables", role, len(tables))


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _scripts():
    from alembic.script import ScriptDirectory

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg)


def head_revision() -> str | None:
    """The newest migration this code has."""
    return _scripts().get_current_head()


def known_revision(revision: str) -> bool:
    """Whether this code has the migration ``revision`` (a database migrated by a newer
    casecore is at one it does not know)."""
    return revision in {script.revision for script in _scripts().walk_revisions()}
