"""The ``casecore`` command (API.md "Command line", the operator's contract), run in-process with
click's CliRunner against a temporary SQLite file, and once on PostgreSQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from argon2 import PasswordHasher
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, func, select, text

from core.app import create_app
from core.cli import main
from core.config import Config
from core.migrate import alembic_config
from core.models import ApiToken, Base, Case, PlatformToken, Tenant, User

TENANTS_DIR = Path(__file__).resolve().parents[2] / "tenants"
DEMO_SLUGS = ["hengtong-parts", "huamei-retail", "jiesheng-auto", "xiangwei-food"]
CLOSED_PORT_URL = "postgresql://postgres:s3cret-pw@127.0.0.1:1/casecore"
TOKEN = {"tenant": r"ct\.[a-z0-9-]+\.[A-Za-z0-9_-]{20,}", "platform": r"cp\.[A-Za-z0-9_-]{20,}"}


@dataclass
class Site:
    """One installation: its environment and its database."""

    env: dict[str, str | None]
    root: Path

    @property
    def url(self) -> str:
        return self.env["DATABASE_URL"]

    @property
    def admin_url(self) -> str:
        return self.env.get("DATABASE_ADMIN_URL") or self.url

    def run(self, *args: str, input: str | None = None, **env: str | None) -> Result:
        return CliRunner().invoke(main, list(args), env={**self.env, **env}, input=input)

    def scalar(self, stmt):
        return self.rows(stmt)[0][0]

    def rows(self, stmt) -> list:
        engine = create_engine(self.admin_url)
        try:
            with engine.connect() as conn:
                return list(conn.execute(stmt))
        finally:
            engine.dispose()

    def client(self):
        config = Config(
            database_url=self.url,
            database_admin_url=self.admin_url,
            secret_key="cli-test",
            instance_dir=self.root / "instance",
            calendar_dir=self.root / "calendars",
            testing=True,
        )
        app = create_app(config)
        return app, app.test_client()


def _env(root: Path, url: str | None = None, admin_url: str | None = None) -> dict:
    """Everything the command reads, set or explicitly unset (the runner's own environment
    must not leak in)."""
    return {
        "DATABASE_URL": url or f"sqlite:///{root / 'casecore.db'}",
        "DATABASE_ADMIN_URL": admin_url,
        "CASECORE_INSTANCE": str(root / "instance"),
        "CASECORE_CALENDAR_DIR": str(root / "calendars"),
        "CASECORE_PLUGINS": None,
        "REDIS_URL": None,
        "SMTP_URL": None,
        "SECRET_KEY": "cli-test",
    }


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """An empty SQLite installation."""
    return Site(_env(tmp_path), tmp_path)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> Site:
    """A SQLite installation with the schema and the repo's four tenants."""
    root = tmp_path_factory.mktemp("cli-loaded")
    site = Site(_env(root), root)
    assert_ok(site.run("db", "upgrade"))
    assert_ok(site.run("tenants", "load", str(TENANTS_DIR)))
    return site


def assert_ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def assert_clean_failure(result: Result, *words: str) -> None:
    """Non-zero exit, a message on stderr naming ``words``, no traceback, nothing on stdout
    a script could mistake for a result."""
    assert result.exit_code != 0, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    assert result.stdout == ""
    for word in words:
        assert word in result.stderr, (word, result.stderr)


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config(None)).get_current_head()


# --- help ------------------------------------------------------------------------------------

HELP = [
    ([], ["serve", "worker", "db", "tenants", "tokens", "users", "calendar", "demo"]),
    (["serve"], ["--host", "--port"]),
    (["worker"], ["--queues", "REDIS_URL"]),
    (["db"], ["upgrade"]),
    (["db", "upgrade"], ["Apply migrations"]),
    (["tenants"], ["load"]),
    (["tenants", "load"], ["PATH"]),
    (["tokens"], ["create"]),
    (["tokens", "create"], ["--tenant", "--role", "--platform", "--name"]),
    (["users"], ["create"]),
    (["users", "create"], ["--tenant", "--email", "--role", "--password", "--name"]),
    (["calendar"], ["check"]),
    (["calendar", "check"], ["--year", "--country"]),
    (["demo"], ["--host", "--port", "--no-serve"]),
]


