"""Fuzzing the HTTP API from its own OpenAPI document: no input a client can send yields a 5xx.

schemathesis generates requests (valid and deliberately invalid ones) for every operation of
``/api/v1/openapi.json`` and sends them to the app in-process (WSGI), with a real tenant, a valid
admin token (a platform token for ``POST /api/v1/tenants``) and ids that exist, so that routes with
``{case_id}`` and the like reach their handlers. The document leaves some fields looser than the
app (``kind``, the ``version`` a change must carry, plugin namespaces under ``data``), so part of
the generated requests are "repaired" to carry those right and get past the first 409/422.

Every distinct server error is collected (the request as curl, the status, the traceback the app
logs) and reported together, one test per operation and backend. Server errors already reported
as bugs are listed in ``KNOWN_SERVER_ERRORS`` (empty now: each one found was fixed and is
pinned by a regression test below),
so the fuzz tests stay green for known bugs and turn red for new ones.

PostgreSQL gets the full run, SQLite a quicker second pass. ``derandomize=True``: generation is
the same on every run (answers can still differ a little: ids and the clock are real).
"""

from __future__ import annotations

import io
import logging
import re
import secrets
import tempfile
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup

from core.app import create_app
from core.config import Config
from core.models import Tenant
from core.schemas import CORE_KINDS
from core.tokens import create_platform_token, create_tenant_token

OPENAPI = "/api/v1/openapi.json"
# Examples per operation: PostgreSQL gets the full run, SQLite a quick second pass.
EXAMPLES = {"postgresql": 40, "sqlite": 10}

