"""The console's case list: filters (the API's own criteria), sorting and keyset pagination,
and the rows for the CSV and XLSX exports.

No OFFSET and no COUNT over the tenant: a page is ``WHERE (sort key, id) after the cursor
ORDER BY sort key, id LIMIT n + 1``, so page 2,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select
from werkzeug.datastructures import MultiDict

from core.models import Case
from core.queries import breached, not_recused, text_match
from core.types import Actor
from core.workflow import STATES

PAGE_SIZE = 50

# sort name -> (column, descending)
SORTS: dict[str, tuple[Any, bool]] = {
    "newest": (Case.id, True),
    "oldest": (Case.id, False),
    "received_desc": (Case.received_at, True),
    "received_asc": (Case.received_at, False),
    "updated_desc": (Case.updated_at, True),
}


@dataclass
class Filters:
    state: str = ""
    kind: str = ""
    category: str = ""
    breached: bool = False
    q: str = ""
    owner: str = ""
    sort: str = "newest"

    @classmethod
    def of(cls, args: MultiDict) -> Filters:
        state = args.get("state", "")
        sort = args.get("sort", "newest")
        return cls(
            state=state if state in STATES else "",
            kind=args.get("kind", "")[:32],
            category=args.get("category", "")[:200],
            breached=args.get("breached") in ("1", "true", "on"),
            q=args.get("q", "").strip()[:200],
            owner="me" if args.get("owner") == "me" else "",
            sort=sort if sort in SORTS else "newest",
        )

    def query(self, **extra: Any) -> dict[str, Any]:
        """The filters as query arguments (for links), the empty ones left out."""
        values = {
            "state": self.state,
            "kind": self.kind,
            "category": self.category,
            "breached": "1" if self.breached else "",
            "q": self.q,
            "owner": self.owner,
            "sort": "" if self.sort == "newest" else self.sort,
            **extra,
        }
        return {k: v for k, v in values.items() if v}


def filtered(session, filters: Filters, actor: Actor) -> Select:
    """The cases the filters select, recusal applied (as ``GET /api/v1/cases``)."""
    stmt = select(Case).where(not_recused(session, actor.name))
    for key in ("state", "kind", "category"):
        value = getattr(filters, key)
        if value:
            stmt = stmt.where(getattr(Case, key) == value)
    if filters.breached:
        stmt = stmt.where(breached())
    if filters.owner == "me":
        stmt = stmt.where(Case.owner == actor.name.lower())
    if filters.q:
        stmt = stmt.where(text_match(session, filters.q))
    return stmt


def encode_cursor(case: Case, sort: str) -> str:
    column, _ = SORTS[sort]
    value = getattr(case, column.key)
    key = [value.isoformat() if isinstance(value, datetime) else value, case.id]
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


def decode_cursor(cursor: str, sort: str) -> tuple[Any, str] | None:
    """The (sort value, id) a cursor stands for; ``None`` for anything we did not make."""
    if not cursor or len(cursor) > 300:
        return None
    try:
        value, case_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError, TypeError):
        return None
    if not isinstance(case_id, str) or not case_id.isalnum() or len(case_id) > 64:
        return None
    column, _ = SORTS[sort]
    if column is Case.id:
        return (case_id, case_id) if value == case_id else None
    try:
        return datetime.fromisoformat(value), case_id
    except (TypeError, ValueError):
        return None


def after(stmt: Select, sort: str, key: tuple[Any, str] | None) -> Select:
    """``stmt`` ordered by the sort, starting after ``key``."""
    column, descending = SORTS[sort]
    if key is not None:
        value, case_id = key
        if column is Case.id:
            stmt = stmt.where(Case.id < case_id if descending else Case.id > case_id)
        elif descending:
            stmt = stmt.where(or_(column < value, and_(column == value, Case.id < case_id)))
        else:
            stmt = stmt.where(or_(column > value, and_(column == value, Case.id > case_id)))
    if column is Case.id:
        return stmt.order_by(Case.id.desc() if descending else Case.id)
    if descending:
        return stmt.order_by(column.desc(), Case.id.desc())
    return stmt.order_by(column, Case.id)


def page(session, filters: Filters, actor: Actor, cursor: str) -> tuple[list[Case], str | None]:
    """One page of cases and the cursor of the next (``None`` on the last page)."""
    stmt = after(
        filtered(session, filters, actor), filters.sort, decode_cursor(cursor, filters.sort)
    )
    rows = list(session.scalars(stmt.limit(PAGE_SIZE + 1)))
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    return rows, encode_cursor(rows[-1], filters.sort) if more and rows else None


def every(session, filters: Filters, actor: Actor, batch: int = 1000) -> Iterator[list[Case]]:
    """All matching cases, a batch at a time (each batch one keyset query)."""
    key = None
    while True:
        stmt = after(filtered(session, filters, actor), filters.sort, key)
        rows = list(session.scalars(stmt.limit(batch)))
        if not rows:
            return
        yield rows
        last = rows[-1]
        column, _ = SORTS[filters.sort]
        key = (getattr(last, column.key), last.id)
        if len(rows) < batch:
            return
        session.expunge_all()  # keep memory flat over a large export


def next_deadline(timers: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The timer a list row shows: the earliest deadline still ticking or already passed."""
    live = [t for t in timers if t["state"] in ("running", "breached") and not t["stopped_at"]]
    if not live:
        paused = [t for t in timers if t["state"] == "paused"]
        return paused[0] if paused else None
    return min(live, key=lambda t: t["due_at"])