@pytest.mark.parametrize(
    ("command", "mentions"), HELP, ids=[" ".join(c) or "casecore" for c, _ in HELP]
)
def test_help(site, command, mentions):
    for flag in ("--help", "-h"):
        result = assert_ok(site.run(*command, flag))
        assert result.stdout.startswith("Usage:")
        for word in mentions:
            assert word in result.stdout, (word, result.stdout)


# --- db upgrade ------------------------------------------------------------------------------


def test_db_upgrade_from_empty_then_again(site):
    head = head_revision()
    first = assert_ok(site.run("db", "upgrade"))
    assert first.stdout.strip() == f"database at revision {head}"
    tables = {r[0] for r in site.rows(text("SELECT name FROM sqlite_master WHERE type='table'"))}
    assert set(Base.metadata.tables) <= tables
    again = assert_ok(site.run("db", "upgrade"))
    assert again.stdout.strip() == f"database at revision {head}"


# --- tenants load ----------------------------------------------------------------------------


def _tenants(site: Site) -> dict[str, dict]:
    return {
        slug: plugins
        for slug, plugins in site.rows(select(Tenant.slug, Tenant.plugins).order_by(Tenant.slug))
    }


def test_tenants_load_creates_then_updates(site):
    assert_ok(site.run("db", "upgrade"))
    first = assert_ok(site.run("tenants", "load", str(TENANTS_DIR)))
    lines = first.stdout.splitlines()
    assert len(lines) == 4
    assert all(line.startswith("created ") for line in lines), lines
    tenants = _tenants(site)
    assert sorted(tenants) == DEMO_SLUGS
    # Each manifest enables its industry's plugin and creates its users.
    assert set(tenants["huamei-retail"]) == {"retail"}
    assert set(tenants["xiangwei-food"]) == {"food_service"}
    users = site.scalar(select(func.count()).select_from(User))
    assert users >= 4

    again = assert_ok(site.run("tenants", "load", str(TENANTS_DIR)))
    lines = again.stdout.splitlines()
    assert len(lines) == 4
    assert all(line.startswith("updated ") for line in lines), lines
    assert sorted(_tenants(site)) == DEMO_SLUGS
    assert site.scalar(select(func.count()).select_from(User)) == users


def test_tenants_load_takes_one_file(site):
    assert_ok(site.run("db", "upgrade"))
    result = assert_ok(site.run("tenants", "load", str(TENANTS_DIR / "retail.toml")))
    assert result.stdout.strip() == "created huamei-retail retail.toml"
    assert sorted(_tenants(site)) == ["huamei-retail"]


def test_tenants_load_an_update_changes_the_settings(site, tmp_path):
    assert_ok(site.run("db", "upgrade"))
    manifests = tmp_path / "manifests"
    manifests.mkdir()
    file = manifests / "acme.toml"
    file.write_text('slug = "acme"\nname = "Acme"\ntimezone = "Asia/Shanghai"\n', "utf-8")
    assert_ok(site.run("tenants", "load", str(manifests)))
    file.write_text('slug = "acme"\nname = "Acme 2"\ntimezone = "Europe/Berlin"\n', "utf-8")
    result = assert_ok(site.run("tenants", "load", str(manifests)))
    assert result.stdout.strip() == "updated acme acme.toml"
    assert site.rows(select(Tenant.name, Tenant.timezone)) == [("Acme 2", "Europe/Berlin")]


BAD_MANIFESTS = [
    pytest.param(
        'slug = "mars"\nname = "Mars"\ntimezone = "Mars/Base"\n', "timezone", id="timezone"
    ),
    pytest.param('slug = "Not A Slug"\nname = "X"\n', "slug", id="slug"),
    pytest.param(
        'slug = "x"\nname = "X"\ntimezon = "Asia/Shanghai"\n', "timezon", id="unknown-key"
    ),
    pytest.param('slug = "x"\nname = "X"\n[calendar]\ncountry = "ZZ"\n', "country", id="country"),
    pytest.param('slug = "x"\nname = "X"\ncategories = [{ name = "" }]\n', "name", id="category"),
    pytest.param(
        'slug = "x"\nname = "X"\n[[users]]\nemail = "a@x.example"\nrole = "boss"\npassword = "p"\n',
        "role",
        id="user-role",
    ),
    pytest.param(
        'slug = "x"\nname = "X"\n[[users]]\nrole = "agent"\npassword = "long-enough-1"\n',
        "email",
        id="user-without-email",
    ),
    pytest.param(
        'slug = "x"\nname = "X"\n[timers.first_reply]\namount = 100000\nunit = "working_days"\n',
        "amount",
        id="timer-beyond-calendar",
    ),
]