DEPARTMENTS = ["客服部", "质检部"]
CATEGORIES = [{"name": "质量", "group": "quality"}, {"name": "服务", "group": "service"}]
BASELINE = {
    "departments": DEPARTMENTS,
    "sites": ["一店", "二店"],
    "categories": CATEGORIES,
    "timezone": "Asia/Shanghai",
    "calendar": {"country": "CN"},
}
CASE = {
    "kind": "complaint",
    "title": "冰箱不制冷",
    "description": "买了三天的冰箱不制冷了",
    "channel": "phone",
    "category": "质量",
    "customer": {"name": "张三", "phone": "13800000000", "email": "zhang@example.com"},
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
# The field each action with parameters needs.
ACTION_PARAMS = {
    "assign_department": "department",
    "propose": "proposal",
    "resolve": "resolution",
    "reject": "findings",
    "merge": "into",
    "assign": "owner",
}

# Server errors found and not yet fixed, each pinned by a regression test at the end of
# this module: a pattern on the logged exception ("Type: message") -> the bug. A fuzzed 500 that
# matches one is counted, not failed; any other 500 fails its operation's test.
KNOWN_SERVER_ERRORS: dict[str, str] = {}  # all found so far are fixed; see the tests below


def _spec_operations() -> list[str]:
    """The operations of the OpenAPI document, read at collection time from an app that never
    touches its database (the document is generated from the schemas alone)."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            Config(
                database_url="sqlite://",
                database_admin_url="sqlite://",
                secret_key="spec",
                instance_dir=Path(tmp),
                testing=True,
            )
        )
        spec = app.test_client().get(OPENAPI).get_json()
        app.extensions["casecore"].db.dispose()
    methods = ("get", "put", "post", "patch", "delete")
    return [
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in item
        if method in methods
    ]


OPERATIONS = _spec_operations()


class _Tracebacks(logging.Handler):
    """Keeps what the app logs at ERROR (``log.exception`` on a 500): the exception as
    "Type: message" and the whole traceback."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        signature = text
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            signature = f"{type(exc).__name__}: {exc}"
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.records.append((signature, text))


@dataclass
class FuzzEnv:
    """One app on one backend, with a tenant, its admin token and ids that exist."""

    backend: str
    app: Any
    schema: Any
    slug: str
    plugins: list[str]
    admin: dict[str, str]
    platform: dict[str, str]
    path_values: dict[str, list[str]]
    tracebacks: _Tracebacks = field(default_factory=_Tracebacks)

    @property
    def client(self):
        return self.app.test_client()

    def reset_tenant(self) -> None:
        """Baseline settings, every plugin enabled: earlier operations may have changed them."""
        response = self.client.patch(
            f"/api/v1/tenants/{self.slug}", json=BASELINE, headers=self.platform
        )
        assert response.status_code == 200, response.get_json()
        for name in self.plugins:
            response = self.client.put(
                f"/api/v1/tenants/{self.slug}/plugins/{name}", json={}, headers=self.platform
            )
            assert response.status_code == 200, response.get_json()


@pytest.fixture(scope="module")
def fuzz_envs(tmp_path_factory):
    """One FuzzEnv per backend, built on first use and kept for the module."""
    envs: dict[str, FuzzEnv] = {}

    def get(request, name: str) -> FuzzEnv:
        if name not in envs:
            fixture = "pg_backend" if name == "postgresql" else "sqlite_backend"
            backend = request.getfixturevalue(fixture)
            envs[name] = _build(name, backend, tmp_path_factory.mktemp(f"fuzz-{name}"))
            logging.getLogger("casecore.api").addHandler(envs[name].tracebacks)
        return envs[name]

    yield get
    for env in envs.values():
        logging.getLogger("casecore.api").removeHandler(env.tracebacks)
        env.app.extensions["casecore"].db.dispose()


def _build(name: str, backend, tmp: Path) -> FuzzEnv:
    config = Config(
        database_url=backend.app_url,
        database_admin_url=backend.admin_url,
        secret_key="fuzz-secret",
        instance_dir=tmp / "instance",
        calendar_dir=tmp / "calendars",
        testing=True,
    )
    app = create_app(config)
    db = app.extensions["casecore"].db
    client = app.test_client()
    slug = f"fuzz-{secrets.token_hex(3)}"
    with db.unscoped("test: fuzz platform token") as session:
        platform = {"Authorization": f"Bearer {create_platform_token(session, 'fuzz')}"}
        session.commit()
    plugins = sorted(app.extensions["casecore"].plugins.names)
    body = {"slug": slug, "name": "模糊测试", **BASELINE, "plugins": {p: {} for p in plugins}}
    response = client.post("/api/v1/tenants", json=body, headers=platform)
    assert response.status_code == 201, response.get_json()
    with db.unscoped("test: fuzz admin token") as session:
        tenant = session.query(Tenant).filter_by(slug=slug).one()
        admin = {"Authorization": f"Bearer {create_tenant_token(session, tenant, 'fuzz', 'admin')}"}
        session.commit()

    def ok(response, status: int = 200) -> dict[str, Any]:
        assert response.status_code == status, response.get_json()
        return response.get_json()

    def act(case_id: str, action: str, **params: Any) -> None:
        version = ok(client.get(f"/api/v1/cases/{case_id}", headers=admin))["version"]
        body = {"action": action, "version": version, **params}
        ok(client.post(f"/api/v1/cases/{case_id}/actions", json=body, headers=admin))

    # Cases in several states, so that actions and surveys (resolved or closed only) get past
    # the state check; one with a comment and an attachment.
    case_ids = []
    for i, kind in enumerate(("complaint", "feedback", "complaint", "service_request")):
        body = {**CASE, "kind": kind, "title": f"{CASE['title']} {i}"}
        case_ids.append(ok(client.post("/api/v1/cases", json=body, headers=admin), 201)["id"])
    received, resolved, closed, investigating = case_ids
    for action in ("acknowledge", "investigate"):
        act(resolved, action)
        act(investigating, action)
    act(resolved, "reject", findings="查无此事")
    act(closed, "withdraw")
    ok(
        client.post(f"/api/v1/cases/{received}/comments", json={"body": "已联系"}, headers=admin),
        201,
    )
    attachment = ok(
        client.post(
            f"/api/v1/cases/{received}/attachments",
            data={"file": (io.BytesIO(PNG), "photo.png")},
            headers=admin,
            content_type="multipart/form-data",
        ),
        201,
    )
    webhook = ok(
        client.post(
            "/api/v1/webhooks", json={"url": "https://hooks.example.com/in"}, headers=admin
        ),
        201,
    )
    return FuzzEnv(
        backend=name,
        app=app,
        schema=schemathesis.openapi.from_wsgi(OPENAPI, app),
        slug=slug,
        plugins=plugins,
        admin=admin,
        platform=platform,
        path_values={
            "slug": [slug],
            "name": [*plugins, "8d.pdf", "8d.html", "recall_notice.html"],
            "case_id": case_ids,
            "attachment_id": [attachment["id"]],
            "webhook_id": [webhook["id"]],
        },
    )


def _strategy(env: FuzzEnv, label: str) -> st.SearchStrategy:
    """Valid and invalid requests with the real ids, plus valid ones with generated ids."""
    method, path = label.split(" ", 1)
    operation = env.schema[path][method]
    headers = env.platform if label == "POST /api/v1/tenants" else env.admin
    names = [p.name for p in operation.path_parameters]
    fixed: list[dict[str, str] | None] = [None]
    if names:
        count = max(len(env.path_values.get(n, [""])) for n in names)
        fixed = [
            {n: env.path_values[n][i % len(env.path_values[n])] for n in names}
            for i in range(count)
        ]
    strategies = [
        operation.as_strategy(mode, path_parameters=values, headers=headers)
        for values in fixed
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    ]
    if names:  # and the ids themselves generated
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, headers=headers))
    return st.one_of(strategies)


