"""Tenants, plugins, webhooks, reports and health through the API (API.md "Fixed routes")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

API_PATHS = {
    "/api/v1/tenants",
    "/api/v1/tenants/{slug}",
    "/api/v1/tenants/{slug}/plugins/{name}",
    "/api/v1/plugins",
    "/api/v1/cases",
    "/api/v1/cases/{case_id}",
    "/api/v1/cases/{case_id}/actions",
    "/api/v1/cases/{case_id}/events",
    "/api/v1/cases/{case_id}/surveys",
    "/api/v1/cases/{case_id}/comments",
    "/api/v1/cases/{case_id}/attachments",
    "/api/v1/cases/{case_id}/attachments/{attachment_id}",
    "/api/v1/cases/{case_id}/documents/{name}",
    "/api/v1/webhooks",
    "/api/v1/webhooks/{webhook_id}",
    "/api/v1/reports/summary",
}


def test_openapi_document_has_exactly_the_contracts_paths(client):
    spec = client.get("/api/v1/openapi.json").json
    assert set(spec["paths"]) == API_PATHS
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    create = spec["paths"]["/api/v1/cases"]["post"]
    assert {"201", "401", "403", "422"} <= set(create["responses"])
    ref = create["responses"]["422"]["$ref"].rsplit("/", 1)[-1]
    assert "application/problem+json" in spec["components"]["responses"][ref]["content"]
    assert client.get("/api/v1/docs").status_code == 200


def test_health_and_readiness(client):
    assert client.get("/healthz").json == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json["checks"] == {"database": "ok"}


def test_platform_creates_a_tenant_with_domain_defaults(client, platform_token):
    platform = {"Authorization": f"Bearer {platform_token}"}
    response = client.post(
        "/api/v1/tenants", json={"slug": "shop", "name": "小店"}, headers=platform
    )
    assert response.status_code == 201
    assert response.headers["Location"].endswith("/api/v1/tenants/shop")
    tenant = response.json
    assert tenant["timers"]["first_reply"] == {"amount": 5, "unit": "working_days"}
    assert tenant["timers"]["department_reply"] == {"amount": 3, "unit": "working_days"}
    assert tenant["timers"]["follow_up"] == {"amount": 5, "unit": "working_days"}
    assert tenant["timers"]["resolution"] is None
    assert tenant["repeat_window_days"] == 90 and tenant["calendar"]["country"] == "CN"
    again = client.post("/api/v1/tenants", json={"slug": "shop", "name": "x"}, headers=platform)
    assert again.status_code == 409
    bad = client.post(
        "/api/v1/tenants",
        json={"slug": "Bad Slug!", "name": "x", "timezone": "Mars/Base"},
        headers=platform,
    )
    assert bad.status_code == 422 and {"slug", "timezone"} <= set(bad.json["errors"])


def test_only_platform_creates_and_admins_change_their_own(client, make_tenant, platform_token):
    acme = make_tenant("acme")
    make_tenant("other")
    body = {"slug": "new", "name": "x"}
    assert client.post("/api/v1/tenants", json=body, headers=acme.auth("admin")).status_code == 403
    assert (
        client.patch(
            "/api/v1/tenants/acme", json={"name": "x"}, headers=acme.auth("agent")
        ).status_code
        == 403
    )
    changed = client.patch(
        "/api/v1/tenants/acme",
        json={"departments": ["售后", "质检"], "repeat_window_days": 30},
        headers=acme.auth("admin"),
    )
    assert changed.status_code == 200 and changed.json["departments"] == ["售后", "质检"]
    platform = {"Authorization": f"Bearer {platform_token}"}
    assert client.get("/api/v1/tenants/other", headers=platform).json["name"] == "Other"
    assert client.get("/api/v1/tenants/other", headers=acme.auth()).status_code == 404


def test_enabling_and_disabling_a_plugin(client, make_tenant, platform_token):
    acme = make_tenant("acme")
    url = "/api/v1/tenants/acme/plugins/retail"
    refused = client.put(url, json={"supervisor_limit": -5, "nonsense": 1}, headers=acme.auth())
    assert refused.status_code == 422
    assert {"supervisor_limit", "nonsense"} <= set(refused.json["errors"])
    enabled = client.put(url, json={}, headers=acme.auth())
    assert enabled.status_code == 200
    assert enabled.json["plugins"]["retail"]["supervisor_limit"] == 2000  # DOMAIN.md default
    assert (
        client.put("/api/v1/tenants/acme/plugins/nope", json={}, headers=acme.auth()).status_code
        == 404
    )
    assert client.delete(url, headers=acme.auth()).status_code == 204
    assert client.delete(url, headers=acme.auth()).status_code == 404
    assert "retail" not in client.get("/api/v1/tenants/acme", headers=acme.auth()).json["plugins"]


def test_plugins_are_listed_with_json_schemas(client, make_tenant, platform_token):
    acme = make_tenant("acme")
    for headers in (acme.auth("agent"), {"Authorization": f"Bearer {platform_token}"}):
        listed = client.get("/api/v1/plugins", headers=headers).json
        names = [p["name"] for p in listed["items"]]
        assert {"retail", "food_service", "manufacturing", "auto_repair"} <= set(names)
        retail = next(p for p in listed["items"] if p["name"] == "retail")
        assert "supervisor_limit" in retail["settings_schema"]["properties"]
        assert "sku" in retail["case_fields_schema"]["return"]["properties"]
    first = client.get("/api/v1/plugins?limit=1", headers=acme.auth()).json
    assert len(first["items"]) == 1 and first["next_cursor"]


def test_webhooks_are_registered_listed_and_removed(client, make_tenant):
    acme, other = make_tenant("acme"), make_tenant("other")
    made = client.post(
        "/api/v1/webhooks", json={"url": "https://hooks.example.com/in"}, headers=acme.auth("admin")
    )
    assert made.status_code == 201 and len(made.json["secret"]) > 20
    assert made.json["events"] == ["*"]
    listed = client.get("/api/v1/webhooks", headers=acme.auth()).json["items"]
    assert [w["id"] for w in listed] == [made.json["id"]] and "secret" not in listed[0]
    assert client.get("/api/v1/webhooks", headers=acme.auth("agent")).status_code == 403
    bad = client.post("/api/v1/webhooks", json={"url": "ftp://x"}, headers=acme.auth())
    assert bad.status_code == 422 and "url" in bad.json["errors"]
    path = f"/api/v1/webhooks/{made.json['id']}"
    assert client.delete(path, headers=other.auth()).status_code == 404
    assert client.delete(path, headers=acme.auth()).status_code == 204
    assert client.get("/api/v1/webhooks", headers=acme.auth()).json["items"] == []


def test_summary_report(client, make_tenant, make_case, act):
    acme = make_tenant("acme", categories=[{"name": "质量", "group": "quality"}])
    now = datetime.now(UTC)
    first = make_case(acme, category="质量", received_at=now.isoformat())
    make_case(acme, category="质量", received_at=now.isoformat())  # a repeat of the first
    make_case(
        acme,
        kind="feedback",
        received_at=now.isoformat(),
        customer={"name": "李四", "phone": "13911111111"},
    )
    for action, params in [
        ("acknowledge", {}),
        ("investigate", {}),
        ("reject", {"findings": "正常"}),
    ]:
        act(acme, first, action, **params)
    client.post(
        f"/api/v1/cases/{first['id']}/surveys", json={"score": 4}, headers=acme.auth("agent")
    )
    since = (now - timedelta(days=1)).isoformat().replace("+00:00", "Z")
    until = (now + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    report = client.get(
        f"/api/v1/reports/summary?from={since}&to={until}", headers=acme.auth("admin")
    )
    assert report.status_code == 200, report.json
    body = report.json
    assert body["total"] == 3
    assert body["by_kind"] == {"complaint": 2, "feedback": 1}
    assert body["by_state"] == {"resolved": 1, "received": 2}
    assert body["sla"]["first_reply"] == {"met": 1, "breached": 0, "running": 2, "paused": 0}
    assert body["satisfaction"]["responses"] == 1 and body["satisfaction"]["average"] == 4
    assert body["satisfaction"]["response_rate"] == 1.0
    assert body["satisfaction"]["response_rate_target"] == 0.85
    assert body["repeat_rate"] == round(1 / 3, 4)
    assert (
        client.get(
            f"/api/v1/reports/summary?from={until}&to={since}", headers=acme.auth()
        ).status_code
        == 422
    )
    assert client.get("/api/v1/reports/summary", headers=acme.auth()).status_code == 422
    assert (
        client.get(
            f"/api/v1/reports/summary?from={since}&to={until}", headers=acme.auth("manager")
        ).status_code
        == 403
    )


def test_summary_report_reads_breaches_low_scores_and_reopened_cases(client, make_tenant, act):
    """A running timer past its deadline counts as breached before any sweep; a low score
    reopens its case, which still counts as surveyed (the response rate stays at most 1)."""
    acme = make_tenant("acme")
    now = datetime.now(UTC)

    def opened(phone: str, received_at: datetime) -> dict:
        body = {
            "kind": "complaint",
            "title": "冰箱不制冷",
            "channel": "phone",
            "customer": {"name": "张三", "phone": phone},
            "received_at": received_at.isoformat(),
        }
        response = client.post("/api/v1/cases", json=body, headers=acme.auth("agent"))
        assert response.status_code == 201, response.json
        return response.json

    opened("13900000001", now - timedelta(days=20))  # first_reply long overdue, never swept
    surveyed = [opened("13900000002", now), opened("13900000003", now)]
    for case, score in zip(surveyed, (5, 2), strict=True):
        for action, params in [
            ("acknowledge", {}),
            ("investigate", {}),
            ("reject", {"findings": "正常"}),
        ]:
            assert act(acme, case, action, **params).status_code == 200
        answer = client.post(
            f"/api/v1/cases/{case['id']}/surveys", json={"score": score}, headers=acme.auth()
        )
        assert answer.status_code == 201, answer.json
    since = (now - timedelta(days=30)).isoformat().replace("+00:00", "Z")
    until = (now + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    body = client.get(
        f"/api/v1/reports/summary?from={since}&to={until}", headers=acme.auth("admin")
    ).json
    assert body["total"] == 3
    assert body["sla"]["first_reply"] == {"met": 2, "breached": 1, "running": 0, "paused": 0}
    assert body["by_state"]["resolved"] == 1 and sum(body["by_state"].values()) == 3
    satisfaction = body["satisfaction"]
    assert (satisfaction["responses"], satisfaction["average"]) == (2, 3.5)
    assert satisfaction["satisfied"] == 1
    assert satisfaction["response_rate"] == 1.0  # two surveyed of two resolved, one reopened
    assert body["repeat_rate"] == 0.0
