"""Fuzzing the HTTP API from its own OpenAPI document: no input a client can send yields a 5xx.

schemathesis generates requests (valid ones and deliberately invalid ones) for every operation of
``/api/v1/openapi.json`` and sends them to the app in-process (WSGI), with a real tenant, a valid
admin token and existing ids, so that routes with ``{case_id}`` and the like reach their handlers.
Every server error is collected (request as curl, status, the traceback the app logs), one test per
operation, so a report names exactly what failed. PostgreSQL gets the full run, SQLite a quicker one.
"""

from __future__ import annotations

import io
import logging
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
from core.tokens import create_platform_token, create_tenant_token

OPENAPI = "/api/v1/openapi.json"
# Examples per operation and generation mode: PostgreSQL gets the full run, SQLite a quick one.
EXAMPLES = {"postgresql": 30, "sqlite": 8}

CASE = {
    "kind": "complaint",
    "title": "冰箱不制冷",
    "description": "买了三天的冰箱不制冷了",
    "channel": "phone",
    "customer": {"name": "张三", "phone": "13800000000", "email": "zhang@example.com"},
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


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

# Server errors the fuzzer finds, each reported in the final report (strict: fixing one turns
# its test red until the mark goes). Keyed by operation label.
KNOWN_SERVER_ERRORS: dict[str, str] = {}


def _params() -> list[Any]:
    params = []
    for backend in ("postgresql", "sqlite"):
        for label in OPERATIONS:
            reason = KNOWN_SERVER_ERRORS.get(label)
            marks = [pytest.mark.xfail(reason=reason, strict=True)] if reason else []
            params.append(pytest.param(backend, label, id=f"{backend}-{label}", marks=marks))
    return params


class _Tracebacks(logging.Handler):
    """Keeps what the app logs with a traceback (``log.exception`` on a 500)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = record.getMessage()
        if record.exc_info:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.records.append(text)


@dataclass
class FuzzEnv:
    """One app on one backend, with a tenant, an admin token and ids that exist."""

    backend: str
    app: Any
    schema: Any
    headers: dict[str, str]
    path_values: dict[str, list[str]]
    tracebacks: _Tracebacks
    seen: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="module")
def fuzz_envs(tmp_path_factory):
    """One FuzzEnv per backend, built on first use and kept for the module."""
    envs: dict[str, FuzzEnv] = {}

    def get(request, name: str) -> FuzzEnv:
        if name not in envs:
            fixture = "pg_backend" if name == "postgresql" else "sqlite_backend"
            backend = request.getfixturevalue(fixture)
            envs[name] = _build(name, backend, tmp_path_factory.mktemp(f"fuzz-{name}"))
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
        platform = create_platform_token(session, "fuzz-platform")
        session.commit()
    plugins = sorted(app.extensions["casecore"].plugins.names)
    response = client.post(
        "/api/v1/tenants",
        json={
            "slug": slug,
            "name": "Fuzz 模糊测试",
            "departments": ["客服部", "质检部"],
            "sites": ["一店"],
            "categories": [{"name": "质量", "group": "quality"}, {"name": "服务"}],
            "plugins": {p: {} for p in plugins},
        },
        headers={"Authorization": f"Bearer {platform}"},
    )
    assert response.status_code == 201, response.get_json()
    from core.models import Tenant

    with db.unscoped("test: fuzz admin token") as session:
        tenant = session.query(Tenant).filter_by(slug=slug).one()
        token = create_tenant_token(session, tenant, "fuzz-admin", "admin")
        session.commit()
    headers = {"Authorization": f"Bearer {token}"}

    case_ids = []
    for i, kind in enumerate(("complaint", "feedback", "return")):
        body = {**CASE, "kind": kind, "title": f"{CASE['title']} {i}", "category": "质量"}
        response = client.post("/api/v1/cases", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        case_ids.append(response.get_json()["id"])
    first = case_ids[0]
    response = client.post(
        f"/api/v1/cases/{first}/comments", json={"body": "已联系顾客"}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    response = client.post(
        f"/api/v1/cases/{first}/attachments",
        data={"file": (io.BytesIO(PNG), "photo.png")},
        headers=headers,
        content_type="multipart/form-data",
    )
    assert response.status_code == 201, response.get_json()
    attachment_id = response.get_json()["id"]
    response = client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/casecore"}, headers=headers
    )
    assert response.status_code == 201, response.get_json()
    webhook_id = response.get_json()["id"]

    tracebacks = _Tracebacks()
    logging.getLogger("casecore.api").addHandler(tracebacks)
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app)
    return FuzzEnv(
        backend=name,
        app=app,
        schema=schema,
        headers=headers,
        path_values={
            "slug": [slug],
            "name": [*plugins, "8d.pdf", "8d.html"],
            "case_id": case_ids,
            "attachment_id": [attachment_id],
            "webhook_id": [webhook_id],
        },
        tracebacks=tracebacks,
    )


def _operation(schema, label: str):
    method, path = label.split(" ", 1)
    return schema[path][method]


def _strategy(env: FuzzEnv, operation) -> st.SearchStrategy:
    """Valid and invalid requests with the real ids, plus valid ones with generated ids."""
    names = [p.name for p in operation.path_parameters]
    strategies = []
    if names:
        count = max(len(env.path_values.get(n, [""])) for n in names)
        fixed = [
            {n: env.path_values[n][i % len(env.path_values[n])] for n in names if n in env.path_values}
            for i in range(count)
        ]
    else:
        fixed = [None]
    for path_parameters in fixed:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            strategies.append(
                operation.as_strategy(mode, path_parameters=path_parameters, headers=env.headers)
            )
    if names:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, headers=env.headers))
    return st.one_of(strategies)


@dataclass
class ServerError:
    request: str
    status: int
    body: str
    tracebacks: list[str]

    def __str__(self) -> str:
        logged = "\n".join(self.tracebacks) or "(nothing logged)"
        return f"{self.request}\n-> {self.status} {self.body}\n{logged}"


@pytest.mark.parametrize(("backend_name", "label"), _params())
def test_no_input_yields_a_server_error(
    request, fuzz_envs, backend_name: str, label: str
) -> None:
    env: FuzzEnv = fuzz_envs(request, backend_name)
    operation = _operation(env.schema, label)
    errors: dict[tuple[int, str], ServerError] = {}
    calls = 0
    statuses: dict[int, int] = {}

    @settings(
        max_examples=EXAMPLES[backend_name],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],  # collect every failure; no shrinking
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(env, operation))
    def run(case) -> None:
        nonlocal calls
        calls += 1
        env.tracebacks.records.clear()
        response = case.call()
        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
        if label in ('POST /api/v1/cases', 'PATCH /api/v1/cases/{case_id}', 'POST /api/v1/webhooks', 'POST /api/v1/cases/{case_id}/actions'): print('RESP', label, case.body if not isinstance(case.body, dict) else {k: case.body[k] for k in list(case.body)[:4]}, response.status_code, response.text[:300])
        try:
            case.validate_response(response, checks=[not_a_server_error])
        except (AssertionError, FailureGroup):
            logged = list(env.tracebacks.records)
            last = logged[-1].strip().splitlines()[-1] if logged else ""
            key = (response.status_code, last)
            if key not in errors:
                errors[key] = ServerError(
                    case.as_curl_command(),
                    response.status_code,
                    response.text[:500],
                    logged,
                )

    run()
    print('STATS', backend_name, label, sorted(statuses.items()))
    assert calls > 0
    assert not errors, f"{label} on {backend_name}: {len(errors)} distinct server error(s)\n" + (
        "\n\n".join(str(e) for e in errors.values())
    )
