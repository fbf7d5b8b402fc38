"""The core procedure through the API (DOMAIN.md section 1, API.md)."""

from __future__ import annotations

import threading

import pytest


def events_of(client, tenant, case, role="admin"):
    return client.get(
        f"/api/v1/cases/{case['id']}/events?limit=200", headers=tenant.auth(role)
    ).json


# --- intake --------------------------------------------------------------------------------


def test_open_case_answers_201_with_location_and_body(client, make_tenant):
    acme = make_tenant("acme")
    body = {
        "kind": "complaint",
        "title": "冰箱不制冷",
        "channel": "phone",
        "customer": {"name": "张三", "phone": "138-0000 0000", "email": "Zhang@Example.com"},
        "remedy_sought": "退款",
        "received_at": "2026-09-30T10:00:00+08:00",
    }
    response = client.post("/api/v1/cases", json=body, headers=acme.auth("intake"))
    assert response.status_code == 201
    case = response.json
    assert response.headers["Location"].endswith(f"/api/v1/cases/{case['id']}")
    assert case["number"].startswith("2026-")
    assert case["state"] == "received"
    assert case["title"] == "冰箱不制冷"  # Chinese round-trips unchanged
    assert case["customer"] == {
        "name": "张三",
        "phone": "13800000000",
        "email": "zhang@example.com",
    }
    assert case["severity"] == "normal" and case["description"] == ""
    assert case["received_at"] == "2026-09-30T10:00:00+08:00"  # the tenant's offset
    assert case["version"] == 1 and case["flags"] == [] and case["links"] == []
    assert case["timers"] == [] or isinstance(case["timers"], list)
    assert case["allowed_actions"] == []  # an intake token takes no actions
    as_agent = client.get(response.headers["Location"], headers=acme.auth("agent")).json
    assert "acknowledge" in as_agent["allowed_actions"]
    assert "charset" not in response.mimetype and "冰箱" in response.get_data(as_text=True)


def test_case_numbers_are_unique_per_tenant(make_tenant, make_case):
    acme, other = make_tenant("acme"), make_tenant("other")
    numbers = [make_case(acme)["number"] for _ in range(3)]
    assert len(set(numbers)) == 3
    assert make_case(other)["number"] == numbers[0]  # each tenant counts on its own


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "channel": "phone", "customer": {"name": "a"}}, "kind"),
        ({"kind": "complaint", "channel": "phone", "customer": {"name": "a"}}, "title"),
        ({"kind": "complaint", "title": "x", "customer": {"name": "a"}}, "channel"),
        ({"kind": "complaint", "title": "x", "channel": "phone", "customer": {}}, "customer.name"),
        ({"kind": "nonsense", "title": "x", "channel": "phone", "customer": {"name": "a"}}, "kind"),
        (
            {"kind": "complaint", "title": "x", "channel": "fax", "customer": {"name": "a"}},
            "channel",
        ),
        (
            {
                "kind": "complaint",
                "title": "x",
                "channel": "phone",
                "customer": {"name": "a"},
                "severity": "apocalyptic",
            },
            "severity",
        ),
        (
            {
                "kind": "complaint",
                "title": "x",
                "channel": "phone",
                "customer": {"name": "a"},
                "received_at": "2026-09-30T10:00:00",
            },
            "received_at",
        ),
        (
            {
                "kind": "complaint",
                "title": "x",
                "channel": "phone",
                "customer": {"name": "a"},
                "surprise": 1,
            },
            "surprise",
        ),
        (
            {
                "kind": "complaint",
                "title": "x",
                "channel": "phone",
                "customer": {"name": "a", "email": "not-an-email"},
            },
            "customer.email",
        ),
    ],
)
def test_bad_intake_is_422_naming_the_field(client, make_tenant, body, field):
    acme = make_tenant("acme")
    response = client.post("/api/v1/cases", json=body, headers=acme.auth("agent"))
    assert response.status_code == 422
    assert response.mimetype == "application/problem+json"
    assert field in response.json["errors"], response.json
    assert client.get("/api/v1/cases", headers=acme.auth()).json["items"] == []


def test_data_for_a_plugin_not_enabled_is_refused(client, make_tenant):
    acme = make_tenant("acme")
    body = {
        "kind": "return",
        "title": "x",
        "channel": "web",
        "customer": {"name": "a"},
        "data": {"retail": {"sku": "A1"}},
    }
    response = client.post("/api/v1/cases", json=body, headers=acme.auth("agent"))
    assert response.status_code == 422
    assert response.json["violations"] == [
        {
            "code": "core.plugin_not_enabled",
            "field": "data.retail",
            "message": "Plugin 'retail' is not enabled for this tenant.",
        }
    ]


