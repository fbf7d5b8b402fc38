"""Tenant settings in the console (admins only): plugins with generated forms, organisation,
calendar, timers, users, API tokens, webhooks."""

from __future__ import annotations

import re

import pytest

from tests.console.conftest import PASSWORD, csrf_of


@pytest.fixture
def admin(make_tenant, make_user, login):
    acme = make_tenant("acme", locale="en")
    make_user(acme, "boss@acme.example", "admin")
    login("acme", "boss@acme.example")
    return acme


def tenant_json(client, tenant):
    return client.get(f"/api/v1/tenants/{tenant.slug}", headers=tenant.auth("admin")).json


def test_settings_are_for_admins_only(client, make_tenant, make_user, login):
    acme = make_tenant("acme")
    make_user(acme, "ann@acme.example", "manager")
    login("acme", "ann@acme.example")
    for path in ("/t/acme/settings", "/t/acme/settings/plugins", "/t/acme/settings/users"):
        assert client.get(path).status_code == 403
    page = client.get("/t/acme/cases")
    response = client.post(
        "/t/acme/settings/plugins/retail", data={"csrf_token": csrf_of(page), "op": "save"}
    )
    assert response.status_code == 403
    assert "retail" not in tenant_json(client, acme)["plugins"]


def test_plugins_are_switched_on_configured_and_off_with_generated_forms(client, admin):
    page = client.get("/t/acme/settings/plugins")
    text = page.get_data(as_text=True)
    assert 'name="retail.supervisor_limit"' in text  # generated from the settings schema
    assert 'name="retail.allow_receiptless"' in text
    response = client.post(
        "/t/acme/settings/plugins/retail",
        data={
            "csrf_token": csrf_of(page),
            "op": "save",
            "retail.supervisor_limit": "500",
            "retail.allow_receiptless": "true",
            "retail.warranty_days": "180",
        },
    )
    assert response.status_code == 303
    settings = tenant_json(client, admin)["plugins"]["retail"]
    assert settings["supervisor_limit"] == 500
    assert settings["allow_receiptless"] is True
    assert settings["warranty_days"] == 180
    assert settings["refund_days"] == 7  # untouched fields keep their defaults
    # A value the schema refuses is shown with the API's message, and nothing changes.
    page = client.get("/t/acme/settings/plugins")
    response = client.post(
        "/t/acme/settings/plugins/retail",
        data={"csrf_token": csrf_of(page), "op": "save", "retail.warranty_days": "-1"},
    )
    assert response.status_code == 422
    assert (
        "Must be greater than or equal to 0 and less than or equal to 3650."
        in response.get_data(as_text=True)
    )
    assert tenant_json(client, admin)["plugins"]["retail"]["warranty_days"] == 180
    page = client.get("/t/acme/settings/plugins")
    response = client.post(
        "/t/acme/settings/plugins/retail", data={"csrf_token": csrf_of(page), "op": "disable"}
    )
    assert response.status_code == 303
    assert "retail" not in tenant_json(client, admin)["plugins"]


