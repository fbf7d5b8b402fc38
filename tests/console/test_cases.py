"""The console's case pages: the procedure through its buttons, validation as the API's, a stale
page, the case page's parts, the list and its exports."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest

from tests.console.conftest import csrf_of

_VERSION = re.compile(r'name="version" value="(\d+)"')
_ACTIONS = re.compile(r'data-action="(\w+)"')


@pytest.fixture
def agent(make_tenant, make_user, login):
    """Tenant ``acme`` (with departments and the test panel plugin), an agent signed in."""
    acme = make_tenant(
        "acme",
        locale="en",
        departments=["售后部", "质检部"],
        plugins={"paneltest": {}, "retail": {}},
    )
    make_user(acme, "ann@acme.example", "agent")
    make_user(acme, "max@acme.example", "manager")
    login("acme", "ann@acme.example")
    return acme


def take(client, case_id: str, action: str, **fields: str):
    """Press an action's button on the case page, with the fields it asks for."""
    page = client.get(f"/t/acme/cases/{case_id}")
    text = page.get_data(as_text=True)
    assert action in _ACTIONS.findall(text), (action, _ACTIONS.findall(text))
    data = {
        "csrf_token": csrf_of(page),
        "version": _VERSION.search(text).group(1),
        "action": action,
        **{f"{action}.{k}": v for k, v in fields.items()},
    }
    return client.post(f"/t/acme/cases/{case_id}/actions", data=data)


def state_of(client, case_id: str) -> str:
    text = client.get(f"/t/acme/cases/{case_id}").get_data(as_text=True)
    return re.search(r'id="case-state" data-state="(\w+)"', text).group(1)


def test_an_agent_runs_a_case_from_intake_to_close_with_the_buttons(client, agent, make_case):
    case = make_case(agent)
    steps = [
        ("acknowledge", {}, "acknowledged"),
        ("investigate", {}, "investigating"),
        ("assign_department", {"department": "售后部"}, "in_department"),
        ("propose", {"proposal": "更换新冰箱"}, "awaiting_customer"),
        ("accept", {}, "resolving"),
        ("resolve", {"resolution": "已更换"}, "resolved"),
        ("follow_up", {}, "follow_up"),
        ("contact", {}, "follow_up"),
        ("close", {}, "closed"),
    ]
    for action, fields, state in steps:
        response = take(client, case["id"], action, **fields)
        assert response.status_code == 303, response.get_data(as_text=True)[:2000]
        assert state_of(client, case["id"]) == state
    page = client.get(f"/t/acme/cases/{case['id']}").get_data(as_text=True)
    timeline = re.findall(r'data-event="([\w.]+)"', page)
    assert timeline == ["opened"] + [action for action, _f, _s in steps]
    assert "更换新冰箱" in page and "已更换" in page
    assert "ann@acme.example" in page  # first responder owns it


def test_an_action_that_needs_a_field_asks_for_it_with_the_apis_message(client, agent, make_case):
    case = make_case(agent)
    take(client, case["id"], "acknowledge")
    take(client, case["id"], "investigate")
    response = take(client, case["id"], "assign_department", department="")
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Missing data for required field." in text
    assert 'id="f-assign_department-department"' not in text or "department" in text
    response = take(client, case["id"], "assign_department", department="财务部")
    assert response.status_code == 422
    assert "Must be one of this tenant&#39;s departments: 售后部, 质检部." in response.get_data(
        as_text=True
    )
    assert state_of(client, case["id"]) == "investigating"


def test_a_stale_page_gets_a_clear_message_and_keeps_what_was_typed(client, agent, make_case, act):
    case = make_case(agent)
    for action in ("acknowledge", "investigate"):
        take(client, case["id"], action)
    take(client, case["id"], "assign_department", department="售后部")
    page = client.get(f"/t/acme/cases/{case['id']}")
    stale_version = _VERSION.search(page.get_data(as_text=True)).group(1)
    # Someone else acts meanwhile.
    assert act(agent, case, "assign_department", department="质检部").status_code == 200
    response = client.post(
        f"/t/acme/cases/{case['id']}/actions",
        data={
            "csrf_token": csrf_of(page),
            "version": stale_version,
            "action": "propose",
            "propose.proposal": "退款三百元",
        },
    )
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "This case changed while you had it open" in text
    assert "退款三百元" in text  # the proposal typed is still in its field
    assert "质检部" in text  # and the page shows the case as it is now
    assert state_of(client, case["id"]) == "in_department"