def _repair(env: FuzzEnv, label: str, case, data) -> None:
    """Make a generated JSON body carry what the document cannot say: a real ``kind``, the
    case's current ``version``, an action allowed now, enabled plugins' namespaces, a URL."""
    body = case.body
    if not isinstance(body, dict):
        return
    if label == "POST /api/v1/cases":
        body["kind"] = data.draw(st.sampled_from(CORE_KINDS))
        if "category" in body:
            body["category"] = data.draw(st.sampled_from([None, "质量", "服务"]))
        if "site" in body:
            body["site"] = data.draw(st.sampled_from([None, "一店"]))
    if label in ("POST /api/v1/cases", "PATCH /api/v1/cases/{case_id}") and isinstance(
        body.get("data"), dict
    ):
        # Random content under the names of enabled plugins: their schemas and rules get it.
        values = list(body["data"].values())
        body["data"] = dict(zip(env.plugins, values, strict=False))
    if label == "POST /api/v1/webhooks":
        body["url"] = data.draw(
            st.sampled_from(["https://hooks.example.com/a", "http://localhost:8080/x?y=1"])
        )
    if label not in ("PATCH /api/v1/cases/{case_id}", "POST /api/v1/cases/{case_id}/actions"):
        return
    # Draw first, the same way whatever the case's state: hypothesis replays the draws.
    pick, keep_others, pick_value, override = data.draw(
        st.tuples(st.integers(0, 63), st.booleans(), st.integers(0, 63), st.booleans()),
        label="action repair",
    )
    case_id = (case.path_parameters or {}).get("case_id")
    current = env.client.get(f"/api/v1/cases/{case_id}", headers=env.admin)
    if current.status_code != 200:
        return
    current = current.get_json()
    body["version"] = current["version"]
    if label.endswith("/actions"):
        allowed = current["allowed_actions"] or ["acknowledge"]
        action = body["action"] = allowed[pick % len(allowed)]
        if not keep_others:
            for key in [k for k in body if k not in ("action", "version", "note")]:
                del body[key]
        if action in ACTION_PARAMS:
            key = ACTION_PARAMS[action]
            choices = {
                "department": DEPARTMENTS,
                "into": env.path_values["case_id"],
                "owner": ["wang@shop.example", "fuzz"],
            }.get(key, ["已处理"])
            if override or not isinstance(body.get(key), str):
                body[key] = choices[pick_value % len(choices)]


@dataclass
class ServerError:
    request: str
    status: int
    body: str
    tracebacks: list[str]

    def __str__(self) -> str:
        logged = "\n".join(self.tracebacks) or "(nothing logged)"
        return f"{self.request}\n-> {self.status} {self.body}\n{logged}"


def _known(signature: str) -> str | None:
    return next((bug for p, bug in KNOWN_SERVER_ERRORS.items() if re.search(p, signature)), None)


@pytest.mark.parametrize("label", OPERATIONS)
@pytest.mark.parametrize("backend_name", ["postgresql", "sqlite"])
def test_no_input_yields_a_server_error(request, fuzz_envs, backend_name: str, label: str):
    env: FuzzEnv = fuzz_envs(request, backend_name)
    env.reset_tenant()
    errors: dict[tuple[int, str], ServerError] = {}
    statuses: dict[int, int] = {}
    known: dict[str, int] = {}

    @settings(
        max_examples=EXAMPLES[backend_name],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # collect every failure; no shrinking
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(env, label), data=st.data())
    def run(case, data) -> None:
        if data.draw(st.booleans(), label="repair"):
            _repair(env, label, case, data)
        env.tracebacks.records.clear()
        response = case.call()
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except (AssertionError, FailureGroup):
            logged = list(env.tracebacks.records)
            signature = logged[-1][0] if logged else f"status {response.status_code}"
            bug = _known(signature)
            if bug:
                known[bug] = known.get(bug, 0) + 1
                return
            errors.setdefault(
                (response.status_code, signature.splitlines()[0][:200]),
                ServerError(
                    case.as_curl_command(),
                    response.status_code,
                    response.text[:500],
                    [text for _, text in logged],
                ),
            )

    run()
    print(f"{backend_name} {label}: {dict(sorted(statuses.items()))}; known bugs hit: {known}")
    assert sum(statuses.values()) > 0
    assert not errors, f"{label} on {backend_name}: {len(errors)} distinct server error(s)\n" + (
        "\n\n".join(str(e) for e in errors.values())
    )


