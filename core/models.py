"""SQLAlchemy models. Every tenant-owned table's key starts with ``tenant_id`` (DESIGN.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from core.clock import utcnow
from core.ids import new_id


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (which keeps no offset) too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_N_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSONType}


class TenantOwned:
    """Mixin for every tenant-owned table: the tenant scope and RLS apply to these."""

    @declared_attr
    def tenant_id(cls) -> Mapped[int]:
        # sort_order puts tenant_id first in every primary key, as Citus distribution needs.
        return mapped_column(
            Integer, ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True, sort_order=-1
        )


# --- platform -----------------------------------------------------------------------------


class Tenant(Base):
    """A business using casecore. Not tenant-owned: it is the registry of tenants."""

    __tablename__ = "tenants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    slug: Mapped[str] = mapped_column(String(63), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    locale: Mapped[str] = mapped_column(String(16), default="zh_CN")
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    plugins: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class PlatformToken(Base):
    """A platform admin's token: provisions tenants, reads no tenant's cases."""

    __tablename__ = "platform_tokens"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


# --- tenant-owned -------------------------------------------------------------------------


class Counter(TenantOwned, Base):
    """Per-tenant counters (case numbers)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class ApiToken(TenantOwned, Base):
    """A named API token of one tenant with one role; only its hash is kept."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("tenant_id", "token_hash"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


class User(TenantOwned, Base):
    """A console user; belongs to exactly one tenant."""

    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("tenant_id", "email"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Case(TenantOwned, Base):
    """A case. Hooks receive it read-only: plugins answer with an ``Outcome``, never write it."""

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("tenant_id", "number"),
        Index("ix_cases_tenant_state", "tenant_id", "state", "id"),
        Index("ix_cases_tenant_phone", "tenant_id", "customer_phone"),
        Index("ix_cases_tenant_email", "tenant_id", "customer_email"),
        Index("ix_cases_tenant_owner", "tenant_id", "owner"),
        Index("ix_cases_tenant_received", "tenant_id", "received_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(32), default="received")
    title: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text, default="")
    channel: Mapped[str] = mapped_column(String(16))
    customer_name: Mapped[str] = mapped_column(String(200))
    customer_phone: Mapped[str | None] = mapped_column(String(64))
    customer_email: Mapped[str | None] = mapped_column(String(254))
    category: Mapped[str | None] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(16), default="normal")
    site: Mapped[str | None] = mapped_column(String(200))
    subject_staff: Mapped[list[str]] = mapped_column(JSONType, default=list)
    remedy_sought: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime]
    owner: Mapped[str | None] = mapped_column(String(254))
    department: Mapped[str | None] = mapped_column(String(200))
    flags: Mapped[list[str]] = mapped_column(JSONType, default=list)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    warnings: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    proposal: Mapped[str | None] = mapped_column(Text)
    resolution: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(254))
    approved_at: Mapped[datetime | None]
    search_text: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None]

    # A concurrent writer makes the UPDATE match no row: StaleDataError, answered as 409. The
    # version moves once per change (CaseService.touch), however many flushes a change takes.
    __mapper_args__ = {"version_id_col": version, "version_id_generator": False}

    @property
    def customer(self) -> dict[str, str | None]:
        return {
            "name": self.customer_name,
            "phone": self.customer_phone,
            "email": self.customer_email,
        }

    def plugin_data(self, plugin: str) -> dict[str, Any]:
        """This case's fields of ``plugin`` (``data.<plugin>``), or {}."""
        return dict((self.data or {}).get(plugin) or {})

    def plugin_fields(self, plugin: str, schema: Schema) -> dict[str, Any]:
        """``data.<plugin>`` loaded by the plugin's ``schema`` (dates as dates), or {}.

        The fields were validated when stored. Every hook of one intake or edit reads the same
        fields, so they are loaded once while ``data`` stays the same object: the core gives a
        case new ``data`` on each edit and never changes it in place.
        """
        data = self.data
        memo = self.__dict__.get("_loaded_fields")
        if memo is None or memo[0] is not data:
            memo = self.__dict__["_loaded_fields"] = (data, {})
        loaded = memo[1]
        if plugin not in loaded:
            stored = (data or {}).get(plugin)
            loaded[plugin] = schema.load(stored) if stored else {}
        return dict(loaded[plugin])

    @property
    def is_open(self) -> bool:
        return self.state != "closed"


