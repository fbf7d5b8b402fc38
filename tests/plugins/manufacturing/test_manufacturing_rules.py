"""The manufacturing (8D) rules of DOMAIN.md section 4, table by table."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta, timezone

import pytest

from core import Violation
from plugins.manufacturing.rules import (
    TimerFigure,
    check_eight_d,
    close_violations,
    eight_d_required,
    repeat_key,
    repeat_window_start,
    report_language,
    report_sections,
    same_part_lot_keys,
    timers_for,
)
from plugins.manufacturing.schemas import Settings

D = "data.manufacturing.eight_d"
INCOMPLETE = "manufacturing.8d_incomplete"
NOT_APPROVED = "manufacturing.8d_not_approved"
ROOT_CAUSE = "manufacturing.root_cause_incomplete"

COMPLETE_8D: dict = {
    "d0": {"emergency_response": "Customer line stopped; 200 parts sorted on site."},
    "d1": {"champion": "GM Li", "leader": "QE Zhang", "members": ["Wang", "Chen"]},
    "d2": {"what": "Burr on bore", "how_many": "37 of 2000", "is_not": "Not on line 2"},
    "d3": {
        "actions": [
            {
                "action": "100 % sort",
                "owner": "Wang",
                "started_on": date(2026, 3, 2),
                "verified": True,
            }
        ],
        "suspect_stock": {
            "in_process": 120,
            "finished_goods": 800,
            "in_transit": 0,
            "at_customer": 0,
        },
    },
    "d4": {
        "occurrence_root_cause": "Worn deburring tool: no tool-life limit in the control plan",
        "escape_point": "Final inspection samples 5 per lot, burr not on the checklist",
        "verification": "Defect reproduced with the worn tool, gone with a new one",
    },
    "d5": {"occurrence_actions": "Tool life 5000 parts", "detection_actions": "Burr gauge"},
    "d6": {"implemented_on": date(2026, 3, 20), "effectiveness_evidence": "3 lots, 0 defects"},
    "d7": {"documents_revised": ["pfmea", "control_plan"], "similar_products_checked": "P-101"},
    "d8": {"closed_on": date(2026, 4, 1), "lessons_learned": "Tool life in every PFMEA"},
}


def settings(**overrides: object) -> dict:
    """Settings as the plugin's schema loads them (defaults filled in)."""
    return Settings().load(overrides)


def codes(found: list[Violation]) -> list[tuple[str, str | None]]:
    return [(v.code, v.field) for v in found]


# --- 8D required -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cause_known", "severity", "required"),
    [
        (True, "low", False),
        (True, "normal", False),
        (True, "major", True),
        (True, "critical", True),
        (False, "low", True),
        (False, "normal", True),
        (False, "major", True),
        (False, "critical", True),
        (None, "low", True),
        (None, "normal", True),
        (None, "major", True),
        (None, "critical", True),
    ],
)
def test_eight_d_required(cause_known: bool | None, severity: str, required: bool) -> None:
    fields = {} if cause_known is None else {"cause_known": cause_known}
    assert eight_d_required(fields, severity) is required


# --- D4 on every open and edit ---------------------------------------------------------------


def with_d4(**d4: object) -> dict:
    return {"d4": d4}