@pytest.mark.parametrize(("manifest", "field"), BAD_MANIFESTS)
def test_tenants_load_refuses_a_bad_manifest(site, tmp_path, manifest, field):
    assert_ok(site.run("db", "upgrade"))
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "bad.toml").write_text(manifest, "utf-8")
    result = site.run("tenants", "load", str(folder))
    assert_clean_failure(result, "bad.toml", field)
    assert _tenants(site) == {}


def test_tenants_load_refuses_a_manifest_that_is_not_utf8(site, tmp_path):
    assert_ok(site.run("db", "upgrade"))
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "latin1.toml").write_bytes('slug = "x"\nname = "Café"\n'.encode("latin-1"))
    (folder / "folder.toml").mkdir()  # not a manifest: skipped
    assert_clean_failure(site.run("tenants", "load", str(folder)), "latin1.toml", "UTF-8")
    assert _tenants(site) == {}


def test_tenants_load_refuses_broken_toml_naming_the_file(site, tmp_path):
    assert_ok(site.run("db", "upgrade"))
    folder = tmp_path / "manifests"
    folder.mkdir()
    (folder / "broken.toml").write_text('slug = "x\nname = ', "utf-8")
    result = site.run("tenants", "load", str(folder))
    assert_clean_failure(result, str(folder / "broken.toml"), "TOML")
    assert _tenants(site) == {}


def test_tenants_load_refuses_an_empty_folder_and_a_missing_path(site, tmp_path):
    assert_ok(site.run("db", "upgrade"))
    (tmp_path / "empty").mkdir()
    assert_clean_failure(site.run("tenants", "load", str(tmp_path / "empty")), "no *.toml")
    missing = site.run("tenants", "load", str(tmp_path / "nowhere"))
    assert missing.exit_code == 2
    assert "does not exist" in missing.stderr


# --- tokens create ---------------------------------------------------------------------------


def _token_line(result: Result, kind: str) -> str:
    assert_ok(result)
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout  # alone on stdout: scripts capture it
    assert result.stdout == lines[0] + "\n"
    assert re.fullmatch(TOKEN[kind], lines[0]), lines[0]
    return lines[0]


def test_tenant_token_is_printed_once_and_works(loaded):
    token = _token_line(
        loaded.run("tokens", "create", "--tenant", "huamei-retail", "--role", "agent"), "tenant"
    )
    assert token.startswith("ct.huamei-retail.")
    # Stored as a hash only.
    hashes = [h for (h,) in loaded.rows(select(ApiToken.token_hash))]
    assert token not in hashes and all(token not in h for h in hashes)
    app, client = loaded.client()
    try:
        auth = {"Authorization": f"Bearer {token}"}
        response = client.get("/api/v1/cases", headers=auth)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["items"] == []
        # The role is the one asked for: an agent provisions no tenants.
        response = client.post("/api/v1/tenants", json={"slug": "x", "name": "X"}, headers=auth)
        assert response.status_code == 403
    finally:
        app.extensions["casecore"].db.dispose()


def test_a_named_token_keeps_its_name(loaded):
    _token_line(
        loaded.run(
            "tokens", "create", "--tenant", "jiesheng-auto", "--role", "manager", "--name", "crm"
        ),
        "tenant",
    )
    rows = loaded.rows(select(ApiToken.name, ApiToken.role).where(ApiToken.name == "crm"))
    assert rows == [("crm", "manager")]


def test_platform_token_is_printed_once_and_provisions_tenants(loaded):
    token = _token_line(loaded.run("tokens", "create", "--platform"), "platform")
    app, client = loaded.client()
    try:
        auth = {"Authorization": f"Bearer {token}"}
        body = {"slug": "cli-made", "name": "CLI made"}
        response = client.post("/api/v1/tenants", json=body, headers=auth)
        assert response.status_code == 201, response.get_json()
        # Platform tokens read no tenant's cases.
        assert client.get("/api/v1/cases", headers=auth).status_code == 403
    finally:
        app.extensions["casecore"].db.dispose()


