"""manufacturing through the HTTP API (DOMAIN.md section 4): the 8D decision and its timers on
fixed dates, D4 at intake and edit, the close gates all at once, the customer's rejection,
repeats by part and defect, the same part and lot at other customers, the 8D documents, and a
tenant without the plugin left untouched.

Tenant ``hengtong`` (a parts plant) enables manufacturing with one customer's own deadlines;
``bravo`` has no plugin.
"""

from __future__ import annotations

import re
import zlib
from datetime import datetime
from typing import Any

import pytest

RECEIVED = "2026-03-04T10:00:00+08:00"
BODY: dict[str, Any] = {
    "kind": "complaint",
    "title": "支架焊点开裂",
    "channel": "email",
    "customer": {"name": "李工", "email": "li@oem.example"},
    "received_at": RECEIVED,
}
PART = {
    "customer": "一汽大众",
    "customer_complaint_no": "FAW-2026-0311",
    "part_no": "BRK-2201",
    "part_name": "后桥支架",
    "lots": ["L2602A"],
    "quantity_affected": 120,
    "defect": "焊点开裂",
    "found_at": "incoming",
}
D1_TO_D3 = {
    "d1": {"champion": "王总", "leader": "孙工", "members": ["质量部 赵", "生产部 钱"]},
    "d2": {"what": "焊点开裂", "where": "客户来料检验", "how_many": "120 件"},
    "d3": {
        "actions": [{"action": "在制品与库存全检", "owner": "钱", "verified": True}],
        "suspect_stock": {"finished_goods": 800, "at_customer": 120},
    },
}
D4_D5 = {
    "d4": {
        "occurrence_root_cause": "焊接电流参数漂移，设备未做日点检",
        "escape_point": "终检只做目视，未做破坏性抽检",
        "verification": "复现试验 5/5",
    },
    "d5": {"occurrence_actions": "焊机参数锁定并加日点检", "detection_actions": "每班破坏性抽检"},
}
D6_TO_D8 = {
    "d6": {"implemented_on": "2026-03-20", "effectiveness_evidence": "连续 3 批零缺陷"},
    "d7": {"documents_revised": ["pfmea", "control_plan"], "similar_products_checked": "BRK-2202"},
    "d8": {"closed_on": "2026-03-30", "lessons_learned": "参数类失效纳入点检"},
}
FULL_8D = {**D1_TO_D3, **D4_D5, **D6_TO_D8}
SETTINGS = {
    "customer_timers": {
        "上汽通用": {
            "containment": {"amount": 12, "unit": "hours"},
            "closure": {"amount": 30, "unit": "days"},
        }
    }
}


@pytest.fixture
def hengtong(make_tenant):
    return make_tenant("hengtong", plugins={"manufacturing": SETTINGS}, locale="zh_CN")


@pytest.fixture
def bravo(make_tenant):
    return make_tenant("bravo")


def open_case(client, tenant, part: dict[str, Any] | None = None, **overrides: Any):
    body = {**BODY, **overrides}
    if part is not None:
        body["data"] = {"manufacturing": part}
    return client.post("/api/v1/cases", json=body, headers=tenant.auth("agent"))


def opened(client, tenant, part=None, **overrides) -> dict[str, Any]:
    response = open_case(client, tenant, part, **overrides)
    assert response.status_code == 201, response.json
    return response.json


def get(client, tenant, case) -> dict[str, Any]:
    return client.get(f"/api/v1/cases/{case['id']}", headers=tenant.auth()).json


def events(client, tenant, case, type_: str | None = None) -> list[dict[str, Any]]:
    items = client.get(f"/api/v1/cases/{case['id']}/events?limit=200", headers=tenant.auth()).json[
        "items"
    ]
    return [e for e in items if type_ is None or e["type"] == type_]


def timers(case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {t["name"]: t for t in case["timers"]}


def codes(response) -> list[str]:
    return sorted(v["code"] for v in response.json.get("violations", []))


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
        ("reject", {"findings": "已按 8D 处理"}),
        ("follow_up", {}),
    ):
        current = act(tenant, case, action, role="manager", **params)
        assert current.status_code == 200, (action, current.json)


