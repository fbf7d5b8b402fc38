"""Auto repair through the API (DOMAIN.md section 5): the 24-hour reply, the warranty table,
comebacks, repeat failures, routing and follow-ups, on fixed dates; and a tenant without the
plugin left untouched."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

import plugins.auto_repair.hooks as auto_repair_hooks
from core.jobs.sla import sweep

DEPARTMENTS = ["安全部", "技术部", "经理室", "客服部"]
GARAGE = {"plugins": {"auto_repair": {}}, "departments": DEPARTMENTS}
COMPLETED = date(2026, 3, 2)
ODOMETER = 52_000


def complaint(
    received_at: str = "2026-03-05T10:00:00+08:00", km: int | None = 100, **fields: Any
) -> dict[str, Any]:
    """A complaint about a car's minor repair completed on 2026-03-02, ``km`` driven since."""
    data = {
        "plate": "沪A12345",
        "vin": "LSVAU2180N2183294",
        "vehicle_class": "car",
        "job_type": "minor_repair",
        "work_order_no": "WO-2026-0301",
        "completed_on": COMPLETED.isoformat(),
        "odometer_at_completion": ODOMETER,
        "odometer_now": None if km is None else ODOMETER + km,
        "complaint_type": "quality",
        "same_fault_repairs": 0,
    }
    data.update(fields)
    return {
        "kind": "complaint",
        "title": "修车后异响",
        "channel": "phone",
        "customer": {"name": "赵六", "phone": "13600000000"},
        "received_at": received_at,
        "data": {"auto_repair": data},
    }


def on_day(n: int) -> str:
    """10:00 in Shanghai on day ``n`` after completion (day 1 is the day after)."""
    return f"{(COMPLETED + timedelta(days=n)).isoformat()}T10:00:00+08:00"


def timer(case: dict, name: str) -> dict | None:
    return next((t for t in case["timers"] if t["name"] == name), None)


def codes(response) -> list[str]:
    return [v["code"] for v in response.json.get("violations", [])]


def to_resolving(tenant, case, act) -> None:
    for action, params in [
        ("acknowledge", {}),
        ("investigate", {}),
        ("assign_department", {"department": "技术部"}),
        ("propose", {"proposal": "免费返修"}),
        ("accept", {}),
    ]:
        response = act(tenant, case, action, **params)
        assert response.status_code == 200, (action, response.json)


def patch(client, tenant, case, **changes):
    version = client.get(f"/api/v1/cases/{case['id']}", headers=tenant.auth()).json["version"]
    return client.patch(
        f"/api/v1/cases/{case['id']}",
        json={"version": version, **changes},
        headers=tenant.auth("agent"),
    )


# --- the first reply -----------------------------------------------------------------------------


def test_first_reply_within_24_clock_hours(make_tenant, make_case, act, clock):
    garage = make_tenant("garage", **GARAGE)  # the core's first_reply: 5 working days
    received = "2026-09-30T17:30:00+08:00"  # the eve of National Day: clock hours ignore it
    case = make_case(garage, **complaint(received))
    first = timer(case, "first_reply")
    assert (first["amount"], first["unit"]) == (24, "hours")
    assert first["due_at"] == "2026-10-01T17:30:00+08:00"
    # Feedback is not a complaint: the tenant's own first_reply applies.
    feedback = make_case(garage, kind="feedback", received_at=received)
    assert timer(feedback, "first_reply")["unit"] == "working_days"
    clock.set(datetime(2026, 10, 1, 9, 0, tzinfo=UTC))  # 17:00 in Shanghai: just in time
    assert timer(act(garage, case, "acknowledge").json, "first_reply")["state"] == "met"

    quick = make_tenant("quick", plugins={"auto_repair": {"reply_hours": 12}})
    case = make_case(quick, **complaint(received))
    assert timer(case, "first_reply")["due_at"] == "2026-10-01T05:30:00+08:00"


# --- the warranty table and comebacks -----------------------------------------------------------