@pytest.mark.parametrize(
    ("eight_d", "expected"),
    [
        (COMPLETE_8D, []),
        ({}, []),
        (None, []),
        ({"d4": None}, []),
        ({"d4": {}}, []),
        (with_d4(occurrence_root_cause="Worn tool", escape_point="No burr check"), []),
        (
            with_d4(escape_point="No burr check"),
            [(ROOT_CAUSE, f"{D}.d4.occurrence_root_cause")],
        ),
        (
            with_d4(occurrence_root_cause="   ", escape_point="No burr check"),
            [(ROOT_CAUSE, f"{D}.d4.occurrence_root_cause")],
        ),
        (
            with_d4(occurrence_root_cause="Worn tool"),
            [(ROOT_CAUSE, f"{D}.d4.escape_point")],
        ),
        (
            with_d4(occurrence_root_cause="Worn tool", escape_point=None, verification="x"),
            [(ROOT_CAUSE, f"{D}.d4.escape_point")],
        ),
        (
            with_d4(verification="Reproduced"),
            [(ROOT_CAUSE, f"{D}.d4.occurrence_root_cause"), (ROOT_CAUSE, f"{D}.d4.escape_point")],
        ),
        (
            with_d4(occurrence_root_cause="Operator error"),
            [(ROOT_CAUSE, f"{D}.d4.occurrence_root_cause"), (ROOT_CAUSE, f"{D}.d4.escape_point")],
        ),
    ],
)
def test_check_eight_d_d4(eight_d: dict | None, expected: list) -> None:
    assert codes(check_eight_d(eight_d, settings())) == expected


@pytest.mark.parametrize(
    "root_cause",
    [
        "operator error",
        "Operator Error",
        "OPERATOR ERROR during setup",
        "Root cause: operator  error",  # doubled space as typed
        "human error",
        "Human Error at station 3",
        "操作失误",
        "装配时操作失误",
        "人为失误",
        "员工失误导致漏检",
        "ＯＰＥＲＡＴＯＲ ＥＲＲＯＲ",  # full-width, as typed on a Chinese keyboard
    ],
)
def test_operator_error_is_not_a_root_cause(root_cause: str) -> None:
    found = check_eight_d(with_d4(occurrence_root_cause=root_cause, escape_point="EOL"), settings())
    assert codes(found) == [(ROOT_CAUSE, f"{D}.d4.occurrence_root_cause")]
    assert all(v.blocking for v in found)


@pytest.mark.parametrize(
    "root_cause",
    ["Operator could not see the fixture mark: no poka-yoke", "作业指导书缺少扭矩值", "Humane"],
)
def test_real_root_causes_pass(root_cause: str) -> None:
    assert (
        check_eight_d(with_d4(occurrence_root_cause=root_cause, escape_point="EOL"), settings())
        == []
    )


def test_phrases_come_from_settings() -> None:
    eight_d = with_d4(occurrence_root_cause="Wrong material from supplier", escape_point="EOL")
    assert check_eight_d(eight_d, settings()) == []
    assert codes(check_eight_d(eight_d, settings(operator_error_phrases=["SUPPLIER"]))) == [
        (ROOT_CAUSE, f"{D}.d4.occurrence_root_cause")
    ]
    operator = with_d4(occurrence_root_cause="operator error", escape_point="EOL")
    assert check_eight_d(operator, settings(operator_error_phrases=[])) == []


# --- close -----------------------------------------------------------------------------------


def test_complete_and_approved_8d_closes() -> None:
    assert close_violations(COMPLETE_8D, approved=True) == []


@pytest.mark.parametrize("missing", ["d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8"])
@pytest.mark.parametrize("how", ["absent", "none", "empty", "blank"])
def test_close_with_one_discipline_missing(missing: str, how: str) -> None:
    eight_d = copy.deepcopy(COMPLETE_8D)
    if how == "absent":
        del eight_d[missing]
    elif how == "none":
        eight_d[missing] = None
    elif how == "empty":
        eight_d[missing] = {}
    else:
        eight_d[missing] = {key: "  " for key in eight_d[missing]}
    found = close_violations(eight_d, approved=True)
    assert codes(found) == [(INCOMPLETE, f"{D}.{missing}")]
    assert missing.upper() in found[0].message


def test_d0_is_not_required_to_close() -> None:
    eight_d = {k: v for k, v in COMPLETE_8D.items() if k != "d0"}
    assert close_violations(eight_d, approved=True) == []


