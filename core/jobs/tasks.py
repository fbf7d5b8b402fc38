"""The job functions. Each takes ids, reloads what it needs inside the tenant's scope, and is
idempotent: a retry after a crash sends nothing twice (the ``deliveries`` log says what went)."""

from __future__ import annotations

import hashlib
import inspect
import logging
from typing import Any

from rq import Retry
from sqlalchemy import select

from core.clock import utcnow
from core.db import insert_if_absent
from core.ids import new_id
from core.jobs.runtime import current
from core.lookup import CaseLookup
from core.models import Case, CaseEvent, Delivery, OutboxMessage, Tenant, Webhook
from core.notify import EmailChannel, recipients, render
from core.outbox import CASE_EVENT
from core.tenancy import TenantSession
from core.tenants import context_of
from core.webhooks import DeliveryFailed, post

log = logging.getLogger("casecore.jobs")

# Back-off for deliveries: 10 s, 1 min, 5 min, 30 min, 2 h; then the failed registry.
RETRY_INTERVALS = [10, 60, 300, 1800, 7200]
RELAY_BATCH = 500


def retry() -> Retry:
    return Retry(max=len(RETRY_INTERVALS), interval=list(RETRY_INTERVALS))


# --- the outbox relay ------------------------------------------------------------------------


def relay(limit: int = RELAY_BATCH) -> int:
    """Move committed outbox messages into the queue. If the queue is down, nothing is marked
    and the next run tries again: work is delayed, never lost."""
    rt = current()
    with rt.db.unscoped("outbox relay: pending messages of all tenants", routine=True) as session:
        pending = session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.dispatched_at.is_(None))
            .order_by(OutboxMessage.created_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).all()
        queue = rt.queue
        for message in pending:
            # The job id is the message's: enqueued twice after a crash, it is one job.
            queue.enqueue(
                handle_message,
                message.tenant_id,
                message.id,
                job_id=f"msg-{message.id}",
                retry=retry(),
            )
            message.dispatched_at = utcnow()
        session.commit()
    return len(pending)


# --- fan-out ---------------------------------------------------------------------------------


def handle_message(tenant_id: int, message_id: str) -> str:
    """A case event: one job per webhook that wants it and per person to tell."""
    rt = current()
    with rt.db.session(tenant_id) as session:
        message = session.get(OutboxMessage, (tenant_id, message_id))
        if message is None or message.topic != CASE_EVENT:
            return "nothing to do"
        event = session.get(CaseEvent, (tenant_id, message.payload["event_id"]))
        case = session.get(Case, (tenant_id, message.case_id))
        if event is None or case is None:
            return "event gone"
        queue = rt.queue
        hooks = session.scalars(select(Webhook).where(Webhook.active.is_(True))).all()
        for hook in hooks:
            if "*" in hook.events or event.type in hook.events:
                queue.enqueue(
                    deliver_webhook,
                    tenant_id,
                    message_id,
                    hook.id,
                    job_id=f"wh-{message_id}-{hook.id}",
                    retry=retry(),
                )
        people = recipients(session, case, event)
        for person in people:
            queue.enqueue(
                send_notification,
                tenant_id,
                message_id,
                person.target,
                job_id=f"nt-{message_id}-{_digest(person.target)}",
                retry=retry(),
            )
        return f"{len(hooks)} webhooks, {len(people)} recipients"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _delivery(session: TenantSession, message_id: str, target: str, channel: str) -> Delivery:
    insert_if_absent(
        session,
        Delivery,
        {
            "tenant_id": session.tenant_id,
            "id": new_id(),
            "message_id": message_id,
            "target": target,
            "channel": channel,
            "status": "pending",
            "attempts": 0,
            "created_at": utcnow(),
        },
        unique=["tenant_id", "message_id", "target"],
    )
    return session.scalar(
        select(Delivery).where(Delivery.message_id == message_id, Delivery.target == target)
    )


def _event_and_case(session: TenantSession, tenant_id: int, message_id: str):
    message = session.get(OutboxMessage, (tenant_id, message_id))
    event = session.get(CaseEvent, (tenant_id, message.payload["event_id"]))
    case = session.get(Case, (tenant_id, message.case_id))
    return event, case


# --- webhooks --------------------------------------------------------------------------------