def document(client, tenant, case, name: str):
    return client.get(f"/api/v1/cases/{case['id']}/documents/{name}", headers=tenant.auth())


# --- the 8D decision and its timers --------------------------------------------------------


def test_8d_required_flag_and_timers(client, hengtong):
    for cause_known, severity, required in (
        (None, "normal", True),
        (False, "low", True),
        (True, "normal", False),
        (True, "low", False),
        (True, "major", True),
        (True, "critical", True),
    ):
        case = opened(client, hengtong, {**PART, "cause_known": cause_known}, severity=severity)
        assert ("8d_required" in case["flags"]) is required, (cause_known, severity)
        plant = timers(case)
        if not required:
            assert not {"containment", "action_plan", "closure"} & set(plant)
            continue
        assert plant["containment"]["due_at"] == "2026-03-05T10:00:00+08:00"  # 24 hours
        assert plant["action_plan"]["due_at"] == "2026-03-18T10:00:00+08:00"  # 14 days
        assert plant["closure"]["due_at"] == "2026-05-03T10:00:00+08:00"  # 60 days
        assert plant["closure"]["explanation"]["unit"] == "days"
    feedback = opened(client, hengtong, {"customer": "一汽大众"}, kind="feedback")
    assert feedback["flags"] == [] and "containment" not in timers(feedback)


def test_a_customers_own_deadlines(client, hengtong):
    case = opened(client, hengtong, {**PART, "customer": " 上汽通用 "})
    plant = timers(case)
    assert plant["containment"]["due_at"] == "2026-03-04T22:00:00+08:00"  # 12 hours
    assert plant["action_plan"]["due_at"] == "2026-03-18T10:00:00+08:00"  # the tenant's
    assert plant["closure"]["due_at"] == "2026-04-03T10:00:00+08:00"  # 30 days


def test_an_edit_that_raises_severity_requires_the_8d_from_intake(client, hengtong):
    case = opened(client, hengtong, {**PART, "cause_known": True})
    assert "8d_required" not in case["flags"] and "containment" not in timers(case)
    response = edit(client, hengtong, case, severity="critical")
    assert response.status_code == 200, response.json
    assert "8d_required" in response.json["flags"]
    assert timers(response.json)["containment"]["due_at"] == "2026-03-05T10:00:00+08:00"


def test_filling_in_the_8d_meets_containment_then_the_action_plan(client, hengtong, clock):
    clock.set(datetime.fromisoformat("2026-03-04T20:00:00+08:00"))
    case = opened(client, hengtong, PART)
    response = edit(client, hengtong, case, data={"manufacturing": {**PART, "eight_d": D1_TO_D3}})
    assert response.status_code == 200, response.json
    plant = timers(response.json)
    assert plant["containment"]["state"] == "met"
    assert plant["action_plan"]["state"] == "running"
    eight_d = {**D1_TO_D3, **D4_D5}
    response = edit(client, hengtong, case, data={"manufacturing": {**PART, "eight_d": eight_d}})
    assert timers(response.json)["action_plan"]["state"] == "met"
    assert timers(response.json)["closure"]["state"] == "running"


# --- D4 ------------------------------------------------------------------------------------


D4_REFUSED = [
    (
        {"occurrence_root_cause": "员工操作失误，漏焊", "escape_point": "终检"},
        ["data.manufacturing.eight_d.d4.occurrence_root_cause"],
    ),
    (
        {"occurrence_root_cause": "Human error at station 3"},
        [
            "data.manufacturing.eight_d.d4.escape_point",
            "data.manufacturing.eight_d.d4.occurrence_root_cause",
        ],
    ),
    (
        {"verification": "复现试验"},
        [
            "data.manufacturing.eight_d.d4.escape_point",
            "data.manufacturing.eight_d.d4.occurrence_root_cause",
        ],
    ),
]


def test_d4_is_checked_at_intake_and_on_edit(client, hengtong):
    case = opened(client, hengtong, PART)
    for d4, fields in D4_REFUSED:
        part = {**PART, "eight_d": {"d4": d4}}
        for response in (
            open_case(client, hengtong, part),
            edit(client, hengtong, case, data={"manufacturing": part}),
        ):
            assert response.status_code == 422, d4
            assert set(codes(response)) == {"manufacturing.root_cause_incomplete"}
            assert sorted(v["field"] for v in response.json["violations"]) == fields
    assert get(client, hengtong, case)["version"] == case["version"]  # nothing stored
    accepted = edit(client, hengtong, case, data={"manufacturing": {**PART, "eight_d": D4_D5}})
    assert accepted.status_code == 200, accepted.json