WRONG_TOKEN_ARGS = [
    pytest.param(
        ["--platform", "--tenant", "huamei-retail"], ["--platform", "--tenant"], id="both"
    ),
    pytest.param(["--tenant", "nope", "--role", "agent"], ["nope"], id="unknown-tenant"),
    pytest.param(["--tenant", "huamei-retail"], ["--role"], id="missing-role"),
    pytest.param([], ["--platform", "--tenant"], id="nothing"),
    pytest.param(
        ["--platform", "--role", "admin"],
        ["--role"],
        id="platform-with-role",
    ),
]


@pytest.mark.parametrize(("args", "words"), WRONG_TOKEN_ARGS)
def test_tokens_create_refuses_wrong_combinations(loaded, args, words):
    def count():
        return (
            loaded.scalar(select(func.count()).select_from(ApiToken)),
            loaded.scalar(select(func.count()).select_from(PlatformToken)),
        )

    before = count()
    assert_clean_failure(loaded.run("tokens", "create", *args), "error:", *words)
    assert count() == before


def test_tokens_create_refuses_an_unknown_role(loaded):
    result = loaded.run("tokens", "create", "--tenant", "huamei-retail", "--role", "boss")
    assert result.exit_code == 2
    assert "boss" in result.stderr and result.stdout == ""


# --- users create ----------------------------------------------------------------------------


def _user(site: Site, email: str):
    rows = site.rows(
        select(User.email, User.role, User.password_hash, Tenant.slug)
        .join(Tenant, Tenant.id == User.tenant_id)
        .where(User.email == email)
    )
    return rows[0] if rows else None


def test_users_create_with_password(loaded):
    password = "correct horse battery"
    result = assert_ok(
        loaded.run(
            "users", "create", "--tenant", "huamei-retail", "--email", "Li.Ming@Huamei.Example",
            "--role", "agent", "--name", "李明", "--password", password,
        )
    )  # fmt: skip
    assert "li.ming@huamei.example" in result.stdout
    email, role, hashed, slug = _user(loaded, "li.ming@huamei.example")
    assert (role, slug) == ("agent", "huamei-retail")
    assert hashed.startswith("$argon2id$")
    assert password not in hashed
    assert PasswordHasher().verify(hashed, password)


def test_users_create_prompts_for_the_password_and_updates(loaded):
    args = ["users", "create", "--tenant", "hengtong-parts", "--email", "qa@hengtong.example"]
    first = assert_ok(loaded.run(*args, "--role", "agent", input="first-pass-1\nfirst-pass-1\n"))
    assert "created" in first.stdout
    assert "first-pass-1" not in first.output  # hidden input
    # An existing user is not taken over by accident: changing it needs --update.
    taken = loaded.run(*args, "--role", "intake", "--password", "hijacked-1")
    assert_clean_failure(taken, "already a user", "--update")
    assert _user(loaded, "qa@hengtong.example")[1] == "agent"
    second = assert_ok(
        loaded.run(*args, "--role", "manager", "--password", "second-pass-2", "--update")
    )
    assert "updated" in second.stdout
    _, role, hashed, _ = _user(loaded, "qa@hengtong.example")
    assert role == "manager"
    assert PasswordHasher().verify(hashed, "second-pass-2")
    # --update without a password keeps it (and asks for none).
    assert_ok(loaded.run(*args, "--role", "agent", "--update"))
    assert PasswordHasher().verify(_user(loaded, "qa@hengtong.example")[2], "second-pass-2")


@pytest.mark.parametrize(
    ("email", "password", "tenant", "words"),
    [
        ("short@huamei.example", "short", "huamei-retail", ["8 characters"]),
        ("not-an-email", "long-enough-1", "huamei-retail", ["--email"]),
        ("a@", "long-enough-1", "huamei-retail", ["--email"]),
        ("sp ace@x.example", "long-enough-1", "huamei-retail", ["--email"]),
        ("who@nope.example", "long-enough-1", "nope", ["no tenant", "nope"]),
    ],
    ids=["short-password", "bad-email", "no-domain", "space", "unknown-tenant"],
)
def test_users_create_refuses(loaded, email, password, tenant, words):
    args = ["--tenant", tenant, "--email", email, "--role", "agent", "--password", password]
    result = loaded.run("users", "create", *args)
    assert_clean_failure(result, "error:", *words)
    assert password not in result.output
    assert _user(loaded, email.lower()) is None