def test_plugin_fields_are_validated_by_the_plugin_schema(client, make_tenant):
    shop = make_tenant("shop", plugins={"retail": {}})
    body = {
        "kind": "return",
        "title": "x",
        "channel": "web",
        "customer": {"name": "a"},
        "data": {"retail": {"sku": "A1", "colour": "red", "quantity": -1}},
    }
    response = client.post("/api/v1/cases", json=body, headers=shop.auth("agent"))
    assert response.status_code == 422
    assert {"data.retail.colour", "data.retail.quantity"} <= set(response.json["errors"])


def test_tenant_categories_and_sites_are_enforced(client, make_tenant, make_case):
    acme = make_tenant("acme", categories=[{"name": "质量", "group": "quality"}], sites=["一店"])
    body = {"kind": "complaint", "title": "x", "channel": "phone", "customer": {"name": "a"}}
    bad = client.post(
        "/api/v1/cases",
        json={**body, "category": "其他", "site": "二店"},
        headers=acme.auth("agent"),
    )
    assert bad.status_code == 422 and {"category", "site"} <= set(bad.json["errors"])
    assert make_case(acme, category="质量", site="一店")["category"] == "质量"


# --- the procedure -------------------------------------------------------------------------


def test_full_procedure_from_intake_to_close(client, make_tenant, make_case, act):
    acme = make_tenant("acme", departments=["质检部"])
    case = make_case(acme)
    steps = [
        ("acknowledge", {}, "acknowledged"),
        ("investigate", {}, "investigating"),
        ("assign_department", {"department": "质检部"}, "in_department"),
        ("propose", {"proposal": "更换新机"}, "awaiting_customer"),
        ("decline", {}, "in_department"),
        ("propose", {"proposal": "退款"}, "awaiting_customer"),
        ("accept", {}, "resolving"),
        ("resolve", {"resolution": "已退款"}, "resolved"),
        ("follow_up", {}, "follow_up"),
        ("contact", {"note": "电话回访"}, "follow_up"),
        ("close", {}, "closed"),
    ]
    for action, params, state in steps:
        response = act(acme, case, action, **params)
        assert response.status_code == 200, (action, response.json)
        assert response.json["state"] == state
    final = response.json
    assert final["department"] == "质检部" and final["proposal"] == "退款"
    assert final["resolution"] == "已退款" and final["closed_at"] is not None
    assert final["version"] == 1 + len(steps)
    types = [e["type"] for e in events_of(client, acme, case)["items"]]
    assert types == ["opened", *(s[0] for s in steps)]


def test_reject_needs_findings_and_resolves(make_tenant, make_case, act):
    acme = make_tenant("acme")
    case = make_case(acme)
    act(acme, case, "acknowledge")
    act(acme, case, "investigate")
    missing = act(acme, case, "reject")
    assert missing.status_code == 422 and "findings" in missing.json["errors"]
    done = act(acme, case, "reject", findings="顾客使用不当")
    assert done.status_code == 200 and done.json["state"] == "resolved"
    assert done.json["resolution"] == "顾客使用不当"


def test_action_not_allowed_from_state_is_409(make_tenant, make_case, act):
    acme = make_tenant("acme")
    case = make_case(acme)
    response = act(acme, case, "close")
    assert response.status_code == 409
    assert response.json["violations"][0]["code"] == "core.action_not_allowed"


def test_unknown_action_and_stray_fields_are_422(make_tenant, make_case, act):
    acme = make_tenant("acme")
    case = make_case(acme)
    assert act(acme, case, "teleport").status_code == 422
    stray = act(acme, case, "acknowledge", proposal="x")
    assert stray.status_code == 422 and "proposal" in stray.json["errors"]


def test_stale_version_is_409_and_nothing_changes(client, make_tenant, make_case):
    acme = make_tenant("acme")
    case = make_case(acme)
    url = f"/api/v1/cases/{case['id']}"
    first = client.post(
        f"{url}/actions", json={"action": "acknowledge", "version": 1}, headers=acme.auth("agent")
    )
    assert first.status_code == 200
    stale = client.patch(url, json={"version": 1, "title": "改过了"}, headers=acme.auth("agent"))
    assert stale.status_code == 409
    assert stale.json["violations"][0]["code"] == "core.stale_version"
    assert client.get(url, headers=acme.auth()).json["title"] == "冰箱不制冷"