# --- close ---------------------------------------------------------------------------------


def test_close_reports_every_gate_then_closes_once_complete_and_approved(
    client, hengtong, act, clock
):
    clock.set(datetime.fromisoformat("2026-03-25T09:00:00+08:00"))
    case = opened(client, hengtong, {**PART, "eight_d": D1_TO_D3})
    to_follow_up(hengtong, case, act)
    refused = act(hengtong, case, "close")
    assert refused.status_code == 422
    assert codes(refused) == ["manufacturing.8d_incomplete", "manufacturing.8d_not_approved"]
    incomplete = next(v for v in refused.json["violations"] if v["code"].endswith("incomplete"))
    for discipline in ("D4", "D5", "D6", "D7", "D8"):
        assert discipline in incomplete["message"]
    assert "D1" not in incomplete["message"]

    no_pfmea = {**FULL_8D, "d7": {"documents_revised": ["work_instruction"]}}
    assert (
        edit(
            client, hengtong, case, data={"manufacturing": {**PART, "eight_d": no_pfmea}}
        ).status_code
        == 200
    )
    refused = act(hengtong, case, "close")
    assert codes(refused) == ["manufacturing.8d_incomplete", "manufacturing.8d_not_approved"]
    incomplete = next(v for v in refused.json["violations"] if v["code"].endswith("incomplete"))
    assert incomplete["field"] == "data.manufacturing.eight_d.d7.documents_revised"

    assert (
        edit(
            client, hengtong, case, data={"manufacturing": {**PART, "eight_d": FULL_8D}}
        ).status_code
        == 200
    )
    assert codes(act(hengtong, case, "close")) == ["manufacturing.8d_not_approved"]
    assert act(hengtong, case, "approve", role="agent").status_code == 403
    assert act(hengtong, case, "approve", role="manager").status_code == 200
    closed = act(hengtong, case, "close")
    assert closed.status_code == 200, closed.json
    assert timers(closed.json)["closure"]["state"] == "met"


def test_a_statement_case_closes_without_an_8d(client, hengtong, act):
    case = opened(client, hengtong, {**PART, "cause_known": True})
    to_follow_up(hengtong, case, act)
    assert act(hengtong, case, "close").status_code == 200


def test_the_customer_rejects_the_8d_back_to_d4(client, hengtong, act, clock):
    case = opened(client, hengtong, {**PART, "eight_d": FULL_8D})
    clock.set(datetime.fromisoformat("2026-03-25T09:00:00+08:00"))
    to_follow_up(hengtong, case, act)
    assert act(hengtong, case, "approve", role="manager").status_code == 200

    clock.set(datetime.fromisoformat("2026-03-26T14:00:00+08:00"))
    response = act(hengtong, case, "reject_8d")
    assert response.status_code == 422  # the reason is required
    response = act(hengtong, case, "reject_8d", reason="根本原因未验证到设备层面")
    assert response.status_code == 200, response.json
    assert response.json["state"] == "investigating"
    plan = timers(response.json)["action_plan"]
    assert plan["started_at"] == "2026-03-26T14:00:00+08:00"
    assert plan["due_at"] == "2026-04-09T14:00:00+08:00" and plan["state"] == "running"
    (rejected,) = events(client, hengtong, case, "manufacturing.8d_rejected")
    assert rejected["data"]["back_to"] == "d4"
    assert rejected["data"]["reason"] == "根本原因未验证到设备层面"
    assert rejected["data"]["rejected"]["d4"] == FULL_8D["d4"]

    # Back at close: D4 must be revised and the 8D approved again.
    clock.set(datetime.fromisoformat("2026-03-30T09:00:00+08:00"))
    for action, params in (("reject", {"findings": "8D 修订中"}), ("follow_up", {})):
        assert act(hengtong, case, action, role="manager", **params).status_code == 200
    refused = act(hengtong, case, "close")
    assert codes(refused) == ["manufacturing.8d_incomplete", "manufacturing.8d_not_approved"]
    incomplete = next(v for v in refused.json["violations"] if v["code"].endswith("incomplete"))
    assert "rejected" in incomplete["message"]
    assert incomplete["field"] == "data.manufacturing.eight_d.d4"
    revised = {**FULL_8D, "d4": {**FULL_8D["d4"], "verification": "设备层面复现 5/5，参数漂移确认"}}
    assert (
        edit(
            client, hengtong, case, data={"manufacturing": {**PART, "eight_d": revised}}
        ).status_code
        == 200
    )
    assert codes(act(hengtong, case, "close")) == ["manufacturing.8d_not_approved"]
    assert act(hengtong, case, "approve", role="manager").status_code == 200
    closed = act(hengtong, case, "close")
    assert closed.status_code == 200, closed.json


