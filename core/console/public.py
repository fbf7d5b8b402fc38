"""The customer pages under ``/p/<slug>/``: file a case (with a photo), track it with its number
and the contact given at intake, accept or decline a proposal, answer the survey.

The customer acts as ``Actor(<customer name>, "customer", "customer")`` through
``CustomerCases``, a ``CaseService`` whose only actions are ``accept`` and ``decline``, open to
the ``customer`` role: every other action is unknown to it, and the core's vetoes and reactions
run as for any action. Internal comments, action notes, staff names and plugin events are never
shown here.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from marshmallow import ValidationError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core.attachments import AttachmentStore, Upload, read_upload
from core.cases import CaseService
from core.console.web import (
    FormErrors,
    console_state,
    core,
    install_error_pages,
    protect_forms,
    tenant_blueprint,
    tenant_ctx,
)
from core.errors import Problem, flatten_errors
from core.lookup import normalise_email, normalise_phone
from core.models import Case, CaseEvent, Timer, utcnow
from core.schemas import CaseCreateSchema, SurveySchema
from core.timers import timer_view
from core.types import ActionSpec, Actor
from core.workflow import CORE_ACTIONS, STATES, SURVEY_STATES

CUSTOMER_ACTIONS: tuple[str, ...] = ("accept", "decline")
# What the customer sees of the log: the steps of the procedure and the replies meant for them.
SHOWN_EVENTS = frozenset({"opened", "survey", "comment", *CORE_ACTIONS}) - {
    "assign",
    "approve",
    "merge",
}
MAX_TRACKED = 20


class CustomerCases(CaseService):
    """Case operations as the customer: ``accept`` and ``decline`` only."""

    def actions(self) -> dict[str, ActionSpec]:
        return {
            name: dataclasses.replace(CORE_ACTIONS[name], roles=frozenset({"customer"}))
            for name in CUSTOMER_ACTIONS
        }


def _customer_service(name: str) -> CustomerCases:
    return CustomerCases(
        g.db,
        tenant_ctx(),
        core().plugins,
        Actor(name or "customer", "customer", "customer"),
        calendar_dir=core().config.calendar_dir,
    )


# --- intake ----------------------------------------------------------------------------------


def intake():
    svc = _customer_service("customer")
    values: MultiDict = request.form if request.method == "POST" else MultiDict()
    errors = FormErrors()
    if request.method == "POST":
        form = request.form
        text = {k: (form.get(k) or "").strip() for k in form}
        body: dict[str, Any] = {"channel": "web", "kind": text.get("kind") or "complaint"}
        for key in ("title", "description", "category", "site", "remedy_sought"):
            if text.get(key):
                body[key] = text[key]
        customer = {k: text.get(f"customer.{k}") for k in ("name", "phone", "email")}
        body["customer"] = {k: v for k, v in customer.items() if v}
        # Every error at once: the form's own checks and the schema's.
        for key, messages in flatten_errors(CaseCreateSchema().validate(body)).items():
            errors.add(key, *messages)
        if not customer["phone"] and not customer["email"]:
            errors.add(
                "customer.phone",
                _("Give a phone number or an email: you will need one to track your case."),
            )
        upload: Upload | None = None
        file = request.files.get("file")
        if file is not None and file.filename:
            try:
                upload = read_upload(core().config.max_upload_bytes)
            except Problem as problem:
                errors.add("file", *(problem.errors.get("file") or [problem.detail or ""]))
        if not errors:
            try:
                payload = CaseCreateSchema().load(body)
                svc = _customer_service(payload["customer"]["name"])
                case = svc.open(payload)
                if upload is not None:
                    attachment = AttachmentStore.of(current_app).save(
                        g.db, case, upload, svc.actor.name
                    )
                    svc.record(
                        case,
                        "attachment",
                        {
                            "id": attachment.id,
                            "filename": attachment.filename,
                            "size": attachment.size,
                        },
                    )
                g.db.commit()
            except ValidationError as exc:
                g.db.rollback()
                errors = FormErrors(fields=flatten_errors(exc.messages))
            except Problem as problem:
                g.db.rollback()
                errors = FormErrors(problem)
            else:
                _remember(case.id)
                filed = dict(session.get("filed") or {})
                filed[g.tenant.slug] = case.id
                session["filed"] = filed
                return redirect(url_for("public.filed"), 303)
    ctx = tenant_ctx()
    return (
        render_template(
            "public/intake.html",
            values=values,
            errors=errors,
            kinds=svc.kinds(),
            categories=[c["name"] for c in ctx.settings.get("categories", [])],
            sites=ctx.sites,
        ),
        422 if errors else 200,
    )


def filed():
    """The confirmation after intake (POST/redirect/GET, so a reload files nothing): the case this
    browser filed last, kept in its signed session; nothing to guess in the URL."""
    case_id = (session.get("filed") or {}).get(g.tenant.slug)
    case = g.db.scalar(select(Case).where(Case.id == case_id)) if case_id else None
    if case is None:
        return redirect(url_for("public.intake"), 303)
    return render_template("public/filed.html", case=case)


# --- tracking --------------------------------------------------------------------------------


def _remember(case_id: str) -> None:
    tracked = dict(session.get("tracked") or {})
    ids = [i for i in tracked.get(g.tenant.slug, []) if i != case_id]
    tracked[g.tenant.slug] = [case_id, *ids][:MAX_TRACKED]
    session["tracked"] = tracked


def _may_see(case_id: str) -> bool:
    return case_id in (session.get("tracked") or {}).get(g.tenant.slug, [])


def track():
    values: MultiDict = request.form if request.method == "POST" else MultiDict(request.args)
    errors = FormErrors()
    status = 200
    if request.method == "POST":
        limits = console_state().track_limit
        number = (request.form.get("number") or "").strip()[:32]
        contact = (request.form.get("contact") or "").strip()[:254]
        keys = (f"{g.tenant.id}:ip:{request.remote_addr}", f"{g.tenant.id}:case:{number}")
        if any(limits.blocked(k) for k in keys):
            errors.general.append(_("Too many attempts. Wait 10 minutes and try again."))
            return render_template("public/track.html", values=values, errors=errors), 429
        case = _find(number, contact) if number and contact else None
        if case is not None:
            _remember(case.id)
            return redirect(url_for("public.case", number=case.number), 303)
        for key in keys:
            limits.hit(key)
        errors.general.append(
            _("No case matches this number and contact. Check both and try again.")
        )
        status = 404
    return render_template("public/track.html", values=values, errors=errors), status


def _find(number: str, contact: str) -> Case | None:
    case = g.db.scalar(select(Case).where(Case.number == number))
    if case is None:
        return None
    phone, email = normalise_phone(contact), normalise_email(contact)
    if "@" in contact:
        return case if email and case.customer_email == email else None
    return case if phone and case.customer_phone == phone else None


def _tracked_case(number: str) -> Case:
    case = g.db.scalar(select(Case).where(Case.number == number[:32]))
    if case is None or not _may_see(case.id):
        abort(404)
    return case


def case_page(number: str, errors: FormErrors | None = None, status: int = 200):
    case = g.db.scalar(select(Case).where(Case.number == number[:32]))
    if case is None or not _may_see(case.id):
        return redirect(url_for("public.track", number=number), 303)
    now = utcnow()
    timers = [
        timer_view(t, now)
        for t in g.db.scalars(
            select(Timer).where(Timer.case_id == case.id).order_by(Timer.started_at, Timer.name)
        )
    ]
    events = g.db.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.type.in_(sorted(SHOWN_EVENTS)))
        .order_by(CaseEvent.id)
    ).all()
    shown = [
        e for e in events if not (e.type == "comment" and (e.data or {}).get("internal", True))
    ]
    surveyed = _surveyed_since_resolution(events)
    return (
        render_template(
            "public/case.html",
            case=case,
            timers=timers,
            events=shown,
            progress=list(STATES),
            step=STATES.index(case.state) if case.state in STATES else 0,
            can_respond=case.state == "awaiting_customer",
            can_survey=case.state in SURVEY_STATES and not surveyed,
            agreed=case.proposal if _accepted_last(events) else None,
            errors=errors or FormErrors(),
            values=request.form if request.method == "POST" else MultiDict(),
        ),
        status,
    )


def _surveyed_since_resolution(events: list[CaseEvent]) -> bool:
    surveyed = False
    for event in events:
        if event.type in ("resolve", "reject", "reopen"):
            surveyed = False
        elif event.type == "survey":
            surveyed = True
    return surveyed


def _accepted_last(events: list[CaseEvent]) -> bool:
    """Whether the customer accepted the case's current proposal (a later proposal, a decline
    or a reopen ends that agreement)."""
    agreed = False
    for event in events:
        if event.type == "accept":
            agreed = True
        elif event.type in ("propose", "decline", "reopen"):
            agreed = False
    return agreed


def respond(number: str):
    case = _tracked_case(number)
    op = request.form.get("action", "")
    svc = _customer_service(case.customer_name)
    version = request.form.get("version", "")
    body: dict[str, Any] = {"action": op, "version": int(version) if version.isdigit() else 0}
    note = (request.form.get("note") or "").strip()
    if note:
        body["note"] = note[:2000]
    try:
        svc.act(case.id, body)
        g.db.commit()
    except Problem as problem:
        g.db.rollback()
        codes = {v.code for v in problem.violations}
        errors = FormErrors(problem)
        if codes & {"core.stale_version", "core.action_not_allowed"}:
            errors = FormErrors()
            errors.general.append(
                _("Your case changed meanwhile: here it is as it stands now. Please check it.")
            )
        return case_page(case.number, errors, problem.status if problem.status < 500 else 422)
    flash(
        _("Thank you: you accepted the proposal. We will carry it out.")
        if op == "accept"
        else _("Thank you: you declined the proposal. We will come back to you."),
        "success",
    )
    return redirect(url_for("public.case", number=case.number), 303)


def survey(number: str):
    case = _tracked_case(number)
    svc = _customer_service(case.customer_name)
    body = {
        "score": request.form.get("survey.score", ""),
        "comment": request.form.get("survey.comment", ""),
    }
    try:
        svc.survey(case.id, SurveySchema().load(body))
        g.db.commit()
    except ValidationError as exc:
        errors = FormErrors(fields={f"survey.{k}": v for k, v in exc.messages.items()})
        return case_page(case.number, errors, 422)
    except Problem as problem:
        g.db.rollback()
        return case_page(case.number, FormErrors(problem), problem.status)
    flash(_("Thank you for your answer."), "success")
    return redirect(url_for("public.case", number=case.number), 303)


def blueprint() -> Blueprint:
    bp = tenant_blueprint("public", "/p", "public")
    protect_forms(bp)
    install_error_pages(bp)
    bp.add_url_rule("/", "intake", intake, methods=["GET", "POST"])
    bp.add_url_rule("/filed", "filed", filed)
    bp.add_url_rule("/track", "track", track, methods=["GET", "POST"])
    bp.add_url_rule("/cases/<number>", "case", case_page)
    bp.add_url_rule("/cases/<number>/respond", "respond", respond, methods=["POST"])
    bp.add_url_rule("/cases/<number>/survey", "survey", survey, methods=["POST"])
    return bp
