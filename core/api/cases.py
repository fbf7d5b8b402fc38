"""``/api/v1/cases``: open, list, read, edit, act, survey, comment, attach, documents."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app, g, url_for
from flask_smorest import Blueprint
from sqlalchemy import or_, select

from core.api.auth import requires, tenant_context
from core.api.docs import problems
from core.api.pagination import page
from core.attachments import AttachmentStore, read_upload
from core.cases import CaseService
from core.errors import not_found
from core.lookup import normalise_email, normalise_phone
from core.models import Attachment, Case, CaseEvent
from core.queries import bodies, breached, not_recused, text_match
from core.schemas import (
    ActionSchema,
    AttachmentSchema,
    CaseCreateSchema,
    CaseEditSchema,
    CaseListArgs,
    CaseSchema,
    CommentSchema,
    EventSchema,
    PageArgs,
    SurveySchema,
    page_of,
)

blp = Blueprint("cases", __name__, url_prefix="/api/v1/cases", description="Cases")

STAFF = ("admin", "manager", "agent")
INTAKE = ("admin", "agent", "intake")


def service() -> CaseService:
    core = current_app.extensions["casecore"]
    return CaseService(
        g.db,
        tenant_context(),
        core.plugins,
        g.principal.actor,
        calendar_dir=core.config.calendar_dir,
    )


def _commit_and_show(svc: CaseService, case: Case) -> dict[str, Any]:
    """The case as the change leaves it, read in the change's own transaction (not a second
    one after the commit); a failing commit still answers an error, never this body."""
    g.db.flush()
    body = bodies(svc, [case])[0]
    g.db.commit()
    return body


@blp.route("", methods=["POST"])
@blp.arguments(CaseCreateSchema)
@blp.response(201, CaseSchema)
@problems(blp, 401, 403)
@requires(*INTAKE)
def open_case(payload: dict[str, Any]):
    """Open a case; everything decided at intake is in the answer, its events included."""
    svc = service()
    case = svc.open(payload)
    result = _commit_and_show(svc, case)
    result["events"] = [event_view(e) for e in svc.recorded if e.case_id == case.id]
    return result, 201, {"Location": url_for("cases.get_case", case_id=case.id)}


@blp.route("", methods=["GET"])
@blp.arguments(CaseListArgs, location="query")
@blp.response(200, page_of(CaseSchema))
@problems(blp, 401, 403)
@requires(*STAFF)
def list_cases(args: dict[str, Any]):
    """Cases, newest first, filtered; cursor-paginated."""
    svc = service()
    stmt = select(Case).where(not_recused(g.db, g.principal.actor.name))
    for key in ("state", "kind", "category"):
        if key in args:
            stmt = stmt.where(getattr(Case, key) == args[key])
    if "customer" in args:
        contact = args["customer"]
        stmt = stmt.where(
            or_(
                Case.customer_phone == normalise_phone(contact),
                Case.customer_email == normalise_email(contact),
            )
        )
    if "owner" in args:
        owner = g.principal.actor.name if args["owner"] == "me" else args["owner"]
        stmt = stmt.where(Case.owner == owner.lower())
    if "breached" in args:
        stmt = stmt.where(breached() if args["breached"] else ~breached())
    if "q" in args:
        stmt = stmt.where(text_match(g.db, args["q"]))
    return page(g.db, stmt, Case.id, args, lambda rows: bodies(svc, rows), descending=True)


@blp.route("/<case_id>", methods=["GET"])
@blp.response(200, CaseSchema)
@problems(blp, 401, 403, 404)
@requires(*STAFF)
def get_case(case_id: str):
    """One case."""
    svc = service()
    return bodies(svc, [svc.get(case_id)])[0]


@blp.route("/<case_id>", methods=["PATCH"])
@blp.arguments(CaseEditSchema)
@blp.response(200, CaseSchema)
@problems(blp, 401, 403, 404, 409)
@requires(*STAFF)
def edit_case(payload: dict[str, Any], case_id: str):
    """Edit fields; ``version`` must be the case's current one (else 409)."""
    svc = service()
    return _commit_and_show(svc, svc.edit(case_id, payload))


