"""The food_service settings and case-field schemas (DOMAIN.md section 3)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from marshmallow import RAISE, ValidationError

from plugins.food_service.schemas import CaseFields, Settings


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


def test_settings_defaults() -> None:
    assert Settings().load({}) == {
        "recall_version": "CFDA-12-2015",
        "table_feedback_target": 20.0,
        "new_dish_feedback_target": 90.0,
        "digest_interval_days": 10,
        "digest_categories": ["service", "dishes", "hygiene", "ambience", "other"],
    }


def test_settings_defaults_are_not_shared_between_loads() -> None:
    first = Settings().load({})
    first["digest_categories"].append("music")
    assert "music" not in Settings().load({})["digest_categories"]


def test_settings_accept_their_own_values() -> None:
    loaded = Settings().load(
        {
            "recall_version": "CFDA-12-2015",
            "table_feedback_target": 25,
            "new_dish_feedback_target": 95.5,
            "digest_interval_days": 7,
            "digest_categories": ["dishes", "other"],
        }
    )
    assert loaded["table_feedback_target"] == 25
    assert loaded["digest_categories"] == ["dishes", "other"]


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"recall_deadlines": {}}, "recall_deadlines"),
        ({"recall_version": "SAMR-2099"}, "recall_version"),
        ({"recall_version": ""}, "recall_version"),
        ({"table_feedback_target": 100.1}, "table_feedback_target"),
        ({"table_feedback_target": -1}, "table_feedback_target"),
        ({"new_dish_feedback_target": 1e308}, "new_dish_feedback_target"),
        ({"new_dish_feedback_target": "NaN"}, "new_dish_feedback_target"),
        ({"digest_interval_days": 0}, "digest_interval_days"),
        ({"digest_interval_days": 10**12}, "digest_interval_days"),
        ({"digest_interval_days": "10"}, "digest_interval_days"),
        ({"digest_categories": ["service", "dishes"]}, "digest_categories"),
        ({"digest_categories": ["other", "Other"]}, "digest_categories"),
        ({"digest_categories": []}, "digest_categories"),
        ({"digest_categories": ["other", ""]}, "digest_categories.1"),
        ({"digest_categories": ["other", "x" * 201]}, "digest_categories.1"),
    ],
)
def test_settings_refuse(payload: dict, path: str) -> None:
    assert errors(Settings, payload) == {path}


def test_case_fields_load() -> None:
    loaded = CaseFields().load(
        {
            "food_safety": True,
            "illness_reported": False,
            "product": "Soy milk",
            "lot": "L2409A",
            "produced_on": "2026-09-01",
            "best_before": "2026-09-15",
            "site": "Store 3",
            "hazard": "foreign_object",
            "recall_level": 2,
        }
    )
    assert loaded["produced_on"] == date(2026, 9, 1)
    assert loaded["recall_level"] == 2


def test_case_fields_are_all_optional() -> None:
    assert CaseFields().load({}) == {}
    assert CaseFields().load({"recall_level": None, "lot": None}) == {
        "recall_level": None,
        "lot": None,
    }


@pytest.mark.parametrize(
    "hazard", ["foreign_object", "spoilage", "contamination", "allergen", "labelling", "other"]
)
def test_every_hazard_of_domain_md(hazard: str) -> None:
    assert CaseFields().load({"hazard": hazard})["hazard"] == hazard


@pytest.mark.parametrize("level", [1, 2, 3])
def test_recall_levels(level: int) -> None:
    assert CaseFields().load({"recall_level": level})["recall_level"] == level


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"batch": "L1"}, "batch"),
        ({"hazard": "mould"}, "hazard"),
        ({"hazard": "Allergen"}, "hazard"),
        ({"recall_level": 0}, "recall_level"),
        ({"recall_level": 4}, "recall_level"),
        ({"recall_level": 10**18}, "recall_level"),
        ({"recall_level": "1"}, "recall_level"),
        ({"recall_level": 1.5}, "recall_level"),
        ({"lot": "L" * 201}, "lot"),
        ({"product": "P" * 201}, "product"),
        ({"produced_on": "yesterday"}, "produced_on"),
        ({"produced_on": "2026-09-02", "best_before": "2026-09-01"}, "best_before"),
        ({"food_safety": "perhaps"}, "food_safety"),
    ],
)
def test_case_fields_refuse(payload: dict, path: str) -> None:
    assert errors(CaseFields, payload) == {path}


@pytest.mark.parametrize("schema", [Settings, CaseFields])
def test_schemas_refuse_unknown_keys(schema: type) -> None:
    assert schema.Meta.unknown == RAISE
