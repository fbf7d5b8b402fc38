"""The customer pages: intake with a photo, tracking by number and contact (rate-limited),
accepting or declining a proposal, the survey, and nothing internal ever shown."""

from __future__ import annotations

import io
import re

import pytest

from tests.console.conftest import csrf_of

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def shop(make_tenant):
    return make_tenant("shop", locale="en", sites=["南京路店", "淮海路店"])


def file_case(client, slug: str = "shop", **fields):
    page = client.get(f"/p/{slug}/")
    data = {
        "csrf_token": csrf_of(page),
        "kind": "complaint",
        "title": "外卖少了一份菜",
        "description": "订单 123 少了宫保鸡丁",
        "customer.name": "王五",
        "customer.phone": "137-0000-0003",
        **fields,
    }
    return client.post(f"/p/{slug}/", data=data, content_type="multipart/form-data")


def track(client, number: str, contact: str, slug: str = "shop"):
    page = client.get(f"/p/{slug}/track")
    return client.post(
        f"/p/{slug}/track",
        data={"csrf_token": csrf_of(page), "number": number, "contact": contact},
    )


def filed_number(response) -> str:
    return re.search(r'id="filed-number">([\d-]+)<', response.get_data(as_text=True)).group(1)


def test_a_customer_files_a_case_with_a_photo(client, shop):
    response = file_case(client, site="南京路店", file=(io.BytesIO(PNG), "dish.png"))
    assert response.status_code == 303, response.get_data(as_text=True)[:3000]
    number = filed_number(client.get(response.location))
    cases = client.get("/api/v1/cases", headers=shop.auth("admin")).json["items"]
    assert [c["number"] for c in cases] == [number]
    case = cases[0]
    assert case["channel"] == "web" and case["site"] == "南京路店"
    assert case["owner"] is None  # the customer does not become the owner
    events = client.get(f"/api/v1/cases/{case['id']}/events", headers=shop.auth("admin")).json
    assert [e["type"] for e in events["items"]] == ["opened", "attachment"]
    assert events["items"][1]["data"]["filename"] == "dish.png"


def test_reloading_the_confirmation_shows_the_case_again_and_files_nothing(client, shop):
    response = file_case(client)
    assert response.status_code == 303
    assert response.location == "/p/shop/filed"
    first = client.get(response.location)
    assert first.status_code == 200
    number = filed_number(first)
    again = client.get(response.location)  # the customer reloads the page
    assert again.status_code == 200 and filed_number(again) == number
    cases = client.get("/api/v1/cases", headers=shop.auth("admin")).json["items"]
    assert [c["number"] for c in cases] == [number]
    assert cases[0]["flags"] == []
    # Another browser sees no case there: only the one this browser filed is shown.
    other = client.application.test_client()
    assert other.get("/p/shop/filed").status_code == 303
    assert number not in other.get("/p/shop/filed", follow_redirects=True).get_data(as_text=True)


def test_intake_needs_a_contact_and_checks_the_photo(client, shop):
    response = file_case(client, **{"customer.phone": "", "title": ""})
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert "Give a phone number or an email" in text
    assert "Missing data for required field." in text  # the title's, in the same answer
    response = file_case(client, title="", file=(io.BytesIO(b"MZ"), "x.exe"))
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Allowed: " in text
    response = file_case(client, title="")
    assert "Missing data for required field." in response.get_data(as_text=True)
    assert client.get("/api/v1/cases", headers=shop.auth("admin")).json["items"] == []


def test_tracking_needs_the_number_and_the_contact_given(client, shop, make_case):
    case = make_case(shop, customer={"name": "王五", "phone": "13700000003", "email": "w@x.cn"})
    other = client.application.test_client()
    assert other.get(f"/p/shop/cases/{case['number']}").status_code == 303  # not yet shown
    assert track(other, case["number"], "13800000000").status_code == 404
    assert track(other, case["number"], "137 0000 0003").status_code == 303
    assert other.get(f"/p/shop/cases/{case['number']}").status_code == 200
    third = client.application.test_client()
    assert track(third, case["number"], "W@X.cn").status_code == 303


def test_tracking_lookups_are_rate_limited(client, shop, make_case):
    case = make_case(shop)
    for i in range(10):
        assert track(client, case["number"], f"1390000{i:04d}").status_code == 404
    response = track(client, case["number"], "13800000000")  # the right one, too late
    assert response.status_code == 429


def test_the_customer_sees_progress_never_internal_notes(client, shop, make_case, act):
    case = make_case(shop)
    act(shop, case, "acknowledge", note="内部备注：客户难缠")
    for body, internal in (("内部：先别回复", True), ("您好，我们已收到", False)):
        client.post(
            f"/api/v1/cases/{case['id']}/comments",
            json={"body": body, "internal": internal},
            headers=shop.auth("agent"),
        )
    assert track(client, case["number"], "13800000000").status_code == 303
    text = client.get(f"/p/shop/cases/{case['number']}").get_data(as_text=True)
    assert "您好，我们已收到" in text
    assert "内部" not in text and "客户难缠" not in text
    assert "agent-bot" not in text  # no staff names either
    assert 'data-state="acknowledged"' in text
    assert "Our commitments" not in text or "First reply" not in text  # first reply met


