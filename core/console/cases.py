"""The console's case pages: list (with exports), new case, the case page and what is done there
(actions, edits, comments, surveys, attachments, documents)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from marshmallow import Schema, ValidationError
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from core.attachments import AttachmentStore, read_upload
from core.cases import CaseService
from core.console import caselist, forms
from core.console.auth import login_required
from core.console.labels import (
    ACTION_LABELS,
    FIELD_LABELS,
    KIND_LABELS,
    SEVERITY_LABELS,
    STATE_LABELS,
    TIMER_LABELS,
    label,
)
from core.console.web import FormErrors, core, local, service, tenant_ctx
from core.errors import Problem, flatten_errors, not_found
from core.models import Attachment, Case, Timer, User, utcnow
from core.queries import bodies
from core.schemas import (
    CHANNELS,
    CaseCreateSchema,
    CaseEditSchema,
    CommentSchema,
    SurveySchema,
)
from core.tenancy import TenantSession
from core.timers import timer_view
from core.types import SEVERITIES, STAFF_ROLES, ActionSpec
from core.workflow import STATES, SURVEY_STATES

STAFF = tuple(sorted(STAFF_ROLES))
CASE_FIELDS = ("title", "description", "category", "severity", "site", "remedy_sought")


def _svc() -> CaseService:
    return service(current_user.actor)


# --- list and export -------------------------------------------------------------------------


@login_required(*STAFF)
def case_list():
    filters = caselist.Filters.of(request.args)
    svc = _svc()
    rows, next_cursor = caselist.page(g.db, filters, svc.actor, request.args.get("cursor", ""))
    items = bodies(svc, rows)
    for item in items:
        item["next_deadline"] = caselist.next_deadline(item["timers"])
    context = {
        "filters": filters,
        "items": items,
        "next_cursor": next_cursor,
        "first_page": not request.args.get("cursor"),
        "states": STATES,
        "kinds": svc.kinds(),
        "categories": [c["name"] for c in tenant_ctx().settings.get("categories", [])],
        "sorts": SORT_LABELS,
        "now": utcnow(),
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "case-results":
        return render_template("cases/_results.html", **context)
    return render_template("cases/list.html", **context)


SORT_LABELS = {
    "newest": _l("Newest first"),
    "oldest": _l("Oldest first"),
    "received_desc": _l("Received, latest first"),
    "received_asc": _l("Received, earliest first"),
    "updated_desc": _l("Recently changed"),
}


def _export_rows(filters: caselist.Filters, session: TenantSession) -> tuple[list[str], Any]:
    header = [
        _("Number"),
        _("Kind"),
        _("State"),
        _("Title"),
        _("Category"),
        _("Severity"),
        _("Site"),
        _("Customer"),
        _("Phone"),
        _("Email"),
        _("Owner"),
        _("Department"),
        _("Received at"),
        _("Flags"),
        _("Next deadline"),
        _("Deadline state"),
    ]
    actor = current_user.actor
    now = utcnow()

    def rows():
        for batch in caselist.every(session, filters, actor):
            timers: dict[str, list[dict[str, Any]]] = {c.id: [] for c in batch}
            for timer in session.scalars(select(Timer).where(Timer.case_id.in_(list(timers)))):
                timers[timer.case_id].append(timer_view(timer, now))
            for case in batch:
                deadline = caselist.next_deadline(timers[case.id])
                yield [
                    case.number,
                    label(KIND_LABELS, case.kind),
                    label(STATE_LABELS, case.state),
                    case.title,
                    case.category or "",
                    label(SEVERITY_LABELS, case.severity),
                    case.site or "",
                    case.customer_name,
                    case.customer_phone or "",
                    case.customer_email or "",
                    case.owner or "",
                    case.department or "",
                    local(case.received_at).strftime("%Y-%m-%d %H:%M"),
                    " ".join(case.flags or []),
                    local(deadline["due_at"]).strftime("%Y-%m-%d %H:%M") if deadline else "",
                    label(TIMER_LABELS, deadline["name"]) + " " + deadline["state"]
                    if deadline
                    else "",
                ]

    return header, rows()


def _export_name(ext: str) -> str:
    return f"cases-{g.tenant.slug}-{local(utcnow()).strftime('%Y%m%d-%H%M')}.{ext}"


CSV_CHUNK_ROWS = 500


@login_required(*STAFF)
def export_csv():
    """Streamed a few hundred rows at a time: a tenant's whole history never sits in memory.
    The stream outlives the request's teardown, so it takes the session and closes it itself."""
    session = g.pop("db")
    header, rows = _export_rows(caselist.Filters.of(request.args), session)

    def chunks():
        try:
            yield from _csv_chunks(header, rows)
        finally:  # at the end of the rows, not only when the server closes the response
            session.close()

    response = Response(
        stream_with_context(chunks()),
        mimetype="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_export_name("csv")}"'},
    )
    response.call_on_close(session.close)
    return response