def _case_fk() -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "case_id"], ["cases.tenant_id", "cases.id"], ondelete="CASCADE"
    )


class CaseEvent(TenantOwned, Base):
    """One entry of a case's append-only log. Never updated or deleted."""

    __tablename__ = "case_events"
    __table_args__ = (_case_fk(), Index("ix_case_events_case", "tenant_id", "case_id", "id"))

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(26))
    type: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(254))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class CaseLink(TenantOwned, Base):
    """A directed link between two cases of one tenant (both directions are stored)."""

    __tablename__ = "case_links"
    __table_args__ = (_case_fk(),)

    case_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    other_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    relation: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Attachment(TenantOwned, Base):
    """A file attached to a case; the bytes live in storage under ``storage_key``."""

    __tablename__ = "attachments"
    __table_args__ = (_case_fk(), Index("ix_attachments_case", "tenant_id", "case_id"))

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(String(26))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Timer(TenantOwned, Base):
    """An SLA timer of a case (Kernel 2 fills these in)."""

    __tablename__ = "timers"
    __table_args__ = (
        _case_fk(),
        # The SLA sweep's cross-tenant partial index: the one key that does not lead with tenant.
        Index(
            "ix_timers_due_running",
            "due_at",
            postgresql_where=text("state = 'running'"),
            sqlite_where=text("state = 'running'"),
        ),
    )

    case_id: Mapped[str] = mapped_column(String(26), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(16))
    pauses: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="running")
    started_at: Mapped[datetime]
    due_at: Mapped[datetime]
    paused_at: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    stopped_at: Mapped[datetime | None]
    breached_at: Mapped[datetime | None]
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Webhook(TenantOwned, Base):
    """A tenant's endpoint for case events; deliveries are signed with ``secret``."""

    __tablename__ = "webhooks"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    url: Mapped[str] = mapped_column(String(2000))
    events: Mapped[list[str]] = mapped_column(JSONType, default=list)
    secret: Mapped[str] = mapped_column(String(128))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class OutboxMessage(TenantOwned, Base):
    """Work that must follow a change, written in the change's transaction; a relay moves it
    to the job queue. A Redis outage delays this work; it never loses it."""

    __tablename__ = "outbox"
    __table_args__ = (
        # The relay's cross-tenant scan of what is still to dispatch (partial, like the sweep's).
        Index(
            "ix_outbox_pending",
            "created_at",
            postgresql_where=text("dispatched_at IS NULL"),
            sqlite_where=text("dispatched_at IS NULL"),
        ),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    topic: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[str | None] = mapped_column(String(26))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


class Delivery(TenantOwned, Base):
    """One message to one target (a webhook, an address): the log of what was sent, and what
    makes a retried job send nothing twice."""

    __tablename__ = "deliveries"
    __table_args__ = (UniqueConstraint("tenant_id", "message_id", "target"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(String(26))
    target: Mapped[str] = mapped_column(String(300))
    channel: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class PluginRecord(TenantOwned, Base):
    """A plugin's own keyed record (a product pull per lot, say). The key is unique per tenant
    and plugin, so two requests claiming the same key at once make exactly one record."""

    __tablename__ = "plugin_records"
    __table_args__ = (UniqueConstraint("tenant_id", "plugin", "kind", "key"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    plugin: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(500))
    state: Mapped[str] = mapped_column(String(32), default="open")
    case_id: Mapped[str | None] = mapped_column(String(26))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


TENANT_OWNED_TABLES: tuple[str, ...] = tuple(
    mapper.local_table.name
    for mapper in Base.registry.mappers
    if issubclass(mapper.class_, TenantOwned)
)
