"""The transactional outbox: what must follow a change is written with the change.

``Outbox.add`` only inserts a row in the caller's transaction; a relay (``core.jobs``) moves
committed rows into the job queue. A rolled-back change leaves no message behind, and a queue
outage delays messages without losing them.
"""

from __future__ import annotations

from typing import Any

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