def test_close_with_nothing_names_every_discipline() -> None:
    found = close_violations({}, approved=True)
    assert codes(found) == [(INCOMPLETE, f"{D}.d{n}") for n in range(1, 9)]


@pytest.mark.parametrize("evidence", [None, "", "   "])
def test_close_d6_without_effectiveness_evidence(evidence: str | None) -> None:
    eight_d = copy.deepcopy(COMPLETE_8D)
    eight_d["d6"]["effectiveness_evidence"] = evidence
    assert codes(close_violations(eight_d, approved=True)) == [
        (INCOMPLETE, f"{D}.d6.effectiveness_evidence")
    ]


@pytest.mark.parametrize(
    ("documents", "complete"),
    [
        (["work_instruction"], False),
        (["inspection_instruction"], False),
        (["work_instruction", "inspection_instruction"], False),
        ([], False),
        (None, False),
        (["pfmea"], True),
        (["control_plan"], True),
        (["work_instruction", "pfmea"], True),
        (["inspection_instruction", "control_plan"], True),
        (["pfmea", "control_plan", "work_instruction"], True),
    ],
)
def test_close_d7_needs_pfmea_or_control_plan(documents: list[str] | None, complete: bool) -> None:
    eight_d = copy.deepcopy(COMPLETE_8D)
    eight_d["d7"]["documents_revised"] = documents
    expected = [] if complete else [(INCOMPLETE, f"{D}.d7.documents_revised")]
    assert codes(close_violations(eight_d, approved=True)) == expected


@pytest.mark.parametrize("approved", [True, False])
def test_close_needs_approval(approved: bool) -> None:
    expected = [] if approved else [(NOT_APPROVED, None)]
    assert codes(close_violations(COMPLETE_8D, approved=approved)) == expected


def test_close_reports_everything_at_once() -> None:
    eight_d = copy.deepcopy(COMPLETE_8D)
    del eight_d["d5"]
    eight_d["d6"]["effectiveness_evidence"] = ""
    eight_d["d7"]["documents_revised"] = ["work_instruction"]
    assert codes(close_violations(eight_d, approved=False)) == [
        (INCOMPLETE, f"{D}.d5"),
        (INCOMPLETE, f"{D}.d6.effectiveness_evidence"),
        (INCOMPLETE, f"{D}.d7.documents_revised"),
        (NOT_APPROVED, None),
    ]


def test_incomplete_and_unapproved_both_block() -> None:
    found = close_violations({}, approved=False)
    assert {v.code for v in found} == {INCOMPLETE, NOT_APPROVED}
    assert all(v.blocking for v in found)


# --- timers ----------------------------------------------------------------------------------

DEFAULT_TIMERS = [
    TimerFigure("containment", 24, "hours"),
    TimerFigure("action_plan", 14, "days"),
    TimerFigure("closure", 60, "days"),
]


@pytest.mark.parametrize("loaded", [True, False])
def test_default_timers(loaded: bool) -> None:
    assert timers_for({"customer": "ACME"}, settings() if loaded else {}) == DEFAULT_TIMERS


ACME_12H = {"ACME": {"containment": {"amount": 12, "unit": "hours"}}}


@pytest.mark.parametrize(
    ("customer", "expected"),
    [
        ("ACME", [TimerFigure("containment", 12, "hours"), *DEFAULT_TIMERS[1:]]),
        (" acme ", [TimerFigure("containment", 12, "hours"), *DEFAULT_TIMERS[1:]]),
        ("ACME Trading", DEFAULT_TIMERS),
        ("Other", DEFAULT_TIMERS),
        (None, DEFAULT_TIMERS),
    ],
)
def test_customer_override(customer: str | None, expected: list[TimerFigure]) -> None:
    assert timers_for({"customer": customer}, settings(customer_timers=ACME_12H)) == expected