WARRANTY_ROWS = [
    # (vehicle class, job type, day, km since completion, comeback?)
    ("car", "overhaul", 100, 20_000, True),
    ("car", "overhaul", 101, 0, False),
    ("car", "overhaul", 1, 20_001, False),
    ("car", "level2_maintenance", 30, 5_000, True),
    ("car", "level2_maintenance", 31, 0, False),
    ("car", "level1_maintenance", 10, 2_000, True),
    ("car", "minor_repair", 11, 0, False),
    ("car", "special_repair", 1, 2_001, False),
    ("motorcycle", "overhaul", 80, 7_000, True),
    ("motorcycle", "overhaul", 81, 0, False),
    ("motorcycle", "level2_maintenance", 10, 800, True),
    ("motorcycle", "level2_maintenance", 1, 801, False),
    ("motorcycle", "minor_repair", 10, 800, True),
    ("motorcycle", "special_repair", 11, 0, False),
    ("other", "overhaul", 60, 6_000, True),
    ("other", "overhaul", 1, 6_001, False),
    ("other", "level2_maintenance", 7, 700, True),
    ("other", "level2_maintenance", 8, 0, False),
    ("other", "level1_maintenance", 7, 700, True),
    ("other", "minor_repair", 1, 701, False),
]


def test_quality_complaints_inside_the_warranty_are_comebacks(make_tenant, make_case):
    garage = make_tenant("garage", **GARAGE)
    for vehicle_class, job_type, day, km, comeback in WARRANTY_ROWS:
        row = (vehicle_class, job_type, day, km)
        case = make_case(
            garage, **complaint(on_day(day), km=km, vehicle_class=vehicle_class, job_type=job_type)
        )
        assert case["flags"] == (["comeback"] if comeback else []), row
        evidence = timer(case, "evidence")
        if comeback:
            assert (evidence["amount"], evidence["unit"]) == (3, "days"), row
            due = COMPLETED + timedelta(days=day + 3)
            assert evidence["due_at"] == f"{due.isoformat()}T10:00:00+08:00", row
        else:
            assert evidence is None, row
    # Inside the warranty, but about the charges: not a comeback.
    charges = make_case(garage, **complaint(on_day(1), complaint_type="charges"))
    assert charges["flags"] == [] and timer(charges, "evidence") is None


def test_the_evidence_window_is_met_by_an_answer_or_breached(
    app, client, make_tenant, make_case, act, clock
):
    garage = make_tenant(
        "garage", plugins={"auto_repair": {"evidence_days": 2}}, departments=DEPARTMENTS
    )
    clock.set(datetime(2026, 3, 6, 2, 0, tzinfo=UTC))  # the shop answers the next day
    answered = make_case(garage, **complaint(on_day(3)))
    late = make_case(garage, **complaint(on_day(3)))
    assert timer(late, "evidence")["due_at"] == on_day(5)
    for action, params in [
        ("acknowledge", {}),
        ("investigate", {}),
        ("assign_department", {"department": "技术部"}),
        ("propose", {"proposal": "非维修原因，附检测报告"}),
    ]:
        moved = act(garage, answered, action, **params).json
    assert timer(moved, "evidence")["state"] == "met"

    core = app.extensions["casecore"]
    sweep(core.db, core.plugins, datetime(2026, 3, 8, tzinfo=UTC))
    events = client.get(f"/api/v1/cases/{late['id']}/events", headers=garage.auth()).json["items"]
    breached = [e["data"]["timer"] for e in events if e["type"] == "timer_breached"]
    assert sorted(breached) == ["evidence", "first_reply"]
    free = [e for e in events if e["type"] == "auto_repair.free_rework"]
    assert [e["data"]["work_order_no"] for e in free] == ["WO-2026-0301"]  # once, for evidence
    answered_events = client.get(
        f"/api/v1/cases/{answered['id']}/events", headers=garage.auth()
    ).json["items"]
    assert "auto_repair.free_rework" not in [e["type"] for e in answered_events]


def test_the_same_fault_after_two_repairs_is_a_repeat_failure(make_tenant, make_case):
    garage = make_tenant("garage", **GARAGE)
    for repairs, flags in [(1, []), (2, ["repeat_failure"])]:
        case = make_case(garage, **complaint(on_day(40), same_fault_repairs=repairs))
        assert case["flags"] == flags, repairs  # day 40: no comeback