def test_new_case_form_shows_the_same_messages_as_the_api(client, agent):
    body = {
        "kind": "complaint",
        "channel": "phone",
        "customer": {"name": "张三", "email": "not-an-email"},
        "data": {"retail": {"quantity": 0, "return_type": "maybe"}},
    }
    api = client.post("/api/v1/cases", json=body, headers=agent.auth("agent"))
    assert api.status_code == 422
    page = client.get("/t/acme/cases/new?kind=complaint")
    assert 'name="data.retail.quantity"' in page.get_data(as_text=True)
    response = client.post(
        "/t/acme/cases/new",
        data={
            "csrf_token": csrf_of(page),
            "kind": "complaint",
            "channel": "phone",
            "customer.name": "张三",
            "customer.email": "not-an-email",
            "data.retail.quantity": "0",
            "data.retail.return_type": "maybe",
        },
    )
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    for field, messages in api.json["errors"].items():
        for message in messages:
            assert message.replace("'", "&#39;") in text, (field, message)
    assert 'aria-invalid="true"' in text


def test_new_case_form_opens_a_case_with_plugin_fields(client, agent):
    page = client.get("/t/acme/cases/new")
    response = client.post(
        "/t/acme/cases/new",
        data={
            "csrf_token": csrf_of(page),
            "kind": "return",
            "channel": "on_site",
            "title": "鞋子开胶",
            "customer.name": "李四",
            "customer.phone": "139 0000 0001",
            "severity": "normal",
            "received_at": "2026-03-02T10:30",
            "data.retail.quantity": "2",
            "data.retail.receipt_no": "R-1",
            "data.retail.sku": "SHOE-42",
            "data.retail.amount": "299.5",
            "data.retail.purchased_on": "2026-02-27",
            "data.retail.buyer_confirmed_non_returnable": "false",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    case_id = response.location.rsplit("/", 1)[-1]
    api = client.get(f"/api/v1/cases/{case_id}", headers=agent.auth("admin")).json
    assert api["title"] == "鞋子开胶"
    assert api["customer"]["phone"] == "13900000001"
    assert api["received_at"] == "2026-03-02T10:30:00+08:00"  # the tenant's zone
    assert api["data"]["retail"]["quantity"] == 2
    assert api["data"]["retail"]["purchased_on"] == "2026-02-27"
    assert api["data"]["retail"]["buyer_confirmed_non_returnable"] is False
    fields = client.get("/t/acme/cases/new/fields?kind=feedback", headers={"HX-Request": "true"})
    assert 'data-plugin="retail"' in fields.get_data(as_text=True)


def test_case_page_shows_timers_with_their_explanation_panels_documents(client, agent, make_case):
    case = make_case(agent, received_at="2026-09-30T10:00:00+08:00")
    text = client.get(f"/t/acme/cases/{case['id']}").get_data(as_text=True)
    assert 'data-timer="first_reply"' in text
    assert "How this deadline was computed" in text
    assert "National Day" in text or "国庆" in text  # the Golden Week is skipped, with its reason
    assert 'data-panel="checklist"' in text and f"Case {case['number']}" in text
    assert 'data-document="report.html"' in text
    document = client.get(f"/t/acme/cases/{case['id']}/documents/report.html")
    assert document.status_code == 200
    assert document.mimetype == "text/html"
    assert f"Report {case['number']}" in document.get_data(as_text=True)
    assert client.get(f"/t/acme/cases/{case['id']}/documents/nope.pdf").status_code == 404


def test_comments_surveys_and_attachments(client, agent, make_case, act):
    case = make_case(agent)
    page = client.get(f"/t/acme/cases/{case['id']}")
    response = client.post(
        f"/t/acme/cases/{case['id']}/comments",
        data={"csrf_token": csrf_of(page), "comment.body": "客户很着急", "internal": "1"},
    )
    assert response.status_code == 303
    response = client.post(
        f"/t/acme/cases/{case['id']}/comments",
        data={"csrf_token": csrf_of(page), "comment.body": ""},
    )
    assert response.status_code == 422
    assert "Length must be between 1 and 20000." in response.get_data(as_text=True)
    png = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    response = client.post(
        f"/t/acme/cases/{case['id']}/attachments",
        data={"csrf_token": csrf_of(page), "file": (io.BytesIO(png), "照片.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    response = client.post(
        f"/t/acme/cases/{case['id']}/attachments",
        data={"csrf_token": csrf_of(page), "file": (io.BytesIO(b"MZ..."), "virus.exe")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 422
    text = client.get(f"/t/acme/cases/{case['id']}").get_data(as_text=True)
    assert "客户很着急" in text and "Internal" in text
    link = re.search(r'href="(/t/acme/cases/[^"]+/attachments/[^"]+)">照片.png', text).group(1)
    download = client.get(link)
    assert download.status_code == 200 and download.data == png
    # A survey is recorded only where the procedure takes one.
    assert "Record a survey" not in text
    act(agent, case, "withdraw")
    page = client.get(f"/t/acme/cases/{case['id']}")
    response = client.post(
        f"/t/acme/cases/{case['id']}/surveys",
        data={"csrf_token": csrf_of(page), "survey.score": "5", "survey.comment": "满意"},
    )
    assert response.status_code == 303
    assert 'data-event="survey"' in client.get(f"/t/acme/cases/{case['id']}").get_data(as_text=True)


def test_recused_staff_get_404(client, agent, make_case, make_user, login):
    case = make_case(agent, subject_staff=["bob@acme.example"])
    make_user(agent, "bob@acme.example", "agent")
    login("acme", "bob@acme.example")
    assert client.get(f"/t/acme/cases/{case['id']}").status_code == 404
    assert case["number"] not in client.get("/t/acme/cases").get_data(as_text=True)


def test_list_filters_search_and_deadlines(client, agent, make_case, act, clock):
    now = datetime.now(UTC)
    old = make_case(
        agent, title="旧案件 fridge", received_at=(now - timedelta(days=30)).isoformat()
    )
    fresh = make_case(agent, title="新案件 washer", kind="feedback", category="服务")
    take(client, fresh["id"], "acknowledge")  # ann acts first: she owns it

    def numbers(query: str) -> list[str]:
        text = client.get(f"/t/acme/cases{query}").get_data(as_text=True)
        return re.findall(r'data-case="([\d-]+)"', text)

    assert numbers("") == [fresh["number"], old["number"]]
    assert numbers("?sort=oldest") == [old["number"], fresh["number"]]
    assert numbers("?sort=received_asc") == [old["number"], fresh["number"]]
    assert numbers("?state=acknowledged") == [fresh["number"]]
    assert numbers("?kind=feedback") == [fresh["number"]]
    assert numbers("?category=服务") == [fresh["number"]]
    assert numbers("?q=旧案") == [old["number"]]
    assert numbers("?q=washer") == [fresh["number"]]
    assert numbers("?breached=1") == [old["number"]]  # its first reply is long overdue
    assert numbers("?owner=me") == [fresh["number"]]
    partial = client.get(
        "/t/acme/cases?kind=feedback", headers={"HX-Request": "true", "HX-Target": "case-results"}
    ).get_data(as_text=True)
    assert "<html" not in partial and fresh["number"] in partial
    listing = client.get("/t/acme/cases").get_data(as_text=True)
    assert 'data-due="' in listing and "First reply" in listing


def test_keyset_pagination_walks_every_case_once(client, agent, db):
    from core.cases import CaseService
    from core.models import Tenant
    from core.tenants import context_of
    from core.types import Actor

    app_plugins = client.application.extensions["casecore"].plugins
    with db.unscoped("test: tenant") as session:
        tenant = session.get(Tenant, agent.id)
        ctx = context_of(tenant)
    session = db.session(agent.id)
    svc = CaseService(session, ctx, app_plugins, Actor("seed", "agent"))
    base = datetime(2026, 1, 5, 9, tzinfo=UTC)
    for i in range(57):
        svc.open(
            {
                "kind": "complaint",
                "title": f"case {i}",
                "channel": "phone",
                "customer": {"name": "x"},
                "received_at": base + timedelta(hours=i % 5),  # ties in received_at
            }
        )
    session.commit()
    session.close()
    for sort in ("newest", "received_desc", "received_asc"):
        seen: list[str] = []
        url = f"/t/acme/cases?sort={sort}"
        pages = 0
        while url:
            text = client.get(url).get_data(as_text=True)
            seen += re.findall(r'data-case="([\d-]+)"', text)
            found = re.search(r'id="next-page" href="([^"]+)"', text)
            url = found.group(1).replace("&amp;", "&") if found else None
            pages += 1
        assert pages == 2
        assert len(seen) == len(set(seen)) == 57, sort
    assert client.get("/t/acme/cases?cursor=garbage").status_code == 200


def test_exports_keep_chinese_and_the_filters(client, agent, make_case):
    make_case(agent, title="冰箱不制冷", kind="complaint")
    make_case(agent, title='=HYPERLINK("x")', kind="feedback")
    response = client.get("/t/acme/cases/export.csv?kind=complaint")
    assert response.status_code == 200
    assert response.data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "Number"
    assert len(rows) == 2 and rows[1][3] == "冰箱不制冷"
    rows = list(
        csv.reader(io.StringIO(client.get("/t/acme/cases/export.csv").data.decode("utf-8-sig")))
    )
    assert any(r[3].startswith("'=HYPERLINK") for r in rows[1:])  # no formula injection
    from openpyxl import load_workbook

    response = client.get("/t/acme/cases/export.xlsx?kind=complaint")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert len(values) == 2 and values[1][3] == "冰箱不制冷"


def test_the_csv_export_is_streamed_in_chunks_with_every_row(
    client, agent, make_case, monkeypatch, db
):
    from core.console import cases as console_cases

    monkeypatch.setattr(console_cases, "CSV_CHUNK_ROWS", 2)
    titles = [f"第{i}件投诉" for i in range(5)]
    for i, title in enumerate(titles):
        make_case(agent, title=title, customer={"name": "顾客", "phone": f"1390000000{i}"})
    response = client.get("/t/acme/cases/export.csv", buffered=False)
    assert response.status_code == 200 and response.is_streamed
    chunks = list(response.response)
    assert len(chunks) == 3  # the header and two rows, two rows, the last row
    rows = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"))))
    assert sorted(row[3] for row in rows[1:]) == sorted(titles)
    response.close()
    assert db.engine.pool.checkedout() == 0  # the stream gave its connection back


def test_list_pages_use_keyset_queries_without_offset_or_count(client, agent, make_case, db):
    """What keeps the list fast with 100,000 cases: no OFFSET, no COUNT over the tenant."""
    from sqlalchemy import event

    for title in ("一", "二", "三"):
        make_case(agent, title=title)
    statements: list[str] = []
    offsets: list = []

    def record(_conn, _cursor, statement, parameters, *_args):
        statements.append(statement.upper())
        if statement.rstrip().upper().endswith("OFFSET ?"):
            offsets.append(parameters[-1])  # SQLite's dialect writes LIMIT ? OFFSET 0

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        first = client.get("/t/acme/cases?sort=received_desc&state=received")
        client.get("/t/acme/cases?sort=received_desc&cursor=" + "x" * 10)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert first.status_code == 200
    case_queries = [s for s in statements if "FROM CASES" in s]
    assert case_queries
    assert not any(" OFFSET " in s for s in statements if not s.rstrip().endswith("OFFSET ?"))
    assert set(offsets) <= {0}
    assert not any("COUNT(" in s for s in case_queries)
    assert all(" LIMIT " in s for s in case_queries if "ORDER BY" in s)


def test_plugin_fields_are_edited_on_the_case_page(client, agent):
    """An 8D, the day returned goods came back: plugin fields are edited where the case is."""
    body = {
        "kind": "return",
        "title": "榨汁机退货",
        "channel": "on_site",
        "customer": {"name": "孙先生", "phone": "13800005555"},
        "received_at": "2026-11-20T10:00:00+08:00",
        "data": {
            "retail": {
                "return_type": "quality",
                "sale_channel": "store",
                "receipt_no": "R-1",
                "sku": "JZ-200",
                "quantity": 1,
                "store": "徐汇店",
                "purchased_on": "2026-11-10",
                "remedy": "repair",
                "amount": 399.0,
            }
        },
    }
    response = client.post("/api/v1/cases", json=body, headers=agent.auth("agent"))
    assert response.status_code == 201, response.json
    case = response.json
    assert not any(t["name"] == "refund" for t in case["timers"])
    page = client.get(f"/t/acme/cases/{case['id']}")
    text = page.get_data(as_text=True)
    assert 'name="data.retail.goods_received_on"' in text
    assert 'name="data.retail.store" ' in text and 'value="徐汇店"' in text  # what is stored
    form = {
        "csrf_token": csrf_of(page),
        "version": _VERSION.search(text).group(1),
        "data.retail.store": "徐汇店",  # unchanged, as the browser sends it back
        "data.retail.goods_received_on": "2026-11-21",
    }
    assert client.post(f"/t/acme/cases/{case['id']}/edit", data=form).status_code == 303
    api = client.get(f"/api/v1/cases/{case['id']}", headers=agent.auth("admin")).json
    assert api["data"]["retail"]["goods_received_on"] == "2026-11-21"
    assert api["data"]["retail"]["receipt_no"] == "R-1"  # the rest of the namespace stays
    assert any(t["name"] == "refund" for t in api["timers"])
    # A value the field cannot take is reported under it, nothing stored.
    page = client.get(f"/t/acme/cases/{case['id']}")
    form = {**form, "csrf_token": csrf_of(page), "version": str(api["version"])}
    refused = client.post(
        f"/t/acme/cases/{case['id']}/edit", data={**form, "data.retail.amount": "很多"}
    )
    assert refused.status_code == 422
    assert (
        client.get(f"/api/v1/cases/{case['id']}", headers=agent.auth()).json["version"]
        == (api["version"])
    )


def test_fields_are_edited_with_the_version_and_the_dashboard_refreshes(client, agent, make_case):
    case = make_case(agent)
    page = client.get(f"/t/acme/cases/{case['id']}")
    version = _VERSION.search(page.get_data(as_text=True)).group(1)
    data = {
        "csrf_token": csrf_of(page),
        "version": version,
        "title": "冰箱不制冷（已换货）",
        "severity": "major",
        "customer.email": "Zhang@Example.com",
    }
    response = client.post(f"/t/acme/cases/{case['id']}/edit", data=data)
    assert response.status_code == 303
    api = client.get(f"/api/v1/cases/{case['id']}", headers=agent.auth("admin")).json
    assert (api["title"], api["severity"]) == ("冰箱不制冷（已换货）", "major")
    assert api["customer"]["email"] == "zhang@example.com"
    response = client.post(f"/t/acme/cases/{case['id']}/edit", data={**data, "title": "再改"})
    assert response.status_code == 409  # the same, now stale, version
    assert "This case changed while you had it open" in response.get_data(as_text=True)
    partial = client.get("/t/acme/", headers={"HX-Request": "true", "HX-Target": "deadlines"})
    assert partial.status_code == 200 and "<html" not in partial.get_data(as_text=True)


def test_the_dashboard_shows_the_plugins_report_sections(client, make_tenant, make_user, login):
    xiangwei = make_tenant("xiangwei", locale="en", plugins={"food_service": {}})
    make_user(xiangwei, "ann@xiangwei.example", "agent")
    login("xiangwei", "ann@xiangwei.example")
    feedback = {
        "kind": "feedback",
        "title": "新菜很好吃",
        "channel": "on_site",
        "customer": {"name": "食客"},
        "data": {"food_service": {"meal": "lunch", "tables_served": 40, "new_dish": True}},
    }
    response = client.post("/api/v1/cases", json=feedback, headers=xiangwei.auth("agent"))
    assert response.status_code == 201, response.json
    text = client.get("/t/xiangwei/").get_data(as_text=True)
    section = text.split('data-plugin="food_service"')[1].split("</section>")[0]
    assert "Feedback collection per meal service" in section
    assert "tables with feedback" in section and "2.5" in section  # 1 of 40 tables
    assert "✗" in section  # below the 20 % target


def test_the_case_page_explains_a_pause_of_a_working_days_timer(
    client, make_tenant, make_user, login, make_case, act
):
    shop = make_tenant(
        "shop",
        locale="en",
        departments=["售后部"],
        timers={"resolution": {"amount": 5, "unit": "working_days"}},
    )
    make_user(shop, "ann@shop.example", "agent")
    login("shop", "ann@shop.example")
    case = make_case(shop)
    for action, params in [
        ("acknowledge", {}),
        ("investigate", {}),
        ("assign_department", {"department": "售后部"}),
        ("propose", {"proposal": "换新"}),
        ("accept", {}),
    ]:
        assert act(shop, case, action, **params).status_code == 200, action
    page = client.get(f"/t/shop/cases/{case['id']}")
    assert page.status_code == 200
    assert "+0 working days" in page.get_data(as_text=True)  # paused and resumed the same day


def test_an_upload_too_large_to_read_returns_to_the_case_with_a_message(client, agent, make_case):
    case = make_case(agent)
    page = client.get(f"/t/acme/cases/{case['id']}")
    big = b"\x89PNG\r\n\x1a\n" + b"0" * (21 * 1024 * 1024)
    response = client.post(
        f"/t/acme/cases/{case['id']}/attachments",
        data={"csrf_token": csrf_of(page), "file": (io.BytesIO(big), "big.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 303
    assert response.location.endswith(f"/t/acme/cases/{case['id']}")
    text = client.get(response.location).get_data(as_text=True)
    assert "larger than 20 MB: nothing was attached" in text