def deliver_webhook(tenant_id: int, message_id: str, webhook_id: str) -> str:
    """POST the event to the webhook, signed; a failure raises so rq retries with back-off."""
    rt = current()
    with rt.db.session(tenant_id) as session:
        hook = session.get(Webhook, (tenant_id, webhook_id))
        if hook is None or not hook.active:
            return "webhook removed"
        delivery = _delivery(session, message_id, f"webhook:{webhook_id}", "webhook")
        if delivery.status == "sent":
            return "already sent"
        delivery.attempts += 1
        session.commit()
        event, case = _event_and_case(session, tenant_id, message_id)
        tenant = session.get(Tenant, tenant_id)
        payload = {
            "event": event.type,
            "event_id": event.id,
            "at": event.at.isoformat(),
            "actor": event.actor,
            "tenant": tenant.slug,
            "case": {
                "id": case.id,
                "number": case.number,
                "state": case.state,
                "kind": case.kind,
                "title": case.title,
                "version": case.version,
            },
            "data": event.data,
        }
        try:
            status = post(hook.url, hook.secret, delivery.id, payload)
        except DeliveryFailed as exc:
            delivery.status, delivery.last_error = "failed", str(exc)
            delivery.response_status = exc.status
            session.commit()
            raise
        delivery.status, delivery.response_status, delivery.sent_at = "sent", status, utcnow()
        delivery.last_error = None
        session.commit()
        return f"sent ({status})"


# --- notifications ---------------------------------------------------------------------------


def send_notification(tenant_id: int, message_id: str, target: str) -> str:
    """Tell one person of one event, through the channel for their address."""
    rt = current()
    with rt.db.session(tenant_id) as session:
        event, case = _event_and_case(session, tenant_id, message_id)
        person = next((p for p in recipients(session, case, event) if p.target == target), None)
        if person is None:
            return "no longer a recipient"
        delivery = _delivery(session, message_id, target, person.channel)
        if delivery.status in ("sent", "held", "no_channel"):
            return f"already {delivery.status}"
        tenant = context_of(session.get(Tenant, tenant_id))
        subject, body = render(tenant, case, event, person.audience, rt.config.base_url)
        delivery.attempts += 1
        try:
            status = _send(rt, tenant, person.channel, person.address, subject, body, delivery.id)
        except Exception as exc:
            delivery.status, delivery.last_error = "failed", f"{type(exc).__name__}: {exc}"
            session.commit()
            raise
        delivery.status = status
        delivery.sent_at = utcnow() if status == "sent" else None
        session.commit()
        return status


def _send(rt, tenant, channel: str, address: str, subject: str, body: str, key: str) -> str:
    if channel == "email":
        if not rt.config.smtp_url:
            return "held"  # no SMTP_URL: kept, visible in the delivery log
        EmailChannel(rt.config.smtp_url).send(address, subject, body, key)
        return "sent"
    for plugin, answer in rt.plugins.call_each("register_channels", tenant.plugins, tenant=tenant):
        for plugin_channel in answer or []:
            if plugin_channel.name == channel:
                try:
                    plugin_channel.send(address, subject, body, key)
                except Exception:
                    log.exception("plugin %s: channel %s failed", plugin, channel)
                    raise
                return "sent"
    return "no_channel"


# --- periodic --------------------------------------------------------------------------------


def sla_sweep() -> int:
    from core.jobs.sla import sweep

    rt = current()
    return sweep(rt.db, rt.plugins, utcnow())


def run_periodic(plugin: str, job_id: str) -> int:
    """A plugin's periodic job: one run per tenant that enabled the plugin (queued as jobs)."""
    rt = current()
    job = _plugin_job(plugin, job_id)
    if not job.per_tenant:
        job.func()
        return 1
    with rt.db.unscoped(f"periodic {plugin}:{job_id}: tenants with the plugin") as session:
        tenant_ids = [t.id for t in session.scalars(select(Tenant)) if plugin in (t.plugins or {})]
    for tenant_id in tenant_ids:
        rt.queue.enqueue(
            run_periodic_for_tenant,
            plugin,
            job_id,
            tenant_id,
            job_id=f"per-{plugin}-{job_id}-{tenant_id}-{utcnow():%Y%m%d%H%M}",
        )
    return len(tenant_ids)


def run_periodic_for_tenant(plugin: str, job_id: str, tenant_id: int) -> Any:
    """Call the plugin's function with what it names of ``tenant``, ``cases``, ``tenant_id``."""
    rt = current()
    job = _plugin_job(plugin, job_id)
    with rt.db.session(tenant_id) as session:
        tenant = context_of(session.get(Tenant, tenant_id))
        if plugin not in tenant.plugins:
            return "plugin disabled meanwhile"
        offered = {"tenant": tenant, "cases": CaseLookup(session), "tenant_id": tenant_id}
        wanted = inspect.signature(job.func).parameters
        try:
            result = job.func(**{k: v for k, v in offered.items() if k in wanted})
        except Exception:
            log.exception(
                "plugin %s: periodic job %s failed for tenant %s", plugin, job_id, tenant_id
            )
            raise
        session.commit()
        return result


def _plugin_job(plugin: str, job_id: str):
    rt = current()
    for answer in rt.plugins.hook("register_periodic_jobs", [plugin])():
        for job in answer or []:
            if job.id == job_id:
                return job
    raise LookupError(f"plugin {plugin!r} has no periodic job {job_id!r}")