def test_reject_8d_needs_an_8d(client, hengtong, act):
    case = opened(client, hengtong, {**PART, "cause_known": True})
    act(hengtong, case, "acknowledge")
    act(hengtong, case, "investigate")
    refused = act(hengtong, case, "reject_8d", reason="不接受")
    assert refused.status_code == 422 and codes(refused) == ["manufacturing.no_8d"]


# --- repeats and other customers -----------------------------------------------------------


def test_same_part_and_defect_within_90_days_is_an_escalated_repeat(client, hengtong):
    first = opened(client, hengtong, PART, received_at="2026-01-10T10:00:00+08:00")
    other_defect = opened(
        client, hengtong, {**PART, "defect": "尺寸超差"}, received_at="2026-02-01T10:00:00+08:00"
    )
    assert "repeat" not in other_defect["flags"]
    # Exactly 90 days later, the defect typed with other spacing: still within.
    again = opened(
        client,
        hengtong,
        {**PART, "defect": " 焊点开裂 ", "customer": "上汽通用"},
        received_at="2026-04-10T10:00:00+08:00",
    )
    assert "repeat" in again["flags"]
    assert {"case": first["id"], "relation": "repeat_of"} in again["links"]
    assert again["severity"] == "major"
    assert {"case": again["id"], "relation": "repeated_by"} in get(client, hengtong, first)["links"]

    # One second past 90 days is not a repeat.
    part_b = {**PART, "part_no": "BRK-3300"}
    opened(client, hengtong, part_b, received_at="2026-01-10T10:00:00+08:00")
    late = opened(client, hengtong, part_b, received_at="2026-04-10T10:00:01+08:00")
    assert "repeat" not in late["flags"] and late["severity"] == "normal"
    critical = opened(
        client, hengtong, PART, severity="critical", received_at="2026-04-11T10:00:00+08:00"
    )
    assert critical["severity"] == "critical"  # escalation never lowers


def test_same_part_and_lot_at_other_customers(client, hengtong, act):
    faw = opened(client, hengtong, {**PART, "lots": ["L2602A", "L2602B"]})
    closed_gm = opened(
        client,
        hengtong,
        {**PART, "customer": "长安汽车", "cause_known": True, "defect": "漏装螺母"},
    )
    to_follow_up(hengtong, closed_gm, act)
    assert act(hengtong, closed_gm, "close").status_code == 200
    other_part = opened(client, hengtong, {**PART, "part_no": "BRK-9", "customer": "吉利"})

    gm = opened(client, hengtong, {**PART, "customer": "上汽通用", "lots": ["l2602b", "L2609"]})
    assert {"case": faw["id"], "relation": "same_part_lot"} in gm["links"]
    linked = {link["case"] for link in gm["links"] if link["relation"] == "same_part_lot"}
    assert linked == {faw["id"]}  # not the closed case, not another part
    (listed,) = events(client, hengtong, gm, "manufacturing.other_customers")
    assert listed["data"]["cases"] == [
        {
            "case": faw["id"],
            "number": faw["number"],
            "customer": "一汽大众",
            "part_no": "BRK-2201",
            "lots": ["L2602B"],
        }
    ]
    assert {"case": gm["id"], "relation": "same_part_lot"} in get(client, hengtong, faw)["links"]

    # The first customer again, lot L2602B: linked to the other customer, not to its own case.
    same_customer = opened(client, hengtong, {**PART, "lots": ["L2602B"]})
    linked = {
        link["case"] for link in same_customer["links"] if link["relation"] == "same_part_lot"
    }
    assert linked == {gm["id"]}
    (listed,) = events(client, hengtong, same_customer, "manufacturing.other_customers")
    assert [entry["customer"] for entry in listed["data"]["cases"]] == ["上汽通用"]
    assert other_part["id"] not in linked


