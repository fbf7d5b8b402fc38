"""``hookcheck``: a test plugin that implements every hook of ``core/hookspecs.py``.

It records each call (hook name and arguments) on the instance, and its answers are switches a
test sets before it makes requests:

- ``violations``: what ``check_case`` answers (blocking ones or warnings);
- ``vetoes``: ``{action: Violation}``, what ``veto_action`` answers for that action;
- ``kinds`` / ``actions``: what ``register_kinds`` / ``register_actions`` add (``KIND`` and
  ``INSPECT`` are ready to use);
- ``classification``: what ``classify_case`` answers;
- ``outcomes``: ``{hook: Outcome}`` for ``case_opened``, ``case_moved``, ``case_edited`` and
  ``timer_breached``;
- ``timers``: what ``register_timers`` answers (one spec by default);
- ``fail_in``: names of hooks that raise ``HookCheckFailure``.

``report_sections`` answers how many of the period's cases it can see, with a label.

What the plugin provides whatever the switches say: the document ``hookcheck.txt``, a console
panel, a blueprint with ``GET /api/v1/hookcheck/ping``, a periodic job, a settings schema
(``limit``: an int from 1 to 10, default 3), a case fields schema (``lot`` and ``count``,
unknown keys refused; none on ``feedback`` cases) and an ``sms`` notification channel that
records what it would send.

Each test gets a fresh instance (the plugin keeps state), registered with
``create_app(config, extra_plugins=(HookCheck(),))``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import jsonify
from flask_smorest import Blueprint
from markupsafe import escape
from marshmallow import RAISE, Schema, fields, validate

from core import (
    ActionSpec,
    Actor,
    CaseLookup,
    Channel,
    Classification,
    Document,
    Outcome,
    Panel,
    PeriodicJob,
    PluginInfo,
    ReportSection,
    TenantContext,
    TimerSpec,
    Violation,
    hookimpl,
)

NAME = "hookcheck"


class HookCheckFailure(RuntimeError):
    """What hookcheck raises inside a hook named in ``fail_in``."""


class HookCheckSettings(Schema):
    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=3, validate=validate.Range(min=1, max=10))


class HookCheckFields(Schema):
    class Meta:
        unknown = RAISE

    lot = fields.String(validate=validate.Length(min=1, max=64))
    count = fields.Integer(validate=validate.Range(min=0, max=1000))


class InspectParams(Schema):
    """The params of hookcheck's own action ``inspect``."""

    points = fields.Integer(required=True, validate=validate.Range(min=1, max=10))


SEEN = ("id", "state", "category", "severity", "department")


@dataclass
class Call:
    """One hook call: the hook, its arguments as given, and the case as it was then (``seen``:
    the ORM case itself expires once its session is gone)."""

    hook: str
    args: dict[str, Any]
    seen: dict[str, Any] = field(default_factory=dict)

    @property
    def case_id(self) -> str | None:
        return self.seen.get("id")

    @property
    def case_state(self) -> str | None:
        return self.seen.get("state")

    @property
    def tenant(self) -> str | None:
        """The slug of the tenant the call was for (``None``: a hook that takes no tenant)."""
        tenant = self.args.get("tenant")
        return tenant.slug if tenant is not None else None