def test_customer_override_of_every_timer_over_tenant_timers() -> None:
    loaded = settings(
        timers={"closure": {"amount": 45, "unit": "days"}},
        customer_timers={
            "BoschX": {
                "containment": {"amount": 1, "unit": "working_days"},
                "action_plan": {"amount": 10, "unit": "working_days"},
            }
        },
    )
    assert timers_for({"customer": "BoschX"}, loaded) == [
        TimerFigure("containment", 1, "working_days"),
        TimerFigure("action_plan", 10, "working_days"),
        TimerFigure("closure", 45, "days"),
    ]
    assert timers_for({"customer": "Other"}, loaded) == [
        *DEFAULT_TIMERS[:2],
        TimerFigure("closure", 45, "days"),
    ]


# --- repeats and other customers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "key"),
    [
        ({"part_no": "P-100", "defect": "Burr on bore"}, ("p-100", "burr on bore")),
        ({"part_no": " p-100 ", "defect": "BURR  on bore"}, ("p-100", "burr on bore")),
        ({"part_no": "P-100", "defect": " "}, None),
        ({"part_no": "P-100"}, None),
        ({"defect": "Burr"}, None),
        ({}, None),
    ],
)
def test_repeat_key(fields: dict, key: tuple[str, str] | None) -> None:
    assert repeat_key(fields) == key


@pytest.mark.parametrize(("days", "expected_days"), [(None, 90), (30, 30)])
def test_repeat_window_start(days: int | None, expected_days: int) -> None:
    now = datetime(2026, 6, 30, 10, 0, tzinfo=timezone(timedelta(hours=8)))
    loaded = settings() if days is None else settings(repeat_window_days=days)
    assert repeat_window_start(now, loaded) == now - timedelta(days=expected_days)


@pytest.mark.parametrize(
    ("fields", "keys"),
    [
        ({"part_no": "P-100", "lots": ["L1", "L2"]}, [("p-100", "l1"), ("p-100", "l2")]),
        (
            {"part_no": "P-100", "lots": ["L1", " l1 ", "", "L2"]},
            [("p-100", "l1"), ("p-100", "l2")],
        ),
        ({"part_no": "P-100", "lots": []}, []),
        ({"part_no": "P-100"}, []),
        ({"lots": ["L1"]}, []),
    ],
)
def test_same_part_lot_keys(fields: dict, keys: list[tuple[str, str]]) -> None:
    assert same_part_lot_keys(fields) == keys


# --- the report ------------------------------------------------------------------------------

EN_TITLES = [
    "D0 Emergency response",
    "D1 Team",
    "D2 Problem description",
    "D3 Containment",
    "D4 Root cause",
    "D5 Permanent corrective actions",
    "D6 Implementation and effectiveness",
    "D7 Prevention of recurrence",
    "D8 Closure and lessons learned",
]
ZH_TITLES = [
    "D0 应急响应",
    "D1 成立小组",
    "D2 问题描述",
    "D3 临时遏制措施",
    "D4 根本原因",
    "D5 永久纠正措施",
    "D6 实施与效果验证",
    "D7 预防再发生",
    "D8 结案与经验总结",
]


@pytest.mark.parametrize(
    ("language", "titles"),
    [
        ("en", EN_TITLES),
        ("zh", ZH_TITLES),
        ("zh_CN", ZH_TITLES),
        ("zh-Hans", ZH_TITLES),
        ("de", EN_TITLES),
    ],
)
def test_report_titles(language: str, titles: list[str]) -> None:
    assert [title for title, _ in report_sections(COMPLETE_8D, language)] == titles


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "en"), ("zh", "zh"), ("ZH-cn", "zh"), (None, "en")]
)
def test_report_language(language: str | None, expected: str) -> None:
    assert report_language(language) == expected


def section(language: str, title: str, eight_d: dict = COMPLETE_8D) -> dict[str, str]:
    return dict(dict(report_sections(eight_d, language))[title])


