"""The console and the customer pages in a real headless Chromium (Debian's), against the app
served on 127.0.0.1: an agent runs a case from intake to close with the buttons, in Chinese and
in English; a customer files a case, tracks it, accepts the proposal and answers the survey.

Each page visited is kept as a screenshot in ``tests/screenshots/`` (gitignored).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import REQUIRE_SERVICES
from tests.console.conftest import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[1] / "screenshots"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff\x89\x99"
    b"=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)

# One database is enough for the browser: the app tests run these pages on both.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _need_chromium() -> None:
    reason = None
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing (scripts/system-deps installs it)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "the playwright package is missing (pip install -e '.[test]')"
    if reason is None:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"browser tests need Chromium: {reason} (CASECORE_REQUIRE_SERVICES=1)")
    pytest.skip(f"browser tests need Chromium: {reason}")


@pytest.fixture(scope="module")
def browser() -> Iterator:
    _need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def server(app) -> Iterator[str]:
    """The app on a free port of 127.0.0.1, served from a background thread."""
    http = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{http.server_port}"
    http.shutdown()
    thread.join(timeout=5)


@pytest.fixture
def page_of(browser):
    contexts = []

    def new_page(locale: str = "zh-CN"):
        context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page

    yield new_page
    for context in contexts:
        context.close()


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def check_accessible(page) -> None:
    """Every visible input has a label; every action is a real <button>."""
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter(el => el.type !== 'hidden')
            .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.name || el.id)"""
    )
    assert unlabeled == [], f"inputs without a label on {page.url}: {unlabeled}"
    not_buttons = page.evaluate(
        """() => [...document.querySelectorAll('[data-action], [role=button]')]
            .filter(el => el.tagName !== 'BUTTON').map(el => el.outerHTML)"""
    )
    assert not_buttons == [], not_buttons
    assert page.js_errors == [], page.js_errors


