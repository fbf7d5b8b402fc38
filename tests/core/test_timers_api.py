"""SLA timers through the API: DOMAIN.md's deadlines on fixed dates, with their explanations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from core.jobs.sla import sweep


def timer(case: dict, name: str) -> dict:
    return next(t for t in case["timers"] if t["name"] == name)


def case_now(client, tenant, case):
    return client.get(f"/api/v1/cases/{case['id']}", headers=tenant.auth()).json


@pytest.mark.parametrize(
    ("received_at", "due_at", "skipped"),
    [
        # a Wednesday morning, no holidays: next Wednesday 23:59:59
        ("2026-03-04T10:00:00+08:00", "2026-03-11T23:59:59+08:00", ["2026-03-07", "2026-03-08"]),
        # Spring Festival 2026 (make-up working days counted)
        ("2026-02-11T10:00:00+08:00", "2026-02-25T23:59:59+08:00", ["2026-02-15"]),
        # National Day 2026, through the make-up Saturday 10 October
        ("2026-09-29T09:00:00+08:00", "2026-10-12T23:59:59+08:00", ["2026-10-01"]),
        # the start's own day never counts, even received one second before midnight
        ("2026-03-04T23:59:59+08:00", "2026-03-11T23:59:59+08:00", []),
    ],
)
def test_first_reply_due_in_five_working_days(make_tenant, make_case, received_at, due_at, skipped):
    acme = make_tenant("acme")
    case = make_case(acme, received_at=received_at)
    first = timer(case, "first_reply")
    assert first["due_at"] == due_at
    assert first["state"] in ("running", "breached")
    explanation = first["explanation"]
    assert explanation["unit"] == "working_days" and explanation["amount"] == 5
    assert explanation["sources"] == ["chinese-calendar 1.11.0"]
    assert explanation["fallback"] is False
    skipped_days = [s["date"] for s in explanation["skipped"]]
    assert set(skipped) <= set(skipped_days)


def test_a_deadline_in_a_year_without_data_says_so(make_tenant, make_case):
    acme = make_tenant("acme")
    case = make_case(acme, received_at="2026-12-30T10:00:00+08:00")
    first = timer(case, "first_reply")
    assert first["due_at"] == "2027-01-07T23:59:59+08:00"
    assert first["explanation"]["fallback"] is True
    assert any("no make-up" in s for s in first["explanation"]["sources"])
    assert "2027" in first["explanation"]["warnings"][0]


def test_an_operator_data_file_for_2027_is_used(config, make_tenant, make_case):
    folder = config.calendar_dir / "cn"
    folder.mkdir(parents=True)
    (folder / "2027.json").write_text(
        '{"year": 2027, "source": "国务院办公厅 2027 test notice",'
        ' "holidays": {"2027-01-01": "元旦", "2027-01-04": "元旦 (test)"}, "workdays": {}}'
    )
    acme = make_tenant("acme")
    case = make_case(acme, received_at="2026-12-30T10:00:00+08:00")
    first = timer(case, "first_reply")
    assert first["due_at"] == "2027-01-08T23:59:59+08:00"  # 4 Jan closed too
    assert first["explanation"]["fallback"] is False
    assert any("cn/2027.json" in s for s in first["explanation"]["sources"])


def test_clock_hours_for_a_24_hour_reply(make_tenant, make_case):
    shop = make_tenant("shop", timers={"first_reply": {"amount": 24, "unit": "hours"}})
    case = make_case(shop, received_at="2026-09-30T17:30:00+08:00")  # the eve of National Day
    assert timer(case, "first_reply")["due_at"] == "2026-10-01T17:30:00+08:00"


def test_tenant_closed_date_and_extra_working_day(make_tenant, make_case):
    acme = make_tenant(
        "acme",
        calendar={
            "country": "CN",
            "closed_dates": ["2026-03-10"],
            "extra_working_days": ["2026-03-07"],
        },
    )
    case = make_case(acme, received_at="2026-03-04T10:00:00+08:00")
    # Thu 5, Fri 6, Sat 7 (extra), Mon 9, [Tue 10 closed], Wed 11
    assert timer(case, "first_reply")["due_at"] == "2026-03-11T23:59:59+08:00"
    reasons = [s["reason"] for s in timer(case, "first_reply")["explanation"]["skipped"]]
    assert any("tenant" in r for r in reasons)


def test_working_hours_start_after_closing(make_tenant, make_case):
    acme = make_tenant("acme", timers={"first_reply": {"amount": 2, "unit": "working_hours"}})
    case = make_case(acme, received_at="2026-03-09T19:00:00+08:00")
    assert timer(case, "first_reply")["due_at"] == "2026-03-10T11:00:00+08:00"


def test_timers_start_and_stop_with_the_procedure(client, make_tenant, make_case, act):
    acme = make_tenant("acme")
    case = make_case(acme)
    assert [t["name"] for t in case["timers"]] == ["first_reply"]  # resolution is off
    acknowledged = act(acme, case, "acknowledge").json
    first = timer(acknowledged, "first_reply")
    assert first["state"] == "met" and first["stopped_at"] is not None
    act(acme, case, "investigate")
    assigned = act(acme, case, "assign_department", department="售后").json
    assert timer(assigned, "department_reply")["state"] == "running"
    proposed = act(acme, case, "propose", proposal="换新").json
    assert timer(proposed, "department_reply")["state"] == "met"
    act(acme, case, "accept")
    resolved = act(acme, case, "resolve", resolution="已换").json
    assert timer(resolved, "follow_up")["state"] == "running"
    act(acme, case, "follow_up")
    contacted = act(acme, case, "contact").json
    assert timer(contacted, "follow_up")["state"] == "met"


def test_resolution_pauses_while_awaiting_the_customer(make_tenant, make_case, act, clock):
    acme = make_tenant(
        "acme", timers={"resolution": {"amount": 10, "unit": "working_days"}}, departments=["售后"]
    )
    clock.set(datetime(2026, 3, 2, 2, 0, tzinfo=UTC))  # Monday 10:00 in Shanghai
    case = make_case(acme)
    assert timer(case, "resolution")["due_at"] == "2026-03-16T23:59:59+08:00"
    for action, params in [
        ("acknowledge", {}),
        ("investigate", {}),
        ("assign_department", {"department": "售后"}),
    ]:
        act(acme, case, action, **params)
    clock.advance(timedelta(days=1))  # Tuesday 10:00
    paused = act(acme, case, "propose", proposal="换新").json
    assert timer(paused, "resolution")["state"] == "paused"
    clock.advance(timedelta(days=2))  # Thu 10:00: two working days waiting on the customer
    resumed = act(acme, case, "accept").json
    resolution = timer(resumed, "resolution")
    assert resolution["state"] == "running"
    assert resolution["paused_seconds"] == 2 * 86400
    assert resolution["due_at"] == "2026-03-18T23:59:59+08:00"
    assert len(resolution["explanation"]["pauses"]) == 1


def test_overdue_timers_read_breached_and_filter(client, make_tenant, make_case):
    acme = make_tenant("acme")
    late = make_case(acme, received_at="2026-01-05T10:00:00+08:00", title="旧案")
    make_case(acme, received_at=datetime.now(UTC).isoformat(), title="新案")
    assert timer(late, "first_reply")["state"] == "breached"
    listed = client.get("/api/v1/cases?breached=true", headers=acme.auth()).json["items"]
    assert [c["title"] for c in listed] == ["旧案"]
    fresh = client.get("/api/v1/cases?breached=false", headers=acme.auth()).json["items"]
    assert [c["title"] for c in fresh] == ["新案"]


def test_the_sweep_marks_breaches_once_and_logs_them(app, client, make_tenant, make_case):
    acme, other = make_tenant("acme"), make_tenant("other")
    late = make_case(acme, received_at="2026-01-05T10:00:00+08:00")
    make_case(other, received_at="2026-01-06T10:00:00+08:00")
    make_case(acme, received_at=datetime.now(UTC).isoformat())
    core = app.extensions["casecore"]
    assert sweep(core.db, core.plugins, datetime.now(UTC)) == 2
    assert sweep(core.db, core.plugins, datetime.now(UTC)) == 0  # nothing twice
    body = case_now(client, acme, late)
    first = timer(body, "first_reply")
    assert first["state"] == "breached"
    assert first["breached_at"] == "2026-01-12T23:59:59+08:00"
    events = client.get(f"/api/v1/cases/{late['id']}/events", headers=acme.auth()).json
    assert events["items"][-1]["type"] == "timer_breached"
    assert events["items"][-1]["data"]["timer"] == "first_reply"


def test_a_calendar_change_recomputes_running_timers(client, make_tenant, make_case):
    acme = make_tenant("acme")
    case = make_case(acme, received_at="2026-03-04T10:00:00+08:00")
    assert timer(case, "first_reply")["due_at"] == "2026-03-11T23:59:59+08:00"
    response = client.patch(
        "/api/v1/tenants/acme",
        headers=acme.auth("admin"),
        json={"calendar": {"country": "CN", "closed_dates": ["2026-03-09"]}},
    )
    assert response.status_code == 200, response.json
    moved = timer(case_now(client, acme, case), "first_reply")
    assert moved["due_at"] == "2026-03-12T23:59:59+08:00"
    assert moved["explanation"]["recomputed"][0]["was"] == "2026-03-11T23:59:59+08:00"
    assert moved["explanation"]["recomputed"][0]["now"] == "2026-03-12T23:59:59+08:00"


def open_and_propose(acme, make_case, act, clock, received_at: datetime, paused_at: datetime):
    """A case received at ``received_at``, handed to a department at once and proposed to the
    customer (the resolution timer pauses) at ``paused_at``."""
    clock.set(received_at)
    case = make_case(acme)
    for action, params in [
        ("acknowledge", {}),
        ("investigate", {}),
        ("assign_department", {"department": "售后"}),
    ]:
        assert act(acme, case, action, **params).status_code == 200
    clock.set(paused_at)
    paused = act(acme, case, "propose", proposal="换新").json
    assert timer(paused, "resolution")["state"] == "paused"
    return case


def sh(*args: int) -> datetime:
    """A Shanghai wall-clock time."""
    return datetime(*args, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.mark.parametrize(
    ("received_at", "due_before", "paused_at", "resumed_at", "due_after", "days"),
    [
        pytest.param(
            sh(2026, 11, 23, 10),
            "2026-11-30T23:59:59+08:00",
            sh(2026, 11, 30, 2, 46, 1),
            sh(2026, 11, 30, 2, 46, 4),
            "2026-11-30T23:59:59+08:00",
            0,
            id="three-seconds-on-the-due-day",
        ),
        pytest.param(
            sh(2026, 3, 2, 10),
            "2026-03-09T23:59:59+08:00",
            sh(2026, 3, 2, 15),
            sh(2026, 3, 4, 9),
            "2026-03-11T23:59:59+08:00",
            2,
            id="monday-to-wednesday",
        ),
        pytest.param(
            sh(2026, 9, 29, 9),
            "2026-10-12T23:59:59+08:00",
            sh(2026, 9, 30, 10),
            sh(2026, 10, 8, 10),
            "2026-10-13T23:59:59+08:00",
            1,
            id="over-national-day",
        ),
    ],
)
def test_a_pause_moves_working_days_by_whole_days(
    make_tenant,
    make_case,
    act,
    clock,
    received_at,
    due_before,
    paused_at,
    resumed_at,
    due_after,
    days,
):
    acme = make_tenant(
        "acme", timers={"resolution": {"amount": 5, "unit": "working_days"}}, departments=["售后"]
    )
    case = open_and_propose(acme, make_case, act, clock, received_at, paused_at)
    assert timer(case, "resolution")["due_at"] == due_before
    clock.set(resumed_at)
    resolution = timer(act(acme, case, "accept").json, "resolution")
    assert resolution["state"] == "running"
    assert resolution["due_at"] == due_after
    assert resolution["explanation"]["due_at"] == due_after
    assert resolution["paused_seconds"] == int((resumed_at - paused_at).total_seconds())
    assert resolution["explanation"]["pauses"] == [
        {
            "from": paused_at.isoformat(),
            "to": resumed_at.isoformat(),
            "moved_working_days": days,
        }
    ]


def test_a_pause_adds_clock_time_to_an_hours_timer(make_tenant, make_case, act, clock):
    acme = make_tenant(
        "acme", timers={"resolution": {"amount": 48, "unit": "hours"}}, departments=["售后"]
    )
    paused_at, resumed_at = sh(2026, 3, 2, 12), sh(2026, 3, 2, 15, 0, 30)
    case = open_and_propose(acme, make_case, act, clock, sh(2026, 3, 2, 10), paused_at)
    clock.set(resumed_at)
    resolution = timer(act(acme, case, "accept").json, "resolution")
    assert resolution["due_at"] == "2026-03-04T13:00:30+08:00"
    assert resolution["explanation"]["pauses"] == [
        {
            "from": "2026-03-02T12:00:00+08:00",
            "to": "2026-03-02T15:00:30+08:00",
            "moved_seconds": 3 * 3600 + 30,
        }
    ]


def test_a_calendar_change_applies_pauses_again_by_whole_days(
    client, make_tenant, make_case, act, clock
):
    acme = make_tenant(
        "acme", timers={"resolution": {"amount": 10, "unit": "working_days"}}, departments=["售后"]
    )
    case = open_and_propose(acme, make_case, act, clock, sh(2026, 3, 2, 10), sh(2026, 3, 3, 10))
    clock.set(sh(2026, 3, 5, 10))
    resumed = timer(act(acme, case, "accept").json, "resolution")
    assert resumed["due_at"] == "2026-03-18T23:59:59+08:00"  # 16th, plus Wed 4 and Thu 5
    clock.set(sh(2026, 3, 5, 11))
    response = client.patch(
        "/api/v1/tenants/acme",
        headers=acme.auth("admin"),
        json={"calendar": {"country": "CN", "closed_dates": ["2026-03-05", "2026-03-10"]}},
    )
    assert response.status_code == 200, response.json
    moved = timer(case_now(client, acme, case), "resolution")
    # 10 working days without 5 and 10 March end on the 18th; the pause now moves it one
    # working day (4 March; the 5th is closed), and it stays at 23:59:59
    assert moved["due_at"] == "2026-03-19T23:59:59+08:00"
    explanation = moved["explanation"]
    assert explanation["due_at"] == "2026-03-19T23:59:59+08:00"
    assert explanation["pauses"] == [
        {
            "from": "2026-03-03T10:00:00+08:00",
            "to": "2026-03-05T10:00:00+08:00",
            "moved_working_days": 1,
        }
    ]
    assert explanation["recomputed"] == [
        {
            "at": "2026-03-05T11:00:00+08:00",
            "was": "2026-03-18T23:59:59+08:00",
            "now": "2026-03-19T23:59:59+08:00",
            "reason": "calendar changed",
        }
    ]


def test_a_calendar_change_keeps_a_paused_working_days_deadline_at_end_of_day(
    client, make_tenant, make_case, act, clock
):
    acme = make_tenant(
        "acme", timers={"resolution": {"amount": 10, "unit": "working_days"}}, departments=["售后"]
    )
    case = open_and_propose(acme, make_case, act, clock, sh(2026, 3, 2, 10), sh(2026, 3, 3, 10))
    clock.set(sh(2026, 3, 3, 16))  # six hours, the same day: nothing moves
    assert timer(act(acme, case, "accept").json, "resolution")["due_at"] == (
        "2026-03-16T23:59:59+08:00"
    )
    response = client.patch(
        "/api/v1/tenants/acme",
        headers=acme.auth("admin"),
        json={"calendar": {"country": "CN", "closed_dates": ["2026-03-10"]}},
    )
    assert response.status_code == 200, response.json
    moved = timer(case_now(client, acme, case), "resolution")
    assert moved["due_at"] == "2026-03-17T23:59:59+08:00"
    assert moved["explanation"]["pauses"][0]["moved_working_days"] == 0


def test_the_breach_event_gives_the_deadline_with_the_tenants_offset(
    app, client, make_tenant, make_case
):
    acme = make_tenant("acme")
    berlin = make_tenant("berlin", timezone="Europe/Berlin", calendar={"country": "DE"})
    late = make_case(acme, received_at="2026-10-07T10:00:00+08:00")
    late_in_berlin = make_case(berlin, received_at="2026-10-07T10:00:00+02:00")
    assert timer(late, "first_reply")["due_at"] == "2026-10-13T23:59:59+08:00"
    assert timer(late_in_berlin, "first_reply")["due_at"] == "2026-10-14T23:59:59+02:00"
    core = app.extensions["casecore"]
    assert sweep(core.db, core.plugins, datetime.now(UTC)) == 2
    for tenant, case, due_at in [
        (acme, late, "2026-10-13T23:59:59+08:00"),
        (berlin, late_in_berlin, "2026-10-14T23:59:59+02:00"),
    ]:
        events = client.get(f"/api/v1/cases/{case['id']}/events", headers=tenant.auth()).json
        breach = events["items"][-1]
        assert breach["type"] == "timer_breached"
        assert breach["data"] == {"timer": "first_reply", "due_at": due_at}
        assert client.get(f"/api/v1/cases/{case['id']}", headers=acme.auth()).status_code == (
            200 if tenant is acme else 404
        )
