"""Retail returns through the API (DOMAIN.md section 2): each rule once more, with its exact code,
flag, timer and department, on fixed dates; and a tenant without the plugin left untouched."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

import plugins.retail.hooks as retail_hooks

SHOP = {"plugins": {"retail": {}}, "departments": ["客服部", "质检部", "门店运营部"]}
ABSENT = object()


def return_body(received_at: str, phone: str = "13900000000", **retail: Any) -> dict[str, Any]:
    """A complete no-reason return of an online sale delivered on 2025-11-01; ``retail``
    changes its fields (``ABSENT`` leaves one out)."""
    fields = {
        "return_type": "no_reason",
        "sale_channel": "online",
        "receipt_no": "R-1001",
        "store": "网上商城",
        "purchased_on": "2025-10-30",
        "delivered_on": "2025-11-01",
        "sku": "SKU-1",
        "quantity": 1,
        "amount": 199.0,
        "goods_type": "general",
        "condition": "intact",
    }
    fields.update(retail)
    return {
        "kind": "return",
        "title": "七天无理由退货",
        "channel": "on_site",
        "customer": {"name": "王五", "phone": phone},
        "received_at": received_at,
        "data": {"retail": {k: v for k, v in fields.items() if v is not ABSENT}},
    }


def quality_body(received_at: str, **retail: Any) -> dict[str, Any]:
    """A quality return of goods bought in the store on 2025-11-01, asking for a refund."""
    fields = {
        "return_type": "quality",
        "sale_channel": "store",
        "store": "南京路店",
        "purchased_on": "2025-11-01",
        "delivered_on": ABSENT,
        "remedy": "refund",
        "repairs_done": 0,
        "goods_type": ABSENT,
        "condition": ABSENT,
    }
    return return_body(received_at, **{**fields, **retail})


def codes(response) -> list[str]:
    return [v["code"] for v in response.json.get("violations", [])]


def timer(case: dict, name: str) -> dict | None:
    return next((t for t in case["timers"] if t["name"] == name), None)


def events(client, tenant, case, type_: str | None = None) -> list[dict]:
    items = client.get(f"/api/v1/cases/{case['id']}/events?limit=200", headers=tenant.auth()).json[
        "items"
    ]
    return [e for e in items if type_ is None or e["type"] == type_]


def get(client, tenant, case) -> dict:
    return client.get(f"/api/v1/cases/{case['id']}", headers=tenant.auth()).json


def patch(client, tenant, case, **changes):
    version = get(client, tenant, case)["version"]
    return client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"version": version, **changes},
        headers=tenant.auth("agent"),
    )


def to_resolving(tenant, case, act, department: str = "质检部") -> None:
    for action, params in [
        ("acknowledge", {}),
        ("investigate", {}),
        ("assign_department", {"department": department}),
        ("propose", {"proposal": "同意退款"}),
        ("accept", {}),
    ]:
        response = act(tenant, case, action, **params)
        assert response.status_code == 200, (action, response.json)


# --- intake: every return rule at its boundary --------------------------------------------------

NO_REASON = [
    # distance sale delivered Nov 1: Nov 8 (day 7) is the last day, in the tenant's time zone
    ("day 7", return_body("2025-11-08T23:59:00+08:00"), []),
    ("day 8 by Shanghai time", return_body("2025-11-08T16:30:00Z"),
     ["retail.no_reason_window_closed"]),
    ("store sale, no policy", return_body("2025-11-01T10:00:00+08:00", sale_channel="store"),
     ["retail.no_reason_window_closed"]),
    ("fresh goods", return_body("2025-11-03T10:00:00+08:00", goods_type="fresh"),
     ["retail.excluded_goods"]),
    ("customized goods", return_body("2025-11-03T10:00:00+08:00", goods_type="customized"),
     ["retail.excluded_goods"]),
    ("flagged and confirmed", return_body(
        "2025-11-03T10:00:00+08:00",
        goods_type="flagged_non_returnable",
        buyer_confirmed_non_returnable=True,
    ), ["retail.excluded_goods"]),
    ("flagged, not confirmed", return_body(
        "2025-11-03T10:00:00+08:00",
        goods_type="flagged_non_returnable",
        buyer_confirmed_non_returnable=False,
    ), []),
    ("hygienic seal broken", return_body("2025-11-03T10:00:00+08:00", condition="seal_broken"),
     ["retail.goods_not_intact"]),
    ("every refusing rule at once", return_body(
        "2025-11-20T10:00:00+08:00", goods_type="fresh", condition="soiled"
    ), ["retail.no_reason_window_closed", "retail.excluded_goods", "retail.goods_not_intact"]),
]  # fmt: skip

QUALITY = [
    ("day 7 refund", quality_body("2025-11-08T10:00:00+08:00"), []),
    ("day 8 refund", quality_body("2025-11-09T10:00:00+08:00"), ["retail.remedy_not_available"]),
    ("day 15 exchange", quality_body("2025-11-16T10:00:00+08:00", remedy="exchange"), []),
    ("day 16 exchange", quality_body("2025-11-17T10:00:00+08:00", remedy="exchange"),
     ["retail.remedy_not_available"]),
    ("day 16 repair", quality_body("2025-11-17T10:00:00+08:00", remedy="repair"), []),
    ("two failed repairs", quality_body(
        "2026-02-01T10:00:00+08:00", remedy="exchange", repairs_done=2
    ), []),
    ("day 365", quality_body("2026-11-01T10:00:00+08:00", remedy="repair"), []),
    ("day 366", quality_body("2026-11-02T10:00:00+08:00", remedy="repair"),
     ["retail.warranty_expired"]),
]  # fmt: skip


def test_every_return_rule_at_its_boundary(client, make_tenant):
    shop = make_tenant("shop", **SHOP)
    for number, (label, body, expected) in enumerate(NO_REASON + QUALITY):
        body["customer"]["phone"] = f"1390000{number:04d}"  # no customer returns often here
        response = client.post("/api/v1/cases", json=body, headers=shop.auth("agent"))
        assert response.status_code == (422 if expected else 201), (label, response.json)
        assert codes(response) == expected, label
    listed = client.get("/api/v1/cases?limit=200", headers=shop.auth()).json["items"]
    assert len(listed) == sum(1 for _, _, expected in NO_REASON + QUALITY if not expected)


def test_a_return_without_its_receipt_is_refused_naming_each_missing_field(client, make_tenant):
    shop = make_tenant("shop", **SHOP)
    body = return_body("2025-11-03T10:00:00+08:00", sku=ABSENT, amount=None)
    response = client.post("/api/v1/cases", json=body, headers=shop.auth("agent"))
    assert response.status_code == 422
    assert [(v["code"], v["field"]) for v in response.json["violations"]] == [
        ("retail.receipt_incomplete", "data.retail.sku"),
        ("retail.receipt_incomplete", "data.retail.amount"),
    ]
    assert "sku, amount" in response.json["violations"][0]["message"]
    assert client.get("/api/v1/cases", headers=shop.auth()).json["items"] == []


def test_complaints_carrying_a_return_are_checked_others_are_not(client, make_tenant):
    shop = make_tenant("shop", **SHOP)
    asking = {**quality_body("2025-11-09T10:00:00+08:00"), "kind": "complaint"}
    response = client.post("/api/v1/cases", json=asking, headers=shop.auth("agent"))
    assert (response.status_code, codes(response)) == (422, ["retail.remedy_not_available"])
    naming = {
        **return_body("2025-11-09T10:00:00+08:00"),
        "kind": "complaint",
        "data": {"retail": {"sku": "SKU-1", "store": "南京路店"}},
    }
    response = client.post("/api/v1/cases", json=naming, headers=shop.auth("agent"))
    assert (response.status_code, codes(response)) == (201, [])


def test_receiptless_returns_are_taken_with_a_warning_when_the_tenant_allows(
    client, make_tenant, platform_token
):
    shop = make_tenant("shop", plugins={"retail": {"allow_receiptless": True}})
    body = return_body("2025-11-03T10:00:00+08:00", receipt_no=ABSENT)
    response = client.post("/api/v1/cases", json=body, headers=shop.auth("agent"))
    assert response.status_code == 201
    case = response.json
    assert [(v["code"], v["field"]) for v in case["violations"]] == [("retail.receiptless", None)]
    assert "receipt_no" in case["violations"][0]["message"]
    # The tenant stops taking them: the case taken stays editable, with its warning ...
    turned_off = client.put(
        f"/api/v1/tenants/{shop.slug}/plugins/retail",
        json={},
        headers={"Authorization": f"Bearer {platform_token}"},
    )
    assert turned_off.status_code == 200, turned_off.json
    edited = patch(client, shop, case, title="无小票退货")
    assert edited.status_code == 200
    assert codes(edited) == ["retail.receiptless"]
    # ... but new return data is judged by the rules now in force.
    changed = {**case["data"]["retail"], "quantity": 2}
    refused = patch(client, shop, case, data={"retail": changed})
    assert (refused.status_code, codes(refused)) == (422, ["retail.receipt_incomplete"])


def test_edits_of_return_data_are_checked_and_nothing_changes_on_refusal(client, make_tenant):
    shop = make_tenant("shop", **SHOP)
    case = client.post(
        "/api/v1/cases",
        json=quality_body("2025-11-11T10:00:00+08:00", remedy="exchange"),  # day 10
        headers=shop.auth("agent"),
    ).json
    fields = case["data"]["retail"]
    refused = patch(client, shop, case, data={"retail": {**fields, "remedy": "refund"}})
    assert refused.status_code == 422
    assert [(v["code"], v["field"]) for v in refused.json["violations"]] == [
        ("retail.remedy_not_available", "data.retail.remedy")
    ]
    unchanged = get(client, shop, case)
    assert unchanged["version"] == case["version"]
    assert unchanged["data"]["retail"]["remedy"] == "exchange"
    accepted = patch(client, shop, case, data={"retail": {**fields, "remedy": "repair"}})
    assert accepted.status_code == 200 and accepted.json["data"]["retail"]["remedy"] == "repair"


# --- frequent returners and approvals -----------------------------------------------------------


def test_the_fifth_return_in_90_days_is_flagged_and_needs_approval(client, make_tenant, act):
    shop = make_tenant("shop", **SHOP)
    phone, email = "13911112222", "li@example.com"

    def open_(received_at: str, *, kind="return", contact=None, **retail) -> dict:
        body = quality_body(received_at, **{"remedy": "repair", **retail})
        body["kind"] = kind
        body["customer"] = {"name": "李四", **(contact or {"phone": phone})}
        response = client.post("/api/v1/cases", json=body, headers=shop.auth("agent"))
        assert response.status_code == 201, response.json
        return response.json

    earlier = [
        open_("2025-12-09T10:00:00+08:00"),  # 91 days before the last two: outside their window
        open_("2026-01-10T10:00:00+08:00"),
        open_("2026-02-01T10:00:00+08:00", contact={"phone": "13700000000", "email": email}),
        open_("2026-02-15T10:00:00+08:00", kind="complaint"),  # a complaint asking for a return
        open_("2026-02-20T10:00:00+08:00", kind="complaint", return_type=None),  # not a return
        open_("2026-03-10T09:00:00+08:00", contact={"phone": phone, "email": email}),  # the 4th
    ]
    assert [c["flags"] for c in earlier] == [[]] * 6
    last = open_(
        "2026-03-10T10:00:00+08:00",
        contact={"phone": phone, "email": email},
        remedy="refund",
        repairs_done=2,
        amount=2500.0,
    )
    assert last["flags"] == ["frequent_returner"]

    to_resolving(shop, last, act)
    refused = act(shop, last, "resolve", resolution="已退款")
    assert refused.status_code == 422
    # Two refusing rules, both reported: the frequent returner and the refund above 2,000.
    assert codes(refused) == ["core.approval_required", "core.approval_required"]
    assert act(shop, last, "approve", role="agent").status_code == 403
    assert act(shop, last, "approve", role="manager").status_code == 200
    resolved = act(shop, last, "resolve", resolution="已退款")
    assert resolved.status_code == 200 and resolved.json["state"] == "resolved"


@pytest.mark.parametrize(
    ("oldest", "flagged"),
    [("2025-12-10T09:00:00+08:00", True), ("2025-12-09T23:59:00+08:00", False)],
    ids=["day-90-early-morning", "day-91-late-evening"],
)
def test_the_frequent_returner_window_counts_local_dates(client, make_tenant, oldest, flagged):
    """DOMAIN.md 2: day counts compare the local dates, not the hours: 10 December is day 90
    before 10 March, however early it came in; 9 December is day 91, however late."""
    shop = make_tenant("shop", **SHOP)
    received = [oldest, "2026-01-10T10:00:00+08:00", "2026-02-01T10:00:00+08:00"]
    received += ["2026-03-01T10:00:00+08:00", "2026-03-10T10:00:00+08:00"]
    for at in received:
        body = quality_body(at, remedy="repair")
        body["customer"] = {"name": "李四", "phone": "13911112222"}
        response = client.post("/api/v1/cases", json=body, headers=shop.auth("agent"))
        assert response.status_code == 201, response.json
    assert ("frequent_returner" in response.json["flags"]) is flagged


def test_correcting_the_customer_of_a_frequent_returner_removes_the_flag(client, make_tenant):
    shop = make_tenant("shop", **SHOP)
    for day in range(1, 6):
        body = quality_body(f"2026-03-0{day}T10:00:00+08:00", remedy="repair")
        body["customer"] = {"name": "李四", "phone": "13911112222"}
        response = client.post("/api/v1/cases", json=body, headers=shop.auth("agent"))
        assert response.status_code == 201, response.json
        fifth = response.json
    assert fifth["flags"] == ["frequent_returner"]
    edited = client.patch(
        f"/api/v1/cases/{fifth['id']}",
        json={"version": fifth["version"], "customer": {"name": "王五", "phone": "13600000000"}},
        headers=shop.auth("agent"),
    )
    assert edited.status_code == 200, edited.json
    assert edited.json["flags"] == []  # 王五 has no earlier returns
    again = client.patch(
        f"/api/v1/cases/{fifth['id']}",
        json={
            "version": edited.json["version"],
            "customer": {"name": "李四", "phone": "13911112222"},
        },
        headers=shop.auth("agent"),
    )
    assert again.json["flags"] == ["frequent_returner"]


def test_a_refund_above_the_supervisor_limit_needs_approval(client, make_tenant, act):
    shop = make_tenant("shop", **SHOP)
    for number, (amount, needs_approval) in enumerate([(2000.0, False), (2000.01, True)]):
        body = return_body(
            "2025-11-03T10:00:00+08:00",
            phone=f"1380000{number:04d}",
            amount=amount,
            remedy="refund",
        )
        case = client.post("/api/v1/cases", json=body, headers=shop.auth("agent")).json
        assert case["flags"] == [] and case["severity"] == "normal"
        to_resolving(shop, case, act)
        response = act(shop, case, "resolve", resolution="已退款")
        if needs_approval:
            assert response.status_code == 422
            assert [(v["code"], v["field"]) for v in response.json["violations"]] == [
                ("core.approval_required", "data.retail.amount")
            ]
            act(shop, case, "approve", role="manager")
            response = act(shop, case, "resolve", resolution="已退款")
        assert response.status_code == 200, amount


# --- appraisal ------------------------------------------------------------------------------------


def test_request_appraisal_sends_the_case_to_the_quality_department(
    client, make_tenant, make_case, act, clock
):
    clock.set(datetime(2026, 3, 4, 2, 0, tzinfo=UTC))  # Wednesday 10:00 in Shanghai
    shop = make_tenant("shop", plugins={"retail": {}}, departments=["客服部", "质量管理部"])
    case = make_case(shop, **quality_body("2026-03-04T10:00:00+08:00", remedy="repair"))
    early = act(shop, case, "request_appraisal")
    assert (early.status_code, codes(early)) == (409, ["core.action_not_allowed"])
    acknowledged = act(shop, case, "acknowledge").json
    assert "request_appraisal" in acknowledged["allowed_actions"]
    moved = act(shop, case, "request_appraisal", note="柜台无法判断是否质量问题")
    assert moved.status_code == 200
    assert (moved.json["state"], moved.json["department"]) == ("in_department", "质量管理部")
    reply = timer(moved.json, "department_reply")
    assert reply["state"] == "running"
    assert reply["due_at"] == "2026-03-09T23:59:59+08:00"  # 3 working days: Thu, Fri, Mon
    assert events(client, shop, case)[-1]["type"] == "request_appraisal"


QUALITY_DEPARTMENTS = [
    # (the tenant's departments, its retail settings, where appraisals go)
    (["客服部"], {}, None),
    (["客服部", "售后鉴定中心"], {"quality_department": "售后鉴定中心"}, "售后鉴定中心"),
    ([], {}, "质检部"),  # departments are free text in this tenant
]


def test_the_quality_department_comes_from_the_tenant(make_tenant, make_case, act):
    for number, (departments, settings, expected) in enumerate(QUALITY_DEPARTMENTS):
        shop = make_tenant(f"shop{number}", plugins={"retail": settings}, departments=departments)
        case = make_case(shop, **quality_body("2026-03-04T10:00:00+08:00", remedy="repair"))
        act(shop, case, "acknowledge")
        response = act(shop, case, "request_appraisal")
        if expected is None:
            assert response.status_code == 422
            assert codes(response) == ["retail.no_quality_department"]
        else:
            assert response.status_code == 200 and response.json["department"] == expected


# --- the refund timer -----------------------------------------------------------------------------


def test_the_refund_is_due_7_days_after_the_goods_come_back(client, make_tenant, act, clock):
    clock.set(datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
    shop = make_tenant("shop", **SHOP)
    body = quality_body(
        "2026-03-04T10:00:00+08:00", remedy="repair", goods_received_on="2026-03-04"
    )
    case = client.post("/api/v1/cases", json=body, headers=shop.auth("agent")).json
    refund = timer(case, "refund")
    assert refund["started_at"] == "2026-03-04T23:59:59+08:00"
    assert refund["due_at"] == "2026-03-11T23:59:59+08:00"  # day 7 included
    assert (refund["state"], refund["amount"], refund["unit"]) == ("running", 7, "days")
    logged = events(client, shop, case, "retail.goods_received")
    assert [e["data"] for e in logged] == [{"goods_received_on": "2026-03-04", "refund_days": 7}]

    to_resolving(shop, case, act)
    resolved = act(shop, case, "resolve", resolution="已退款").json
    assert timer(resolved, "refund")["state"] == "met"


def test_an_edit_giving_the_day_the_goods_came_back_starts_the_refund_timer(
    client, make_tenant, clock
):
    clock.set(datetime(2026, 3, 9, 2, 0, tzinfo=UTC))
    shop = make_tenant("shop", plugins={"retail": {"refund_days": 3}})
    case = client.post(
        "/api/v1/cases",
        json=quality_body("2026-03-04T10:00:00+08:00", remedy="repair"),
        headers=shop.auth("agent"),
    ).json
    assert timer(case, "refund") is None
    fields = case["data"]["retail"]

    edited = patch(
        client, shop, case, data={"retail": {**fields, "goods_received_on": "2026-03-06"}}
    )
    assert timer(edited.json, "refund")["due_at"] == "2026-03-09T23:59:59+08:00"
    # An edit of something else leaves the timer alone; a corrected date restarts it.
    patch(client, shop, case, title="退货：商品已寄回")
    fields = edited.json["data"]["retail"]
    assert len(events(client, shop, case, "retail.goods_received")) == 1
    corrected = patch(
        client, shop, case, data={"retail": {**fields, "goods_received_on": "2026-03-07"}}
    )
    refund = timer(corrected.json, "refund")
    assert (refund["due_at"], refund["state"]) == ("2026-03-10T23:59:59+08:00", "running")
    assert len(events(client, shop, case, "retail.goods_received")) == 2


# --- a tenant without the plugin ------------------------------------------------------------------


@pytest.fixture
def spy(monkeypatch) -> list[int]:
    """The tenant ids the retail plugin's code read its settings or case fields for."""
    seen: list[int] = []
    settings_of, fields_of = retail_hooks.settings_of, retail_hooks.fields_of

    def spied_settings(tenant):
        seen.append(tenant.id)
        return settings_of(tenant)

    def spied_fields(case):
        seen.append(case.tenant_id)
        return fields_of(case)

    monkeypatch.setattr(retail_hooks, "settings_of", spied_settings)
    monkeypatch.setattr(retail_hooks, "fields_of", spied_fields)
    return seen


