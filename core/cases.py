"""What can be done to cases: open, read, edit, act, survey, comment. The API and the console
both call this; it knows nothing of HTTP beyond raising ``Problem``s."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError
from sqlalchemy import func, select, update

from core.db import insert_if_absent, insert_rows
from core.errors import Problem, conflict, forbidden, invalid, not_found, refused
from core.ids import new_id
from core.lookup import CaseLookup, normalise_email, normalise_phone
from core.models import Case, CaseEvent, CaseLink, Counter, utcnow
from core.outbox import CASE_EVENT, Outbox
from core.plugins import Plugins
from core.schemas import CORE_KINDS
from core.search import index_text
from core.tenancy import TenantSession
from core.timers import CaseTimers
from core.types import (
    MANAGING_ROLES,
    SEVERITIES,
    ActionSpec,
    Actor,
    Document,
    Outcome,
    TenantContext,
    Violation,
)
from core.workflow import CORE_ACTIONS, OPEN_STATES, SURVEY_STATES

SEARCHED_FIELDS = ("number", "title", "description", "customer_name", "category", "site")


class CaseService:
    """Case operations for one tenant and one actor, inside one session (one transaction)."""

    def __init__(
        self,
        session: TenantSession,
        tenant: TenantContext,
        plugins: Plugins,
        actor: Actor,
        now: Callable[[], datetime] = utcnow,
        calendar_dir: Path | None = None,
    ):
        self.session = session
        self.tenant = tenant
        self.plugins = plugins
        self.actor = actor
        self.now = now
        self.hooks = plugins.for_tenant(tenant.plugins)
        self.cases = CaseLookup(session)
        self.timers = CaseTimers(session, tenant, self.hooks, calendar_dir)
        self.outbox = Outbox(session)
        #: The events ``record`` logged through this service (an intake's answer shows them).
        self.recorded: list[CaseEvent] = []

    # --- reading ---------------------------------------------------------------------------

    def get(self, case_id: str, lock: bool = False) -> Case:
        """The case, or 404: unknown, another tenant's, or the actor is recused from it.

        ``lock`` holds its row until the transaction ends and reads it as it then stands: for
        changes that carry no version (a survey), so that two at once take turns instead of
        one failing as stale.
        """
        if len(case_id) > 64:
            case = None
        elif lock:
            case = self.session.get(
                Case,
                (self.tenant.id, case_id),
                with_for_update=True,
                populate_existing=True,
            )
        else:
            case = self.cases.get(case_id)
        if case is None or self.is_recused(case):
            raise not_found("case")
        return case

    def is_recused(self, case: Case) -> bool:
        return self.actor.name.lower() in (case.subject_staff or [])

    def kinds(self) -> list[str]:
        extra = [k for ks in self.hooks.register_kinds(tenant=self.tenant) for k in ks or []]
        return list(dict.fromkeys([*CORE_KINDS, *extra]))

    def actions(self) -> dict[str, ActionSpec]:
        specs = dict(CORE_ACTIONS)
        for answer in self.hooks.register_actions(tenant=self.tenant):
            for spec in answer or []:
                specs.setdefault(spec.name, spec)
        return specs

    def allowed_actions(
        self, case: Case, actions: dict[str, ActionSpec] | None = None
    ) -> list[str]:
        """The actions this actor may take on the case now (for buttons and clients)."""
        return [
            name
            for name, spec in (actions or self.actions()).items()
            if case.state in spec.from_states and self.actor.role in spec.roles
        ]

    def documents(self, case: Case) -> list[Document]:
        """The documents the tenant's plugins offer for this case."""
        return [
            d
            for answer in self.hooks.register_documents(tenant=self.tenant, case=case)
            for d in answer or []
        ]

    def document(self, case_id: str, name: str) -> tuple[bytes | str, str]:
        """A plugin's document for the case, rendered, with its content type; or 404."""
        case = self.get(case_id)
        offered = {doc.name: doc for doc in self.documents(case)}
        content = None
        if name in offered:
            content = self.hooks.render_document(
                tenant=self.tenant, case=case, name=name, cases=self.cases
            )
        if content is None:
            raise not_found("document")
        return content, offered[name].content_type

    # --- intake ----------------------------------------------------------------------------

    def open(self, body: dict[str, Any]) -> Case:
        """Open a case from a validated ``CaseCreateSchema`` body; all intake decisions are made
        in this transaction (DESIGN.md)."""
        self._check_choices(body)
        data = self._plugin_data(body.get("data") or {}, body["kind"])
        customer = body["customer"]
        case = Case(
            tenant_id=self.tenant.id,
            kind=body["kind"],
            state="received",
            title=body["title"],
            description=body.get("description") or "",
            channel=body["channel"],
            customer_name=customer["name"],
            customer_phone=normalise_phone(customer.get("phone")),
            customer_email=normalise_email(customer.get("email")),
            category=body.get("category"),
            severity=body.get("severity") or "normal",
            site=body.get("site"),
            subject_staff=sorted({s.strip().lower() for s in body.get("subject_staff") or []}),
            remedy_sought=body.get("remedy_sought"),
            received_at=body.get("received_at") or self.now(),
            data=data,
            flags=[],
            warnings=[],
        )
        self._classify(case)
        self._check(case, changes=None)
        case.number = self._next_number(case.received_at)
        case.search_text = self._search_text(case)
        self.session.add(case)
        self.session.flush()
        self.record(case, "opened", {"channel": case.channel, "kind": case.kind})
        self.timers.opened(case)
        answers = self.hooks.case_opened(tenant=self.tenant, case=case, cases=self.cases)
        self.apply(case, answers)
        return case

    def _check_choices(self, body: dict[str, Any]) -> None:
        errors: dict[str, list[str]] = {}
        kinds = self.kinds()
        if "kind" in body and body["kind"] not in kinds:
            errors["kind"] = [f"Must be one of: {', '.join(kinds)}."]
        categories = [c["name"] for c in self.tenant.settings.get("categories", [])]
        if categories and body.get("category") is not None and body["category"] not in categories:
            errors["category"] = [
                f"Must be one of this tenant's categories: {', '.join(categories)}."
            ]
        sites = self.tenant.sites
        if sites and body.get("site") is not None and body["site"] not in sites:
            errors["site"] = [f"Must be one of this tenant's sites: {', '.join(sites)}."]
        if errors:
            raise invalid(errors)

    def _plugin_data(self, data: dict[str, Any], kind: str) -> dict[str, Any]:
        """Each plugin's namespace validated by its schema; a plugin not enabled is refused."""
        foreign = [name for name in data if name not in self.tenant.plugins]
        if foreign:
            raise refused(
                Violation(
                    "core.plugin_not_enabled",
                    f"Plugin {name!r} is not enabled for this tenant.",
                    f"data.{name}",
                )
                for name in foreign
            )
        loaded: dict[str, Any] = {}
        errors: dict[str, Any] = {}
        for name, values in data.items():
            schema_cls: type[Schema] | None = self.plugins.call_one(
                name, "case_fields_schema", tenant=self.tenant, kind=kind
            )
            if schema_cls is None:
                errors[name] = [f"Plugin {name!r} takes no fields on {kind} cases."]
                continue
            schema = schema_cls(unknown=RAISE)
            try:
                loaded[name] = schema.dump(schema.load(values))
            except ValidationError as exc:
                errors[name] = exc.messages
        if errors:
            raise invalid(errors, prefix="data")
        return loaded

    def _classify(self, case: Case) -> None:
        for answer in self.hooks.classify_case(tenant=self.tenant, case=case):
            if answer is None:
                continue
            if answer.category and case.category is None:
                case.category = answer.category
            if answer.department and case.department is None:
                case.department = answer.department
            if answer.severity in SEVERITIES and SEVERITIES.index(
                answer.severity
            ) > SEVERITIES.index(case.severity):
                case.severity = answer.severity

    def _check(self, case: Case, changes: dict[str, Any] | None) -> None:
        found = [
            v
            for answer in self.hooks.check_case(
                tenant=self.tenant, case=case, changes=changes, cases=self.cases
            )
            for v in answer or []
        ]
        blocking = [v for v in found if v.blocking]
        if blocking:
            raise refused(blocking)
        case.warnings = [v.as_dict() for v in found]

    def _check_lowered_severity(self, case: Case, was: str) -> None:
        """A severity lowered by an edit: never below what the plugins' rules give for the
        case's data as they now stand, and down from major or critical only by a manager (the
        approval those need is not to be edited away)."""
        rank = SEVERITIES.index
        if rank(case.severity) >= rank(was):
            return
        ruled = [
            answer.severity
            for answer in self.hooks.classify_case(tenant=self.tenant, case=case)
            if answer is not None and answer.severity in SEVERITIES
        ]
        floor = max(ruled, key=rank, default=None)
        if floor is not None and rank(case.severity) < rank(floor):
            raise refused(
                [
                    Violation(
                        "core.severity_set_by_rules",
                        f"The rules give this case severity {floor} for its data: correct the "
                        "data to lower it.",
                        "severity",
                    )
                ]
            )
        if rank(was) >= rank("major") and self.actor.role not in MANAGING_ROLES:
            raise refused(
                [
                    Violation(
                        "core.approval_required",
                        f"Lowering a {was} case's severity is a manager's decision (role "
                        "manager or admin).",
                        "severity",
                    )
                ]
            )

    def _next_number(self, received_at: datetime) -> str:
        value = self.session.execute(
            update(Counter)
            .where(Counter.tenant_id == self.tenant.id, Counter.name == "case")
            .values(value=Counter.value + 1)
            .returning(Counter.value)
        ).scalar_one()
        return f"{received_at.year}-{value:06d}"

    @staticmethod
    def _search_text(case: Case) -> str:
        return index_text(*(str(getattr(case, f) or "") for f in SEARCHED_FIELDS))

    # --- edits -----------------------------------------------------------------------------

    def edit(self, case_id: str, body: dict[str, Any]) -> Case:
        """Apply a validated ``CaseEditSchema`` body; ``version`` must be the case's."""
        case = self._for_change(case_id, body.pop("version"))
        self._check_choices({k: v for k, v in body.items() if k in ("category", "site")})
        severity_was = case.severity
        changes: dict[str, Any] = {}
        if "customer" in body:
            customer = body.pop("customer")
            for key, column in (
                ("name", "customer_name"),
                ("phone", "customer_phone"),
                ("email", "customer_email"),
            ):
                if key in customer:
                    value = {"phone": normalise_phone, "email": normalise_email}.get(
                        key, lambda v: v
                    )(customer[key])
                    if getattr(case, column) != value:
                        changes[f"customer.{key}"] = value
                        setattr(case, column, value)
        if "data" in body:
            data = dict(case.data or {})
            data.update(self._plugin_data(body.pop("data"), case.kind))
            if data != case.data:
                changes["data"] = data
                case.data = data
        if "subject_staff" in body:
            body["subject_staff"] = sorted({s.strip().lower() for s in body["subject_staff"]})
        for key, value in body.items():
            if getattr(case, key) != value:
                changes[key] = value
                setattr(case, key, value)
        if not changes:
            return case
        self._check_lowered_severity(case, severity_was)
        self._check(case, changes)
        case.search_text = self._search_text(case)
        self.record(case, "edited", {"fields": sorted(changes)})
        answers = self.hooks.case_edited(
            tenant=self.tenant, case=case, changes=changes, actor=self.actor, cases=self.cases
        )
        self.apply(case, answers)
        self.timers.edited(case, self.now())
        self._claim_ownership(case)
        self.touch(case)
        return case

    # --- actions ---------------------------------------------------------------------------

    def act(self, case_id: str, body: dict[str, Any]) -> Case:
        """Take an action (validated ``ActionSchema`` body plus the action's own fields)."""
        body = dict(body)
        name, note = body.pop("action"), body.pop("note", None)
        case = self._for_change(case_id, body.pop("version"))
        spec = self.actions().get(name)
        if spec is None:
            raise invalid({"action": [f"Unknown action; one of: {', '.join(self.actions())}."]})
        if self.actor.role not in spec.roles:
            raise forbidden(f"The {self.actor.role} role may not {name}.")
        if case.state not in spec.from_states:
            raise conflict(
                "core.action_not_allowed", f"Action {name} is not allowed in state {case.state}."
            )
        params = self._params(spec, body)
        self._guard(case, name, params)
        vetoes = [
            v
            for v in self.hooks.veto_action(
                tenant=self.tenant,
                case=case,
                action=name,
                params=params,
                actor=self.actor,
                cases=self.cases,
            )
            if v is not None
        ]
        if vetoes:
            raise refused(vetoes)
        self._move(case, spec, params, note)
        return case

    @staticmethod
    def _params(spec: ActionSpec, body: dict[str, Any]) -> dict[str, Any]:
        given = {k: v for k, v in body.items() if v is not None}
        if spec.params is None:
            if given:
                raise invalid({k: [f"Unknown field for action {spec.name}."] for k in given})
            return {}
        try:
            return spec.params(unknown=RAISE).load(given)
        except ValidationError as exc:
            raise invalid(exc.messages) from exc

    def _guard(self, case: Case, action: str, params: dict[str, Any]) -> None:
        """Checks of an action's own fields against the tenant's data."""
        if action == "assign_department":
            departments = self.tenant.departments
            if departments and params["department"] not in departments:
                raise invalid(
                    {
                        "department": [
                            f"Must be one of this tenant's departments: {', '.join(departments)}."
                        ]
                    }
                )
        elif action == "merge":
            target = self.cases.get(params["into"]) if len(params["into"]) <= 64 else None
            if target is None or target.id == case.id or self.is_recused(target):
                raise invalid({"into": ["Give another case of this tenant."]})
        elif action == "assign" and params["owner"].lower() in (case.subject_staff or []):
            raise refused(
                [Violation("core.recused", "Staff named in the complaint cannot own it.", "owner")]
            )

    def _move(self, case: Case, spec: ActionSpec, params: dict[str, Any], note: str | None) -> None:
        from_state = case.state
        now = self.now()
        if spec.to_state is not None:
            case.state = spec.to_state
        match spec.name:
            case "assign_department":
                case.department = params["department"]
            case "propose":
                case.proposal = params["proposal"]
            case "resolve":
                case.resolution = params["resolution"]
            case "reject":
                case.resolution = params["findings"]
            case "assign":
                case.owner = params["owner"].lower()
            case "approve":
                case.approved_by, case.approved_at = self.actor.name, now
            case "reopen":
                case.approved_by = case.approved_at = None
                case.closed_at = None
            case "merge":
                self._link(case, params["into"], "merged_into", "merged_from")
        if case.state == "closed" and from_state != "closed":
            case.closed_at = now
        self._claim_ownership(case)
        data = {"from": from_state, "to": case.state, **params}
        if note:
            data["note"] = note
        self.record(case, spec.name, data)
        self._moved(case, spec.name, from_state, params, now)
        self.touch(case)

    def _moved(
        self, case: Case, action: str, from_state: str, params: dict[str, Any], now: datetime
    ) -> None:
        """After an action (or a survey) is recorded: timers, then plugins' reactions."""
        self.timers.moved(case, action, from_state, now)
        answers = self.hooks.case_moved(
            tenant=self.tenant,
            case=case,
            action=action,
            from_state=from_state,
            params=params,
            actor=self.actor,
            cases=self.cases,
        )
        self.apply(case, answers)

    def _claim_ownership(self, case: Case) -> None:
        """首问责任制: the first staff member to act after intake owns the case."""
        if case.owner is None and self.actor.kind in ("user", "token"):
            case.owner = self.actor.name.lower()

    # --- surveys and comments --------------------------------------------------------------

    def survey(self, case_id: str, body: dict[str, Any]) -> Case:
        """Record a survey: 1 or 2 reopens the case, 3 changes nothing, 4 or 5 allow close."""
        case = self.get(case_id, lock=True)
        if case.state not in SURVEY_STATES:
            raise conflict(
                "core.action_not_allowed", f"A survey is not taken in state {case.state}."
            )
        now = self.now()
        self.record(case, "survey", {"score": body["score"], "comment": body.get("comment", "")})
        self.timers.moved(case, "survey", case.state, now)
        if body["score"] <= 2:
            from_state = case.state
            case.state = "investigating"
            case.approved_by = case.approved_at = case.closed_at = None
            self.record(case, "reopen", {"from": from_state, "to": case.state, "by": "survey"})
            self._moved(case, "reopen", from_state, {"by": "survey"}, now)
        self.touch(case)
        return case

    def comment(self, case_id: str, body: dict[str, Any]) -> CaseEvent:
        case = self.get(case_id)
        return self.record(case, "comment", {"body": body["body"], "internal": body["internal"]})

    # --- shared ----------------------------------------------------------------------------

    def touch(self, case: Case) -> None:
        """One change, one new version (clients send it back to act again)."""
        case.version += 1
        case.updated_at = self.now()

    def _for_change(self, case_id: str, version: int) -> Case:
        case = self.get(case_id)
        if case.version != version:
            raise conflict(
                "core.stale_version",
                f"The case is at version {case.version}, not {version}: reload and try again.",
            )
        return case

    def record(self, case: Case, type_: str, data: dict[str, Any]) -> CaseEvent:
        """Append an event to the case's log, and its message to the outbox."""
        event = CaseEvent(**self._event_row(case.id, type_, data))
        self.session.add(event)
        self.recorded.append(event)
        self.outbox.add(CASE_EVENT, {"event_id": event.id, "type": type_}, case_id=case.id)
        return event

    def record_many(self, events: list[tuple[str, str, dict[str, Any]]]) -> None:
        """``record`` for many ``(case_id, type, data)`` at once, as two bulk INSERTs."""
        rows = [self._event_row(case_id, type_, data) for case_id, type_, data in events]
        if not rows:
            return
        insert_rows(self.session, CaseEvent, rows)
        self.outbox.add_many(
            CASE_EVENT,
            [({"event_id": row["id"], "type": row["type"]}, row["case_id"]) for row in rows],
        )

    def _event_row(self, case_id: str, type_: str, data: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": new_id(),  # the outbox row names it before any flush
            "tenant_id": self.tenant.id,
            "case_id": case_id,
            "type": type_,
            "actor": self.actor.name,
            "at": self.now(),
            "data": _jsonable(data),
        }

    def _link(self, case: Case, other_id: str, relation: str, inverse: str | None) -> None:
        now = self.now()
        for a, b, rel in ((case.id, other_id, relation), (other_id, case.id, inverse or relation)):
            insert_if_absent(
                self.session,
                CaseLink,
                {
                    "tenant_id": self.tenant.id,
                    "case_id": a,
                    "other_id": b,
                    "relation": rel,
                    "created_at": now,
                },
                unique=["tenant_id", "case_id", "other_id", "relation"],
            )

    def apply(self, case: Case, answers: list[Outcome | None]) -> None:
        """Apply what reaction hooks decided, in this transaction."""
        for outcome in answers:
            if outcome is None:
                continue
            for flag in outcome.flags:
                if flag not in case.flags:
                    case.flags = [*case.flags, flag]
            if set(outcome.remove_flags) & set(case.flags):
                case.flags = [f for f in case.flags if f not in outcome.remove_flags]
            for link in outcome.links:
                if self.cases.get(link.case_id) is None:
                    raise Problem(
                        500, "Plugin error", f"a hook linked to unknown case {link.case_id}"
                    )
                self._link(case, link.case_id, link.relation, link.inverse)
            for event in outcome.events:
                self.record(case, event.type, dict(event.data))
            if outcome.severity in SEVERITIES:
                case.severity = outcome.severity
            if outcome.department:
                case.department = outcome.department
            if outcome.start_timers or outcome.stop_timers:
                self.timers.apply(case, outcome.start_timers, outcome.stop_timers, self.now())
            for other_id, theirs in outcome.related.items():
                self._apply_related(case, other_id, theirs)

    def _apply_related(self, case: Case, other_id: str, outcome: Outcome) -> None:
        other = self.cases.get(other_id)
        if other is None or other.id == case.id:
            raise Problem(500, "Plugin error", f"a hook's outcome names unknown case {other_id}")
        if outcome.related:
            raise Problem(500, "Plugin error", "an outcome for another case reaches no further")
        self.apply(other, [outcome])
        self.touch(other)

    def links_of(self, case_ids: list[str]) -> dict[str, list[dict[str, str]]]:
        """Links of many cases in one query, for case bodies and lists."""
        out: dict[str, list[dict[str, str]]] = {cid: [] for cid in case_ids}
        if not case_ids:
            return out
        rows = self.session.scalars(
            select(CaseLink).where(CaseLink.case_id.in_(case_ids)).order_by(CaseLink.created_at)
        )
        for link in rows:
            out[link.case_id].append({"case": link.other_id, "relation": link.relation})
        return out

    def count_open(self) -> int:
        return int(
            self.session.scalar(
                select(func.count()).select_from(Case).where(Case.state.in_(OPEN_STATES))
            )
            or 0
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