def _csv_chunks(header: list[str], rows: Any) -> Iterator[bytes]:
    """The CSV, ``CSV_CHUNK_ROWS`` rows at a time, with the BOM Excel needs for UTF-8."""
    buffer = io.StringIO()
    buffer.write("\ufeff")  # the BOM that makes Excel read the file as UTF-8 (Chinese intact)
    writer = csv.writer(buffer)
    writer.writerow(header)
    for n, row in enumerate(rows, 1):
        writer.writerow([_defuse(v) for v in row])
        if n % CSV_CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _defuse(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is written as text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


@login_required(*STAFF)
def export_xlsx():
    from openpyxl import Workbook

    header, rows = _export_rows(caselist.Filters.of(request.args), g.db)
    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Cases"))
    sheet.append(header)
    for row in rows:
        sheet.append([_defuse(v) for v in row])
    out = io.BytesIO()
    book.save(out)
    return Response(
        out.getvalue(),
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{_export_name("xlsx")}"'},
    )


# --- new case --------------------------------------------------------------------------------


def plugin_schemas(svc: CaseService, kind: str) -> list[tuple[str, str, type[Schema]]]:
    """(plugin, title, case fields schema) of each enabled plugin that takes fields on ``kind``."""
    plugins = core().plugins
    out = []
    for name in sorted(tenant_ctx().plugins):
        if name not in plugins.infos:
            continue
        schema = plugins.call_one(name, "case_fields_schema", tenant=tenant_ctx(), kind=kind)
        if schema is not None:
            out.append((name, plugins.infos[name].title, schema))
    return out


def _plugin_sections(svc: CaseService, kind: str, values: MultiDict | None) -> list[dict]:
    sections = []
    for name, title, schema in plugin_schemas(svc, kind):
        inputs = forms.inputs_of(schema, f"data.{name}", {})
        if values is not None:
            for spec in inputs:
                spec.value = values.get(spec.name, "")
        sections.append({"name": name, "title": title, "inputs": inputs})
    return sections


def _edit_sections(svc: CaseService, case: Case, values: MultiDict | None) -> list[dict]:
    """The plugins' fields of the case, to edit on its page: filled with what is stored, or
    with what a refused edit sent."""
    sections = []
    for name, title, schema in plugin_schemas(svc, case.kind):
        inputs = forms.inputs_of(schema, f"data.{name}", case.plugin_data(name))
        if values is not None:
            for spec in inputs:
                spec.value = values.get(spec.name, "")
        sections.append({"name": name, "title": title, "inputs": inputs})
    return sections


def _edited_plugin_data(
    svc: CaseService, case: Case, form: MultiDict
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Each plugin namespace the form changed, whole (the stored fields with the form's over
    them, as an edit replaces a namespace), and the inputs that could not be read."""
    data: dict[str, Any] = {}
    unread: dict[str, list[str]] = {}
    for name, _title, schema in plugin_schemas(svc, case.kind):
        values, errors = forms.read(
            schema, f"data.{name}", form, tenant_ctx().timezone, empty_lists=True
        )
        unread.update(errors)
        stored = case.plugin_data(name)
        if {**stored, **values} != stored:
            data[name] = {**stored, **values}
    return data, unread


def _new_context(svc: CaseService, values: MultiDict, errors: FormErrors | None) -> dict:
    kinds = svc.kinds()
    kind = values.get("kind") if values.get("kind") in kinds else kinds[0]
    ctx = tenant_ctx()
    return {
        "values": values,
        "errors": errors or FormErrors(),
        "kind": kind,
        "kinds": kinds,
        "channels": CHANNELS,
        "severities": SEVERITIES,
        "categories": [c["name"] for c in ctx.settings.get("categories", [])],
        "sites": ctx.sites,
        "sections": _plugin_sections(svc, kind, values if values else None),
    }


@login_required("admin", "manager", "agent", "intake")
def new_case():
    svc = _svc()
    if request.method == "GET":
        values = MultiDict({"channel": "phone", "severity": "normal", **request.args.to_dict()})
        return render_template("cases/new.html", **_new_context(svc, values, None))
    form = request.form
    body, read_errors = _case_body(svc, form)
    errors = FormErrors(fields=read_errors)
    if not errors:
        try:
            payload = CaseCreateSchema().load(body)
            case = svc.open(payload)
            g.db.commit()
        except ValidationError as exc:
            errors = FormErrors(fields=flatten_errors(exc.messages))
        except Problem as problem:
            g.db.rollback()
            errors = FormErrors(problem)
        else:
            flash(_("Case %(number)s opened.", number=case.number), "success")
            if not current_user.is_staff:
                return redirect(url_for("console.new_case"), 303)
            return redirect(url_for("console.case_page", case_id=case.id), 303)
    context = _new_context(svc, form, errors)
    return render_template("cases/new.html", **context), 422


@login_required("admin", "manager", "agent", "intake")
def new_case_fields():
    """The plugin fields for the kind chosen (htmx swaps them in when the kind changes)."""
    svc = _svc()
    kinds = svc.kinds()
    kind = request.args.get("kind") if request.args.get("kind") in kinds else kinds[0]
    return render_template(
        "cases/_plugin_fields.html",
        sections=_plugin_sections(svc, kind, None),
        errors=FormErrors(),
    )


def _case_body(svc: CaseService, form: MultiDict) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """A ``POST /api/v1/cases`` body from the form; empty inputs are left out."""

    def text(name: str) -> str | None:
        value = (form.get(name) or "").strip()
        return value or None

    body: dict[str, Any] = {}
    for key in ("kind", "title", "description", "channel", "category", "severity", "site"):
        if text(key) is not None:
            body[key] = text(key)
    if text("remedy_sought") is not None:
        body["remedy_sought"] = text("remedy_sought")
    customer = {k: text(f"customer.{k}") for k in ("name", "phone", "email")}
    body["customer"] = {k: v for k, v in customer.items() if v is not None}
    staff = (form.get("subject_staff") or "").replace(",", "\n").replace("，", "\n")
    body["subject_staff"] = [s.strip() for s in staff.splitlines() if s.strip()]
    errors: dict[str, list[str]] = {}
    if text("received_at") is not None:
        try:
            moment = datetime.fromisoformat(text("received_at") or "")
            if moment.tzinfo is None:
                from zoneinfo import ZoneInfo

                moment = moment.replace(tzinfo=ZoneInfo(tenant_ctx().timezone))
            body["received_at"] = moment.isoformat()
        except ValueError:
            body["received_at"] = text("received_at")
    data: dict[str, Any] = {}
    kind = body.get("kind", "")
    for name, _title, schema in plugin_schemas(svc, kind) if kind in svc.kinds() else []:
        values, unread = forms.read(schema, f"data.{name}", form, tenant_ctx().timezone)
        errors.update(unread)
        if values or any(f.required for f in schema().fields.values()):
            data[name] = values
    body["data"] = data
    return body, errors


# --- the case page ---------------------------------------------------------------------------


def _action_inputs(svc: CaseService, spec: ActionSpec, values: MultiDict | None) -> list[dict]:
    """The fields an action asks for, named ``<action>.<field>``."""
    if spec.params is None:
        return []
    out = []
    for item in forms.inputs_of(spec.params, spec.name, {}):
        field = {
            "name": item.name,
            "id": item.id,
            "key": item.key,
            "label": label(FIELD_LABELS, item.key) if item.key in FIELD_LABELS else item.label,
            "widget": item.widget,
            "choices": item.choices,
            "required": item.required,
            "value": (values or MultiDict()).get(item.name, ""),
        }
        if item.key == "department" and tenant_ctx().departments:
            field["widget"], field["choices"] = "select", tenant_ctx().departments
        elif item.key == "owner":
            staff = g.db.scalars(
                select(User.email)
                .where(User.active.is_(True), User.role.in_(STAFF))
                .order_by(User.email)
            ).all()
            field["widget"], field["choices"] = "select", list(staff)
        elif item.key in ("proposal", "resolution", "findings"):
            field["widget"] = "textarea"
        out.append(field)
    return out


def render_case(
    case_id: str,
    *,
    values: MultiDict | None = None,
    errors: FormErrors | None = None,
    action: str | None = None,
    notice: str | None = None,
    status: int = 200,
):
    svc = _svc()
    case = svc.get(case_id)
    body = bodies(svc, [case])[0]
    specs = svc.actions()
    events = svc.cases.events(case.id)
    linked_ids = [link["case"] for link in body["links"]]
    linked = (
        {c.id: c for c in g.db.scalars(select(Case).where(Case.id.in_(linked_ids)))}
        if linked_ids
        else {}
    )
    attachments = g.db.scalars(
        select(Attachment).where(Attachment.case_id == case.id).order_by(Attachment.id)
    ).all()
    ctx = tenant_ctx()
    panels = [
        p
        for answer in svc.hooks.register_console_panels(tenant=ctx, case=case)
        for p in answer or []
    ]
    documents = svc.documents(case)
    actions = []
    for name in body["allowed_actions"]:
        spec = specs[name]
        actions.append(
            {
                "name": name,
                "label": label(ACTION_LABELS, name)
                if name in ACTION_LABELS
                else spec.title or name,
                "inputs": _action_inputs(svc, spec, values if action == name else None),
            }
        )
    return (
        render_template(
            "cases/show.html",
            case=case,
            body=body,
            events=events,
            linked=linked,
            attachments=attachments,
            panels=panels,
            documents=documents,
            actions=actions,
            simple_actions=[a for a in actions if not a["inputs"]],
            field_actions=[a for a in actions if a["inputs"]],
            values=values or MultiDict(),
            errors=errors or FormErrors(),
            failed_action=action,
            notice=notice,
            survey_open=case.state in SURVEY_STATES,
            plugin_titles={name: info.title for name, info in core().plugins.infos.items()},
            edit_sections=_edit_sections(svc, case, values if action == "edit" else None),
            categories=[c["name"] for c in ctx.settings.get("categories", [])],
            sites=ctx.sites,
            severities=SEVERITIES,
            now=utcnow(),
        ),
        status,
    )


@login_required(*STAFF)
def case_page(case_id: str):
    return render_case(case_id)


def _back(case_id: str, message: str):
    flash(message, "success")
    return redirect(url_for("console.case_page", case_id=case_id) + "#timeline", 303)


def _version() -> int | str:
    raw = request.form.get("version", "")
    return int(raw) if raw.isdigit() else raw


@login_required(*STAFF)
def take_action(case_id: str):
    svc = _svc()
    form = request.form
    name = (form.get("action") or "").strip()
    body: dict[str, Any] = {"action": name, "version": _version()}
    note = (form.get("note") or "").strip()
    if note:
        body["note"] = note
    spec = svc.actions().get(name)
    if spec is not None and spec.params is not None:
        for item in forms.inputs_of(spec.params, name, {}):
            value = (form.get(item.name) or "").strip()
            if value:
                body[item.key] = value
    if name == "merge" and body.get("into"):
        body["into"] = _case_id_of(body["into"])
    try:
        if not isinstance(body["version"], int):
            raise Problem(422, "Invalid input", errors={"version": ["Not a valid integer."]})
        case = svc.act(case_id, body)
        g.db.commit()
    except Problem as problem:
        g.db.rollback()
        return _refused(case_id, problem, name)
    return _back(case.id, _("Done: %(action)s.", action=label(ACTION_LABELS, name)))


def _case_id_of(reference: str) -> str:
    """A case id from what a person types: the case number (2026-000123) or the id."""
    found = g.db.scalar(select(Case.id).where(Case.number == reference))
    return found or reference


def _refused(case_id: str, problem: Problem, action: str | None):
    codes = {v.code for v in problem.violations}
    errors = FormErrors(problem)
    # Errors of the action's own fields go next to its inputs (<action>.<field>).
    if action:
        errors.fields = {
            (f"{action}.{key}" if "." not in key and key not in ("note", "version") else key): m
            for key, m in errors.fields.items()
        }
    notice = None
    if "core.stale_version" in codes:
        notice = _(
            "This case changed while you had it open. It is shown as it is now; "
            "what you entered is kept below. Check it and submit again."
        )
        errors.general = []
    elif "core.action_not_allowed" in codes:
        notice = _(
            "That action is no longer possible: the case moved on meanwhile. "
            "It is shown as it is now."
        )
        errors.general = []
    return render_case(
        case_id,
        values=request.form,
        errors=errors,
        action=action,
        notice=notice,
        status=problem.status,
    )


@login_required(*STAFF)
def edit_case(case_id: str):
    svc = _svc()
    form = request.form
    case = svc.get(case_id)
    body: dict[str, Any] = {"version": _version()}
    for key in CASE_FIELDS:
        if key in form:
            value = form.get(key, "").strip()
            current = getattr(case, key)
            if value != (current or ""):
                body[key] = value or (None if key in ("category", "site", "remedy_sought") else "")
    customer = {}
    for key, column in (
        ("name", "customer_name"),
        ("phone", "customer_phone"),
        ("email", "customer_email"),
    ):
        name = f"customer.{key}"
        if name in form:
            value = form.get(name, "").strip()
            if value != (getattr(case, column) or ""):
                customer[key] = value or None
    if customer:
        body["customer"] = customer
    data, unread = _edited_plugin_data(svc, case, form)
    if unread:
        return render_case(
            case_id, values=form, errors=FormErrors(fields=unread), action="edit", status=422
        )
    if data:
        body["data"] = data
    if set(body) == {"version"}:
        flash(_("Nothing changed."), "info")
        return redirect(url_for("console.case_page", case_id=case.id), 303)
    try:
        payload = CaseEditSchema().load(body)
        svc.edit(case.id, payload)
        g.db.commit()
    except ValidationError as exc:
        g.db.rollback()
        errors = FormErrors(
            fields={f"edit.{k}": v for k, v in flatten_errors(exc.messages).items()}
        )
        return render_case(case_id, values=form, errors=errors, action="edit", status=422)
    except Problem as problem:
        g.db.rollback()
        response = _refused(case_id, problem, "edit")
        return response
    return _back(case.id, _("Changes saved."))


@login_required(*STAFF)
def add_comment(case_id: str):
    svc = _svc()
    body = {
        "body": request.form.get("comment.body", "").strip(),
        "internal": "internal" in request.form,
    }
    try:
        svc.comment(case_id, CommentSchema().load(body))
        g.db.commit()
    except ValidationError as exc:
        errors = FormErrors(fields={f"comment.{k}": v for k, v in exc.messages.items()})
        return render_case(
            case_id, values=request.form, errors=errors, action="comment", status=422
        )
    return _back(case_id, _("Comment added."))


@login_required(*STAFF)
def add_survey(case_id: str):
    svc = _svc()
    body = {
        "score": request.form.get("survey.score", ""),
        "comment": request.form.get("survey.comment", ""),
    }
    try:
        svc.survey(case_id, SurveySchema().load(body))
        g.db.commit()
    except ValidationError as exc:
        errors = FormErrors(fields={f"survey.{k}": v for k, v in exc.messages.items()})
        return render_case(case_id, values=request.form, errors=errors, action="survey", status=422)
    except Problem as problem:
        g.db.rollback()
        return _refused(case_id, problem, "survey")
    return _back(case_id, _("Survey recorded."))


@login_required(*STAFF)
def upload(case_id: str):
    svc = _svc()
    case = svc.get(case_id)
    try:
        upload = read_upload(core().config.max_upload_bytes)
    except Problem as problem:
        errors = FormErrors(fields={f"upload.{k}": v for k, v in problem.errors.items()})
        if not problem.errors:
            errors.add("upload.file", problem.detail or problem.title)
        return render_case(case_id, errors=errors, action="upload", status=problem.status)
    attachment = AttachmentStore.of(current_app).save(g.db, case, upload, svc.actor.name)
    svc.record(
        case,
        "attachment",
        {"id": attachment.id, "filename": attachment.filename, "size": attachment.size},
    )
    g.db.commit()
    return _back(case.id, _("File attached."))


@login_required(*STAFF)
def download(case_id: str, attachment_id: str):
    case = _svc().get(case_id)
    attachment = (
        g.db.get(Attachment, (case.tenant_id, attachment_id)) if len(attachment_id) <= 64 else None
    )
    if attachment is None or attachment.case_id != case.id:
        raise not_found("attachment")
    return AttachmentStore.of(current_app).response(attachment)


@login_required(*STAFF)
def document(case_id: str, name: str):
    content, content_type = _svc().document(case_id, name)
    return Response(content, mimetype=content_type)


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/cases", "cases", case_list)
    bp.add_url_rule("/cases/export.csv", "export_csv", export_csv)
    bp.add_url_rule("/cases/export.xlsx", "export_xlsx", export_xlsx)
    bp.add_url_rule("/cases/new", "new_case", new_case, methods=["GET", "POST"])
    bp.add_url_rule("/cases/new/fields", "new_case_fields", new_case_fields)
    bp.add_url_rule("/cases/<case_id>", "case_page", case_page)
    bp.add_url_rule("/cases/<case_id>/actions", "take_action", take_action, methods=["POST"])
    bp.add_url_rule("/cases/<case_id>/edit", "edit_case", edit_case, methods=["POST"])
    bp.add_url_rule("/cases/<case_id>/comments", "add_comment", add_comment, methods=["POST"])
    bp.add_url_rule("/cases/<case_id>/surveys", "add_survey", add_survey, methods=["POST"])
    bp.add_url_rule("/cases/<case_id>/attachments", "upload", upload, methods=["POST"])
    bp.add_url_rule("/cases/<case_id>/attachments/<attachment_id>", "download", download)
    bp.add_url_rule("/cases/<case_id>/documents/<name>", "document", document)
