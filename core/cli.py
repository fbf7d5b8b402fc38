"""The ``casecore`` command: the operator's contract (API.md "Command line")."""

from __future__ import annotations

import dataclasses
import sys
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import click
from argon2 import PasswordHasher
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy import select, text
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from core.config import Config
from core.db import Database
from core.errors import Problem
from core.types import ROLES


def _config() -> Config:
    return Config.from_env()


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _database(config: Config, migrated: bool = True) -> Database:
    """Both connections, checked: reachable, and (unless ``migrated=False``) migrated."""
    try:
        db = Database(config)
    except (ArgumentError, NoSuchModuleError, ImportError, ValueError, OSError) as exc:
        _fail(f"cannot use DATABASE_URL / DATABASE_ADMIN_URL: {exc}")
    app_url, admin_url = db.engine.url, db.admin_engine.url
    if (app_url.get_backend_name(), app_url.host, app_url.port, app_url.database) != (
        admin_url.get_backend_name(),
        admin_url.host,
        admin_url.port,
        admin_url.database,
    ):
        _fail(
            "DATABASE_URL and DATABASE_ADMIN_URL name different databases: they are two roles "
            "of one database (set DATABASE_URL too)"
        )
    for name, engine in (("DATABASE_URL", db.engine), ("DATABASE_ADMIN_URL", db.admin_engine)):
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except (OperationalError, OSError) as exc:
            where = engine.url.render_as_string(hide_password=True)
            _fail(f"cannot reach the database of {name} ({where}): {getattr(exc, 'orig', exc)}")
    from core.migrate import current_revision, head_revision, known_revision

    current = current_revision(db.admin_engine)
    if current is not None and not known_revision(current):
        _fail(
            f"the database is at revision {current}, newer than this casecore knows "
            f"({head_revision()}): upgrade casecore"
        )
    if migrated and current != head_revision():
        _fail("the database schema is missing or old: run `casecore db upgrade` first")
    return db


class _Commands(click.Group):
    """A database error in any command is one clear line and exit 1, never a traceback (and
    never the statement's parameters, which may hold a password hash)."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DBAPIError as exc:
            cause = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
            hint = ""
            if "permission denied" in cause:
                hint = ": this role lacks the rights; set DATABASE_ADMIN_URL to the owner role"
            _fail(f"the database refused: {cause}{hint}")


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """casecore: multi-tenant case handling. Settings come from the environment:
    DATABASE_URL, DATABASE_ADMIN_URL, REDIS_URL, SECRET_KEY, SMTP_URL, CASECORE_PLUGINS."""


# --- serve, worker ---------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
def serve(host: str, port: int) -> None:
    """Run the web app (API, console, public pages) on Flask's server."""
    from core.app import create_app

    config = _config()
    _database(config)
    app = create_app(config)
    _jobs_in_process(app)
    app.run(host=host, port=port, threaded=True)


@main.command()
@click.option(
    "--queues",
    default=None,
    help="Comma-separated queue names (default: CASECORE_QUEUE, or casecore).",
)
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
def worker(queues: str | None, burst: bool) -> None:
    """Run an rq worker with the scheduler and the cron loop (needs REDIS_URL). It runs until
    SIGTERM or SIGINT (exit 0); stopping for any other reason exits 1, so that a supervisor
    restarts it."""
    config = _config()
    if not config.redis_url:
        _fail("REDIS_URL is not set: without Redis, `casecore serve` runs jobs in-process.")
    names = [q.strip() for q in (queues or config.queue_name).split(",") if q.strip()]
    if not names:
        _fail("--queues names no queue: give one or more names, comma-separated.")
    import logging
    import threading

    from rq import Queue, Worker

    from core.jobs.runtime import Runtime, redis_for
    from core.jobs.schedule import prepare_worker, run_cron
    from core.plugins import Plugins

    # Logs go to stderr, rq's included (it adds a stdout handler only where none is set).
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    try:
        redis = redis_for(config, worker=True)
        redis.ping()
    except Exception as exc:
        _fail(f"cannot reach Redis at {config.redis_url}: {exc}")
    runtime = Runtime(config, _database(config), Plugins(allowed=config.plugins_allowed), redis)
    prepare_worker(runtime)
    stop = threading.Event()
    if not burst:
        threading.Thread(target=run_cron, args=(runtime, stop), daemon=True).start()

    class CasecoreWorker(Worker):
        asked_to_stop = False

        def request_stop(self, signum, frame):
            self.asked_to_stop = True
            super().request_stop(signum, frame)

    rq_worker = CasecoreWorker([Queue(n, connection=redis) for n in names], connection=redis)
    rq_worker.work(with_scheduler=True, burst=burst)
    stop.set()
    if not burst and not rq_worker.asked_to_stop:
        _fail("the worker stopped on an error (see the log above); start it again")


