"""The feedback digest (DOMAIN.md 3: "every 10 days, a digest of feedback by category, and a
thank-you message to those who gave feedback"), as a periodic job.

What it computes: the tenant's feedback cases (kind ``feedback``) received in the period, counted
by the digest categories (``digest()`` of ``rules.py``: the case's ``category`` matched to the
tenant's ``digest_categories``, unknown ones under ``other``), and the people to thank (one per
contact, with the message). It returns that digest and logs it; it sends nothing: messages to
people go through the core's outbox and notification channels, which the jobs system delivers.

The job is scheduled daily; ``digest_due`` decides per tenant whether its interval
(``digest_interval_days``, default 10) ends today, and the period is the interval's days before
today, so consecutive digests neither overlap nor leave a gap.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from core import CaseLookup, TenantContext

from .rules import DIGEST_INTERVAL_DAYS, PLUGIN, digest, digest_due, digest_period

log = logging.getLogger("casecore.plugins.food_service")

JOB_ID = f"{PLUGIN}.feedback_digest"

THANKS = {
    "zh": (
        "感谢您对{tenant}提出的宝贵意见！"
        "我们已认真整理{first}至{last}期间的顾客反馈，并将持续改进。"
    ),
    "en": (
        "Thank you for your feedback to {tenant}. We have gone through the feedback of "
        "{first} to {last} and keep improving."
    ),
}


def _language(locale: str) -> str:
    return "zh" if locale.lower().replace("-", "_").startswith("zh") else "en"


def feedback_digest(
    tenant: TenantContext, cases: CaseLookup, now: datetime, *, due_only: bool = True
) -> dict[str, Any] | None:
    """The tenant's feedback digest for the period ending before ``now``'s local date.

    ``None`` when no digest is due today (``due_only=False`` computes it anyway).
    """
    settings = tenant.plugin_settings(PLUGIN)
    interval = int(settings.get("digest_interval_days", DIGEST_INTERVAL_DAYS))
    zone = ZoneInfo(tenant.timezone)
    today = now.astimezone(zone).date()
    if due_only and not digest_due(today, interval):
        return None
    first, last = digest_period(today, interval)
    window = {
        "kind": "feedback",
        "received_since": datetime.combine(first, time.min, zone),
        "received_until": datetime.combine(today, time.min, zone) - timedelta(microseconds=1),
    }
    total = cases.count(**window)
    items = cases.find(limit=max(total, 1), **window) if total else []
    categories = settings.get("digest_categories")
    counts = digest(
        ({"category": case.category} for case in items),
        *([categories] if categories else []),
    )
    recipients: dict[str, dict[str, Any]] = {}
    for case in sorted(items, key=lambda c: c.received_at):
        contact = case.customer_phone or case.customer_email
        if contact and contact not in recipients:
            recipients[contact] = {
                "case": case.id,
                "number": case.number,
                "name": case.customer_name,
                "phone": case.customer_phone,
                "email": case.customer_email,
            }
    message = THANKS[_language(tenant.locale)].format(
        tenant=tenant.name, first=first.isoformat(), last=last.isoformat()
    )
    return {
        "tenant": tenant.slug,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "feedback": len(items),
        "by_category": counts,
        "thank_you": {"message": message, "to": list(recipients.values())},
    }


def feedback_digest_job(
    tenant_id: int,
    *,
    tenant: TenantContext | None = None,
    cases: CaseLookup | None = None,
    now: datetime | None = None,
) -> dict[str, Any] | None:
    """The periodic job ``food_service.feedback_digest``: one run per tenant with the plugin.

    The contract's job function takes only the tenant id, and the core offers a plugin no public
    way to open that tenant's scope from an id; the jobs runner has to pass the tenant and its
    ``CaseLookup`` (as it passes them to hooks). Until it does, calling this with the id alone
    fails loudly rather than skipping the digest unseen.
    """
    if tenant is None or cases is None:
        raise RuntimeError(
            f"{JOB_ID} needs the tenant's scope: call it with tenant= and cases= "
            "(the core has no public way for a plugin to open a tenant's scope from its id)"
        )
    if tenant.id != tenant_id:
        raise ValueError(f"{JOB_ID}: tenant {tenant.id} given for tenant id {tenant_id}")
    result = feedback_digest(tenant, cases, now or datetime.now(UTC))
    if result is not None:
        log.info(
            "feedback digest of %s, %s to %s: %d feedback %s, %d to thank",
            tenant.slug,
            result["from"],
            result["to"],
            result["feedback"],
            result["by_category"],
            len(result["thank_you"]["to"]),
        )
    return result
