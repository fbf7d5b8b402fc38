"""What rules read: ``CaseLookup``'s criteria (on both databases) and a case's plugin fields."""

from __future__ import annotations

from datetime import date

from marshmallow import Schema, fields, post_load

from core import CaseLookup
from core.models import Case


def test_any_of_and_data_alternatives_match_as_documented(db, make_tenant, make_case):
    acme = make_tenant("acme")
    complaint = make_case(acme, category="质量")
    feedback = make_case(acme, kind="feedback", category="服务")
    make_case(acme, kind="feedback", category="环境")
    session = db.session(acme.id)
    try:
        cases = CaseLookup(session)
        either = [{"kind": "complaint"}, {"category": "服务"}]
        assert {c.id for c in cases.find(any_of=either)} == {complaint["id"], feedback["id"]}
        assert cases.count(any_of=either) == 2
        # Criteria outside any_of still hold for every match.
        assert cases.count(any_of=either, kind="feedback") == 1
        assert cases.count(any_of=[{"kind": "complaint"}, {"kind": "nothing"}]) == 1
    finally:
        session.close()


def test_a_list_of_data_values_matches_any_of_them(db, make_tenant, client):
    shop = make_tenant("shop", plugins={"auto_repair": {}}, departments=["客服部"])
    types = ("attitude", "charges", "quality")
    for complaint_type in types:
        body = {
            "kind": "complaint",
            "title": "修车",
            "channel": "phone",
            "customer": {"name": "李四", "phone": "13900000000"},
            "data": {"auto_repair": {"complaint_type": complaint_type}},
        }
        response = client.post("/api/v1/cases", json=body, headers=shop.auth("agent"))
        assert response.status_code == 201, response.json
    session = db.session(shop.id)
    try:
        cases = CaseLookup(session)

        def count(value):
            return cases.count(data={"auto_repair": {"complaint_type": value}})

        assert count(["attitude", "charges"]) == 2
        assert count(("quality",)) == 1
        assert count("charges") == 1
        assert count([]) == 0
    finally:
        session.close()


class Fields(Schema):
    purchased_on = fields.Date()
    sku = fields.String()
    loads = 0

    @post_load
    def count(self, data, **_):
        Fields.loads += 1
        return data


def test_plugin_fields_are_loaded_once_and_again_when_data_is_replaced():
    case = Case(data={"retail": {"purchased_on": "2026-01-02", "sku": "A1"}})
    schema, Fields.loads = Fields(), 0
    first = case.plugin_fields("retail", schema)
    assert first["purchased_on"] == date(2026, 1, 2)
    first["sku"] = "changed by a caller"  # each caller gets its own copy
    assert case.plugin_fields("retail", schema)["sku"] == "A1"
    assert Fields.loads == 1
    case.data = {"retail": {"purchased_on": "2026-03-04"}}  # as an edit gives new data
    assert case.plugin_fields("retail", schema) == {"purchased_on": date(2026, 3, 4)}
    assert Fields.loads == 2
    assert case.plugin_fields("food_service", schema) == {}


def test_two_updates_of_a_plugin_record_at_once_both_land(db, make_tenant):
    """The second writer read the record before the first committed; its update is merged
    into what the first wrote, not written over it."""
    acme = make_tenant("acme")
    first, second = db.session(acme.id), db.session(acme.id)
    try:
        record, _ = CaseLookup(first).records("food_service").claim("pull", "L1", {"sites": []})
        first.commit()
        theirs = CaseLookup(second).records("food_service")
        mine = CaseLookup(first).records("food_service")
        stale = mine.get("pull", "L1")  # read before the other update commits
        theirs.update(theirs.get("pull", "L1"), state="recall", data={"notice": "N1"})
        second.commit()
        mine.update(stale, data={"ended_case": "C2"})
        first.commit()
        assert (stale.state, stale.data) == (
            "recall",
            {"sites": [], "notice": "N1", "ended_case": "C2"},
        )
    finally:
        first.close()
        second.close()
