"""``casecore db upgrade`` (core.migrate.upgrade): from empty on SQLite and PostgreSQL, the models
and the migrations agree, and on PostgreSQL the second wall is up (DESIGN.md "Tenancy"): row-level
security on every tenant-owned table, an app role that owns nothing, cannot delete and cannot
rewrite the event log."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, inspect, text

from core.migrate import alembic_config, current_revision, upgrade
from core.models import TENANT_OWNED_TABLES, Base

PG_ADMIN_DSN = os.environ.get("CASECORE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
MODEL_TABLES = set(Base.metadata.tables)


def _need_postgres(reason: str) -> None:
    message = f"PostgreSQL is not reachable: {reason}"
    if os.environ.get("CASECORE_REQUIRE_SERVICES") == "1":
        pytest.fail(message + " (CASECORE_REQUIRE_SERVICES=1)")
    pytest.skip(message)


def head_revision(engine: Engine) -> str:
    with engine.connect() as conn:
        return ScriptDirectory.from_config(alembic_config(conn)).get_current_head()


def env_options(conn) -> dict:
    """The options core/migrations/env.py configures, read by running env.py itself (with no
    migration to apply), as ``alembic check`` does: the filter compared here is the real one."""
    cfg = alembic_config(conn)
    script = ScriptDirectory.from_config(cfg)
    options: dict = {}

    def capture(_revision, context):
        options.update(context.opts)
        return []

    with EnvironmentContext(cfg, script, fn=capture):
        script.run_env()
    return options


def schema_differences(engine: Engine) -> list:
    with engine.connect() as conn:
        opts = env_options(conn)
        context = MigrationContext.configure(
            conn,
            opts={"include_name": opts["include_name"], "compare_type": opts["compare_type"]},
        )
        return compare_metadata(context, Base.metadata)


# --- SQLite ----------------------------------------------------------------------------------


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'migrations.db'}")
    yield engine
    engine.dispose()


def test_upgrade_from_empty_on_sqlite(sqlite_engine):
    assert inspect(sqlite_engine).get_table_names() == []
    upgrade(sqlite_engine)
    assert current_revision(sqlite_engine) == head_revision(sqlite_engine)
    tables = set(inspect(sqlite_engine).get_table_names())
    assert MODEL_TABLES | {"alembic_version"} <= tables
    # The rest is the full-text index the migration adds for SQLite (FTS5 and its shadow tables).
    assert {t for t in tables - MODEL_TABLES - {"alembic_version"}} == {
        t for t in tables if t.startswith("cases_fts")
    }
    assert "cases_fts" in tables


def test_upgrade_twice_changes_nothing(sqlite_engine):
    upgrade(sqlite_engine)
    before = _sqlite_schema(sqlite_engine)
    upgrade(sqlite_engine)
    assert _sqlite_schema(sqlite_engine) == before
    assert current_revision(sqlite_engine) == head_revision(sqlite_engine)


def _sqlite_schema(engine: Engine) -> list[tuple]:
    with engine.connect() as conn:
        return list(conn.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY name")))


def test_models_and_migrations_agree_on_sqlite(sqlite_engine):
    upgrade(sqlite_engine)
    assert schema_differences(sqlite_engine) == []


def test_the_filter_hides_only_the_unmodelled_objects(sqlite_engine):
    """The comparison is not vacuous: without env.py's filter the FTS table shows up as a
    difference, and the filter lets every model table through."""
    upgrade(sqlite_engine)
    with sqlite_engine.connect() as conn:
        include_name = env_options(conn)["include_name"]
        unfiltered = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    removed = {d[1].name for d in unfiltered if d[0] == "remove_table"}
    assert "cases_fts" in removed
    assert removed <= {"cases_fts"} | {n for n in removed if n.startswith("cases_fts_")}
    for table in Base.metadata.sorted_tables:
        assert include_name(table.name, "table", {})
        for column in table.columns:
            assert include_name(column.name, "column", {"table_name": table.name})
        for index in table.indexes:
            assert include_name(index.name, "index", {"table_name": table.name})


def test_downgrade_to_base_and_upgrade_again_on_sqlite(sqlite_engine):
    upgrade(sqlite_engine)
    with sqlite_engine.begin() as conn:
        command.downgrade(alembic_config(conn), "base")
    assert current_revision(sqlite_engine) is None
    assert inspect(sqlite_engine).get_table_names() == ["alembic_version"]
    with sqlite_engine.connect() as conn:  # triggers of the full-text index went too
        assert (
            conn.execute(text("SELECT count(*) FROM sqlite_master WHERE type = 'trigger'")).scalar()
            == 0
        )
    upgrade(sqlite_engine)
    assert current_revision(sqlite_engine) == head_revision(sqlite_engine)
    assert schema_differences(sqlite_engine) == []
    with sqlite_engine.connect() as conn:  # and the full-text index's triggers are back
        triggers = conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
        ).scalars()
        assert list(triggers) == ["cases_fts_delete", "cases_fts_insert", "cases_fts_update"]


# --- PostgreSQL ------------------------------------------------------------------------------


@dataclass
class FreshPostgres:
    database: str
    app_role: str
    admin_url: str
    app_url: str
    admin: Engine


@pytest.fixture(scope="module")
def fresh_pg() -> Iterator[FreshPostgres]:
    """A database made for this module, upgraded from empty, with its own app role (no
    superuser, no BYPASSRLS, owns nothing); both dropped at the end."""
    try:
        server = psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        _need_postgres(str(exc).strip())
    suffix = secrets.token_hex(4)
    database, role = f"casecore_mig_{suffix}", f"casecore_mig_app_{suffix}"
    server.execute(f"CREATE ROLE {role} LOGIN NOSUPERUSER NOBYPASSRLS")
    server.execute(f"CREATE DATABASE {database}")
    base = "postgresql+psycopg://{user}@127.0.0.1:5432/" + database
    admin_url, app_url = base.format(user="postgres"), base.format(user=role)
    admin = create_engine(admin_url)
    try:
        assert inspect(admin).get_table_names() == []
        upgrade(admin, app_url)
        yield FreshPostgres(database, role, admin_url, app_url, admin)
    finally:
        admin.dispose()
        server.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        server.execute(f"DROP ROLE IF EXISTS {role}")
        server.close()


def test_upgrade_from_empty_on_postgresql(fresh_pg):
    assert current_revision(fresh_pg.admin) == head_revision(fresh_pg.admin)
    assert set(inspect(fresh_pg.admin).get_table_names()) == MODEL_TABLES | {"alembic_version"}
    with fresh_pg.admin.connect() as conn:
        indexes = set(
            conn.execute(
                text("SELECT indexname FROM pg_indexes WHERE tablename = 'cases'")
            ).scalars()
        )
    assert "ix_cases_search" in indexes  # the text-search index the models do not describe


def test_upgrade_again_on_postgresql_changes_nothing(fresh_pg):
    def snapshot():
        with fresh_pg.admin.connect() as conn:
            return (
                sorted(
                    conn.execute(
                        text("SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies")
                    ).all()
                ),
                sorted(
                    conn.execute(
                        text(
                            "SELECT table_name, privilege_type FROM "
                            "information_schema.role_table_grants WHERE grantee = :r"
                        ),
                        {"r": fresh_pg.app_role},
                    ).all()
                ),
            )

    before = snapshot()
    upgrade(fresh_pg.admin, fresh_pg.app_url)
    assert snapshot() == before
    assert current_revision(fresh_pg.admin) == head_revision(fresh_pg.admin)


def test_models_and_migrations_agree_on_postgresql(fresh_pg):
    assert schema_differences(fresh_pg.admin) == []


def test_every_tenant_owned_table_has_row_level_security(fresh_pg):
    assert TENANT_OWNED_TABLES  # the models do declare some
    with fresh_pg.admin.connect() as conn:
        rls = dict(
            conn.execute(
                text(
                    "SELECT relname, relrowsecurity FROM pg_class "
                    "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
                )
            ).all()
        )
        policies: dict[str, list[tuple]] = {}
        for table, name, cmd, qual, check in conn.execute(
            text(
                "SELECT tablename, policyname, cmd, qual, with_check FROM pg_policies "
                "WHERE schemaname = 'public'"
            )
        ):
            policies.setdefault(table, []).append((name, cmd, qual, check))
    missing_rls = [t for t in TENANT_OWNED_TABLES if not rls.get(t)]
    assert missing_rls == []
    for table in TENANT_OWNED_TABLES:
        assert policies.get(table), f"{table} has no policy"
        for name, cmd, qual, check in policies[table]:
            # Reads and writes both bound to the transaction's tenant.
            assert cmd == "ALL", (table, name, cmd)
            assert "tenant_id" in qual and "app.tenant_id" in qual, (table, qual)
            assert "tenant_id" in check and "app.tenant_id" in check, (table, check)
    # The registry of tenants: readable by all, each may update only itself.
    assert rls["tenants"]
    assert {p[1] for p in policies["tenants"]} == {"SELECT", "UPDATE"}


def test_the_app_role_is_no_owner_and_no_superuser(fresh_pg):
    with fresh_pg.admin.connect() as conn:
        role = conn.execute(
            text(
                "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb "
                "FROM pg_roles WHERE rolname = :r"
            ),
            {"r": fresh_pg.app_role},
        ).one()
        owned = (
            conn.execute(
                text("SELECT c.relname FROM pg_class c WHERE pg_get_userbyid(c.relowner) = :r"),
                {"r": fresh_pg.app_role},
            )
            .scalars()
            .all()
        )
        schema_owner = conn.execute(
            text("SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'")
        ).scalar()
    assert tuple(role) == (False, False, False, False)
    assert owned == []
    assert schema_owner != fresh_pg.app_role


def test_the_app_role_cannot_delete_and_only_appends_events(fresh_pg):
    with fresh_pg.admin.connect() as conn:
        tables = (
            conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            .scalars()
            .all()
        )
        grants: dict[str, set[str]] = {}
        for table, privilege in conn.execute(
            text(
                "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
                "WHERE grantee = :r"
            ),
            {"r": fresh_pg.app_role},
        ):
            grants.setdefault(table, set()).add(privilege)

        def may(table: str, privilege: str) -> bool:
            return conn.execute(
                text("SELECT has_table_privilege(:r, :t, :p)"),
                {"r": fresh_pg.app_role, "t": f"public.{table}", "p": privilege},
            ).scalar()

        deletable = [t for t in tables if may(t, "DELETE")]
        truncatable = [t for t in tables if may(t, "TRUNCATE")]
        event_rights = {
            p for p in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE") if may("case_events", p)
        }
    assert set(tables) >= MODEL_TABLES
    assert deletable == []
    assert truncatable == []
    assert event_rights == {"SELECT", "INSERT"}
    assert grants["case_events"] == {"SELECT", "INSERT"}
    assert all("DELETE" not in rights for rights in grants.values())
    # The app needs to work on every tenant-owned table (RLS does the narrowing).
    for table in TENANT_OWNED_TABLES:
        assert {"SELECT", "INSERT"} <= grants.get(table, set()), table


def test_the_app_role_sees_nothing_without_a_tenant(fresh_pg):
    """RLS applies to the app role: rows the owner writes are invisible until a tenant is set."""
    with fresh_pg.admin.begin() as conn:
        tenant_id = conn.execute(
            text(
                "INSERT INTO tenants (slug, name, timezone, locale, settings, plugins, created_at, "
                "updated_at) VALUES (:s, 'T', 'UTC', 'en', '{}', '{}', now(), now()) RETURNING id"
            ),
            {"s": f"mig-{secrets.token_hex(3)}"},
        ).scalar()
        conn.execute(
            text("INSERT INTO counters (tenant_id, name, value) VALUES (:t, 'cases', 7)"),
            {"t": tenant_id},
        )
    app = create_engine(fresh_pg.app_url)
    try:
        with app.begin() as conn:
            assert conn.execute(text("SELECT count(*) FROM counters")).scalar() == 0
            conn.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": str(tenant_id)}
            )
            assert conn.execute(text("SELECT value FROM counters")).scalars().all() == [7]
    finally:
        app.dispose()


def test_tenant_keys_lead_with_tenant_id(fresh_pg):
    """DESIGN.md: every primary key, unique constraint and index of a tenant-owned table starts
    with tenant_id. The deliberate exceptions serve cross-tenant scans (the SLA sweep's index on
    running timers) and are partial, so that on Citus each shard answers from its own; the
    text-search expression index is the migration's, outside the models."""
    insp = inspect(fresh_pg.admin)
    for table in TENANT_OWNED_TABLES:
        assert insp.get_pk_constraint(table)["constrained_columns"][0] == "tenant_id", table
        for unique in insp.get_unique_constraints(table):
            assert unique["column_names"][0] == "tenant_id", (table, unique["name"])
        for index in insp.get_indexes(table):
            if index["name"] == "ix_cases_search" or index["column_names"][0] == "tenant_id":
                continue
            where = index.get("dialect_options", {}).get("postgresql_where")
            assert where, f"{table}.{index['name']} neither starts with tenant_id nor is partial"
    sweep = {i["name"]: i for i in insp.get_indexes("timers")}["ix_timers_due_running"]
    assert "running" in sweep["dialect_options"]["postgresql_where"]
