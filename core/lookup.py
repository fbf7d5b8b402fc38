"""``CaseLookup``: the queries a rule may run over its tenant's cases.

Hooks get one as ``cases``. It is bound to the request's session, so every query is inside the
tenant's scope; plugins never see the session itself.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from core.models import Case, CaseEvent, CaseLink
from core.records import PluginRecords
from core.tenancy import TenantSession


def normalise_phone(phone: str | None) -> str | None:
    """Digits and a leading + only, so "138-0000 0000" and "13800000000" match."""
    if not phone:
        return None
    kept = "".join(ch for ch in phone if ch.isdigit() or ch == "+")
    return kept or None


def normalise_email(email: str | None) -> str | None:
    return email.strip().lower() if email and email.strip() else None


class CaseLookup:
    """Read-only queries over one tenant's cases."""

    def __init__(self, session: TenantSession):
        self._session = session

    def get(self, case_id: str) -> Case | None:
        """The case with this id, or ``None``."""
        return self._session.get(Case, (self._session.tenant_id, case_id))

    def find(self, *, limit: int = 100, **criteria: Any) -> list[Case]:
        """Cases matching every criterion (see :meth:`criteria`), newest first."""
        stmt = select(Case).where(*self.criteria(**criteria))
        return list(self._session.scalars(stmt.order_by(Case.id.desc()).limit(limit)))

    def latest(self, **criteria: Any) -> str | None:
        """The id of the most recently received case matching every criterion, or ``None``."""
        stmt = select(Case.id).where(*self.criteria(**criteria))
        return self._session.scalar(stmt.order_by(Case.received_at.desc(), Case.id.desc()).limit(1))

    def count(self, **criteria: Any) -> int:
        """How many cases match every criterion (see :meth:`criteria`)."""
        stmt = select(func.count()).select_from(Case).where(*self.criteria(**criteria))
        return int(self._session.scalar(stmt) or 0)

    @staticmethod
    def criteria(
        *,
        phone: str | None = None,
        email: str | None = None,
        category: str | None = None,
        kind: str | None = None,
        site: str | None = None,
        site_or_unset: str | None = None,
        received_since: datetime | None = None,
        received_until: datetime | None = None,
        states: Iterable[str] | None = None,
        data: dict[str, dict[str, Any]] | None = None,
        exclude: Iterable[str] = (),
        any_of: Iterable[dict[str, Any]] = (),
    ) -> list[ColumnElement[bool]]:
        """The criteria of :meth:`find` and :meth:`count`.

        ``phone`` and ``email`` match either contact (a customer is the same by phone or by
        email); ``data`` matches plugin fields, e.g. ``{"food_service": {"lot": "L1"}}``;
        ``site_or_unset`` matches cases at that site or with no site; ``exclude`` leaves out
        these case ids.
        """
        where: list[ColumnElement[bool]] = []
        contacts = []
        if normalise_phone(phone):
            contacts.append(Case.customer_phone == normalise_phone(phone))
        if normalise_email(email):
            contacts.append(Case.customer_email == normalise_email(email))
        if contacts:
            where.append(or_(*contacts))
        for column, value in ((Case.category, category), (Case.kind, kind), (Case.site, site)):
            if value is not None:
                where.append(column == value)
        if site_or_unset is not None:
            where.append(or_(Case.site.is_(None), Case.site == site_or_unset))
        if received_since is not None:
            where.append(Case.received_at >= received_since)
        if received_until is not None:
            where.append(Case.received_at <= received_until)
        if states is not None:
            where.append(Case.state.in_(list(states)))
        for plugin, values in (data or {}).items():
            for key, value in values.items():
                field = Case.data[plugin][key].as_string()
                if isinstance(value, list | tuple):
                    where.append(field.in_([str(each) for each in value]))
                else:
                    where.append(field == str(value))
        exclude = list(exclude)
        if exclude:
            where.append(Case.id.not_in(exclude))
        alternatives = [and_(*CaseLookup.criteria(**each)) for each in any_of]
        if alternatives:
            where.append(or_(*alternatives))
        return where

    def records(self, plugin: str) -> PluginRecords:
        """The keyed records of ``plugin`` in this tenant (claim, get, find, update)."""
        return PluginRecords(self._session, plugin)

    def events(self, case_id: str, types: Iterable[str] | None = None) -> list[CaseEvent]:
        """The case's events, oldest first (optionally only of these types)."""
        stmt = select(CaseEvent).where(CaseEvent.case_id == case_id)
        if types is not None:
            stmt = stmt.where(CaseEvent.type.in_(list(types)))
        return list(self._session.scalars(stmt.order_by(CaseEvent.id)))

    def links(self, case_id: str, relation: str | None = None) -> list[CaseLink]:
        stmt = select(CaseLink).where(CaseLink.case_id == case_id)
        if relation is not None:
            stmt = stmt.where(CaseLink.relation == relation)
        return list(self._session.scalars(stmt))