# --- calendar check --------------------------------------------------------------------------


def test_calendar_check_warns_for_a_year_without_data(site):
    result = site.run("calendar", "check", "--year", "2026", "--year", "2027")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert re.match(r"2026\s+ok\s+chinese-calendar", lines[0]), lines
    assert re.match(r"2027\s+WARNING\s+.*holidays", lines[1]), lines
    assert "Traceback" not in result.output
    expected = Path(site.env["CASECORE_CALENDAR_DIR"]) / "cn" / "2027.json"
    assert str(expected) in result.stderr


def test_calendar_check_uses_an_operator_file(site):
    folder = Path(site.env["CASECORE_CALENDAR_DIR"]) / "cn"
    folder.mkdir(parents=True)
    schedule = {
        "year": 2027,
        "source": "国务院办公厅关于2027年部分节假日安排的通知 (test)",
        "holidays": {"2027-01-01": "元旦", "2027-02-06": "春节", "2027-02-07": "春节"},
        "workdays": {"2027-02-14": "春节调休"},
    }
    (folder / "2027.json").write_text(json.dumps(schedule, ensure_ascii=False), "utf-8")
    result = assert_ok(site.run("calendar", "check", "--year", "2026", "--year", "2027"))
    lines = result.stdout.splitlines()
    assert re.match(r"2026\s+ok\s+chinese-calendar", lines[0]), lines
    assert re.match(r"2027\s+ok\s+cn/2027\.json", lines[1]), lines
    assert "国务院办公厅" in lines[1]
    assert result.stderr == ""


def test_tenants_load_recomputes_deadlines_on_the_operators_calendar(site, tmp_path):
    """A manifest that changes the calendar recomputes running deadlines, with the operator's
    calendar files as the API's changes have them."""
    folder = Path(site.env["CASECORE_CALENDAR_DIR"]) / "cn"
    folder.mkdir(parents=True)
    days_off = {f"2027-01-0{d}": "test holiday" for d in range(1, 9)}
    schedule = {"year": 2027, "source": "test", "holidays": days_off}
    (folder / "2027.json").write_text(json.dumps(schedule), "utf-8")
    assert_ok(site.run("db", "upgrade"))
    manifests = tmp_path / "cal"
    manifests.mkdir()
    manifest = manifests / "cal.toml"
    manifest.write_text('slug = "cal-test"\nname = "Cal"\n', "utf-8")
    assert_ok(site.run("tenants", "load", str(manifest)))
    token = assert_ok(site.run("tokens", "create", "--tenant", "cal-test", "--role", "agent"))
    app, client = site.client()
    try:
        headers = {"Authorization": f"Bearer {token.stdout.strip()}"}
        body = {
            "kind": "complaint",
            "title": "年底的投诉",
            "channel": "phone",
            "customer": {"name": "张三"},
            "received_at": "2026-12-30T10:00:00+08:00",
        }
        case = client.post("/api/v1/cases", json=body, headers=headers).json

        def first_reply() -> str:
            got = client.get(f"/api/v1/cases/{case['id']}", headers=headers).json
            return next(t["due_at"] for t in got["timers"] if t["name"] == "first_reply")

        assert first_reply() == "2027-01-14T23:59:59+08:00"  # 31 Dec, then 11 to 14 Jan
        manifest.write_text(
            'slug = "cal-test"\nname = "Cal"\n[calendar]\nworking_hours = ["08:30", "17:30"]\n',
            "utf-8",
        )
        assert_ok(site.run("tenants", "load", str(manifest)))
        assert first_reply() == "2027-01-14T23:59:59+08:00"
    finally:
        app.extensions["casecore"].db.dispose()


def test_calendar_check_reports_a_broken_file(site):
    folder = Path(site.env["CASECORE_CALENDAR_DIR"]) / "cn"
    folder.mkdir(parents=True)
    (folder / "2027.json").write_text('{"year": 2027, "holiday": {}}', "utf-8")
    result = site.run("calendar", "check", "--year", "2027")
    assert_clean_failure(result, str(folder / "2027.json"))


