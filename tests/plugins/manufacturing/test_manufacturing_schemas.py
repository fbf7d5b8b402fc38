"""The manufacturing settings and case-field schemas, 8D included (DOMAIN.md section 4)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from marshmallow import RAISE, Schema, ValidationError, fields

from plugins.manufacturing.schemas import CaseFields, Settings


def dotted(messages: Any, prefix: str = "") -> set[str]:
    """The dotted paths of a marshmallow error dict, as the API reports them."""
    if not isinstance(messages, dict):
        return {prefix}
    paths: set[str] = set()
    for key, value in messages.items():
        paths |= dotted(value, f"{prefix}.{key}" if prefix else str(key))
    return paths


def errors(schema: type, payload: dict) -> set[str]:
    with pytest.raises(ValidationError) as caught:
        schema().load(payload)
    return dotted(caught.value.messages)


# --- settings --------------------------------------------------------------------------------


def test_settings_defaults() -> None:
    assert Settings().load({}) == {
        "operator_error_phrases": [
            "operator error",
            "human error",
            "操作失误",
            "人为失误",
            "员工失误",
        ],
        "timers": {
            "containment": {"amount": 24, "unit": "hours"},
            "action_plan": {"amount": 14, "unit": "days"},
            "closure": {"amount": 60, "unit": "days"},
        },
        "customer_timers": {},
        "repeat_window_days": 90,
    }


def test_settings_defaults_are_not_shared_between_loads() -> None:
    first = Settings().load({})
    first["timers"]["containment"]["amount"] = 1
    first["operator_error_phrases"].clear()
    first["customer_timers"]["X"] = {}
    assert Settings().load({}) == Settings().load({}) != first
    assert Settings().load({})["timers"]["containment"]["amount"] == 24


def test_one_timer_given_keeps_the_other_defaults() -> None:
    timers = Settings().load({"timers": {"closure": {"amount": 30, "unit": "working_days"}}})[
        "timers"
    ]
    assert timers == {
        "containment": {"amount": 24, "unit": "hours"},
        "action_plan": {"amount": 14, "unit": "days"},
        "closure": {"amount": 30, "unit": "working_days"},
    }


def test_customer_timers_load() -> None:
    loaded = Settings().load(
        {"customer_timers": {"ACME": {"containment": {"amount": 12, "unit": "hours"}}}}
    )
    assert loaded["customer_timers"] == {"ACME": {"containment": {"amount": 12, "unit": "hours"}}}


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"approvers": ["qm"]}, "approvers"),
        ({"operator_error_phrases": ["  "]}, "operator_error_phrases"),
        ({"operator_error_phrases": [""]}, "operator_error_phrases.0"),
        ({"operator_error_phrases": "operator error"}, "operator_error_phrases"),
        ({"timers": {"review": {"amount": 1, "unit": "days"}}}, "timers.review"),
        ({"timers": {"containment": {"amount": 24}}}, "timers.containment.unit"),
        ({"timers": {"containment": {"amount": 24, "unit": "weeks"}}}, "timers.containment.unit"),
        ({"timers": {"containment": {"amount": 0, "unit": "hours"}}}, "timers.containment.amount"),
        (
            {"timers": {"closure": {"amount": 10**12, "unit": "days"}}},
            "timers.closure.amount",
        ),
        (
            {"timers": {"closure": {"amount": 60, "unit": "days", "from": "x"}}},
            "timers.closure.from",
        ),
        (
            {"customer_timers": {"ACME": {"containment": {"amount": 12, "unit": "hours", "x": 1}}}},
            "customer_timers.ACME.value.containment.x",
        ),
        (
            {"customer_timers": {"ACME": {"review": {"amount": 1, "unit": "hours"}}}},
            "customer_timers.ACME.value.review",
        ),
        (
            {"customer_timers": {"ACME": {"closure": {"amount": 10**12, "unit": "days"}}}},
            "customer_timers.ACME.value.closure.amount",
        ),
        ({"customer_timers": {"": {}}}, "customer_timers..key"),
        ({"repeat_window_days": 0}, "repeat_window_days"),
        ({"repeat_window_days": 10**12}, "repeat_window_days"),
        ({"repeat_window_days": 90.5}, "repeat_window_days"),
    ],
)
def test_settings_refuse(payload: dict, path: str) -> None:
    assert errors(Settings, payload) == {path}


# --- case fields -----------------------------------------------------------------------------

FULL_CASE: dict = {
    "customer": "ACME",
    "customer_complaint_no": "ACME-2026-0042",
    "part_no": "P-100",
    "part_name": "Bracket",
    "lots": ["L1", "L2"],
    "quantity_affected": 37,
    "defect": "Burr on bore",
    "found_at": "incoming",
    "cause_known": False,
    "language": "zh",
    "eight_d": {
        "d0": {"emergency_response": "Sorted at customer"},
        "d1": {"champion": "GM", "leader": "QE", "members": ["A", "B"]},
        "d2": {
            "what": "w",
            "where": "w",
            "when": "w",
            "who": "w",
            "why": "w",
            "how": "w",
            "how_many": "37",
            "is_not": "line 2 not affected",
        },
        "d3": {
            "actions": [
                {"action": "Sort", "owner": "A", "started_on": "2026-03-02", "verified": True}
            ],
            "suspect_stock": {
                "in_process": 1,
                "finished_goods": 2,
                "in_transit": 3,
                "at_customer": 4,
            },
        },
        "d4": {"occurrence_root_cause": "Worn tool", "escape_point": "EOL", "verification": "x"},
        "d5": {"occurrence_actions": "Tool life", "detection_actions": "Gauge"},
        "d6": {"implemented_on": "2026-03-20", "effectiveness_evidence": "0 defects"},
        "d7": {
            "documents_revised": [
                "pfmea",
                "control_plan",
                "work_instruction",
                "inspection_instruction",
            ],
            "similar_products_checked": "P-101",
        },
        "d8": {"closed_on": "2026-04-01", "lessons_learned": "Tool life"},
    },
}


def test_case_fields_load_every_key_of_domain_md() -> None:
    loaded = CaseFields().load(FULL_CASE)
    assert loaded["eight_d"]["d3"]["actions"][0]["started_on"] == date(2026, 3, 2)
    assert loaded["eight_d"]["d8"]["closed_on"] == date(2026, 4, 1)
    assert loaded["lots"] == ["L1", "L2"]


def test_case_fields_and_disciplines_are_optional() -> None:
    assert CaseFields().load({}) == {}
    assert CaseFields().load({"eight_d": {}}) == {"eight_d": {}}
    assert CaseFields().load({"eight_d": {"d4": None}}) == {"eight_d": {"d4": None}}


@pytest.mark.parametrize("found_at", ["incoming", "production", "field", "in_transit"])
def test_every_found_at_of_domain_md(found_at: str) -> None:
    assert CaseFields().load({"found_at": found_at})["found_at"] == found_at


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"plant": "A"}, "plant"),
        ({"found_at": "warehouse"}, "found_at"),
        ({"language": "de"}, "language"),
        ({"language": "zh_CN"}, "language"),
        ({"quantity_affected": -1}, "quantity_affected"),
        ({"quantity_affected": 10**12}, "quantity_affected"),
        ({"quantity_affected": "37"}, "quantity_affected"),
        ({"lots": "L1"}, "lots"),
        ({"lots": ["L1", ""]}, "lots.1"),
        ({"lots": ["x" * 201]}, "lots.0"),
        ({"lots": ["L"] * 1001}, "lots"),
        ({"part_no": "P" * 201}, "part_no"),
        ({"defect": "d" * 2001}, "defect"),
        ({"eight_d": {"d9": {}}}, "eight_d.d9"),
        ({"eight_d": {"d0": {"emergency": "x"}}}, "eight_d.d0.emergency"),
        ({"eight_d": {"d1": {"sponsor": "x"}}}, "eight_d.d1.sponsor"),
        ({"eight_d": {"d2": {"which": "x"}}}, "eight_d.d2.which"),
        ({"eight_d": {"d3": {"stock": {}}}}, "eight_d.d3.stock"),
        (
            {"eight_d": {"d3": {"actions": [{"action": "Sort"}, {"action": "Sort", "cost": 1}]}}},
            "eight_d.d3.actions.1.cost",
        ),
        ({"eight_d": {"d3": {"actions": [{"owner": "A"}]}}}, "eight_d.d3.actions.0.action"),
        (
            {"eight_d": {"d3": {"suspect_stock": {"in_warehouse": 1}}}},
            "eight_d.d3.suspect_stock.in_warehouse",
        ),
        (
            {"eight_d": {"d3": {"suspect_stock": {"at_customer": 10**12}}}},
            "eight_d.d3.suspect_stock.at_customer",
        ),
        (
            {"eight_d": {"d3": {"suspect_stock": {"in_process": -5}}}},
            "eight_d.d3.suspect_stock.in_process",
        ),
        ({"eight_d": {"d4": {"root_cause": "x"}}}, "eight_d.d4.root_cause"),
        (
            {"eight_d": {"d4": {"occurrence_root_cause": "x" * 20001}}},
            "eight_d.d4.occurrence_root_cause",
        ),
        ({"eight_d": {"d5": {"actions": "x"}}}, "eight_d.d5.actions"),
        ({"eight_d": {"d6": {"evidence": "x"}}}, "eight_d.d6.evidence"),
        ({"eight_d": {"d6": {"implemented_on": "soon"}}}, "eight_d.d6.implemented_on"),
        ({"eight_d": {"d7": {"documents_revised": ["fmea"]}}}, "eight_d.d7.documents_revised.0"),
        (
            {"eight_d": {"d7": {"documents_revised": ["pfmea", "PFMEA"]}}},
            "eight_d.d7.documents_revised.1",
        ),
        ({"eight_d": {"d7": {"revised": []}}}, "eight_d.d7.revised"),
        ({"eight_d": {"d8": {"closed": "2026-01-01"}}}, "eight_d.d8.closed"),
    ],
)
def test_case_fields_refuse(payload: dict, path: str) -> None:
    assert errors(CaseFields, payload) == {path}


def nested_schemas(schema: Schema, seen: set[type] | None = None) -> set[type]:
    """The schema and every schema nested in it, through lists and dicts too."""
    seen = set() if seen is None else seen
    seen.add(type(schema))
    for field in schema.fields.values():
        for inner in (field, getattr(field, "inner", None), getattr(field, "value_field", None)):
            if isinstance(inner, fields.Nested) and type(inner.schema) not in seen:
                nested_schemas(inner.schema, seen)
    return seen


@pytest.mark.parametrize("schema", [Settings, CaseFields])
def test_every_schema_refuses_unknown_keys(schema: type[Schema]) -> None:
    found = nested_schemas(schema())
    assert len(found) > 3
    assert {cls.__name__: cls.Meta.unknown for cls in found} == {
        cls.__name__: RAISE for cls in found
    }