def test_an_unknown_warranty_is_a_warning_until_an_edit_completes_the_data(
    client, make_tenant, make_case
):
    garage = make_tenant("garage", **GARAGE)
    case = make_case(garage, **complaint(on_day(3), km=None))
    assert [(v["code"], v["field"]) for v in case["violations"]] == [
        ("auto_repair.warranty_unknown", "data.auto_repair.odometer_now")
    ]
    assert case["flags"] == [] and timer(case, "evidence") is None
    fields = {**case["data"]["auto_repair"], "odometer_now": ODOMETER + 500}
    edited = patch(client, garage, case, data={"auto_repair": fields})
    assert edited.status_code == 200
    assert edited.json["violations"] == []
    assert edited.json["flags"] == ["comeback"]
    assert timer(edited.json, "evidence")["due_at"] == on_day(6)  # from received_at


def test_an_edit_that_undoes_a_comeback_removes_the_flag_and_stops_the_evidence_timer(
    client, make_tenant, make_case, clock
):
    garage = make_tenant("garage", **GARAGE)
    clock.set(datetime.fromisoformat(on_day(3)))
    case = make_case(garage, **complaint(on_day(3)))
    assert case["flags"] == ["comeback"] and timer(case, "evidence")["state"] == "running"
    clock.set(datetime.fromisoformat(on_day(4)))
    # The agent had typed the wrong complaint type: it is about the charges.
    fields = {**case["data"]["auto_repair"], "complaint_type": "charges"}
    edited = patch(client, garage, case, data={"auto_repair": fields})
    assert edited.status_code == 200, edited.json
    assert edited.json["flags"] == []
    evidence = timer(edited.json, "evidence")
    assert (evidence["state"], evidence["stopped_at"]) == ("met", on_day(4))  # no longer owed


# --- routing and severity ------------------------------------------------------------------------


ROUTES = [
    # (complaint type, severity given, the tenant has 安全部, severity, department)
    ("safety", "normal", True, "major", "安全部"),
    ("safety", "critical", True, "critical", "安全部"),  # never lowered
    ("safety", "normal", False, "major", None),  # a route to a department the tenant lacks
    ("quality", "normal", True, "normal", "技术部"),
    ("charges", "normal", True, "normal", "经理室"),
    ("attitude", "low", True, "low", "客服部"),
    ("other", "normal", True, "normal", None),
]


def test_complaints_are_routed_by_type(make_tenant, make_case):
    garage = make_tenant("garage", **GARAGE)
    small = make_tenant("small", plugins={"auto_repair": {}}, departments=["技术部", "客服部"])
    for complaint_type, given, has_safety, severity, department in ROUTES:
        case = make_case(
            garage if has_safety else small,
            severity=given,
            **complaint(on_day(40), complaint_type=complaint_type),
        )
        assert (case["severity"], case["department"]) == (severity, department), complaint_type


def test_an_edit_to_a_safety_complaint_raises_severity_and_routes_it(
    client, make_tenant, make_case, act
):
    garage = make_tenant("garage", **GARAGE)
    case = make_case(garage, **complaint(on_day(40), complaint_type="other"))
    assert (case["severity"], case["department"]) == ("normal", None)
    fields = {**case["data"]["auto_repair"], "complaint_type": "safety"}
    edited = patch(client, garage, case, data={"auto_repair": fields}).json
    assert (edited["severity"], edited["department"]) == ("major", "安全部")
    to_resolving(garage, case, act)
    refused = act(garage, case, "resolve", resolution="已更换刹车片")
    assert codes(refused) == ["core.approval_required"]  # major: the core's own rule


# --- the follow-up call --------------------------------------------------------------------------


FOLLOW_UPS = [
    ("overhaul", 7, "days", "2026-03-17T10:00:00+08:00"),
    ("level2_maintenance", 7, "days", "2026-03-17T10:00:00+08:00"),
    ("minor_repair", 5, "working_days", "2026-03-17T23:59:59+08:00"),  # the core's
]