def test_an_agent_runs_a_case_from_intake_to_close_in_the_browser(
    server, page_of, make_tenant, make_user
):
    from playwright.sync_api import expect

    acme = make_tenant(
        "acme",
        name="艾可米家电",
        departments=["售后部", "质检部"],
        sites=["南京路店", "淮海路店"],
        categories=[
            {"name": "产品质量", "group": "quality"},
            {"name": "服务态度", "group": "service"},
        ],
        plugins={"retail": {}, "paneltest": {}},
    )
    make_user(acme, "ann@acme.example", "admin", name="安娜")
    page = page_of()

    # Sign in with the keyboard alone: the tab order reaches the button.
    page.goto(f"{server}/t/acme/login")
    expect(page.locator("h1")).to_contain_text("登录")
    check_accessible(page)
    shot(page, "01-login-zh")
    page.locator("#email").focus()
    page.keyboard.type("ann@acme.example")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "login-button"
    page.keyboard.press("Enter")
    expect(page.locator("h1")).to_have_text("概览")

    # A new case, with a plugin field, through the labelled inputs.
    page.get_by_role("link", name="登记案件").click()
    expect(page.locator("h1")).to_have_text("登记案件")
    page.get_by_label("类型").select_option("complaint")
    page.get_by_label("渠道").select_option("phone")
    page.get_by_label("标题").fill("冰箱不制冷")
    page.get_by_label("描述").fill("买了三天的冰箱不制冷了，要求退货")
    page.get_by_label("姓名").fill("张三")
    page.get_by_label("电话").fill("13800000000")
    page.get_by_label("类别").select_option("产品质量")
    page.get_by_label("门店/网点").select_option("南京路店")
    page.get_by_label("Sku").fill("FRIDGE-300")
    check_accessible(page)
    shot(page, "02-new-case-zh")
    page.get_by_role("button", name="登记").click()
    expect(page.locator("#case-state")).to_have_attribute("data-state", "received")
    expect(page.locator('[data-panel="checklist"]')).to_be_visible()
    check_accessible(page)
    shot(page, "03-case-received-zh")

    # Every step of the procedure with its button, the fields asked for where needed.
    steps = [
        ("acknowledge", {}, "acknowledged"),
        ("investigate", {}, "investigating"),
        ("assign_department", {"select": "售后部"}, "in_department"),
        ("propose", {"text": "更换一台新冰箱"}, "awaiting_customer"),
        ("accept", {}, "resolving"),
        ("resolve", {"text": "已上门更换新冰箱"}, "resolved"),
        ("follow_up", {}, "follow_up"),
        ("contact", {}, "follow_up"),
        ("contact", {}, "follow_up"),
        ("close", {}, "closed"),
    ]
    for number, (action, fields, state) in enumerate(steps, start=1):
        form = page.locator(f"#act-{action}")
        if "select" in fields:
            form.locator("select").select_option(fields["select"])
        if "text" in fields:
            form.locator("textarea").first.fill(fields["text"])
        page.locator(f'button[data-action="{action}"]').click()
        expect(page.locator("#case-state")).to_have_attribute("data-state", state)
        # The timeline follows: the last event is the action just taken.
        expect(page.locator("#timeline > li").last).to_have_attribute("data-event", action)
        if action in ("assign_department", "propose", "close"):
            shot(page, f"04-case-step-{number:02d}-{action}")
    expect(page.locator("#timeline > li")).to_have_count(len(steps) + 1)
    expect(page.locator("#timeline")).to_contain_text("更换一台新冰箱")
    expect(page.locator("#actions")).to_contain_text("重新处理")  # reopen is what is left
    # The first reply timer, with how its deadline was computed.
    page.locator('[data-timer="first_reply"] summary').click()
    expect(page.locator('[data-timer="first_reply"] details')).to_contain_text("日历数据")
    check_accessible(page)
    shot(page, "05-case-closed-zh")

    # The list, filtered by text through htmx, then exported.
    page.get_by_role("link", name="案件").first.click()
    expect(page.locator("h1")).to_have_text("案件")
    page.get_by_label("搜索").fill("冰箱")
    expect(page.locator("#case-table tbody tr[data-case]")).to_have_count(1)
    page.get_by_label("搜索").fill("洗衣机")
    expect(page.locator("#case-table tbody tr[data-case]")).to_have_count(0)
    assert "q=" in page.url  # the filters are in the address
    check_accessible(page)
    page.get_by_label("搜索").fill("")
    expect(page.locator("#case-table tbody tr[data-case]")).to_have_count(1)
    shot(page, "06-case-list-zh")
    with page.expect_download() as download:
        page.locator("#export-csv").click()
    assert download.value.suggested_filename.endswith(".csv")

    # A plugin setting changed in the settings.
    page.get_by_role("link", name="设置").click()
    page.get_by_role("link", name="插件").click()
    retail = page.locator('[data-plugin="retail"]')
    retail.get_by_label("Warranty days").fill("180")
    retail.locator("#save-retail").click()
    expect(page.locator(".flash.success")).to_be_visible()
    expect(page.locator('[data-plugin="retail"]').get_by_label("Warranty days")).to_have_value(
        "180"
    )
    check_accessible(page)
    shot(page, "07-settings-plugins-zh")

    # The dashboard, then the language switched (and remembered) to English.
    page.get_by_role("link", name="概览").click()
    expect(page.locator("#chart-category")).to_be_visible()
    assert page.evaluate("typeof window.Chart") == "function"
    check_accessible(page)
    shot(page, "08-dashboard-zh")
    page.get_by_role("link", name="English").first.click()
    expect(page.locator("h1")).to_have_text("Dashboard")
    shot(page, "09-dashboard-en")
    page.get_by_role("link", name="Cases").first.click()
    expect(page.locator("h1")).to_have_text("Cases")
    page.locator("#case-table a").first.click()
    expect(page.locator("#case-state")).to_have_text("Closed")
    expect(page.locator("#h-timeline")).to_have_text("Timeline")
    shot(page, "10-case-en")


