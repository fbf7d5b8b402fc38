"""The plain values that cross the plugin boundary.

Hooks receive these (or the read-only case) and answer with them; none of them touches the
database. Plugins import them from ``core``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Literal
from zoneinfo import ZoneInfo

Role = Literal["admin", "manager", "agent", "intake"]
ROLES: tuple[str, ...] = ("admin", "manager", "agent", "intake")
STAFF_ROLES: frozenset[str] = frozenset({"admin", "manager", "agent"})
MANAGING_ROLES: frozenset[str] = frozenset({"admin", "manager"})

SEVERITIES: tuple[str, ...] = ("low", "normal", "major", "critical")
TimeUnit = Literal["hours", "days", "working_days", "working_hours"]
TIME_UNITS: tuple[str, ...] = ("hours", "days", "working_days", "working_hours")


@dataclass(frozen=True, slots=True)
class Violation:
    """A rule's refusal (``blocking``) or warning, as the API reports it.

    ``code`` is stable: ``core.<rule>`` or ``<plugin>.<rule>`` (DOMAIN.md lists them).
    ``field`` is the dotted path of the offending input, e.g. ``data.retail.sku``.
    """

    code: str
    message: str
    field: str | None = None
    blocking: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "field": self.field}


def warning(code: str, message: str, field: str | None = None) -> Violation:
    """A violation that is reported but does not block."""
    return Violation(code, message, field, blocking=False)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who takes an action: a console user (by email), an API token (by name), or the system."""

    name: str
    role: str
    kind: Literal["user", "token", "system", "customer"] = "token"

    @property
    def is_manager(self) -> bool:
        return self.role in MANAGING_ROLES


SYSTEM = Actor("system", "system", "system")


@dataclass(frozen=True, slots=True)
class TenantContext:
    """What a hook knows of the tenant it runs for. Built once per request or job."""

    id: int
    slug: str
    name: str
    timezone: str
    locale: str
    settings: Mapping[str, Any]
    plugins: Mapping[str, Mapping[str, Any]]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local_date(self, moment: datetime) -> date:
        """The tenant's calendar date of ``moment`` (rules count days by it)."""
        return moment.astimezone(self.zone).date()

    def day_start(self, day: date) -> datetime:
        """00:00 of ``day`` in the tenant's time zone."""
        return datetime.combine(day, time.min, self.zone)

    def plugin_settings(self, plugin: str) -> Mapping[str, Any]:
        """This tenant's settings for ``plugin`` (defaults filled in), or {} if not enabled."""
        return self.plugins.get(plugin, {})

    @property
    def departments(self) -> list[str]:
        return list(self.settings.get("departments", []))

    @property
    def sites(self) -> list[str]:
        return list(self.settings.get("sites", []))


@dataclass(frozen=True, slots=True)
class Link:
    """A link from the case to another case of the same tenant.

    ``inverse`` names the relation as seen from the other case (``None``: same name).
    """

    case_id: str
    relation: str
    inverse: str | None = None


@dataclass(frozen=True, slots=True)
class NewEvent:
    """An event a plugin adds to the case's log; ``type`` is ``<plugin>.<event>``."""

    type: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Outcome:
    """What a reaction hook decides for the case; the core applies it in the same transaction.

    Every part is optional: flags to add (and ``remove_flags``: flags whose condition no longer
    holds, say after an edit corrected the data; removed after the adding), links to make, events
    to log, a severity or department to set, timers to start (by name, from ``TimerSpec``s
    already registered for the case) or stop; and ``related``: outcomes for other cases of the
    tenant, by case id, applied in the same transaction (one case's recall notice stops the
    recall deadline of every case of the lot). A related case's version moves, as for any change
    of it; its own outcome cannot reach further cases.
    """

    flags: list[str] = field(default_factory=list)
    remove_flags: list[str] = field(default_factory=list)
    links: list[Link] = field(default_factory=list)
    events: list[NewEvent] = field(default_factory=list)
    severity: str | None = None
    department: str | None = None
    start_timers: dict[str, datetime] = field(default_factory=dict)
    stop_timers: list[str] = field(default_factory=list)
    related: dict[str, Outcome] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Classification:
    """A plugin's classification of a new case; ``None`` fields leave the value as it is."""

    category: str | None = None
    severity: str | None = None
    department: str | None = None


@dataclass(frozen=True, slots=True)
class ActionSpec:
    """An action a plugin adds to the workflow.

    ``from_states``: where it may be taken; ``to_state``: where it leads (``None``: it stays);
    ``roles``: who may take it; ``params``: a marshmallow schema class for its extra fields.
    """

    name: str
    from_states: frozenset[str]
    to_state: str | None = None
    roles: frozenset[str] = STAFF_ROLES
    params: type | None = None
    title: str = ""


@dataclass(frozen=True, slots=True)
class TimerSpec:
    """A timer the case should carry.

    ``amount`` and ``unit`` give the duration; ``start_on`` names the event that starts it
    (``"opened"`` starts it at the case's ``received_at``; an action name starts it when that
    action is taken; ``None``: only an ``Outcome.start_timers`` entry starts it); ``stop_on``
    names the actions (or ``"survey"``) that stop it; ``pauses`` makes it pause while the case
    is ``awaiting_customer``. A spec with the name of another replaces it (plugins override core).
    """

    name: str
    amount: int
    unit: str
    start_on: str | None = "opened"
    stop_on: frozenset[str] = frozenset()
    pauses: bool = False


@dataclass(frozen=True, slots=True)
class Document:
    """A document a plugin renders for a case: ``name`` as in the URL (``8d.pdf``)."""

    name: str
    content_type: str
    title: str = ""


@dataclass(frozen=True, slots=True)
class Panel:
    """A console panel on the case page: a title and already-rendered, escaped HTML."""

    name: str
    title: str
    html: str


@dataclass(frozen=True, slots=True)
class ReportSection:
    """A plugin's section of the summary report (hook ``report_sections``).

    ``figures`` are the section's numbers by key and ``rows`` a table (one mapping per row, all
    with the same keys), both JSON-ready: the API gives them as they are. ``title`` and
    ``labels`` (a heading for each key) are in the tenant's language, for the console; a key
    with no label shows as it is. A value of ``None`` shows as "—".
    """

    title: str
    figures: Mapping[str, Any] = field(default_factory=dict)
    rows: tuple[Mapping[str, Any], ...] = ()
    labels: Mapping[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "figures": dict(self.figures),
            "rows": [dict(row) for row in self.rows],
            "labels": dict(self.labels),
        }


@dataclass(frozen=True, slots=True)
class PeriodicJob:
    """A job that runs on a schedule: a stable ``id``, a cron expression, and the function.

    With ``per_tenant=True`` it runs once per tenant that enabled the plugin, and the function
    is called with whichever of ``tenant`` (TenantContext), ``cases`` (CaseLookup) and
    ``tenant_id`` it names; otherwise with nothing.
    """

    id: str
    cron: str
    func: Any
    per_tenant: bool = True


@dataclass(frozen=True, slots=True)
class Channel:
    """A way to reach people that a plugin provides (SMS, WeChat).

    ``name`` is the kind of address it serves (``"sms"`` for customers' phone numbers);
    ``send(address, subject, body, key)`` delivers one message or raises (the job is retried);
    ``key`` is stable across retries of the same message, for the provider's deduplication.
    """

    name: str
    send: Any


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """A plugin's metadata, the module attribute ``PLUGIN_INFO``; checked when the app starts."""

    name: str
    title: str
    version: str
    description: str = ""
    requires_core: str = ">=0.1"
