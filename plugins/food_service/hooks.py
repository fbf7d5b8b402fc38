"""The food_service hooks (DOMAIN.md section 3): what the rules of ``rules.py`` do to cases.

- intake and edits: illness raises the severity to critical; a food-safety complaint without a lot
  gets the warning ``food_service.lot_missing``; one with a product and lot starts the lot's
  product pull at every site (event ``food_service.pull_started``, once per lot however many
  cases report it) and is linked to the other cases of that lot (``same_lot``); a recall level
  (given, or 1 proposed for reported illness) gives the case the timers ``recall_start`` and
  ``recall_complete`` (event ``food_service.recall_proposed``).
- actions: ``publish_recall_notice`` (the recall starts: ``recall_start`` met, ``recall_complete``
  runs from now, HACCP review) and ``end_pull`` (with its ``outcome``: the pull or recall ends);
  both reach every other open case of the lot (events ``food_service.lot_notice_published`` and
  ``food_service.lot_pull_ended``, with their recall timers moved the same way), and a case
  reporting the lot after the notice counts its completion from it; closing a case of a lot
  whose pull is open is refused (``food_service.pull_open``); closing a food-safety case asks
  for a HACCP review (event ``food_service.haccp_review``).
- documents: ``recall_notice.html`` for cases of a pulled lot, ``feedback_rates.html`` for
  feedback cases logged with their meal service.
- reports: feedback collection per meal service against its targets (``report.py``).
- jobs: the feedback digest (``digest.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, fields, validate

from core import (
    OPEN_STATES,
    ActionSpec,
    CaseLookup,
    Classification,
    Document,
    Link,
    NewEvent,
    Outcome,
    PeriodicJob,
    ReportSection,
    TenantContext,
    TimerSpec,
    Violation,
    hookimpl,
    now,
)

from . import documents, report
from .digest import JOB_ID, feedback_digest_job
from .pulls import (
    ENDED,
    OPEN,
    RECALL,
    RECALLING,
    claim_pull,
    current_pull,
    iso,
    same_lot_cases,
)
from .rules import (
    PLUGIN,
    RECALL_COMPLETE,
    RECALL_START,
    close_veto,
    is_food_safety,
    lot_missing_warning,
    proposed_recall_level,
    pull_key,
    recall_timers,
    severity_for,
)

PULL_STARTED = f"{PLUGIN}.pull_started"
HACCP_REVIEW = f"{PLUGIN}.haccp_review"
RECALL_PROPOSED = f"{PLUGIN}.recall_proposed"
# On the other cases of the lot, when one case publishes the notice or ends the pull.
LOT_NOTICE = f"{PLUGIN}.lot_notice_published"
LOT_PULL_ENDED = f"{PLUGIN}.lot_pull_ended"
SAME_LOT = "same_lot"

PUBLISH = "publish_recall_notice"
END_PULL = "end_pull"
NO_OPEN_PULL = f"{PLUGIN}.no_open_pull"
NOTICE_PUBLISHED = f"{PLUGIN}.recall_notice_published"
LEVEL_MISSING = f"{PLUGIN}.recall_level_missing"

# The core actions that lead to ``closed``: each closes the case, so each waits for the pull.
CLOSING_ACTIONS = frozenset({"close", "withdraw", "merge"})


class FoodServiceEndPull(Schema):
    """The fields of ``end_pull``."""

    outcome = fields.String(
        required=True,
        validate=validate.Length(min=1, max=2000),
        metadata={"description": "How the pull or recall ended (tests, quantities, disposal)."},
    )


# --- declaration ---------------------------------------------------------------------------


@hookimpl
def register_actions(tenant: TenantContext) -> list[ActionSpec]:
    return [
        ActionSpec(
            name=PUBLISH,
            from_states=OPEN_STATES,
            title="Publish the recall notice",
        ),
        ActionSpec(
            name=END_PULL,
            from_states=OPEN_STATES,
            params=FoodServiceEndPull,
            title="End the pull or recall",
        ),
    ]


# --- intake and edits ----------------------------------------------------------------------


@hookimpl
def classify_case(tenant: TenantContext, case: Any) -> Classification | None:
    severity = severity_for(case.plugin_data(PLUGIN))
    return Classification(severity=severity) if severity else None


@hookimpl
def check_case(tenant: TenantContext, case: Any) -> list[Violation]:
    found = lot_missing_warning(case.plugin_data(PLUGIN))
    return [found] if found else []


@hookimpl(specname="case_opened")
def food_safety_opened(tenant: TenantContext, case: Any, cases: CaseLookup) -> Outcome:
    outcome = Outcome()
    _react_to_fields(tenant, case, cases, outcome, now())
    return outcome


@hookimpl(specname="case_edited")
def food_safety_edited(
    tenant: TenantContext, case: Any, changes: dict[str, Any], cases: CaseLookup
) -> Outcome | None:
    """An edit may add the lot (the pull starts then), report illness or change the level."""
    if "data" not in changes:
        return None
    outcome = Outcome()
    if severity_for(case.plugin_data(PLUGIN)) and case.severity != "critical":
        outcome.severity = "critical"
    _react_to_fields(tenant, case, cases, outcome, now())
    return outcome


def _react_to_fields(
    tenant: TenantContext, case: Any, cases: CaseLookup, outcome: Outcome, at: datetime
) -> None:
    fields_ = case.plugin_data(PLUGIN)
    key = pull_key(fields_)
    pull = None
    if key is not None:
        sites = tenant.sites or sorted({s for s in (case.site, fields_.get("site")) if s})
        level = proposed_recall_level(fields_)
        pull, made = claim_pull(
            cases,
            key,
            {
                "product": fields_.get("product"),
                "lot": fields_.get("lot"),
                "sites": sites,
                "started_at": iso(at),
                "case_number": case.number,
                "recall_level": level,
            },
            case.id,
        )
        if made:
            outcome.events.append(
                NewEvent(
                    PULL_STARTED,
                    {
                        "pull": pull.id,
                        "product": fields_.get("product"),
                        "lot": fields_.get("lot"),
                        "sites": sites,
                        "recall_level": level,
                    },
                )
            )
        outcome.links += [Link(other, SAME_LOT) for other in same_lot_cases(cases, key, case.id)]
    _recall_level(case, cases, fields_, pull, outcome)


def _recall_level(
    case: Any, cases: CaseLookup, fields_: dict[str, Any], pull: Any, outcome: Outcome
) -> None:
    """Note the case's recall level; a changed level moves the running recall deadline."""
    level = proposed_recall_level(fields_)
    if level is None:
        return
    records = cases.records(PLUGIN)
    by = "illness_reported" if fields_.get("illness_reported") is True else "recall_level"
    noted, made = records.claim(RECALL, case.id, {"level": level}, case.id)
    if made:
        outcome.events.append(NewEvent(RECALL_PROPOSED, {"level": level, "by": by}))
        if pull is not None and pull.state == RECALLING:
            # The lot's recall is already under way (another case published the notice): its
            # completion counts from that notice.
            published = pull.data["notice_published_at"]
            records.update(noted, data={"notice_published_at": published})
            outcome.stop_timers.append(RECALL_START)
            outcome.start_timers[RECALL_COMPLETE] = datetime.fromisoformat(published)
        return
    was = noted.data.get("level")
    if was == level:
        return
    records.update(noted, data={"level": level})
    outcome.events.append(NewEvent(RECALL_PROPOSED, {"level": level, "by": by, "was": was}))
    if noted.data.get("notice_published_at"):
        outcome.start_timers[RECALL_COMPLETE] = datetime.fromisoformat(
            noted.data["notice_published_at"]
        )
    elif pull is None or pull.state == OPEN:
        outcome.start_timers[RECALL_START] = case.received_at