# --- regression tests for the server errors the fuzzer found (all fixed) ---------------------

postgres_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
NUL_BUG = (
    "BUG-NUL: U+0000 in any text reaches PostgreSQL, which refuses it (psycopg DataError "
    "'PostgreSQL text fields cannot contain NUL (0x00) bytes' / UntranslatableCharacter for "
    "JSONB): 500 instead of 422"
)
NUL_REQUESTS = [
    ("post", "/api/v1/cases", {**CASE, "title": "冰箱\u0000不制冷"}),
    ("post", "/api/v1/cases", {**CASE, "subject_staff": ["wang\u0000@shop.example"]}),
    ("get", "/api/v1/cases?kind=%00", None),
    ("get", "/api/v1/cases?category=a%00", None),
    ("get", "/api/v1/cases?customer=%00138", None),
    ("get", "/api/v1/cases?owner=a%00", None),
    ("get", "/api/v1/cases/%00", None),
    ("patch", "/api/v1/cases/{case_id}", {"version": 1, "title": "a\u0000"}),
    ("post", "/api/v1/cases/{case_id}/comments", {"body": "a\u0000"}),
    ("post", "/api/v1/webhooks", {"url": "https://hooks.example.com/a", "events": ["a\u0000"]}),
    ("patch", "/api/v1/tenants/acme", {"departments": ["客服\u0000部"]}),
]
NUL_IDS = [
    "case-title",
    "case-subject-staff",
    "list-kind",
    "list-category",
    "list-customer",
    "list-owner",
    "case-id",
    "edit-title",
    "comment-body",
    "webhook-events",
    "tenant-departments",
]


@postgres_only
@pytest.mark.parametrize(("method", "path", "body"), NUL_REQUESTS, ids=NUL_IDS)
def test_text_with_a_nul_character_is_refused(client, make_tenant, make_case, method, path, body):
    acme = make_tenant("acme")
    case = make_case(acme)
    url = path.format(case_id=case["id"])
    kwargs = {"headers": acme.auth("admin")} | ({"json": body} if body is not None else {})
    response = getattr(client, method)(url, **kwargs)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "U+0000" in response.json["detail"]


TIME_BUG = (
    "BUG-TIME: core/schemas.py accepts any aware datetime; core/models.py:41 UTCDateTime "
    "astimezone(UTC) overflows (OverflowError) for 0001-01-01T00:00+14:00 or "
    "9999-12-31T23:59-14:00, and a deadline after 9999-12-31 raises ValueError in "
    "core/calendars.py: 500 instead of 422"
)
TIME_REQUESTS = [
    ("post", "/api/v1/cases", {**CASE, "received_at": "0001-01-01T00:00:00+14:00"}),
    ("post", "/api/v1/cases", {**CASE, "received_at": "9999-12-31T23:59:59-14:00"}),
    ("post", "/api/v1/cases", {**CASE, "received_at": "9999-12-31T00:00:00+00:00"}),
    (
        "get",
        "/api/v1/reports/summary?from=0001-01-01T00:00:00%2B14:00&to=2026-01-01T00:00:00Z",
        None,
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body"),
    TIME_REQUESTS,
    ids=["received-year-0", "received-year-10000", "deadline-after-9999", "summary-year-0"],
)
def test_times_out_of_range_are_refused(client, make_tenant, method, path, body):
    acme = make_tenant("acme")
    kwargs = {"headers": acme.auth("admin")} | ({"json": body} if body is not None else {})
    response = getattr(client, method)(path, **kwargs)
    assert response.status_code == 422, response.get_data(as_text=True)


def test_a_timer_beyond_the_calendar_is_refused(client, make_tenant):
    acme = make_tenant("acme")
    timers = {"first_reply": {"amount": 100000, "unit": "working_days"}}
    response = client.patch("/api/v1/tenants/acme", json={"timers": timers}, headers=acme.auth())
    opened = client.post("/api/v1/cases", json=CASE, headers=acme.auth())
    assert (response.status_code, opened.status_code) == (422, 201)
