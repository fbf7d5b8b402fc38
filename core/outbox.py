"""The transactional outbox: what must follow a change is written with the change.

``Outbox.add`` only inserts a row in the caller's transaction; a relay (``core.jobs``) moves
committed rows into the job queue. A rolled-back change leaves no message behind, and a queue
outage delays messages without losing them.
"""

from __future__ import annotations

from typing import Any

from core.clock import utcnow
from core.db import insert_rows
from core.ids import new_id
from core.models import OutboxMessage
from core.tenancy import TenantSession

CASE_EVENT = "case_event"


class Outbox:
    def __init__(self, session: TenantSession):
        self.session = session

    def add(self, topic: str, payload: dict[str, Any], case_id: str | None = None) -> OutboxMessage:
        message = OutboxMessage(topic=topic, payload=payload, case_id=case_id)
        self.session.add(message)
        return message

    def add_many(self, topic: str, messages: list[tuple[dict[str, Any], str | None]]) -> None:
        """Many messages of one topic, as one bulk INSERT: ``[(payload, case_id), ...]``."""
        now = utcnow()
        insert_rows(
            self.session,
            OutboxMessage,
            [
                {
                    "id": new_id(),
                    "tenant_id": self.session.tenant_id,
                    "topic": topic,
                    "payload": payload,
                    "case_id": case_id,
                    "created_at": now,
                    "attempts": 0,
                }
                for payload, case_id in messages
            ],
        )