def _jobs_in_process(app) -> None:
    """Without REDIS_URL the web process runs the job functions and the schedule itself."""
    core = app.extensions["casecore"]
    if core.config.redis_url:
        return
    from core.jobs.runtime import Runtime, redis_for
    from core.jobs.schedule import start_in_process

    start_in_process(Runtime(core.config, core.db, core.plugins, redis_for(core.config)))


# --- db --------------------------------------------------------------------------------------


@main.group()
def db() -> None:
    """Database schema."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply migrations (on DATABASE_ADMIN_URL), with policies and the app role's grants."""
    from core.migrate import current_revision, upgrade

    config = _config()
    database = _database(config, migrated=False)
    upgrade(database.admin_engine, config.database_url)
    click.echo(f"database at revision {current_revision(database.admin_engine)}")


# --- tenants ---------------------------------------------------------------------------------


@main.group()
def tenants() -> None:
    """Tenants."""


@tenants.command("load")
@click.argument("path", type=click.Path(exists=True, path_type=Path))
def tenants_load(path: Path) -> None:
    """Create or update tenants from TOML manifests (a file, or a folder of *.toml)."""
    files = sorted(f for f in path.glob("*.toml") if f.is_file()) if path.is_dir() else [path]
    if not files:
        _fail(f"no *.toml manifests in {path}")
    config = _config()
    database = _database(config)
    from core.plugins import Plugins

    plugins = Plugins(allowed=config.plugins_allowed)
    for file in files:
        action = load_manifest(database, plugins, file, config.calendar_dir)
        click.echo(f"{action} {file.name}")


def load_manifest(database: Database, plugins, file: Path, calendar_dir: Path | None = None) -> str:
    """Apply one manifest; answers 'created <slug>' or 'updated <slug>'. ``calendar_dir``: the
    operator's calendar data, for deadlines a calendar change recomputes."""
    from core.models import Tenant
    from core.schemas import TenantCreateSchema, TenantSettingsSchema
    from core.tenants import apply_settings, create_tenant

    try:
        manifest = tomllib.loads(file.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        _fail(f"{file}: not valid TOML: {exc}")
    except UnicodeDecodeError:
        _fail(f"{file}: not UTF-8 text; save the manifest as UTF-8")
    except OSError as exc:
        _fail(f"{file}: cannot read it: {exc.strerror or exc}")
    users = manifest.pop("users", [])
    manifest.pop("sample_cases", None)  # for `casecore demo` only
    try:
        data = TenantCreateSchema().load(_dates_to_text(manifest))
    except ValidationError as exc:
        _fail(f"{file}: {exc.messages}")
    with database.unscoped(f"cli: load tenant manifest {file.name}") as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == data["slug"]))
        try:
            if tenant is None:
                tenant = create_tenant(session, data, plugins)
                action = "created"
            else:
                data.pop("slug")
                apply_settings(
                    tenant,
                    TenantSettingsSchema().load(
                        _dates_to_text({k: v for k, v in manifest.items() if k != "slug"})
                    ),
                    plugins,
                    calendar_dir,
                )
                action = "updated"
        except Problem as problem:
            _fail(f"{file}: {problem.detail} {problem.errors or ''}")
        session.flush()
        try:
            users = ManifestUser(many=True).load(users)
        except ValidationError as exc:
            _fail(f"{file}: [[users]] {exc.messages}")
        for user in users:
            upsert_user(
                session, tenant, user["email"], user["role"], user.get("password"), user["name"]
            )
        session.commit()
        return f"{action} {tenant.slug}"