@blp.route("/<case_id>/actions", methods=["POST"])
@blp.arguments(ActionSchema)
@blp.response(200, CaseSchema)
@problems(blp, 401, 403, 404, 409)
@requires(*STAFF)
def act(payload: dict[str, Any], case_id: str):
    """Take an action; answers the case as it now stands."""
    svc = service()
    return _commit_and_show(svc, svc.act(case_id, payload))


@blp.route("/<case_id>/events", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(EventSchema))
@problems(blp, 401, 403, 404)
@requires(*STAFF)
def events(args: dict[str, Any], case_id: str):
    """The case's event log, oldest first."""
    case = service().get(case_id)
    stmt = select(CaseEvent).where(CaseEvent.case_id == case.id)
    return page(g.db, stmt, CaseEvent.id, args, lambda rows: [event_view(e) for e in rows])


def event_view(event: CaseEvent) -> dict[str, Any]:
    at = event.at.astimezone(ZoneInfo(tenant_context().timezone))
    return {"id": event.id, "type": event.type, "at": at, "actor": event.actor, "data": event.data}


@blp.route("/<case_id>/surveys", methods=["POST"])
@blp.arguments(SurveySchema)
@blp.response(201, CaseSchema)
@problems(blp, 401, 403, 404, 409)
@requires("admin", "manager", "agent", "intake")
def survey(payload: dict[str, Any], case_id: str):
    """Record a follow-up survey (1 or 2 reopens the case)."""
    svc = service()
    result = _commit_and_show(svc, svc.survey(case_id, payload))
    return result, 201, {"Location": url_for("cases.events", case_id=case_id)}


@blp.route("/<case_id>/comments", methods=["POST"])
@blp.arguments(CommentSchema)
@blp.response(201, EventSchema)
@problems(blp, 401, 403, 404)
@requires(*STAFF)
def comment(payload: dict[str, Any], case_id: str):
    """Comment on a case; ``internal`` comments are never shown to the customer."""
    event = service().comment(case_id, payload)
    g.db.commit()
    return event_view(event), 201, {"Location": url_for("cases.events", case_id=case_id)}


@blp.route("/<case_id>/attachments", methods=["POST"])
@blp.response(201, AttachmentSchema)
@problems(blp, 401, 403, 404, 413, 422)
@blp.doc(
    requestBody={
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        }
    }
)
@requires("admin", "manager", "agent", "intake")
def attach(case_id: str):
    """Attach a file (max 20 MB; images, PDF, office documents) as multipart field ``file``."""
    svc = service()
    case = svc.get(case_id)
    upload = read_upload(current_app.extensions["casecore"].config.max_upload_bytes)
    attachment = AttachmentStore.of(current_app).save(g.db, case, upload, g.principal.actor.name)
    svc.record(
        case,
        "attachment",
        {"id": attachment.id, "filename": attachment.filename, "size": attachment.size},
    )
    g.db.commit()
    location = url_for("cases.download", case_id=case.id, attachment_id=attachment.id)
    return attachment, 201, {"Location": location}


@blp.route("/<case_id>/attachments/<attachment_id>", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream")
@problems(blp, 401, 403, 404)
@requires("admin", "manager", "agent", "intake")
def download(case_id: str, attachment_id: str):
    """The attachment's bytes, to the case's tenant only."""
    case = service().get(case_id)
    attachment = (
        g.db.get(Attachment, (case.tenant_id, attachment_id)) if len(attachment_id) <= 64 else None
    )
    if attachment is None or attachment.case_id != case.id:
        raise not_found("attachment")
    return AttachmentStore.of(current_app).response(attachment)


@blp.route("/<case_id>/documents/<name>", methods=["GET"])
@blp.response(200, {"type": "string", "format": "binary"}, content_type="application/octet-stream")
@problems(blp, 401, 403, 404)
@requires(*STAFF)
def document(case_id: str, name: str):
    """A plugin's document for the case (e.g. ``8d.pdf``)."""
    content, content_type = service().document(case_id, name)
    return Response(content, mimetype=content_type)
