"""The plugin contract: every hook a plugin may implement.

This is the one file a plugin author reads. A plugin is a module (or object) registered under
the entry-point group ``casecore.plugins``; it carries a ``PLUGIN_INFO = PluginInfo(...)`` and
implements any of the hooks below with ``@core.hookimpl``. An implementation may accept any subset
of a hook's arguments, by name.

Hooks run only for the tenants that enabled the plugin. Unless a docstring says otherwise, all
answers are combined (a list, ``None`` answers dropped); ``firstresult`` hooks stop at the first
answer that is not ``None``. Hooks run inside the request's transaction: what a hook decides is
in its answer, which the core applies; a hook never writes the case itself. A hook that raises
fails the request cleanly (HTTP 500 problem naming the plugin, nothing written) and touches no
other tenant.

Arguments shared by many hooks:

- ``tenant``: :class:`core.TenantContext`, the tenant this call is for; ``tenant.plugin_settings
  (name)`` gives a plugin its settings, already validated and with defaults filled in.
- ``case``: the case (``core.models.Case``), read-only. Its fields are those of the API's case
  body; ``case.plugin_data(name)`` gives ``data.<name>`` as stored, and
  ``case.plugin_fields(name, schema)`` loads it with the plugin's schema (dates as dates) once
  for all the hooks of a request.
- ``cases``: :class:`core.CaseLookup`, queries over this tenant's cases (and the plugin's own
  keyed records) for rules that look at other cases; ``any_of`` in its criteria makes one
  query of what would be several counts.
- ``actor``: :class:`core.Actor`, who acts.

A hook that needs the current time calls ``core.now()``, the core's clock (tests set it).
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import pluggy

from core.types import (
    ActionSpec,
    Actor,
    Channel,
    Classification,
    Document,
    Outcome,
    Panel,
    PeriodicJob,
    ReportSection,
    TenantContext,
    TimerSpec,
    Violation,
)

if TYPE_CHECKING:
    from flask import Blueprint
    from marshmallow import Schema

    from core.lookup import CaseLookup
    from core.models import Case, Timer

hookspec = pluggy.HookspecMarker("casecore")


# --- declaration ---------------------------------------------------------------------------


@hookspec(firstresult=True)
def settings_schema() -> type[Schema] | None:
    """The marshmallow schema of this plugin's tenant settings.

    Called for one plugin at a time (when a tenant enables the plugin or changes its settings,
    and for ``GET /api/v1/plugins``), so it takes no tenant. Every field needs a
    ``load_default`` (``{}`` must load to the plugin's defaults) and unknown keys must raise.
    ``None``: the plugin has no settings.
    """


@hookspec(firstresult=True)
def case_fields_schema(tenant: TenantContext, kind: str) -> type[Schema] | None:
    """The marshmallow schema of ``data.<plugin>`` for cases of ``kind``.

    Called for one plugin at a time, when a case is opened or its ``data`` edited, and to
    describe the plugin (``GET /api/v1/plugins``, the console's forms), where ``tenant`` may be
    one that has not enabled it. Unknown keys must raise; the errors come back to the client
    under ``data.<plugin>.<field>``.
    ``None``: the plugin takes no fields on cases of this kind (any given are refused).
    """


@hookspec
def register_kinds(tenant: TenantContext) -> list[str]:
    """Case kinds the plugin adds to complaint, return, feedback and service_request."""


@hookspec
def register_actions(tenant: TenantContext) -> list[ActionSpec]:
    """Workflow actions the plugin adds (e.g. ``request_appraisal``).

    Asked at start-up with every plugin on its default settings (an action with a core
    action's name, or another plugin's, is a start-up error), then per tenant. A plugin
    reacts to its own actions in :func:`case_moved`.
    """


# --- intake and edits ----------------------------------------------------------------------


@hookspec
def classify_case(tenant: TenantContext, case: Case) -> Classification | None:
    """Classify a new case before its rules are checked: category, severity, department.

    Called once per new case. For each field the first answer that sets it wins; a value the
    client gave explicitly is kept over a plugin's, except that a plugin may raise severity.
    """


@hookspec
def check_case(
    tenant: TenantContext, case: Case, changes: dict[str, Any] | None, cases: CaseLookup
) -> list[Violation]:
    """Check a case at intake (``changes`` is ``None``) and on each edit (``changes`` maps the
    edited fields to their new values; ``case`` already carries them).

    Answer the violations found: blocking ones refuse the request with 422 and every refusing
    rule's violation (nothing is stored); warnings are stored on the case and returned in its
    ``violations``. An empty list (or ``None``): nothing to say.
    """


@hookspec
def case_opened(tenant: TenantContext, case: Case, cases: CaseLookup) -> Outcome | None:
    """React to a new case, inside the opening transaction (after timers are set).

    Answer the flags, links, events, severity, department and timers to start; all is applied
    before the 201 answer, so the client sees it in the body. ``None``: nothing to add.
    """


@hookspec
def case_edited(
    tenant: TenantContext, case: Case, changes: dict[str, Any], actor: Actor, cases: CaseLookup
) -> Outcome | None:
    """React to an accepted edit (``changes`` as in :func:`check_case`), in its transaction."""


# --- workflow ------------------------------------------------------------------------------


@hookspec
def veto_action(
    tenant: TenantContext,
    case: Case,
    action: str,
    params: dict[str, Any],
    actor: Actor,
    cases: CaseLookup,
) -> Violation | None:
    """Refuse an action with one reason, or let it pass with ``None``.

    Called for every action allowed from the case's state, before it is applied; every veto is
    collected, so the client sees all refusing rules at once (422). A plugin with several
    independent rules implements this hook once per rule (``@hookimpl(specname=...)``).
    """


@hookspec
def case_moved(
    tenant: TenantContext,
    case: Case,
    action: str,
    from_state: str,
    params: dict[str, Any],
    actor: Actor,
    cases: CaseLookup,
) -> Outcome | None:
    """React to an action just applied (``case.state`` is the new state), in its transaction.

    Called for core actions and for the plugin's own. Answer as for :func:`case_opened`.
    """


# --- timers --------------------------------------------------------------------------------


@hookspec
def register_timers(tenant: TenantContext, case: Case) -> list[TimerSpec]:
    """Timers the case should carry, asked when a case is opened and when it is edited.

    A spec with the name of a core timer (or of an earlier plugin's) replaces it; the core's own
    timers come from the tenant's settings. An empty list: nothing to add.
    """


@hookspec
def timer_breached(tenant: TenantContext, case: Case, timer: Timer) -> Outcome | None:
    """React to a timer of the case that has just passed its deadline (called by the sweep)."""


# --- documents and console -----------------------------------------------------------------


@hookspec
def register_documents(tenant: TenantContext, case: Case) -> list[Document]:
    """Documents the plugin can render for this case (e.g. ``8d.pdf``)."""


@hookspec(firstresult=True)
def render_document(
    tenant: TenantContext, case: Case, name: str, cases: CaseLookup
) -> bytes | str | None:
    """Render the document ``name`` for the case; ``None``: not this plugin's document."""


@hookspec
def register_console_panels(tenant: TenantContext, case: Case) -> list[Panel]:
    """Panels for the console's case page (return checklist, pull status, the 8D editor)."""


@hookspec
def register_blueprints() -> list[Blueprint]:
    """Flask blueprints with extra API routes, registered at start-up under ``/api/v1``.

    A request through them for a tenant that has not enabled the plugin answers 404, and the
    tenant scope is open as for every API route; ``core.request_tenant()`` gives the calling
    tenant. Takes no tenant: routes exist once per app.
    """


# --- reports -------------------------------------------------------------------------------


@hookspec
def report_sections(
    tenant: TenantContext, since: datetime, until: datetime, cases: CaseLookup
) -> ReportSection | None:
    """The plugin's own figures for the summary report of cases received in [since, until]
    (food_service's feedback collection against its targets, say): shown under
    ``plugins.<name>`` in ``GET /api/v1/reports/summary`` and as a section of the console's
    dashboard (its last 30 days). ``None``: nothing to add for this period."""


# --- jobs ----------------------------------------------------------------------------------


@hookspec
def register_periodic_jobs() -> list[PeriodicJob]:
    """Jobs to run on a schedule; a ``per_tenant`` job runs once for each tenant that enabled
    the plugin. Stable ids: the schedule is reconciled by id at start-up."""


@hookspec
def register_channels(tenant: TenantContext) -> list[Channel]:
    """Notification channels the plugin provides for this tenant (SMS, WeChat). A message to a
    customer's phone goes through the channel named ``sms``; with none, it is logged as
    ``no_channel``. Email over SMTP is the core's own."""
