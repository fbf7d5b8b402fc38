"""Cursor pagination, the same for every list: ``{"items": [...], "next_cursor": ...}``."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select

from core.errors import invalid
from core.tenancy import TenantSession


def encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode(cursor: str) -> str:
    try:
        key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid({"cursor": ["Not a cursor this API gave."]}) from None
    if not key or len(key) > 64 or not key.isalnum():
        raise invalid({"cursor": ["Not a cursor this API gave."]})
    return key


def page(
    session: TenantSession,
    stmt: Select,
    key: ColumnElement,
    args: dict[str, Any],
    render: Callable[[list[Any]], list[dict[str, Any]]],
    descending: bool = False,
) -> dict[str, Any]:
    """One page of ``stmt`` ordered by the unique ``key`` column, after ``args["cursor"]``."""
    limit = args["limit"]
    if args.get("cursor"):
        after = decode(args["cursor"])
        stmt = stmt.where(key < after if descending else key > after)
    stmt = stmt.order_by(key.desc() if descending else key).limit(limit + 1)
    rows = list(session.scalars(stmt))
    more = len(rows) > limit
    rows = rows[:limit]
    return {
        "items": render(rows),
        "next_cursor": encode(getattr(rows[-1], key.key)) if more else None,
    }