def test_calendar_check_refuses_an_unknown_country(site):
    assert_clean_failure(site.run("calendar", "check", "--year", "2026", "--country", "ZZ"), "ZZ")


# --- demo ------------------------------------------------------------------------------------


def test_demo_sets_up_once_and_prints_the_logins(tmp_path, monkeypatch):
    workdir = tmp_path / "work"
    workdir.mkdir()
    monkeypatch.chdir(workdir)  # not the repository: the demo finds its manifests itself
    # The embedded default: no DATABASE_URL, SQLite under the instance folder.
    site = Site({**_env(workdir), "DATABASE_URL": None}, workdir)

    def count(stmt) -> int:
        engine = create_engine(f"sqlite:///{workdir / 'instance' / 'casecore.db'}")
        try:
            with engine.connect() as conn:
                return conn.execute(stmt).scalar()
        finally:
            engine.dispose()

    def cases() -> int:
        return count(select(func.count()).select_from(Case))

    first = assert_ok(site.run("demo", "--no-serve", "--port", "8123"))
    lines = first.stdout.splitlines()
    assert lines[0] == "casecore demo set up; `casecore demo --port 8123` serves it"
    logins = lines[1:]
    assert len(logins) == len(DEMO_SLUGS)
    for slug, line in zip(DEMO_SLUGS, logins, strict=True):
        assert f"/t/{slug}/login" in line and "casecore-demo" in line, line
        assert re.search(rf"ct\.{slug}\.[A-Za-z0-9_-]+", line), line
    seeded = cases()
    assert seeded > 0

    # Another tenant in the same database is none of the demo's business.
    other = workdir / "other"
    other.mkdir()
    (other / "other.toml").write_text('slug = "other-shop"\nname = "Other"\n', encoding="utf-8")
    assert_ok(site.run("tenants", "load", str(other)))
    again = assert_ok(site.run("demo", "--no-serve"))
    assert len(again.stdout.splitlines()) == 1 + len(DEMO_SLUGS)
    assert "other-shop" not in again.stdout
    assert cases() == seeded  # nothing doubled
    live_tokens = text("SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL")
    assert count(live_tokens) == len(DEMO_SLUGS)  # each run's token replaces the last run's
    assert_clean_failure(site.run("demo", "--manifests", str(tmp_path / "none")), "manifests")

    # The printed token is a working admin token of its tenant, which has the sample cases.
    token = re.search(r"ct\.huamei-retail\.[A-Za-z0-9_-]+", again.stdout).group(0)
    url = f"sqlite:///{workdir / 'instance' / 'casecore.db'}"
    app = create_app(
        Config(url, url, secret_key="x", instance_dir=workdir / "instance", testing=True)
    )
    try:
        response = app.test_client().get(
            "/api/v1/cases", headers={"Authorization": f"Bearer {token}"}
        )
        assert response.status_code == 200
        assert 0 < len(response.get_json()["items"]) < seeded  # its own sample cases only
    finally:
        app.extensions["casecore"].db.dispose()


# --- worker ----------------------------------------------------------------------------------


def test_worker_needs_redis(site):
    assert_clean_failure(site.run("worker"), "REDIS_URL")


def test_worker_needs_a_queue(site):
    result = site.run("worker", "--queues", " , ", REDIS_URL="redis://127.0.0.1:6379/0")
    assert_clean_failure(result, "--queues names no queue")


# --- the database cannot be reached ----------------------------------------------------------

DB_COMMANDS = [
    ["db", "upgrade"],
    ["tenants", "load", str(TENANTS_DIR)],
    ["tokens", "create", "--platform"],
    ["users", "create", "--tenant", "x", "--email", "a@x.example", "--role", "agent",
     "--password", "long-enough-1"],
    ["demo", "--no-serve"],
    ["serve", "--port", "8124"],
]  # fmt: skip


@pytest.mark.parametrize("command", DB_COMMANDS, ids=[" ".join(c[:2]) for c in DB_COMMANDS])
def test_an_unreachable_database_is_a_clear_error(site, command):
    result = site.run(*command, DATABASE_URL=CLOSED_PORT_URL)
    assert_clean_failure(result, "cannot reach the database", "127.0.0.1:1")
    assert "s3cret-pw" not in result.output  # the password is not printed