# --- documents -----------------------------------------------------------------------------


def cmap_text(pdf: bytes) -> str:
    """The characters the PDF's fonts map to Unicode (what a text extractor reads)."""
    chars = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            data = zlib.decompress(stream)
        except zlib.error:
            continue
        if b"beginbfchar" in data:
            for code in re.findall(rb"<[0-9a-fA-F]+>\s*<([0-9a-fA-F]+)>", data):
                chars.append(bytes.fromhex(code.decode()).decode("utf-16-be", "replace"))
    return "".join(chars)


def test_8d_report_documents(client, hengtong, act):
    case = opened(client, hengtong, {**PART, "eight_d": FULL_8D})
    page = document(client, hengtong, case, "8d.html")
    assert page.status_code == 200 and page.content_type == "text/html; charset=utf-8"
    html = page.get_data(as_text=True)
    for text in ("8D 报告", "D4 根本原因", "焊接电流参数漂移", "后桥支架", "控制计划", "未批准"):
        assert text in html
    assert '<html lang="zh-CN">' in html
    # The console's words for the case's state and severity (one case, one vocabulary).
    console = {"received": "已受理", "low": "低", "normal": "一般", "major": "重大"}
    assert console[case["state"]] in html and console[case["severity"]] in html

    pdf = document(client, hengtong, case, "8d.pdf")
    assert pdf.status_code == 200 and pdf.content_type == "application/pdf"
    assert pdf.data.startswith(b"%PDF-")
    assert set("根本原因焊接电流参数漂移后桥支架") <= set(cmap_text(pdf.data))

    english = opened(client, hengtong, {**PART, "language": "en", "eight_d": FULL_8D})
    html = document(client, hengtong, english, "8d.html").get_data(as_text=True)
    assert "D4 Root cause" in html and "Control plan" in html and "焊接电流参数漂移" in html

    feedback = opened(client, hengtong, None, kind="feedback")
    assert document(client, hengtong, feedback, "8d.pdf").status_code == 404


# --- a tenant without the plugin -----------------------------------------------------------


def test_a_tenant_without_the_plugin_is_untouched(client, hengtong, bravo, act):
    opened(client, hengtong, PART)  # the same part and lot where the plugin is on
    refused = open_case(client, bravo, PART)
    assert refused.status_code == 422 and codes(refused) == ["core.plugin_not_enabled"]
    assert refused.json["violations"][0]["field"] == "data.manufacturing"

    case = opened(client, bravo, None, severity="major")
    again = opened(client, bravo, None, severity="major")
    for body in (case, again):
        assert body["flags"] == [] and body["links"] == [] and body["severity"] == "major"
        assert set(timers(body)) == {"first_reply"}
    assert [e["type"] for e in events(client, bravo, case)] == ["opened"]
    act(bravo, case, "acknowledge")
    act(bravo, case, "investigate")
    assert act(bravo, case, "reject_8d", reason="x").status_code == 422  # unknown action
    assert document(client, bravo, case, "8d.html").status_code == 404


def test_another_tenants_ids_are_404(client, hengtong, bravo):
    case = opened(client, hengtong, {**PART, "eight_d": FULL_8D})
    base = f"/api/v1/cases/{case['id']}"
    for path in (base, f"{base}/documents/8d.pdf", f"{base}/documents/8d.html", f"{base}/events"):
        assert client.get(path, headers=bravo.auth()).status_code == 404
    response = client.post(
        f"{base}/actions",
        json={"action": "reject_8d", "reason": "x", "version": case["version"]},
        headers=bravo.auth(),
    )
    assert response.status_code == 404
    response = client.patch(
        base, json={"version": case["version"], "title": "x"}, headers=bravo.auth()
    )
    assert response.status_code == 404
    assert get(client, hengtong, case)["version"] == case["version"]
