"""Product pulls as the plugin keeps them: one keyed record per product+lot (DOMAIN.md 3).

A pull is a ``pull`` record of the plugin (``cases.records("food_service")``), claimed atomically
by the first food-safety case that reports the product and lot, so two reports of one lot at the
same moment make exactly one pull. Its ``state`` is ``open`` (stop sale at every site), ``recall``
(the recall notice is published) or ``ended`` (``end_pull``, with the outcome).

A report of a lot whose pull has ended starts a new pull of that lot (the lot may be unsafe after
all): each pull of a lot is a generation with its own key, claimed the same atomic way.

Requests about one lot take turns on its pull record (``records.lock``): reports arriving
together each link every report before them, and two cases publishing a notice or ending the
pull at once decide one after the other.

The recall level a case's timers were set for is kept per case, in a ``recall`` record keyed by
the case id, so an edit that changes the level can move the deadline.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from core import CaseLookup

from .rules import PLUGIN

PULL = "pull"
RECALL = "recall"
OPEN, RECALLING, ENDED = "open", "recall", "ended"
KEY_MAX = 500  # the records table's key column


def record_key(key: tuple[str, str], generation: int = 1) -> str:
    """The record key of a normalised (product, lot), readable when it fits the column."""
    text = json.dumps(list(key), ensure_ascii=False)
    if generation > 1:
        text = f"{text}#{generation}"
    if len(text) > KEY_MAX:
        return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()
    return text


def lot_pulls(cases: CaseLookup, key: tuple[str, str]) -> list[Any]:
    """Every pull of the lot, oldest first (empty: the lot was never pulled)."""
    records = cases.records(PLUGIN)
    found, generation = [], 1
    while (record := records.get(PULL, record_key(key, generation))) is not None:
        found.append(record)
        generation += 1
    return found


def current_pull(cases: CaseLookup, key: tuple[str, str], lock: bool = False) -> Any | None:
    """The latest pull of the lot (``None``: the lot was never pulled); with ``lock``, held by
    this request until it commits and read as it stands then."""
    pulls = lot_pulls(cases, key)
    if not pulls:
        return None
    return cases.records(PLUGIN).lock(pulls[-1]) if lock else pulls[-1]


def claim_pull(
    cases: CaseLookup, key: tuple[str, str], data: dict[str, Any], case_id: str
) -> tuple[Any, bool]:
    """The lot's live pull, made now for this case if it has none: ``(record, made)``.

    Generations are claimed in order; an ended one passes on to the next, so concurrent reports
    after an end still agree on one new pull.
    """
    records = cases.records(PLUGIN)
    generation = 1
    while True:
        record, made = records.claim(
            PULL, record_key(key, generation), {**data, "generation": generation}, case_id
        )
        # Reports of one lot take turns from here to their commit: each sees the reports
        # before it (to link them) and whether the pull ended meanwhile.
        records.lock(record)
        if made or record.state != ENDED:
            return record, made
        generation += 1


def same_lot_cases(cases: CaseLookup, key: tuple[str, str], exclude: str) -> list[str]:
    """The cases reporting the lot: those that started its pulls and those linked to them."""
    ids: list[str] = []
    for pull in lot_pulls(cases, key):
        ids += [pull.case_id, *(link.other_id for link in cases.links(pull.case_id, "same_lot"))]
    return [cid for cid in dict.fromkeys(ids) if cid and cid != exclude]


def iso(at: datetime) -> str:
    return at.isoformat()