def test_a_follow_up_call_7_days_after_an_overhaul_is_resolved(make_tenant, make_case, act, clock):
    garage = make_tenant("garage", **GARAGE)
    for job_type, amount, unit, due_at in FOLLOW_UPS:
        clock.set(datetime(2026, 3, 5, 2, 0, tzinfo=UTC))
        case = make_case(
            garage, **complaint(on_day(3), complaint_type="charges", job_type=job_type)
        )
        assert timer(case, "follow_up") is None
        clock.set(datetime(2026, 3, 10, 2, 0, tzinfo=UTC))  # Tuesday 10:00 in Shanghai
        to_resolving(garage, case, act)
        resolved = act(garage, case, "resolve", resolution="已返修").json
        follow_up = timer(resolved, "follow_up")
        assert (follow_up["amount"], follow_up["unit"], follow_up["due_at"]) == (
            amount,
            unit,
            due_at,
        ), job_type
        assert follow_up["started_at"] == "2026-03-10T10:00:00+08:00"


# --- a tenant without the plugin -----------------------------------------------------------------


@pytest.fixture
def spy(monkeypatch) -> list[int]:
    """The tenant ids the auto_repair plugin's code read its settings or case fields for."""
    seen: list[int] = []
    settings_of, fields_of = auto_repair_hooks.settings_of, auto_repair_hooks.fields_of

    def spied_settings(tenant):
        seen.append(tenant.id)
        return settings_of(tenant)

    def spied_fields(case):
        seen.append(case.tenant_id)
        return fields_of(case)

    monkeypatch.setattr(auto_repair_hooks, "settings_of", spied_settings)
    monkeypatch.setattr(auto_repair_hooks, "fields_of", spied_fields)
    return seen


def test_a_tenant_without_the_plugin_is_untouched(client, make_tenant, make_case, act, spy):
    garage, plain = make_tenant("garage", **GARAGE), make_tenant("plain", departments=DEPARTMENTS)
    body = complaint(on_day(3), job_type="overhaul", same_fault_repairs=2)
    flagged = make_case(garage, **body)
    assert flagged["flags"] == ["comeback", "repeat_failure"] and garage.id in spy

    spy.clear()
    safety = complaint(on_day(3), complaint_type="safety")
    for given in (body, safety):
        without = {k: v for k, v in given.items() if k != "data"}
        case = make_case(plain, **without)
        assert case["flags"] == [] and case["violations"] == []
        assert (case["severity"], case["department"]) == ("normal", None)
        first = timer(case, "first_reply")
        assert [t["name"] for t in case["timers"]] == ["first_reply"]
        assert (first["amount"], first["unit"]) == (5, "working_days")
    to_resolving(plain, case, act)
    resolved = act(plain, case, "resolve", resolution="已处理").json
    assert timer(resolved, "follow_up")["unit"] == "working_days"
    foreign = client.post("/api/v1/cases", json=body, headers=plain.auth("agent"))
    assert foreign.status_code == 422
    assert [(v["code"], v["field"]) for v in foreign.json["violations"]] == [
        ("core.plugin_not_enabled", "data.auto_repair")
    ]
    assert spy == []


def test_another_tenants_ids_are_404(client, make_tenant, make_case, act):
    garage = make_tenant("garage", **GARAGE)
    other = make_tenant("other", plugins={"auto_repair": {}}, departments=DEPARTMENTS)
    case = make_case(garage, **complaint())
    url = f"/api/v1/cases/{case['id']}"
    assert client.get(url, headers=other.auth()).status_code == 404
    assert client.get(f"{url}/events", headers=other.auth()).status_code == 404
    edit = client.patch(url, json={"version": 1, "title": "x"}, headers=other.auth())
    assert edit.status_code == 404
    moved = client.post(
        f"{url}/actions", json={"action": "acknowledge", "version": 1}, headers=other.auth()
    )
    assert moved.status_code == 404
    assert act(garage, case, "acknowledge").status_code == 200