def test_a_tenant_without_the_plugin_is_untouched(client, make_tenant, make_case, act, spy):
    shop, plain = make_tenant("shop", **SHOP), make_tenant("plain", departments=["质检部"])
    body = return_body("2025-11-20T10:00:00+08:00", goods_received_on="2025-11-20", amount=9999.0)
    refused = client.post("/api/v1/cases", json=body, headers=shop.auth("agent"))
    assert codes(refused) == ["retail.no_reason_window_closed"]
    assert shop.id in spy

    spy.clear()
    without = {k: v for k, v in body.items() if k != "data"}
    cases = [make_case(plain, **without) for _ in range(5)]
    last = cases[-1]
    assert last["violations"] == [] and last["flags"] == []
    assert [t["name"] for t in last["timers"]] == ["first_reply"]
    foreign = client.post("/api/v1/cases", json=body, headers=plain.auth("agent"))
    assert foreign.status_code == 422
    assert [(v["code"], v["field"]) for v in foreign.json["violations"]] == [
        ("core.plugin_not_enabled", "data.retail")
    ]
    appraisal = act(plain, last, "request_appraisal")
    assert appraisal.status_code == 422 and "action" in appraisal.json["errors"]
    to_resolving(plain, last, act)
    assert act(plain, last, "resolve", resolution="已退款").status_code == 200
    assert spy == []


def test_another_tenants_ids_are_404(client, make_tenant, act):
    shop, other = make_tenant("shop", **SHOP), make_tenant("other", plugins={"retail": {}})
    case = client.post(
        "/api/v1/cases", json=return_body("2025-11-03T10:00:00+08:00"), headers=shop.auth("agent")
    ).json
    url = f"/api/v1/cases/{case['id']}"
    assert client.get(url, headers=other.auth()).status_code == 404
    assert client.get(f"{url}/events", headers=other.auth()).status_code == 404
    assert (
        client.patch(url, json={"version": 1, "title": "x"}, headers=other.auth()).status_code
        == 404
    )
    moved = client.post(
        f"{url}/actions", json={"action": "acknowledge", "version": 1}, headers=other.auth()
    )
    assert moved.status_code == 404
    assert act(shop, case, "acknowledge").status_code == 200
