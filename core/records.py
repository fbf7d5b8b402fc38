"""A plugin's own keyed records (``cases.records("food_service")`` in a hook).

``claim`` makes the record for a key unless one exists, atomically, so two requests claiming
the same key at the same moment make exactly one record, and each learns whether it was the one
that made it. ``lock`` makes requests working on one record take turns (until each commits),
reading it afresh once their turn comes; ``update`` locks before it changes, so two updates at
once both land.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from core.db import insert_if_absent
from core.ids import new_id
from core.models import PluginRecord, utcnow
from core.tenancy import TenantSession


class PluginRecords:
    """Records of one plugin in one tenant."""

    def __init__(self, session: TenantSession, plugin: str):
        self._session = session
        self.plugin = plugin

    def claim(
        self, kind: str, key: str, data: dict[str, Any] | None = None, case_id: str | None = None
    ) -> tuple[PluginRecord, bool]:
        """The record for ``(kind, key)``, made now if there was none: ``(record, made)``."""
        now = utcnow()
        made = insert_if_absent(
            self._session,
            PluginRecord,
            {
                "tenant_id": self._session.tenant_id,
                "id": new_id(),
                "plugin": self.plugin,
                "kind": kind,
                "key": key,
                "state": "open",
                "case_id": case_id,
                "data": data or {},
                "created_at": now,
                "updated_at": now,
            },
            unique=["tenant_id", "plugin", "kind", "key"],
        )
        record = self.get(kind, key)
        assert record is not None  # made now, or made (and committed) by another request
        return record, made

    def get(self, kind: str, key: str) -> PluginRecord | None:
        return self._session.scalar(
            select(PluginRecord)
            .where(
                PluginRecord.plugin == self.plugin,
                PluginRecord.kind == kind,
                PluginRecord.key == key,
            )
            .execution_options(populate_existing=True)
        )

    def lock(self, record: PluginRecord) -> PluginRecord:
        """Wait for any other request holding ``record`` to finish, then hold it until this
        transaction ends; answers it as it now stands (another request may have changed it).

        A rule that decides from a record and then changes it, or links what the record's other
        requests did, locks it first: so two requests cannot both decide from the old state.
        """
        locked = self._session.scalar(
            select(PluginRecord)
            .where(PluginRecord.id == record.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        assert locked is record  # the same row, refreshed in place
        return locked

    def find(
        self, kind: str, state: str | None = None, case_id: str | None = None
    ) -> list[PluginRecord]:
        stmt = select(PluginRecord).where(
            PluginRecord.plugin == self.plugin, PluginRecord.kind == kind
        )
        if state is not None:
            stmt = stmt.where(PluginRecord.state == state)
        if case_id is not None:
            stmt = stmt.where(PluginRecord.case_id == case_id)
        return list(self._session.scalars(stmt.order_by(PluginRecord.created_at)))

    def update(
        self, record: PluginRecord, *, state: str | None = None, data: dict[str, Any] | None = None
    ) -> None:
        """Change a record's state or merge into its data (in the request's transaction). The
        record is locked and read afresh first, so a concurrent update is merged, never lost."""
        if record.plugin != self.plugin:
            raise ValueError("a plugin changes only its own records")
        self.lock(record)
        if state is not None:
            record.state = state
        if data:
            record.data = {**record.data, **data}