def test_the_customer_accepts_or_declines_and_answers_the_survey(client, shop, make_case, act):
    case = make_case(shop)
    for action, params in (
        ("acknowledge", {}),
        ("investigate", {}),
        ("assign_department", {"department": "售后"}),
        ("propose", {"proposal": "退款 30 元"}),
    ):
        assert act(shop, case, action, **params).status_code == 200
    track(client, case["number"], "13800000000")
    page = client.get(f"/p/shop/cases/{case['number']}")
    text = page.get_data(as_text=True)
    assert "退款 30 元" in text
    assert set(re.findall(r'data-action="(\w+)"', text)) == {"accept", "decline"}
    version = re.search(r'name="version" value="(\d+)"', text).group(1)
    # Only accept and decline: any other action is unknown to the customer.
    response = client.post(
        f"/p/shop/cases/{case['number']}/respond",
        data={"csrf_token": csrf_of(page), "version": version, "action": "withdraw"},
    )
    assert response.status_code == 422
    response = client.post(
        f"/p/shop/cases/{case['number']}/respond",
        data={"csrf_token": csrf_of(page), "version": version, "action": "decline"},
    )
    assert response.status_code == 303
    api = client.get(f"/api/v1/cases/{case['id']}", headers=shop.auth("admin")).json
    assert api["state"] == "in_department"
    # Proposed again; the customer accepts from the page (a stale page would be refused).
    act(shop, case, "propose", proposal="退款 50 元")
    response = client.post(
        f"/p/shop/cases/{case['number']}/respond",
        data={"csrf_token": csrf_of(page), "version": version, "action": "accept"},
    )
    assert response.status_code == 409
    assert "Your case changed meanwhile" in response.get_data(as_text=True)
    page = client.get(f"/p/shop/cases/{case['number']}")
    version = re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True)).group(1)
    response = client.post(
        f"/p/shop/cases/{case['number']}/respond",
        data={"csrf_token": csrf_of(page), "version": version, "action": "accept"},
    )
    assert response.status_code == 303
    events = client.get(f"/api/v1/cases/{case['id']}/events", headers=shop.auth("admin")).json
    accepted = [e for e in events["items"] if e["type"] == "accept"]
    assert accepted[0]["actor"] == "张三"  # the customer, by name
    act(shop, case, "resolve", resolution="已退款 50 元")
    page = client.get(f"/p/shop/cases/{case['number']}")
    assert "已退款 50 元" in page.get_data(as_text=True)
    response = client.post(
        f"/p/shop/cases/{case['number']}/survey",
        data={"csrf_token": csrf_of(page), "survey.score": "9"},
    )
    assert response.status_code == 422
    assert "Must be greater than or equal to 1 and less than or equal to 5." in response.get_data(
        as_text=True
    )
    response = client.post(
        f"/p/shop/cases/{case['number']}/survey",
        data={"csrf_token": csrf_of(page), "survey.score": "5", "survey.comment": "很满意"},
    )
    assert response.status_code == 303
    text = client.get(f"/p/shop/cases/{case['number']}").get_data(as_text=True)
    assert 'id="survey"' not in text  # answered once
    events = client.get(f"/api/v1/cases/{case['id']}/events", headers=shop.auth("admin")).json
    assert events["items"][-1]["type"] == "survey"
    assert events["items"][-1]["data"] == {"score": 5, "comment": "很满意"}


def test_a_case_number_of_another_tenant_is_not_found(client, shop, make_tenant, make_case):
    make_tenant("other")
    theirs = make_case(shop)
    assert track(client, theirs["number"], "13800000000", slug="other").status_code == 404
    assert client.get("/p/nobody/").status_code == 404


def test_the_history_starts_when_the_case_was_received(client, shop, make_case):
    case = make_case(shop, received_at="2026-01-05T10:00:00+08:00")
    track(client, case["number"], "13800000000")
    text = client.get(f"/p/shop/cases/{case['number']}").get_data(as_text=True)
    assert "received 2026-01-05 10:00" in text
    opened = re.search(r'<li data-event="opened">.*?</li>', text, re.S).group(0)
    assert "2026-01-05 10:00" in opened


def test_the_agreed_proposal_stays_on_the_customers_page(client, shop, make_case, act):
    case = make_case(shop)
    for action, params in (
        ("acknowledge", {}),
        ("investigate", {}),
        ("assign_department", {"department": "售后"}),
        ("propose", {"proposal": "退款 30 元"}),
    ):
        assert act(shop, case, action, **params).status_code == 200
    track(client, case["number"], "13800000000")

    def respond(action: str) -> None:
        page = client.get(f"/p/shop/cases/{case['number']}")
        version = re.search(r'name="version" value="(\d+)"', page.get_data(as_text=True))
        response = client.post(
            f"/p/shop/cases/{case['number']}/respond",
            data={"csrf_token": csrf_of(page), "version": version.group(1), "action": action},
        )
        assert response.status_code == 303

    def agreed() -> str | None:
        text = client.get(f"/p/shop/cases/{case['number']}").get_data(as_text=True)
        found = re.search(r'<section[^>]*id="agreed-proposal".*?</section>', text, re.S)
        return found.group(0) if found else None

    respond("decline")
    assert agreed() is None  # a declined proposal was never agreed
    act(shop, case, "propose", proposal="退款 50 元")
    respond("accept")
    shown = agreed()
    assert shown and "Agreed proposal" in shown and "退款 50 元" in shown
    assert "退款 30 元" not in shown
    act(shop, case, "resolve", resolution="已退款 50 元")
    shown = agreed()
    assert shown and "退款 50 元" in shown
    act(shop, case, "reopen")  # a new round: nothing agreed yet
    assert agreed() is None
