"""food_service through the HTTP API (DOMAIN.md section 3): pulls per lot at every site, the
recall levels and their timers on fixed dates, the pull actions and the close gate, HACCP
reviews, the documents, the feedback digest, and a tenant without the plugin left untouched.

Tenant ``xiangwei`` (a restaurant chain with three sites) enables food_service; ``bravo`` has the
same sites and no plugin.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest

from core import CaseLookup
from core.models import Tenant
from core.tenants import context_of

SITES = ["人民广场店", "静安寺店", "中央厨房"]
RECEIVED = "2026-03-04T10:00:00+08:00"  # a Wednesday, no holidays for weeks either side
BODY: dict[str, Any] = {
    "kind": "complaint",
    "title": "卤牛肉吃出异物",
    "channel": "phone",
    "site": "人民广场店",
    "customer": {"name": "王女士", "phone": "13800000001"},
    "received_at": RECEIVED,
}
FOOD = {"food_safety": True, "product": "卤牛肉", "lot": "L20260301", "hazard": "foreign_object"}


@pytest.fixture
def xiangwei(make_tenant):
    return make_tenant(
        "xiangwei", sites=SITES, plugins={"food_service": {}}, timezone="Asia/Shanghai"
    )


@pytest.fixture
def bravo(make_tenant):
    return make_tenant("bravo", sites=SITES, timezone="Asia/Shanghai")


def open_case(client, tenant, food: dict[str, Any] | None = None, **overrides: Any):
    body = {**BODY, **overrides}
    if food is not None:
        body["data"] = {"food_service": food}
    return client.post("/api/v1/cases", json=body, headers=tenant.auth("agent"))


def opened(client, tenant, food=None, **overrides) -> dict[str, Any]:
    response = open_case(client, tenant, food, **overrides)
    assert response.status_code == 201, response.json
    return response.json


def get(client, tenant, case) -> dict[str, Any]:
    return client.get(f"/api/v1/cases/{case['id']}", headers=tenant.auth()).json


def events(client, tenant, case, type_: str | None = None) -> list[dict[str, Any]]:
    items = client.get(f"/api/v1/cases/{case['id']}/events?limit=200", headers=tenant.auth()).json[
        "items"
    ]
    return [e for e in items if type_ is None or e["type"] == type_]


def timer(case: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((t for t in case["timers"] if t["name"] == name), None)


def codes(response) -> list[str]:
    return [v["code"] for v in response.json.get("violations", [])]


def edit(client, tenant, case, **changes):
    version = get(client, tenant, case)["version"]
    return client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"version": version, **changes},
        headers=tenant.auth("agent"),
    )


def to_follow_up(tenant, case, act) -> None:
    for action, params in (
        ("acknowledge", {}),
        ("investigate", {}),
        ("reject", {"findings": "经查与本店无关"}),
        ("follow_up", {}),
    ):
        response = act(tenant, case, action, role="manager", **params)
        assert response.status_code == 200, response.json


def document(client, tenant, case, name: str):
    return client.get(f"/api/v1/cases/{case['id']}/documents/{name}", headers=tenant.auth())


# --- the pull ------------------------------------------------------------------------------


def test_a_food_safety_report_pulls_the_lot_at_every_site_once(client, xiangwei):
    first = opened(client, xiangwei, FOOD)
    (started,) = events(client, xiangwei, first, "food_service.pull_started")
    assert started["data"]["sites"] == SITES
    assert started["data"]["product"] == "卤牛肉" and started["data"]["lot"] == "L20260301"
    assert [e["type"] for e in events(client, xiangwei, first)][:2] == [
        "opened",
        "food_service.pull_started",
    ]
    # Decided at intake, so in the 201 answer too (API.md), as the log has them.
    assert first["events"] == events(client, xiangwei, first)[:2]

    # The same lot, typed differently, from another site: no second pull, linked both ways.
    second = opened(
        client, xiangwei, {**FOOD, "lot": " l20260301 ", "product": "卤牛肉"}, site="静安寺店"
    )
    assert events(client, xiangwei, second, "food_service.pull_started") == []
    assert [e["type"] for e in second["events"]] == ["opened"]
    assert {"case": first["id"], "relation": "same_lot"} in second["links"]
    third = opened(client, xiangwei, FOOD, site="中央厨房")
    assert {(link["case"], link["relation"]) for link in third["links"]} >= {
        (first["id"], "same_lot"),
        (second["id"], "same_lot"),
    }
    first_now = get(client, xiangwei, first)
    assert {link["case"] for link in first_now["links"] if link["relation"] == "same_lot"} == {
        second["id"],
        third["id"],
    }

    other_lot = opened(client, xiangwei, {**FOOD, "lot": "L20260302"})
    assert len(events(client, xiangwei, other_lot, "food_service.pull_started")) == 1
    assert all(link["relation"] != "same_lot" for link in other_lot["links"])


def test_not_food_safety_or_without_product_starts_no_pull(client, xiangwei):
    plain = opened(client, xiangwei, {**FOOD, "food_safety": False})
    no_product = opened(client, xiangwei, {"food_safety": True, "lot": "L1"})
    for case in (plain, no_product):
        assert events(client, xiangwei, case, "food_service.pull_started") == []
    assert get(client, xiangwei, plain)["links"] == []


def test_lot_missing_is_a_warning_and_adding_it_starts_the_pull(client, xiangwei):
    case = opened(client, xiangwei, {"food_safety": True, "product": "卤牛肉"})
    assert case["violations"] == [
        {
            "code": "food_service.lot_missing",
            "message": case["violations"][0]["message"],
            "field": "data.food_service.lot",
        }
    ]
    response = edit(client, xiangwei, case, data={"food_service": FOOD})
    assert response.status_code == 200, response.json
    assert response.json["violations"] == []
    assert len(events(client, xiangwei, case, "food_service.pull_started")) == 1


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize("reports", [2, 4])
def test_reports_of_a_lot_at_once_make_one_pull_and_all_are_linked(app, backend, xiangwei, reports):
    """Several requests report the same lot at the same moment: one pull, one event, and every
    report linked to every other (reports of one lot take turns on the pull record)."""
    results: list[dict[str, Any]] = []
    barrier = threading.Barrier(reports)

    def report(site: str) -> None:
        client = app.test_client()
        barrier.wait()
        response = open_case(client, xiangwei, FOOD, site=site)
        results.append(response.json if response.status_code == 201 else {"error": response})

    sites = [SITES[i % len(SITES)] for i in range(reports)]
    threads = [threading.Thread(target=report, args=(site,)) for site in sites]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert all("id" in result for result in results), results
    client = app.test_client()
    started = [
        e for case in results for e in events(client, xiangwei, case, "food_service.pull_started")
    ]
    assert len(started) == 1
    cases = [get(client, xiangwei, case) for case in results]
    for case in cases:
        linked = {link["case"] for link in case["links"] if link["relation"] == "same_lot"}
        assert linked == {other["id"] for other in cases} - {case["id"]}, case["number"]


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_two_cases_of_a_lot_publishing_at_once_publish_one_notice(app, backend, xiangwei, act):
    food = {**FOOD, "recall_level": 2}
    first, second = (opened(app.test_client(), xiangwei, food, site=site) for site in SITES[:2])
    for case in (first, second):
        assert act(xiangwei, case, "acknowledge").status_code == 200
    answers: list[Any] = []
    barrier = threading.Barrier(2)

    def publish(case: dict[str, Any]) -> None:
        client = app.test_client()
        version = get(client, xiangwei, case)["version"]
        barrier.wait()
        body = {"action": "publish_recall_notice", "version": version}
        answers.append(
            client.post(
                f"/api/v1/cases/{case['id']}/actions", json=body, headers=xiangwei.auth("agent")
            )
        )

    threads = [threading.Thread(target=publish, args=(case,)) for case in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 422], [a.json for a in answers]
    (refused,) = [a for a in answers if a.status_code == 422]
    assert [v["code"] for v in refused.json["violations"]] == [
        "food_service.recall_notice_published"
    ]


# --- recall levels and timers --------------------------------------------------------------


def test_illness_makes_it_critical_and_proposes_level_1(client, xiangwei):
    case = opened(client, xiangwei, {**FOOD, "illness_reported": True}, severity="low")
    assert case["severity"] == "critical"
    start = timer(case, "recall_start")
    assert start["due_at"] == "2026-03-05T10:00:00+08:00"  # 24 clock hours
    assert start["explanation"]["amount"] == 24 and start["explanation"]["unit"] == "hours"
    assert timer(case, "recall_complete") is None  # from the notice, not yet published
    (proposed,) = events(client, xiangwei, case, "food_service.recall_proposed")
    assert proposed["data"] == {"level": 1, "by": "illness_reported"}
    (started,) = events(client, xiangwei, case, "food_service.pull_started")
    assert started["data"]["recall_level"] == 1


@pytest.mark.parametrize(
    ("level", "start_due", "complete_due"),
    [
        (1, "2026-03-05T10:00:00+08:00", "2026-03-19T23:59:59+08:00"),
        (2, "2026-03-06T10:00:00+08:00", "2026-04-02T23:59:59+08:00"),
        (3, "2026-03-07T10:00:00+08:00", "2026-04-17T23:59:59+08:00"),
    ],
)
def test_recall_timers_of_each_level(client, xiangwei, act, clock, level, start_due, complete_due):
    case = opened(client, xiangwei, {**FOOD, "recall_level": level})
    assert timer(case, "recall_start")["due_at"] == start_due
    # The notice is published on Thursday 5 March, 09:00, inside every level's start time:
    # working days from then (Qingming, 4 to 6 April 2026, is skipped for level 3).
    clock.set(datetime.fromisoformat("2026-03-05T09:00:00+08:00"))
    response = act(xiangwei, case, "publish_recall_notice")
    assert response.status_code == 200, response.json
    assert timer(response.json, "recall_start")["state"] == "met"
    complete = timer(response.json, "recall_complete")
    assert complete["started_at"] == "2026-03-05T09:00:00+08:00"
    assert complete["due_at"] == complete_due
    assert complete["explanation"]["unit"] == "working_days"
    (review,) = events(client, xiangwei, case, "food_service.haccp_review")
    assert review["data"]["reason"] == "recall_started"
    assert review["data"]["product"] == "卤牛肉"


def test_one_notice_recalls_the_lot_for_every_case_of_it(client, xiangwei, act, clock):
    food = {**FOOD, "recall_level": 2}
    first = opened(client, xiangwei, food)
    second = opened(
        client, xiangwei, food, site="静安寺店", received_at="2026-03-04T12:00:00+08:00"
    )
    no_level = opened(client, xiangwei, FOOD, site="中央厨房")
    clock.set(datetime.fromisoformat("2026-03-05T09:00:00+08:00"))
    assert act(xiangwei, first, "acknowledge").status_code == 200
    published = act(xiangwei, first, "publish_recall_notice")
    assert published.status_code == 200, published.json

    # The second case no longer waits for the recall to start; it completes with the lot.
    theirs = get(client, xiangwei, second)
    assert theirs["version"] == second["version"] + 1
    assert timer(theirs, "recall_start")["state"] == "met"
    assert timer(theirs, "recall_complete")["started_at"] == "2026-03-05T09:00:00+08:00"
    assert (
        timer(theirs, "recall_complete")["due_at"]
        == (timer(published.json, "recall_complete")["due_at"])
    )
    (notice,) = events(client, xiangwei, second, "food_service.lot_notice_published")
    assert notice["data"] == {"case": first["id"], "case_number": first["number"]}
    assert timer(get(client, xiangwei, no_level), "recall_complete") is None  # no level, no timer
    # A report of the lot after the notice counts its completion from the notice too.
    late = opened(client, xiangwei, food, received_at="2026-03-05T10:00:00+08:00")
    assert timer(late, "recall_start")["state"] == "met"
    assert timer(late, "recall_complete")["started_at"] == "2026-03-05T09:00:00+08:00"

    clock.set(datetime.fromisoformat("2026-03-09T09:00:00+08:00"))
    ended = act(xiangwei, first, "end_pull", outcome="全部下架销毁")
    assert ended.status_code == 200, ended.json
    for case in (second, late):
        assert timer(get(client, xiangwei, case), "recall_complete")["state"] == "met"
        (end,) = events(client, xiangwei, case, "food_service.lot_pull_ended")
        assert end["data"]["case_number"] == first["number"]


def test_reported_illness_keeps_the_case_critical_until_the_data_change(client, xiangwei):
    case = opened(client, xiangwei, {**FOOD, "illness_reported": True})
    assert case["severity"] == "critical"
    url = f"/api/v1/cases/{case['id']}"
    body = {"version": case["version"], "severity": "normal"}
    refused = client.patch(url, json=body, headers=xiangwei.auth("manager"))
    assert refused.status_code == 422
    assert [v["code"] for v in refused.json["violations"]] == ["core.severity_set_by_rules"]
    # Correcting the data (no illness after all) lets a manager lower it in the same edit.
    corrected = {**body, "data": {"food_service": {**FOOD, "illness_reported": False}}}
    lowered = client.patch(url, json=corrected, headers=xiangwei.auth("manager"))
    assert lowered.status_code == 200, lowered.json
    assert lowered.json["severity"] == "normal"


def test_raising_the_level_by_edit_moves_the_deadline(client, xiangwei):
    case = opened(client, xiangwei, {**FOOD, "recall_level": 3}, severity="normal")
    assert timer(case, "recall_start")["due_at"] == "2026-03-07T10:00:00+08:00"
    response = edit(
        client, xiangwei, case, data={"food_service": {**FOOD, "illness_reported": True}}
    )
    assert response.status_code == 200, response.json
    assert response.json["severity"] == "critical"
    assert timer(response.json, "recall_start")["due_at"] == "2026-03-05T10:00:00+08:00"
    proposed = events(client, xiangwei, case, "food_service.recall_proposed")
    assert [e["data"]["level"] for e in proposed] == [3, 1]
    assert proposed[-1]["data"]["was"] == 3


def test_publishing_needs_an_open_pull_a_level_and_happens_once(client, xiangwei, act, clock):
    clock.set(datetime.fromisoformat("2026-03-04T11:00:00+08:00"))
    no_lot = opened(client, xiangwei, {"food_safety": True, "product": "卤牛肉", "recall_level": 2})
    response = act(xiangwei, no_lot, "publish_recall_notice")
    assert response.status_code == 422 and codes(response) == ["food_service.no_open_pull"]

    no_level = opened(client, xiangwei, FOOD)
    response = act(xiangwei, no_level, "publish_recall_notice")
    assert response.status_code == 422
    assert codes(response) == ["food_service.recall_level_missing"]

    with_level = opened(client, xiangwei, {**FOOD, "recall_level": 2})
    assert act(xiangwei, with_level, "publish_recall_notice").status_code == 200
    again = act(xiangwei, with_level, "publish_recall_notice")
    assert again.status_code == 422 and codes(again) == ["food_service.recall_notice_published"]

    # A later report of the lot under recall: its recall_start is met at once.
    late = opened(
        client,
        xiangwei,
        {**FOOD, "illness_reported": True},
        received_at="2026-03-04T10:30:00+08:00",
    )
    assert timer(late, "recall_start")["state"] == "met"


def test_end_pull_needs_an_outcome_and_an_open_pull(client, xiangwei, act):
    case = opened(client, xiangwei, FOOD)
    assert act(xiangwei, case, "end_pull").status_code == 422  # outcome is required
    response = act(xiangwei, case, "end_pull", outcome="批次送检合格，恢复销售")
    assert response.status_code == 200, response.json
    (ended,) = events(client, xiangwei, case, "end_pull")
    assert ended["data"]["outcome"] == "批次送检合格，恢复销售"
    again = act(xiangwei, case, "end_pull", outcome="再次结束")
    assert again.status_code == 422 and codes(again) == ["food_service.no_open_pull"]


def test_a_report_after_the_pull_ended_starts_a_new_pull(client, xiangwei, act):
    first = opened(client, xiangwei, FOOD)
    assert act(xiangwei, first, "end_pull", outcome="送检合格").status_code == 200
    later = opened(client, xiangwei, {**FOOD, "illness_reported": True})
    assert len(events(client, xiangwei, later, "food_service.pull_started")) == 1
    assert {"case": first["id"], "relation": "same_lot"} in later["links"]


# --- closing -------------------------------------------------------------------------------


def test_close_waits_for_the_pull_then_asks_for_a_haccp_review(client, xiangwei, act):
    case = opened(client, xiangwei, FOOD)
    other = opened(client, xiangwei, FOOD, site="静安寺店")
    to_follow_up(xiangwei, case, act)
    refused = act(xiangwei, case, "close")
    assert refused.status_code == 422 and codes(refused) == ["food_service.pull_open"]
    assert act(xiangwei, other, "withdraw").status_code == 422  # every case of the lot waits
    assert events(client, xiangwei, case, "food_service.haccp_review") == []

    assert act(xiangwei, other, "end_pull", outcome="已下架销毁 36 份").status_code == 200
    closed = act(xiangwei, case, "close")
    assert closed.status_code == 200, closed.json
    (review,) = events(client, xiangwei, case, "food_service.haccp_review")
    assert review["data"]["reason"] == "case_closed"
    assert review["data"]["lot"] == "L20260301"


def test_closing_a_complaint_that_is_not_food_safety_asks_for_no_review(client, xiangwei, act):
    case = opened(client, xiangwei, {"food_safety": False, "product": "红烧肉"})
    to_follow_up(xiangwei, case, act)
    assert act(xiangwei, case, "close").status_code == 200
    assert events(client, xiangwei, case, "food_service.haccp_review") == []


# --- documents -----------------------------------------------------------------------------


def test_recall_notice_document(client, xiangwei, act, clock):
    case = opened(client, xiangwei, {**FOOD, "recall_level": 2, "produced_on": "2026-03-01"})
    draft = document(client, xiangwei, case, "recall_notice.html")
    assert draft.status_code == 200
    assert draft.content_type == "text/html; charset=utf-8"
    html = draft.get_data(as_text=True)
    for text in ("Xiangwei", "卤牛肉", "L20260301", "2026-03-01", "异物"):
        assert text in html
    assert "人民广场店、静安寺店、中央厨房" in html
    assert "草稿" in html and "二级" in html and "48 小时" in html and "20 个工作日" in html

    clock.set(datetime.fromisoformat("2026-03-04T15:30:00+08:00"))
    assert act(xiangwei, case, "publish_recall_notice").status_code == 200
    html = document(client, xiangwei, case, "recall_notice.html").get_data(as_text=True)
    assert "2026-03-04 15:30" in html and "草稿" not in html and "召回中" in html

    plain = opened(client, xiangwei, {"food_safety": False})
    assert document(client, xiangwei, plain, "recall_notice.html").status_code == 404


def test_feedback_collection_rates_document(client, xiangwei):
    service = {"service_date": "2026-03-04", "meal": "lunch"}
    first = opened(
        client,
        xiangwei,
        {**service, "tables_served": 10, "new_dish": True, "new_dish_servings": 2},
        kind="feedback",
        title="新菜很好吃",
    )
    # Without service_date: the service of the day it was received (4 March, Shanghai time).
    opened(client, xiangwei, {"meal": "lunch", "new_dish": True}, kind="feedback", title="新菜偏咸")
    opened(
        client,
        xiangwei,
        {"meal": "lunch"},
        kind="feedback",
        title="次日午市",
        received_at="2026-03-05T12:00:00+08:00",
    )
    # Another site's lunch and another meal are other meal services.
    opened(client, xiangwei, {**service, "tables_served": 50}, kind="feedback", site="静安寺店")
    opened(client, xiangwei, {**service, "meal": "dinner"}, kind="feedback")
    response = document(client, xiangwei, first, "feedback_rates.html")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    tables = html.split('data-rate="tables"')[1].split("</tr>")[0]
    assert "<td>10</td><td>2</td>" in tables and "20.0 %" in tables and "达标" in tables
    dishes = html.split('data-rate="new_dishes"')[1].split("</tr>")[0]
    assert "<td>2</td><td>2</td>" in dishes and "100.0 %" in dishes

    complaint = opened(client, xiangwei, FOOD)
    assert document(client, xiangwei, complaint, "feedback_rates.html").status_code == 404


def test_feedback_collection_is_a_section_of_the_summary_report(client, xiangwei, bravo):
    service = {"service_date": "2026-03-04", "meal": "lunch"}
    dish = {"new_dish": True, "new_dish_servings": 2}
    opened(client, xiangwei, {**service, "tables_served": 10, **dish}, kind="feedback")
    opened(client, xiangwei, {**service, "new_dish": True}, kind="feedback")
    opened(client, xiangwei, {**service, "tables_served": 50}, kind="feedback", site="静安寺店")
    opened(client, xiangwei, {**service, "meal": "dinner"}, kind="feedback")  # no table count
    opened(client, xiangwei, FOOD)  # a complaint is no feedback

    def section(tenant, since: str, until: str) -> dict | None:
        body = client.get(
            "/api/v1/reports/summary",
            query_string={"from": since, "to": until},
            headers=tenant.auth("admin"),
        ).json
        return body["plugins"].get("food_service")

    march = section(xiangwei, "2026-03-01T00:00:00+08:00", "2026-03-31T00:00:00+08:00")
    assert march["title"] == "反馈收集（每餐次）"
    assert march["figures"] == {
        "meal_services": 2,  # the dinner never said how many tables: no rate to show
        "tables_target": 20,
        "tables_target_met": 1,
        "new_dishes_target": 90,
        "new_dish_services": 1,
        "new_dishes_target_met": 1,
    }
    rows = {row["site"]: row for row in march["rows"]}
    assert rows["人民广场店"] == {
        "service_date": "2026-03-04",
        "site": "人民广场店",
        "meal": "lunch",
        "tables_served": 10,
        "tables_with_feedback": 2,
        "tables_rate": 20.0,
        "tables_met": True,  # exactly the target meets it
        "new_dish_servings": 2,
        "new_dish_feedback": 2,
        "new_dishes_rate": 100.0,
        "new_dishes_met": True,
    }
    assert (rows["静安寺店"]["tables_rate"], rows["静安寺店"]["tables_met"]) == (2.0, False)
    assert rows["静安寺店"]["new_dishes_met"] is None  # no new dish served
    assert march["labels"]["tables_rate"] == "桌数 %"
    assert section(xiangwei, "2026-04-01T00:00:00+08:00", "2026-04-30T00:00:00+08:00") is None
    assert section(bravo, "2026-03-01T00:00:00+08:00", "2026-03-31T00:00:00+08:00") is None


# --- the feedback digest -------------------------------------------------------------------


def test_feedback_digest_job(app, db, client, xiangwei):
    plugins = app.extensions["casecore"].plugins
    (jobs,) = plugins.hook("register_periodic_jobs", {"food_service"})()
    (job,) = jobs
    assert job.id == "food_service.feedback_digest" and job.per_tenant
    for title, category, phone, received in (
        ("服务很热情", "service", "13900000001", "2026-03-02T12:00:00+08:00"),
        ("菜太咸", "Dishes", "13900000002", "2026-03-04T12:00:00+08:00"),
        ("音乐太吵", "音乐", "13900000001", "2026-03-04T23:59:00+08:00"),
        ("今天的意见", "service", "13900000004", "2026-03-05T08:00:00+08:00"),
        ("上期的意见", "service", "13900000003", "2026-02-20T12:00:00+08:00"),
    ):
        opened(
            client,
            xiangwei,
            None,
            kind="feedback",
            title=title,
            category=category,
            customer={"name": "顾客", "phone": phone},
            received_at=received,
        )
    with pytest.raises(RuntimeError, match="scope"):
        job.func(xiangwei.id)
    session = db.session(xiangwei.id)
    try:
        tenant = context_of(session.get(Tenant, xiangwei.id))
        cases = CaseLookup(session)
        # 2026-03-05's ordinal is a multiple of 10: a digest day (interval 10).
        due = datetime.fromisoformat("2026-03-05T09:00:00+08:00")
        digest = job.func(xiangwei.id, tenant=tenant, cases=cases, now=due)
        assert (digest["from"], digest["to"]) == ("2026-02-23", "2026-03-04")
        assert digest["feedback"] == 3
        assert digest["by_category"] == {
            "service": 1,
            "dishes": 1,
            "hygiene": 0,
            "ambience": 0,
            "other": 1,
        }
        assert [r["phone"] for r in digest["thank_you"]["to"]] == ["13900000001", "13900000002"]
        assert "感谢" in digest["thank_you"]["message"]
        not_due = datetime.fromisoformat("2026-03-06T09:00:00+08:00")
        assert job.func(xiangwei.id, tenant=tenant, cases=cases, now=not_due) is None
    finally:
        session.close()


# --- a tenant without the plugin -----------------------------------------------------------


def test_a_tenant_without_the_plugin_is_untouched(client, xiangwei, bravo, act):
    opened(client, xiangwei, FOOD)  # the same lot in the tenant that has the plugin
    refused = open_case(client, bravo, FOOD)
    assert refused.status_code == 422
    assert codes(refused) == ["core.plugin_not_enabled"]
    assert refused.json["violations"][0]["field"] == "data.food_service"

    case = opened(client, bravo, None, severity="normal")
    assert case["severity"] == "normal" and case["links"] == [] and case["violations"] == []
    assert {t["name"] for t in case["timers"]} == {"first_reply"}
    assert [e["type"] for e in events(client, bravo, case)] == ["opened"]
    response = act(bravo, case, "publish_recall_notice")
    assert response.status_code == 422  # no such action for bravo
    assert "publish_recall_notice" not in str(response.json.get("errors", {}).get("action"))
    assert document(client, bravo, case, "recall_notice.html").status_code == 404
    to_follow_up(bravo, case, act)
    assert act(bravo, case, "close").status_code == 200
    assert [e["type"] for e in events(client, bravo, case)][-1] == "close"


def test_another_tenants_ids_are_404(client, xiangwei, bravo):
    case = opened(client, xiangwei, FOOD)
    base = f"/api/v1/cases/{case['id']}"
    assert client.get(base, headers=bravo.auth()).status_code == 404
    assert (
        client.get(f"{base}/documents/recall_notice.html", headers=bravo.auth()).status_code == 404
    )
    assert client.get(f"{base}/events", headers=bravo.auth()).status_code == 404
    response = client.post(
        f"{base}/actions",
        json={"action": "end_pull", "outcome": "x", "version": case["version"]},
        headers=bravo.auth(),
    )
    assert response.status_code == 404
    assert get(client, xiangwei, case)["version"] == case["version"]