def test_organisation_calendar_and_timers(client, admin):
    page = client.get("/t/acme/settings")
    response = client.post(
        "/t/acme/settings",
        data={
            "csrf_token": csrf_of(page),
            "name": "Acme 商城",
            "timezone": "Asia/Shanghai",
            "locale": "en",
            "repeat_window_days": "60",
            "departments": "售后部\n质检部\n",
            "sites": "南京路店",
            "categories": "质量问题 | quality\n服务态度 | service",
            "revisits_required.quality": "2",
            "revisits_required.service": "1",
            "revisits_required.other": "0",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    tenant = tenant_json(client, admin)
    assert tenant["name"] == "Acme 商城"
    assert tenant["departments"] == ["售后部", "质检部"]
    assert tenant["categories"] == [
        {"name": "质量问题", "group": "quality"},
        {"name": "服务态度", "group": "service"},
    ]
    page = client.get("/t/acme/settings/calendar")
    response = client.post(
        "/t/acme/settings/calendar",
        data={
            "csrf_token": csrf_of(page),
            "country": "CN",
            "opens": "08:30",
            "closes": "17:30",
            "closed_dates": "2026-05-06\n2026-05-07",
            "extra_working_days": "2026-05-09",
        },
    )
    assert response.status_code == 303
    calendar = tenant_json(client, admin)["calendar"]
    assert calendar["working_hours"] == ["08:30", "17:30"]
    assert calendar["closed_dates"] == ["2026-05-06", "2026-05-07"]
    assert calendar["extra_working_days"] == ["2026-05-09"]
    page = client.get("/t/acme/settings/calendar")
    response = client.post(
        "/t/acme/settings/calendar",
        data={"csrf_token": csrf_of(page), "country": "CN", "opens": "18:00", "closes": "09:00"},
    )
    assert response.status_code == 422
    assert "Opening must be before closing." in response.get_data(as_text=True)
    page = client.get("/t/acme/settings/timers")
    response = client.post(
        "/t/acme/settings/timers",
        data={
            "csrf_token": csrf_of(page),
            "first_reply.on": "1",
            "first_reply.amount": "24",
            "first_reply.unit": "hours",
            "department_reply.on": "1",
            "department_reply.amount": "2",
            "department_reply.unit": "working_days",
            "follow_up.amount": "5",
            "follow_up.unit": "working_days",
            "resolution.on": "1",
            "resolution.amount": "15",
            "resolution.unit": "days",
        },
    )
    assert response.status_code == 303
    timers = tenant_json(client, admin)["timers"]
    assert timers["first_reply"] == {"amount": 24, "unit": "hours"}
    assert timers["follow_up"] is None  # switched off
    assert timers["resolution"] == {"amount": 15, "unit": "days"}


def test_users_are_invited_deactivated_and_reset(client, admin, login):
    page = client.get("/t/acme/settings/users")
    response = client.post(
        "/t/acme/settings/users",
        data={
            "csrf_token": csrf_of(page),
            "email": "New@Acme.example",
            "name": "Nia",
            "role": "agent",
        },
    )
    assert response.status_code == 201
    text = response.get_data(as_text=True)
    password = re.search(r'id="secret-value">([^<]+)<', text).group(1)
    assert "new@acme.example" in text
    uid = re.search(
        r'action="/t/acme/settings/users/(\w+)"[^>]*>\s*<input[^>]*>\s*'
        r'<label for="role-\w+"',
        text,
    )
    assert uid
    # The secret is not in any later page.
    assert password not in client.get("/t/acme/settings/users").get_data(as_text=True)
    response = client.post(
        "/t/acme/settings/users",
        data={"csrf_token": csrf_of(page), "email": "new@acme.example", "role": "agent"},
    )
    assert response.status_code == 422  # exists already
    # The invited user signs in with the temporary password.
    other = client.application.test_client()
    login_page = other.get("/t/acme/login")
    response = other.post(
        "/t/acme/login",
        data={"email": "new@acme.example", "password": password, "csrf_token": csrf_of(login_page)},
    )
    assert response.status_code == 302
    assert other.get("/t/acme/cases").status_code == 200
    # Deactivated: the open session ends and signing in fails.
    users = client.get("/t/acme/settings/users").get_data(as_text=True)
    user_id = re.search(
        r'<tr data-user="new@acme.example">.*?action="/t/acme/settings/users/(\w+)"', users, re.S
    ).group(1)
    response = client.post(
        f"/t/acme/settings/users/{user_id}",
        data={"csrf_token": csrf_of(page), "op": "deactivate"},
    )
    assert response.status_code == 303
    assert other.get("/t/acme/cases").status_code == 302
    # A reset shows a new password once; an admin cannot lock themself out.
    response = client.post(
        f"/t/acme/settings/users/{user_id}", data={"csrf_token": csrf_of(page), "op": "reset"}
    )
    assert re.search(r'id="secret-value">([^<]+)<', response.get_data(as_text=True))
    me = re.search(
        r'<tr data-user="boss@acme.example">.*?action="/t/acme/settings/users/(\w+)"', users, re.S
    ).group(1)
    response = client.post(
        f"/t/acme/settings/users/{me}", data={"csrf_token": csrf_of(page), "op": "deactivate"}
    )
    assert response.status_code == 409
    assert PASSWORD  # the admin's own password still works:
    assert client.get("/t/acme/settings/users").status_code == 200


def test_api_tokens_are_shown_once_and_revocable(client, admin):
    page = client.get("/t/acme/settings/tokens")
    response = client.post(
        "/t/acme/settings/tokens",
        data={"csrf_token": csrf_of(page), "name": "erp", "role": "agent"},
    )
    assert response.status_code == 201
    token = re.search(r'id="secret-value">([^<]+)<', response.get_data(as_text=True)).group(1)
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/cases", headers=headers).status_code == 200
    listing = client.get("/t/acme/settings/tokens").get_data(as_text=True)
    assert token not in listing
    token_id = re.search(
        r'<tr data-token="erp">.*?action="/t/acme/settings/tokens/(\w+)/revoke"', listing, re.S
    ).group(1)
    response = client.post(
        f"/t/acme/settings/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(page)}
    )
    assert response.status_code == 303
    assert client.get("/api/v1/cases", headers=headers).status_code == 401


def test_webhooks_are_listed_added_and_removed(client, admin):
    page = client.get("/t/acme/settings/webhooks")
    response = client.post(
        "/t/acme/settings/webhooks",
        data={"csrf_token": csrf_of(page), "url": "not a url", "events": ""},
    )
    assert response.status_code == 422
    assert "Not a valid URL." in response.get_data(as_text=True)
    response = client.post(
        "/t/acme/settings/webhooks",
        data={
            "csrf_token": csrf_of(page),
            "url": "https://erp.acme.example/hook",
            "events": "opened, close",
        },
    )
    assert response.status_code == 201
    assert re.search(r'id="secret-value">([^<]+)<', response.get_data(as_text=True))
    hooks = client.get("/api/v1/webhooks", headers=admin.auth("admin")).json["items"]
    assert [(h["url"], h["events"]) for h in hooks] == [
        ("https://erp.acme.example/hook", ["close", "opened"])
    ]
    listing = client.get("/t/acme/settings/webhooks").get_data(as_text=True)
    hook_id = re.search(r'action="/t/acme/settings/webhooks/(\w+)/delete"', listing).group(1)
    response = client.post(
        f"/t/acme/settings/webhooks/{hook_id}/delete", data={"csrf_token": csrf_of(page)}
    )
    assert response.status_code == 303
    assert client.get("/api/v1/webhooks", headers=admin.auth("admin")).json["items"] == []