@dataclass
class HookCheck:
    """The plugin object; see the module docstring for its switches."""

    PLUGIN_INFO = PluginInfo(
        name=NAME,
        title="Hook check",
        version="1.0.0",
        description="Implements every hook and records each call (tests only).",
        requires_core=">=0.1,<1",
    )
    KIND = "inspection"
    INSPECT = ActionSpec(
        name="inspect",
        from_states=frozenset({"acknowledged", "investigating"}),
        to_state=None,
        params=InspectParams,
        title="Inspect",
    )
    EVENT = "hookcheck.seen"
    DOCUMENT = "hookcheck.txt"
    JOB_ID = "hookcheck.digest"

    calls: list[Call] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)
    vetoes: dict[str, Violation] = field(default_factory=dict)
    kinds: list[str] = field(default_factory=list)
    actions: list[ActionSpec] = field(default_factory=list)
    classification: Classification | None = None
    outcomes: dict[str, Outcome] = field(default_factory=dict)
    timers: list[TimerSpec] = field(
        default_factory=lambda: [
            TimerSpec("hookcheck_reply", 2, "hours", stop_on=frozenset({"inspect"}))
        ]
    )
    fail_in: set[str] = field(default_factory=set)

    # --- the recorder --------------------------------------------------------------------

    def _record(self, hook: str, **args: Any) -> None:
        case = args.get("case")
        seen = {key: getattr(case, key) for key in SEEN} if case is not None else {}
        if "timer" in args:
            seen["timer"] = args["timer"].name
        self.calls.append(Call(hook, args, seen))
        if hook in self.fail_in:
            raise HookCheckFailure(f"hookcheck was told to fail in {hook}")

    def called(self, hook: str | None = None, tenant: str | None = None) -> list[Call]:
        """The calls recorded, of one hook and/or for one tenant (by slug)."""
        return [
            c
            for c in self.calls
            if (hook is None or c.hook == hook) and (tenant is None or c.tenant == tenant)
        ]

    # --- declaration ---------------------------------------------------------------------

    @hookimpl
    def settings_schema(self) -> type[Schema] | None:
        self._record("settings_schema")
        return HookCheckSettings

    @hookimpl
    def case_fields_schema(self, tenant: TenantContext, kind: str) -> type[Schema] | None:
        self._record("case_fields_schema", tenant=tenant, kind=kind)
        return None if kind == "feedback" else HookCheckFields

    @hookimpl
    def register_kinds(self, tenant: TenantContext) -> list[str]:
        self._record("register_kinds", tenant=tenant)
        return list(self.kinds)

    @hookimpl
    def register_actions(self, tenant: TenantContext) -> list[ActionSpec]:
        self._record("register_actions", tenant=tenant)
        return list(self.actions)

    # --- intake and edits ----------------------------------------------------------------

    @hookimpl
    def classify_case(self, tenant: TenantContext, case: Any) -> Classification | None:
        self._record("classify_case", tenant=tenant, case=case)
        return self.classification

    @hookimpl
    def check_case(
        self,
        tenant: TenantContext,
        case: Any,
        changes: dict[str, Any] | None,
        cases: CaseLookup,
    ) -> list[Violation]:
        self._record("check_case", tenant=tenant, case=case, changes=changes, cases=cases)
        return list(self.violations)

    @hookimpl
    def case_opened(self, tenant: TenantContext, case: Any, cases: CaseLookup) -> Outcome | None:
        self._record("case_opened", tenant=tenant, case=case, cases=cases)
        return self.outcomes.get("case_opened")

    @hookimpl
    def case_edited(
        self,
        tenant: TenantContext,
        case: Any,
        changes: dict[str, Any],
        actor: Actor,
        cases: CaseLookup,
    ) -> Outcome | None:
        self._record(
            "case_edited", tenant=tenant, case=case, changes=changes, actor=actor, cases=cases
        )
        return self.outcomes.get("case_edited")

    # --- workflow ------------------------------------------------------------------------

    @hookimpl
    def veto_action(
        self,
        tenant: TenantContext,
        case: Any,
        action: str,
        params: dict[str, Any],
        actor: Actor,
        cases: CaseLookup,
    ) -> Violation | None:
        self._record(
            "veto_action",
            tenant=tenant,
            case=case,
            action=action,
            params=params,
            actor=actor,
            cases=cases,
        )
        return self.vetoes.get(action)

    @hookimpl
    def case_moved(
        self,
        tenant: TenantContext,
        case: Any,
        action: str,
        from_state: str,
        params: dict[str, Any],
        actor: Actor,
        cases: CaseLookup,
    ) -> Outcome | None:
        self._record(
            "case_moved",
            tenant=tenant,
            case=case,
            action=action,
            from_state=from_state,
            params=params,
            actor=actor,
            cases=cases,
        )
        return self.outcomes.get("case_moved")

    # --- timers --------------------------------------------------------------------------

    @hookimpl
    def register_timers(self, tenant: TenantContext, case: Any) -> list[TimerSpec]:
        self._record("register_timers", tenant=tenant, case=case)
        return list(self.timers)

    @hookimpl
    def timer_breached(self, tenant: TenantContext, case: Any, timer: Any) -> Outcome | None:
        self._record("timer_breached", tenant=tenant, case=case, timer=timer)
        return self.outcomes.get("timer_breached")

    # --- documents and console -----------------------------------------------------------

    @hookimpl
    def register_documents(self, tenant: TenantContext, case: Any) -> list[Document]:
        self._record("register_documents", tenant=tenant, case=case)
        return [Document(self.DOCUMENT, "text/plain", title="Hook check report")]

    @hookimpl
    def render_document(
        self, tenant: TenantContext, case: Any, name: str, cases: CaseLookup
    ) -> bytes | str | None:
        self._record("render_document", tenant=tenant, case=case, name=name, cases=cases)
        if name != self.DOCUMENT:
            return None
        return f"hookcheck report for case {case.number}: {case.title}\n"

    @hookimpl
    def register_console_panels(self, tenant: TenantContext, case: Any) -> list[Panel]:
        self._record("register_console_panels", tenant=tenant, case=case)
        return [Panel(NAME, "Hook check", f"<p>Checked: {escape(case.title)}</p>")]

    @hookimpl
    def register_blueprints(self) -> list[Blueprint]:
        self._record("register_blueprints")
        blp = Blueprint(NAME, __name__, description="hookcheck's own route")

        @blp.route("/ping", methods=["GET"])
        def ping():
            # The core exports no helper yet for a plugin route to learn its tenant, so this
            # test plugin reaches into core.api.auth; a real plugin should not have to.
            from core.api.auth import tenant_context

            tenant = tenant_context()
            self._record("ping", tenant=tenant)
            return jsonify(plugin=NAME, tenant=tenant.slug)

        return [blp]

    # --- reports -------------------------------------------------------------------------

    @hookimpl
    def report_sections(
        self, tenant: TenantContext, since: datetime, until: datetime, cases: CaseLookup
    ) -> ReportSection | None:
        self._record("report_sections", tenant=tenant, since=since, until=until, cases=cases)
        seen = cases.find(received_since=since, received_until=until, limit=1000)
        if not seen:
            return None
        return ReportSection(
            title="Hook check",
            figures={"cases": len(seen)},
            rows=tuple({"number": c.number, "inspected": False} for c in seen),
            labels={"cases": "cases seen"},
        )

    # --- jobs ----------------------------------------------------------------------------

    @hookimpl
    def register_periodic_jobs(self) -> list[PeriodicJob]:
        self._record("register_periodic_jobs")
        return [PeriodicJob(self.JOB_ID, "*/5 * * * *", self.digest, per_tenant=True)]

    def digest(self, tenant_id: int) -> None:
        """The periodic job: records that it ran for this tenant."""
        self._record("digest", tenant_id=tenant_id)

    @hookimpl
    def register_channels(self, tenant: TenantContext) -> list[Channel]:
        self._record("register_channels", tenant=tenant)
        return [Channel("sms", self.send_sms)]

    def send_sms(self, address: str, subject: str, body: str, key: str) -> None:
        """The ``sms`` channel: records the message instead of sending it."""
        self._record("send_sms", address=address, subject=subject, body=body, key=key)