class ManifestUser(Schema):
    """A ``[[users]]`` entry of a tenant manifest."""

    email = fields.Email(required=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    password = fields.String(validate=validate.Length(min=8, max=200))
    name = fields.String(load_default="", validate=validate.Length(max=200))


def _dates_to_text(value: Any) -> Any:
    """TOML reads bare dates as dates; the schemas take ISO text, as the API does."""
    if isinstance(value, dict):
        return {k: _dates_to_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_dates_to_text(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value


# --- tokens and users ------------------------------------------------------------------------


@main.group()
def tokens() -> None:
    """API tokens."""


@tokens.command("create")
@click.option("--tenant", "slug", help="The tenant the token belongs to.")
@click.option("--role", type=click.Choice(ROLES), help="The token's role.")
@click.option("--platform", is_flag=True, help="A platform token (tenant provisioning only).")
@click.option("--name", default=None, help="A name to recognise the token by.")
def tokens_create(slug: str | None, role: str | None, platform: bool, name: str | None) -> None:
    """Print a new token once, alone on stdout (it is stored only as a hash)."""
    from core.models import Tenant
    from core.tokens import create_platform_token, create_tenant_token

    if platform == bool(slug):
        _fail("give either --platform or --tenant SLUG with --role ROLE")
    if platform and role:
        _fail("a platform token has no role: leave out --role")
    if slug and not role:
        _fail("--role is required with --tenant")
    database = _database(_config())
    with database.unscoped("cli: create a token") as session:
        if platform:
            token = create_platform_token(session, name or "platform")
        else:
            tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
            if tenant is None:
                _fail(f"no tenant {slug!r}")
            token = create_tenant_token(session, tenant, name or f"{role}-token", role)
        session.commit()
    click.echo(token)


@main.group()
def users() -> None:
    """Console users."""


@users.command("create")
@click.option("--tenant", "slug", required=True, help="The tenant's slug.")
@click.option("--email", required=True, help="The user's sign-in email.")
@click.option("--role", required=True, type=click.Choice(ROLES))
@click.option("--name", default="", help="The name shown in the console.")
@click.option(
    "--password",
    default=None,
    help="At least 8 characters; asked for (twice, hidden) when not given.",
)
@click.option(
    "--update",
    is_flag=True,
    help="The user exists: change its role (and its password, if one is given).",
)
def users_create(
    slug: str, email: str, role: str, name: str, password: str | None, update: bool
) -> None:
    """Create a console user; with --update, change an existing one."""
    from core.models import Tenant, User

    email = email.strip()
    try:
        validate.Email()(email)
        validate.Length(max=254)(email)
    except ValidationError:
        _fail("--email must be an email address (at most 254 characters)")
    if len(name) > 200:
        _fail("--name may have at most 200 characters")
    database = _database(_config())
    with database.unscoped("cli: create a user") as session:
        tenant = session.scalar(select(Tenant).where(Tenant.slug == slug))
        if tenant is None:
            _fail(f"no tenant {slug!r}")
        exists = session.scalar(
            select(User.id).where(User.tenant_id == tenant.id, User.email == email.lower())
        )
        if exists and not update:
            _fail(f"{email.lower()} is already a user of {slug}: pass --update to change it")
        if not exists and update:
            _fail(f"{email.lower()} is no user of {slug}: leave out --update to create it")
        if password is None and not (exists and update):
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True, err=True)
        if password is not None and not 8 <= len(password) <= 200:
            _fail("the password must have at least 8 characters (and at most 200)")
        action = upsert_user(session, tenant, email, role, password, name)
        session.commit()
    click.echo(f"{action} {email.lower()} ({role}) in {slug}")


def upsert_user(session, tenant, email: str, role: str, password: str | None, name: str) -> str:
    from core.models import User

    if role not in ROLES:
        _fail(f"unknown role {role!r}")
    email = email.strip().lower()
    user = session.scalar(select(User).where(User.tenant_id == tenant.id, User.email == email))
    hashed = PasswordHasher().hash(password) if password else None
    if user is None:
        if hashed is None:
            _fail(f"user {email} needs a password")
        session.add(
            User(tenant_id=tenant.id, email=email, role=role, name=name, password_hash=hashed)
        )
        return "created"
    user.role = role
    if hashed:
        user.password_hash = hashed
    return "updated"


# --- calendar --------------------------------------------------------------------------------


@main.group()
def calendar() -> None:
    """Business calendars."""


@calendar.command("check")
@click.option(
    "--year",
    type=click.IntRange(1990, 2100),
    multiple=True,
    help="Years to check (default: last, this and next year).",
)
@click.option("--country", default="CN", show_default=True)
def calendar_check(year: tuple[int, ...], country: str) -> None:
    """Which calendar data each year uses; warns (exit 1) where a year falls back."""
    from core.calendars import BusinessCalendar, CalendarDataError

    config = _config()
    years = year or tuple(date.today().year + d for d in (-1, 0, 1))
    try:
        cal = BusinessCalendar.from_settings(
            "Asia/Shanghai", {"country": country}, data_dir=config.calendar_dir
        )
        sources = cal.year_sources(years)
    except (ValueError, CalendarDataError) as exc:
        _fail(str(exc))
    missing = False
    for y in years:
        info = sources[y]
        mark = "WARNING" if info.fallback else "ok"
        click.echo(f"{y}  {mark:7}  {info.label}")
        if info.fallback:
            missing = True
            click.echo(
                f"       add {config.calendar_dir / country.lower() / f'{y}.json'} "
                "with the official schedule (see core/calendar_data/README.md)",
                err=True,
            )
    sys.exit(1 if missing else 0)


# --- demo ------------------------------------------------------------------------------------


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--no-serve", is_flag=True, help="Set up the demo, print the logins, and stop.")
@click.option(
    "--manifests",
    type=click.Path(path_type=Path),
    default=None,
    help="Folder of tenant manifests (default: the repository's tenants/).",
)
def demo(host: str, port: int, no_serve: bool, manifests: Path | None) -> None:
    """The embedded default: SQLite, in-process jobs, the demo tenants with sample cases."""
    from core.demo import DEMO_TENANTS, set_up

    folder = manifests or DEMO_TENANTS
    if not folder.is_dir() or not any(folder.glob("*.toml")):
        _fail(f"no tenant manifests (*.toml) in {folder}: give the folder with --manifests")
    config = _config()
    if config.redis_url:
        click.echo("demo: REDIS_URL is ignored; the demo runs its jobs in-process", err=True)
        config = dataclasses.replace(config, redis_url=None)
    database = _database(config, migrated=False)  # the demo migrates itself
    logins = set_up(config, database, folder)
    if no_serve:
        click.echo(f"casecore demo set up; `casecore demo --port {port}` serves it")
    else:
        click.echo(f"casecore demo on http://{host}:{port}/")
    for line in logins:
        click.echo(f"  {line}")
    if no_serve:
        return
    from core.app import create_app

    app = create_app(config)
    _jobs_in_process(app)
    app.run(host=host, port=port, threaded=True)


if __name__ == "__main__":  # pragma: no cover
    main()