def test_a_customer_files_tracks_accepts_and_answers_in_the_browser(
    server, page_of, make_tenant, act, client
):
    from playwright.sync_api import expect

    shop = make_tenant("shop", name="好味道餐厅", sites=["人民广场店"])
    customer = page_of()
    customer.goto(f"{server}/p/shop/")
    expect(customer.locator("h1")).to_have_text("请告诉我们发生了什么")
    customer.get_by_label("主题").fill("外卖少了一份菜")
    customer.get_by_label("经过").fill("订单 8812 少了宫保鸡丁")
    customer.get_by_label("地点").select_option("人民广场店")
    customer.get_by_label("您的姓名").fill("王五")
    customer.get_by_label("电话").fill("13700000003")
    customer.get_by_label("照片或票据（选填，不超过 20 MB）").set_input_files(
        files=[{"name": "order.png", "mimeType": "image/png", "buffer": PNG}]
    )
    check_accessible(customer)
    shot(customer, "20-public-intake-zh")
    customer.get_by_role("button", name="提交").click()
    number = customer.locator("#filed-number").inner_text()
    assert number.count("-") == 1
    shot(customer, "21-public-filed-zh")

    # Someone else (a new browser) tracks it with the number and the phone.
    other = page_of(locale="en-US")
    other.goto(f"{server}/p/shop/track")
    other.get_by_label("案件编号").fill(number)
    other.get_by_label("提交时留下的电话或邮箱").fill("13800000000")
    other.get_by_role("button", name="查询").click()
    expect(other.locator(".flash.error")).to_be_visible()  # wrong contact
    other.get_by_label("提交时留下的电话或邮箱").fill("137 0000 0003")
    other.get_by_role("button", name="查询").click()
    expect(other.locator("#case-state")).to_have_attribute("data-state", "received")
    check_accessible(other)
    shot(other, "22-public-track-zh")

    # Staff work on it and propose; an internal comment never reaches the customer.
    case = {"id": client.get("/api/v1/cases", headers=shop.auth("admin")).json["items"][0]["id"]}
    for action, params in (
        ("acknowledge", {}),
        ("investigate", {}),
        ("assign_department", {"department": "后厨"}),
        ("propose", {"proposal": "补送一份宫保鸡丁并赠送饮料"}),
    ):
        assert act(shop, case, action, **params).status_code == 200
    client.post(
        f"/api/v1/cases/{case['id']}/comments",
        json={"body": "内部：该骑手本月第三次漏送", "internal": True},
        headers=shop.auth("agent"),
    )
    other.reload()
    expect(other.locator("#proposal")).to_contain_text("补送一份宫保鸡丁")
    expect(other.locator("body")).not_to_contain_text("骑手")
    check_accessible(other)
    shot(other, "23-public-proposal-zh")
    other.locator('button[data-action="accept"]').click()
    expect(other.locator("#case-state")).to_have_attribute("data-state", "resolving")
    expect(other.locator(".flash.success")).to_be_visible()

    # Resolved: the survey is answered on the same page, in English this time.
    assert act(shop, case, "resolve", resolution="已补送").status_code == 200
    other.get_by_role("link", name="English").click()
    expect(other.locator("#survey")).to_be_visible()
    other.get_by_label("Your rating").select_option("5")
    other.get_by_label("Comment (optional)").fill("很满意，谢谢")
    check_accessible(other)
    shot(other, "24-public-survey-en")
    other.get_by_role("button", name="Send my answer").click()
    expect(other.locator(".flash.success")).to_have_text("Thank you for your answer.")
    expect(other.locator("#survey")).to_have_count(0)
    shot(other, "25-public-done-en")
    events = client.get(f"/api/v1/cases/{case['id']}/events", headers=shop.auth("admin")).json
    assert [e["type"] for e in events["items"]][-2:] == ["resolve", "survey"]
    assert os.listdir(SCREENSHOTS)
