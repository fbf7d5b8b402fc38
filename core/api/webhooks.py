"""``/api/v1/webhooks``: signed webhooks for case events (deliveries: core.jobs)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import g, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

from core.api.auth import requires
from core.api.docs import problems
from core.api.pagination import page
from core.errors import not_found
from core.models import Webhook
from core.schemas import PageArgs, page_of

blp = Blueprint("webhooks", __name__, url_prefix="/api/v1/webhooks", description="Webhooks")


class WebhookCreateSchema(Schema):
    url = fields.URL(
        required=True,
        schemes={"http", "https"},
        require_tld=False,
        validate=validate.Length(max=2000),
    )
    events = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=lambda: ["*"],
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Event types to deliver (e.g. opened, close); * for all."},
    )


class WebhookSchema(Schema):
    id = fields.String()
    url = fields.String()
    events = fields.List(fields.String())
    created_at = fields.AwareDateTime()
    secret = fields.String(metadata={"description": "Signing key; shown only when created."})


@blp.route("", methods=["GET"])
@blp.arguments(PageArgs, location="query")
@blp.response(200, page_of(WebhookSchema))
@problems(blp, 401, 403)
@requires("admin")
def list_webhooks(args: dict[str, Any]):
    """The tenant's active webhooks (secrets are not shown again)."""
    stmt = select(Webhook).where(Webhook.active.is_(True))
    return page(g.db, stmt, Webhook.id, args, lambda rows: [_view(w) for w in rows])


@blp.route("", methods=["POST"])
@blp.arguments(WebhookCreateSchema)
@blp.response(201, WebhookSchema)
@problems(blp, 401, 403)
@requires("admin")
def create_webhook(payload: dict[str, Any]):
    """Register a URL; each delivery carries ``X-Casecore-Signature`` (HMAC-SHA256)."""
    hook = Webhook(
        url=payload["url"], events=sorted(set(payload["events"])), secret=secrets.token_urlsafe(32)
    )
    g.db.add(hook)
    g.db.commit()
    return (
        {**_view(hook), "secret": hook.secret},
        201,
        {"Location": url_for("webhooks.list_webhooks")},
    )


@blp.route("/<webhook_id>", methods=["DELETE"])
@blp.response(204)
@problems(blp, 401, 403, 404)
@requires("admin")
def delete_webhook(webhook_id: str):
    """Stop deliveries to this webhook."""
    hook = g.db.get(Webhook, (g.principal.tenant.id, webhook_id)) if len(webhook_id) <= 64 else None
    if hook is None or not hook.active:
        raise not_found("webhook")
    hook.active = False
    g.db.commit()


def _view(hook: Webhook) -> dict[str, Any]:
    return {"id": hook.id, "url": hook.url, "events": hook.events, "created_at": hook.created_at}