# --- workflow ------------------------------------------------------------------------------


def _open_pull(case: Any, cases: CaseLookup, lock: bool = False) -> Any | None:
    """The lot's pull unless it ended; ``lock`` for an action about to change it (two cases of
    the lot acting at once then decide one after the other)."""
    key = pull_key(case.plugin_data(PLUGIN))
    pull = current_pull(cases, key, lock=lock) if key is not None else None
    return pull if pull is not None and pull.state != ENDED else None


@hookimpl(specname="veto_action")
def pull_open(case: Any, action: str, cases: CaseLookup) -> Violation | None:
    if action not in CLOSING_ACTIONS:
        return None
    return close_veto(_open_pull(case, cases) is not None)


@hookimpl(specname="veto_action")
def pull_action_needs_open_pull(case: Any, action: str, cases: CaseLookup) -> Violation | None:
    if action not in (PUBLISH, END_PULL) or _open_pull(case, cases, lock=True) is not None:
        return None
    return Violation(
        NO_OPEN_PULL,
        "This case's product and lot have no open pull: a food-safety complaint with a "
        "product and lot starts one.",
        f"data.{PLUGIN}.lot",
    )


@hookimpl(specname="veto_action")
def recall_notice_once(case: Any, action: str, cases: CaseLookup) -> Violation | None:
    if action != PUBLISH:
        return None
    pull = _open_pull(case, cases, lock=True)
    if pull is None or pull.state != RECALLING:
        return None
    number = pull.data.get("notice_case_number")
    return Violation(
        NOTICE_PUBLISHED,
        f"The recall notice of this lot was already published (case {number}).",
    )


@hookimpl(specname="veto_action")
def recall_needs_level(case: Any, action: str) -> Violation | None:
    if action != PUBLISH or proposed_recall_level(case.plugin_data(PLUGIN)) is not None:
        return None
    return Violation(
        LEVEL_MISSING,
        "Set the recall level (1, 2 or 3) before publishing the recall notice.",
        f"data.{PLUGIN}.recall_level",
    )