def test_two_actions_at_once_one_wins_one_gets_409(app, backend, make_tenant, make_case):
    """Two clients act on the same version at the same moment: no lost update."""
    acme = make_tenant("acme")
    case = make_case(acme)
    results: list[int] = []
    barrier = threading.Barrier(2)

    def go(action: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/cases/{case['id']}/actions",
            json={"action": action, "version": 1},
            headers=acme.auth("agent"),
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=go, args=(a,)) for a in ("acknowledge", "withdraw")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [200, 409]
    final = app.test_client().get(f"/api/v1/cases/{case['id']}", headers=acme.auth()).json
    assert final["version"] == 2


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_surveys_at_once_are_both_recorded(app, backend, make_tenant, make_case, act):
    """A survey carries no version: two at once take turns; neither is lost as stale."""
    acme = make_tenant("acme")
    case = make_case(acme)
    for action, params in [("acknowledge", {}), ("investigate", {}), ("reject", {"findings": "x"})]:
        assert act(acme, case, action, **params).status_code == 200
    results: list[int] = []
    barrier = threading.Barrier(2)

    def survey(score: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(
            f"/api/v1/cases/{case['id']}/surveys", json={"score": score}, headers=acme.auth()
        )
        results.append(response.status_code)

    threads = [threading.Thread(target=survey, args=(score,)) for score in (5, 4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [201, 201]
    client = app.test_client()
    log = client.get(f"/api/v1/cases/{case['id']}/events", headers=acme.auth()).json["items"]
    assert sorted(e["data"]["score"] for e in log if e["type"] == "survey") == [4, 5]


def test_edit_changes_fields_logs_and_bumps_version(client, make_tenant, make_case):
    acme = make_tenant("acme")
    case = make_case(acme)
    url = f"/api/v1/cases/{case['id']}"
    response = client.patch(
        url,
        json={"version": 1, "title": "冰箱完全不制冷", "customer": {"phone": "139 0000 0000"}},
        headers=acme.auth("agent"),
    )
    assert response.status_code == 200
    assert response.json["title"] == "冰箱完全不制冷"
    assert response.json["customer"]["phone"] == "13900000000"
    assert response.json["version"] == 2
    edited = events_of(client, acme, case)["items"][-1]
    assert edited["type"] == "edited"
    assert edited["data"]["fields"] == ["customer.phone", "title"]
    assert client.patch(url, json={"version": 2}, headers=acme.auth()).status_code == 422


# --- owners, recusal, approval -------------------------------------------------------------


def test_first_responder_owns_the_case_and_a_manager_can_reassign(
    named_token, make_tenant, make_case, act
):
    acme = make_tenant("acme")
    case = make_case(acme, role="intake")
    assert case["owner"] is None  # intake is not a response
    wang = named_token(acme, "wang@acme.example", "agent")
    assert act(acme, case, "acknowledge", headers=wang).json["owner"] == "wang@acme.example"
    assert act(acme, case, "investigate", role="agent").json["owner"] == "wang@acme.example"
    assert act(acme, case, "assign", role="agent", owner="li@acme.example").status_code == 403
    moved = act(acme, case, "assign", role="manager", owner="li@acme.example")
    assert moved.status_code == 200 and moved.json["owner"] == "li@acme.example"


def test_recused_staff_cannot_read_act_or_own(client, named_token, make_tenant, make_case, act):
    acme = make_tenant("acme")
    case = make_case(acme, subject_staff=["Wang@Acme.example"])
    wang = named_token(acme, "wang@acme.example", "manager")
    url = f"/api/v1/cases/{case['id']}"
    assert client.get(url, headers=wang).status_code == 404
    assert client.get(f"{url}/events", headers=wang).status_code == 404
    assert act(acme, case, "acknowledge", headers=wang).status_code == 404
    assert client.get("/api/v1/cases", headers=wang).json["items"] == []
    refused = act(acme, case, "assign", role="manager", owner="wang@acme.example")
    assert refused.status_code == 422
    assert refused.json["violations"][0]["code"] == "core.recused"


def _to_resolving(tenant, case, act):
    for action, params in [
        ("acknowledge", {}),
        ("investigate", {}),
        ("assign_department", {"department": "售后"}),
        ("propose", {"proposal": "换货"}),
        ("accept", {}),
    ]:
        assert act(tenant, case, action, **params).status_code == 200


def test_major_case_needs_approval_to_resolve_and_reopen_clears_it(make_tenant, make_case, act):
    acme = make_tenant("acme")
    case = make_case(acme, severity="major")
    _to_resolving(acme, case, act)
    refused = act(acme, case, "resolve", resolution="换了")
    assert refused.status_code == 422
    assert [v["code"] for v in refused.json["violations"]] == ["core.approval_required"]
    assert act(acme, case, "approve", role="agent").status_code == 403
    approved = act(acme, case, "approve", role="manager")
    assert approved.json["approved_by"] == "manager-bot"
    assert act(acme, case, "resolve", resolution="换了").status_code == 200
    reopened = act(acme, case, "reopen")
    assert reopened.json["state"] == "investigating" and reopened.json["approved_at"] is None


def test_all_refusing_rules_are_reported_at_once(client, make_tenant, make_case, act):
    acme = make_tenant("acme", categories=[{"name": "质量", "group": "quality"}])
    case = make_case(acme, category="质量")
    _to_resolving(acme, case, act)
    act(acme, case, "resolve", resolution="ok")
    follow = act(acme, case, "follow_up").json
    raised = client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"version": follow["version"], "severity": "critical"},
        headers=acme.auth("manager"),
    )
    assert raised.status_code == 200
    refused = act(acme, case, "close")
    assert refused.status_code == 422
    assert {v["code"] for v in refused.json["violations"]} == {
        "core.approval_required",
        "core.revisits_required",
    }


# --- revisits and surveys ------------------------------------------------------------------


@pytest.mark.parametrize(("group", "needed"), [("quality", 2), ("service", 1), ("other", 0)])
def test_revisits_required_before_close(make_tenant, make_case, act, group, needed):
    acme = make_tenant("acme", categories=[{"name": "c", "group": group}])
    case = make_case(acme, category="c")
    _to_resolving(acme, case, act)
    act(acme, case, "resolve", resolution="ok")
    act(acme, case, "follow_up")
    for done in range(needed):
        refused = act(acme, case, "close")
        assert refused.status_code == 422
        assert refused.json["violations"][0]["code"] == "core.revisits_required"
        assert f"{done} recorded" in refused.json["violations"][0]["message"]
        act(acme, case, "contact")
    assert act(acme, case, "close").status_code == 200


def test_surveys_count_as_revisits_and_low_scores_reopen(client, make_tenant, make_case, act):
    acme = make_tenant("acme", categories=[{"name": "c", "group": "quality"}])
    case = make_case(acme, category="c")
    url = f"/api/v1/cases/{case['id']}/surveys"
    assert client.post(url, json={"score": 5}, headers=acme.auth("agent")).status_code == 409
    _to_resolving(acme, case, act)
    act(acme, case, "resolve", resolution="ok")
    assert client.post(url, json={"score": 6}, headers=acme.auth("agent")).status_code == 422
    three = client.post(url, json={"score": 3}, headers=acme.auth("intake"))
    assert three.status_code == 201 and three.json["state"] == "resolved"
    act(acme, case, "follow_up")
    client.post(url, json={"score": 5, "comment": "满意"}, headers=acme.auth("agent"))
    assert act(acme, case, "close").status_code == 200  # two surveys: two revisits
    low = client.post(url, json={"score": 2, "comment": "还是坏"}, headers=acme.auth("agent"))
    assert low.status_code == 201 and low.json["state"] == "investigating"
    reopen = events_of(client, acme, case)["items"][-1]
    assert reopen["type"] == "reopen" and reopen["data"]["by"] == "survey"


def test_withdraw_and_merge_close_open_cases(client, make_tenant, make_case, act):
    acme = make_tenant("acme")
    first, dup, other = make_case(acme), make_case(acme), make_case(acme)
    assert act(acme, dup, "merge", into=dup["id"]).status_code == 422
    assert act(acme, dup, "merge", into="nope").status_code == 422
    merged = act(acme, dup, "merge", into=first["id"])
    assert merged.json["state"] == "closed"
    assert merged.json["links"] == [{"case": first["id"], "relation": "merged_into"}]
    target = client.get(f"/api/v1/cases/{first['id']}", headers=acme.auth()).json
    assert target["links"] == [{"case": dup["id"], "relation": "merged_from"}]
    assert act(acme, other, "withdraw", note="顾客撤诉").json["state"] == "closed"


# --- repeats -------------------------------------------------------------------------------


def test_repeat_complaint_is_flagged_and_linked(make_tenant, make_case):
    acme = make_tenant(
        "acme", categories=[{"name": "质量", "group": "quality"}], sites=["一店", "二店"]
    )
    first = make_case(acme, category="质量", site="一店", received_at="2026-06-01T10:00:00+08:00")
    again = make_case(
        acme,
        category="质量",
        site="一店",
        customer={"name": "张三", "phone": "13800000000"},
        received_at="2026-08-29T10:00:00+08:00",
    )  # day 89
    assert again["flags"] == ["repeat"]
    assert again["links"] == [{"case": first["id"], "relation": "repeat_of"}]
    other_site = make_case(
        acme, category="质量", site="二店", received_at="2026-06-02T10:00:00+08:00"
    )
    assert other_site["flags"] == []
    no_category = make_case(acme, received_at="2026-06-03T10:00:00+08:00")
    assert no_category["flags"] == []
    late = make_case(acme, category="质量", received_at="2026-12-30T10:00:00+08:00")
    assert late["flags"] == []  # outside 90 days of the latest earlier case


# --- comments, events, attachments ---------------------------------------------------------


def test_comments_and_events_are_paginated_oldest_first(client, make_tenant, make_case):
    acme = make_tenant("acme")
    case = make_case(acme)
    url = f"/api/v1/cases/{case['id']}"
    for i in range(4):
        response = client.post(
            f"{url}/comments",
            json={"body": f"第{i}条", "internal": i == 0},
            headers=acme.auth("agent"),
        )
        assert response.status_code == 201 and response.headers["Location"]
    page1 = client.get(f"{url}/events?limit=2", headers=acme.auth()).json
    assert [e["type"] for e in page1["items"]] == ["opened", "comment"]
    page2 = client.get(
        f"{url}/events?limit=2&cursor={page1['next_cursor']}", headers=acme.auth()
    ).json
    page3 = client.get(
        f"{url}/events?limit=2&cursor={page2['next_cursor']}", headers=acme.auth()
    ).json
    assert [e["data"]["body"] for e in page2["items"] + page3["items"]] == [
        "第1条",
        "第2条",
        "第3条",
    ]
    assert page3["next_cursor"] is None
    assert client.get(f"{url}/events?limit=0", headers=acme.auth()).status_code == 422
    assert client.get(f"{url}/events?limit=201", headers=acme.auth()).status_code == 422
    assert client.get(f"{url}/events?cursor=%%%", headers=acme.auth()).status_code == 422


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_attachments_are_type_checked_and_served_to_the_tenant_only(client, make_tenant, make_case):
    import io

    acme, other = make_tenant("acme"), make_tenant("other")
    case = make_case(acme)
    url = f"/api/v1/cases/{case['id']}/attachments"
    ok = client.post(
        url,
        data={"file": (io.BytesIO(PNG), "小票.png")},
        headers=acme.auth("intake"),
        content_type="multipart/form-data",
    )
    assert ok.status_code == 201, ok.json
    assert ok.json["filename"] == "小票.png" and ok.json["size"] == len(PNG)
    download = client.get(ok.headers["Location"], headers=acme.auth("agent"))
    assert download.status_code == 200 and download.data == PNG
    assert download.mimetype == "image/png"
    assert client.get(ok.headers["Location"], headers=other.auth()).status_code == 404
    fake = client.post(
        url,
        data={"file": (io.BytesIO(b"MZ not a png"), "x.png")},
        headers=acme.auth(),
        content_type="multipart/form-data",
    )
    assert fake.status_code == 422 and "file" in fake.json["errors"]
    exe = client.post(
        url,
        data={"file": (io.BytesIO(b"MZ"), "x.exe")},
        headers=acme.auth(),
        content_type="multipart/form-data",
    )
    assert exe.status_code == 422
    assert client.post(url, headers=acme.auth()).status_code == 422


# --- lists, filters, search ----------------------------------------------------------------


def test_list_filters_and_chinese_text_search(client, make_tenant, make_case, act):
    acme = make_tenant("acme")
    fridge = make_case(acme, title="冰箱不制冷", kind="complaint", description="")
    make_case(
        acme,
        title="洗衣机漏水",
        kind="return",
        description="",
        customer={"name": "李四", "email": "li@example.com"},
    )
    make_case(acme, title="Refund for iPhone15", kind="feedback", description="")
    act(acme, fridge, "acknowledge", role="agent")

    def ids(query: str) -> list[str]:
        response = client.get(f"/api/v1/cases?{query}", headers=acme.auth("agent"))
        assert response.status_code == 200, response.json
        return [c["title"] for c in response.json["items"]]

    assert ids("q=制冷") == ["冰箱不制冷"]
    assert ids("q=冰") == ["冰箱不制冷"]
    assert ids("q=漏水 洗衣") == ["洗衣机漏水"]
    assert ids("q=iphone15") == ["Refund for iPhone15"]
    assert ids("q=冷冰") == []
    assert ids("q=!!!") == []
    assert ids("state=acknowledged") == ["冰箱不制冷"]
    assert ids("kind=return") == ["洗衣机漏水"]
    assert ids("customer=LI@example.com") == ["洗衣机漏水"]
    assert ids("owner=me") == ["冰箱不制冷"]
    assert ids("breached=false")[-1] == "冰箱不制冷"
    assert client.get("/api/v1/cases?state=bogus", headers=acme.auth()).status_code == 422
    assert client.get("/api/v1/cases", headers=acme.auth("intake")).status_code == 403


def test_list_pages_are_cursor_paginated_newest_first(client, make_tenant, make_case):
    acme = make_tenant("acme")
    made = [make_case(acme, title=f"第{i}件")["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        response = client.get(
            "/api/v1/cases?limit=2" + (f"&cursor={cursor}" if cursor else ""), headers=acme.auth()
        )
        seen += [c["id"] for c in response.json["items"]]
        cursor = response.json["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))


# --- auth ----------------------------------------------------------------------------------


def test_auth_errors(client, make_tenant, platform_token):
    make_tenant("acme")
    assert client.get("/api/v1/cases").status_code == 401
    bad = client.get("/api/v1/cases", headers={"Authorization": "Bearer ct.acme.nope"})
    assert bad.status_code == 401 and bad.mimetype == "application/problem+json"
    platform = {"Authorization": f"Bearer {platform_token}"}
    assert client.get("/api/v1/cases", headers=platform).status_code == 403
    assert client.get("/api/v1/nothing-here", headers=platform).status_code == 404
    assert client.get("/api/v1/cases/", headers=platform).status_code == 404  # no redirects


def test_a_fractional_score_or_version_is_refused_not_cut(client, make_tenant, make_case, act):
    acme = make_tenant("acme")
    case = make_case(acme)
    url = f"/api/v1/cases/{case['id']}"
    for action, params in [("acknowledge", {}), ("investigate", {}), ("reject", {"findings": "x"})]:
        assert act(acme, case, action, **params).status_code == 200
    for score in (4.5, 1.9, "2.5"):
        refused = client.post(f"{url}/surveys", json={"score": score}, headers=acme.auth())
        assert refused.status_code == 422 and "score" in refused.json["errors"], score
    version = client.get(url, headers=acme.auth()).json["version"]
    refused = client.post(
        f"{url}/actions",
        json={"action": "follow_up", "version": version + 0.5},
        headers=acme.auth(),
    )
    assert refused.status_code == 422 and "version" in refused.json["errors"]
    after = client.get(url, headers=acme.auth()).json
    assert (after["state"], after["version"]) == ("resolved", version)  # nothing stored


def test_lowering_a_major_case_is_a_managers_decision(client, make_tenant, make_case):
    """The approval a major or critical case needs is not to be edited away by an agent."""
    acme = make_tenant("acme")
    case = make_case(acme, severity="major")
    url = f"/api/v1/cases/{case['id']}"

    def lower(role: str, severity: str):
        version = client.get(url, headers=acme.auth()).json["version"]
        body = {"version": version, "severity": severity}
        return client.patch(url, json=body, headers=acme.auth(role))

    refused = lower("agent", "normal")
    assert refused.status_code == 422
    assert [(v["code"], v["field"]) for v in refused.json["violations"]] == [
        ("core.approval_required", "severity")
    ]
    assert lower("agent", "critical").status_code == 200  # raising is anyone's
    assert lower("manager", "normal").json["severity"] == "normal"
    assert lower("agent", "low").json["severity"] == "low"  # from normal: no approval at stake


def test_a_plugin_namespace_that_is_no_object_is_reported_under_its_name(client, make_tenant):
    acme = make_tenant("acme")
    body = {
        "kind": "complaint",
        "title": "x",
        "channel": "phone",
        "customer": {"name": "a"},
        "data": {"retail": "x"},
    }
    refused = client.post("/api/v1/cases", json=body, headers=acme.auth("agent"))
    assert refused.status_code == 422
    assert list(refused.json["errors"]) == ["data.retail"]