def test_an_admin_url_of_another_database_is_a_clear_error(site):
    """Two roles of one database, or nothing: an app on SQLite beside an owner connection on
    PostgreSQL would migrate one database and serve from the other."""
    assert_ok(site.run("db", "upgrade"))
    result = site.run("db", "upgrade", DATABASE_ADMIN_URL=CLOSED_PORT_URL)
    assert_clean_failure(result, "different databases")


def test_a_database_without_the_schema_is_a_clear_error(site):
    assert_clean_failure(site.run("tokens", "create", "--platform"), "db upgrade")


def test_a_database_newer_than_the_code_is_a_clear_error(site):
    assert_ok(site.run("db", "upgrade"))
    engine = create_engine(site.url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0999'"))
    engine.dispose()
    for command in (["tokens", "create", "--platform"], ["db", "upgrade"]):
        assert_clean_failure(site.run(*command), "0999", "newer than this casecore")


@pytest.mark.parametrize(
    "url", ["not a url", "mysql://u@127.0.0.1/x", "postgresql://postgres@127.0.0.1:notaport/x"]
)
def test_a_malformed_database_url_is_a_clear_error(site, url):
    assert_clean_failure(site.run("db", "upgrade", DATABASE_URL=url), "DATABASE_URL")


# --- PostgreSQL ------------------------------------------------------------------------------


@pytest.fixture
def pg_site(pg_backend, tmp_path) -> Iterator[Site]:
    """The session's PostgreSQL database (owner and app role), emptied first."""
    engine = create_engine(pg_backend.admin_url)
    tables = ", ".join(t.name for t in reversed(Base.metadata.sorted_tables))
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()
    yield Site(_env(tmp_path, pg_backend.app_url, pg_backend.admin_url), tmp_path)


def test_the_commands_on_postgresql(pg_site):
    head = head_revision()
    upgraded = assert_ok(pg_site.run("db", "upgrade"))
    assert upgraded.stdout.strip() == f"database at revision {head}"
    assert "row-level security" not in upgraded.stderr  # two roles: the second wall is up

    loaded = assert_ok(pg_site.run("tenants", "load", str(TENANTS_DIR)))
    assert [line.split()[:2] for line in loaded.stdout.splitlines()] == [
        ["created", slug]
        for slug in ("jiesheng-auto", "xiangwei-food", "hengtong-parts", "huamei-retail")
    ]
    again = assert_ok(pg_site.run("tenants", "load", str(TENANTS_DIR)))
    assert all(line.startswith("updated ") for line in again.stdout.splitlines())

    agent = _token_line(
        pg_site.run("tokens", "create", "--tenant", "xiangwei-food", "--role", "agent"), "tenant"
    )
    platform = _token_line(pg_site.run("tokens", "create", "--platform"), "platform")
    assert_ok(
        pg_site.run(
            "users", "create", "--tenant", "xiangwei-food", "--email", "cook@xiangwei.example",
            "--role", "agent", "--password", "long-enough-1",
        )
    )  # fmt: skip
    assert _user(pg_site, "cook@xiangwei.example")[2].startswith("$argon2id$")
    assert_clean_failure(pg_site.run("tokens", "create", "--tenant", "nope", "--role", "agent"))

    app, client = pg_site.client()
    try:
        response = client.get("/api/v1/cases", headers={"Authorization": f"Bearer {agent}"})
        assert response.status_code == 200, response.get_json()
        response = client.post(
            "/api/v1/tenants",
            json={"slug": "pg-cli", "name": "PG"},
            headers={"Authorization": f"Bearer {platform}"},
        )
        assert response.status_code == 201, response.get_json()
    finally:
        app.extensions["casecore"].db.dispose()


def test_the_app_role_alone_is_told_it_lacks_the_rights(pg_site):
    """The app role owns nothing: commands that need the owner say so, without a traceback."""
    assert_ok(pg_site.run("db", "upgrade"))
    app_only = {"DATABASE_URL": pg_site.url, "DATABASE_ADMIN_URL": None}
    for command in (["tokens", "create", "--platform"], ["tenants", "load", str(TENANTS_DIR)]):
        result = pg_site.run(*command, **app_only)
        assert_clean_failure(result, "permission denied", "DATABASE_ADMIN_URL")
        assert "$argon2" not in result.output