@hookimpl(specname="case_moved")
def food_safety_moved(
    case: Any, action: str, params: dict[str, Any], cases: CaseLookup
) -> Outcome | None:
    fields_ = case.plugin_data(PLUGIN)
    if action == PUBLISH:
        return _published(case, cases, fields_)
    if action == END_PULL:
        pull = _open_pull(case, cases)
        at = now()
        cases.records(PLUGIN).update(
            pull,
            state=ENDED,
            data={
                "ended_at": iso(at),
                "outcome": params["outcome"],
                "ended_case": case.id,
                "ended_case_number": case.number,
            },
        )
        # The lot's other cases: their recall deadlines end with the pull.
        ended = NewEvent(LOT_PULL_ENDED, {"case": case.id, "case_number": case.number})
        related = {
            other.id: Outcome(stop_timers=[RECALL_START, RECALL_COMPLETE], events=[ended])
            for other in _lot_cases(case, cases)
        }
        return Outcome(related=related) if related else None
    if action == "close" and is_food_safety(fields_):
        pull = _latest_pull(case, cases)
        return Outcome(events=[NewEvent(HACCP_REVIEW, _haccp(fields_, "case_closed", pull))])
    return None


def _published(case: Any, cases: CaseLookup, fields_: dict[str, Any]) -> Outcome:
    records = cases.records(PLUGIN)
    pull = _open_pull(case, cases)
    at = now()
    level = proposed_recall_level(fields_)
    records.update(
        pull,
        state=RECALLING,
        data={
            "notice_published_at": iso(at),
            "notice_case": case.id,
            "notice_case_number": case.number,
            "recall_level": level,
        },
    )
    noted, _ = records.claim(RECALL, case.id, {"level": level}, case.id)
    records.update(noted, data={"notice_published_at": iso(at)})
    # One notice recalls the lot: every other case of it with a recall level stops waiting
    # for the recall to start and counts its completion from this notice.
    notice = NewEvent(LOT_NOTICE, {"case": case.id, "case_number": case.number})
    related = {}
    for other in _lot_cases(case, cases):
        their_level = proposed_recall_level(other.plugin_data(PLUGIN))
        if their_level is None:
            continue
        theirs, _ = records.claim(RECALL, other.id, {"level": their_level}, other.id)
        records.update(theirs, data={"notice_published_at": iso(at)})
        related[other.id] = Outcome(
            stop_timers=[RECALL_START], start_timers={RECALL_COMPLETE: at}, events=[notice]
        )
    return Outcome(
        start_timers={RECALL_COMPLETE: at},
        events=[NewEvent(HACCP_REVIEW, _haccp(fields_, "recall_started", pull))],
        related=related,
    )


def _lot_cases(case: Any, cases: CaseLookup) -> list[Any]:
    """The other open cases reporting this case's product and lot."""
    key = pull_key(case.plugin_data(PLUGIN))
    if key is None:
        return []
    found = (cases.get(other_id) for other_id in same_lot_cases(cases, key, case.id))
    return [other for other in found if other is not None and other.is_open]


def _latest_pull(case: Any, cases: CaseLookup) -> Any | None:
    key = pull_key(case.plugin_data(PLUGIN))
    return current_pull(cases, key) if key is not None else None


def _haccp(fields_: dict[str, Any], reason: str, pull: Any | None) -> dict[str, Any]:
    """The HACCP reassessment task: for the product (21 CFR 123.8), with what prompted it."""
    return {
        "product": fields_.get("product"),
        "lot": fields_.get("lot"),
        "hazard": fields_.get("hazard"),
        "reason": reason,
        "pull": pull.id if pull is not None else None,
    }


# --- timers --------------------------------------------------------------------------------


@hookimpl
def register_timers(tenant: TenantContext, case: Any) -> list[TimerSpec]:
    level = proposed_recall_level(case.plugin_data(PLUGIN))
    if level is None:
        return []
    start, complete = recall_timers(level, tenant.plugin_settings(PLUGIN))
    return [
        TimerSpec(
            start.name,
            start.amount,
            start.unit,
            start_on="opened",
            stop_on=frozenset({PUBLISH, END_PULL}),
        ),
        TimerSpec(
            complete.name,
            complete.amount,
            complete.unit,
            start_on=None,  # from the recall notice: publish_recall_notice starts it
            stop_on=frozenset({END_PULL}),
        ),
    ]


# --- documents -----------------------------------------------------------------------------


@hookimpl
def register_documents(tenant: TenantContext, case: Any) -> list[Document]:
    return documents.offered(case)


@hookimpl
def render_document(tenant: TenantContext, case: Any, name: str, cases: CaseLookup) -> str | None:
    return documents.render(tenant, case, name, cases)


# --- reports -------------------------------------------------------------------------------


@hookimpl
def report_sections(
    tenant: TenantContext, since: datetime, until: datetime, cases: CaseLookup
) -> ReportSection | None:
    """Feedback collection per meal service against its targets (see ``report``)."""
    return report.section(tenant, since, until, cases)


# --- jobs ----------------------------------------------------------------------------------


@hookimpl
def register_periodic_jobs() -> list[PeriodicJob]:
    # Daily: the job itself decides, per tenant, whether its digest interval is due.
    return [PeriodicJob(JOB_ID, "0 9 * * *", feedback_digest_job, per_tenant=True)]