@pytest.mark.parametrize(
    ("language", "title", "rows"),
    [
        (
            "en",
            "D4 Root cause",
            {
                "Occurrence root cause": COMPLETE_8D["d4"]["occurrence_root_cause"],
                "Escape point": COMPLETE_8D["d4"]["escape_point"],
                "How verified": COMPLETE_8D["d4"]["verification"],
            },
        ),
        (
            "zh",
            "D4 根本原因",
            {
                "发生根本原因": COMPLETE_8D["d4"]["occurrence_root_cause"],
                "流出点": COMPLETE_8D["d4"]["escape_point"],
                "验证方法": COMPLETE_8D["d4"]["verification"],
            },
        ),
        (
            "en",
            "D1 Team",
            {"Champion": "GM Li", "Team leader": "QE Zhang", "Members": "Wang, Chen"},
        ),
        ("zh", "D1 成立小组", {"倡导者": "GM Li", "组长": "QE Zhang", "组员": "Wang、Chen"}),
        (
            "en",
            "D3 Containment",
            {
                "Containment action 1": (
                    "100 % sort; owner: Wang; started: 2026-03-02; verified: yes"
                ),
                "Suspect stock: in process": "120",
                "Suspect stock: finished goods": "800",
                "Suspect stock: in transit": "0",
                "Suspect stock: at customer": "0",
            },
        ),
        (
            "zh",
            "D3 临时遏制措施",
            {
                "遏制措施 1": "100 % sort; 负责人: Wang; 开始: 2026-03-02; 已验证: 是",
                "可疑品：在制品": "120",
                "可疑品：成品库存": "800",
                "可疑品：在途": "0",
                "可疑品：客户处": "0",
            },
        ),
        (
            "en",
            "D7 Prevention of recurrence",
            {"Documents revised": "PFMEA, Control plan", "Similar products checked": "P-101"},
        ),
        ("zh", "D7 预防再发生", {"已修订文件": "PFMEA、控制计划", "类似产品排查": "P-101"}),
        (
            "en",
            "D8 Closure and lessons learned",
            {"Closed on": "2026-04-01", "Lessons learned": "Tool life in every PFMEA"},
        ),
    ],
)
def test_report_rows(language: str, title: str, rows: dict[str, str]) -> None:
    assert section(language, title) == rows


@pytest.mark.parametrize("language", ["en", "zh"])
def test_report_of_an_empty_8d_is_a_blank_form(language: str) -> None:
    sections = report_sections({}, language)
    assert len(sections) == 9
    assert all(rows for _, rows in sections)
    assert {value for _, rows in sections for _, value in rows} == {""}


def test_report_takes_dates_as_stored_json() -> None:
    eight_d = {"d6": {"implemented_on": "2026-03-20", "effectiveness_evidence": "ok"}}
    assert section("en", "D6 Implementation and effectiveness", eight_d) == {
        "Implemented on": "2026-03-20",
        "Effectiveness evidence": "ok",
    }


@pytest.mark.parametrize(
    ("filled", "met"),
    [
        ([], []),
        (["d1", "d2"], []),
        (["d1", "d2", "d3"], ["containment"]),
        (["d1", "d2", "d3", "d4"], ["containment"]),
        (["d1", "d2", "d3", "d4", "d5"], ["containment", "action_plan"]),
        (["d2", "d3", "d4", "d5"], []),  # D1 (the team) missing meets neither
        (["d0", "d1", "d2", "d3", "d5", "d6", "d7", "d8"], ["containment"]),  # D4 missing
    ],
)
def test_timers_met_by_disciplines(filled: list[str], met: list[str]) -> None:
    from plugins.manufacturing.rules import timers_met

    eight_d = {name: {"x": "filled"} for name in filled}
    eight_d["d3"] = {"actions": [{"action": "全检"}]} if "d3" in filled else None
    assert timers_met(eight_d) == met
    assert timers_met({name: {"x": " "} for name in filled}) == []  # blank says nothing
