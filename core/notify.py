"""Messages to customers and staff: who gets which message for which case event, in the tenant's
language, and the channels that carry them (email over SMTP here; plugins add SMS, WeChat)."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from urllib.parse import parse_qs, unquote, urlencode, urlparse

from sqlalchemy import select

from core.models import Case, CaseEvent, User
from core.tenancy import TenantSession
from core.types import TenantContext

# event type -> audience -> locale -> (subject, body); bodies are str.format templates.
TEMPLATES: dict[str, dict[str, dict[str, tuple[str, str]]]] = {
    "acknowledge": {
        "customer": {
            "zh_CN": (
                "您的反馈已受理（{number}）",
                "{customer}，您好：\n\n我们已受理您的反馈“{title}”（编号 {number}），"
                "正在处理，将尽快答复您。\n查看进度：{track_url}\n\n{tenant}",
            ),
            "en": (
                "We have received your case {number}",
                'Dear {customer},\n\nwe have received "{title}" (case {number}) and are working '
                "on it; we will reply as soon as we can.\nFollow it here: {track_url}\n\n{tenant}",
            ),
        }
    },
    "propose": {
        "customer": {
            "zh_CN": (
                "请确认处理方案（{number}）",
                "{customer}，您好：\n\n针对“{title}”，我们提出以下方案：\n{proposal}\n\n"
                "请在此确认或拒绝：{track_url}\n\n{tenant}",
            ),
            "en": (
                "Please confirm our proposal for case {number}",
                'Dear {customer},\n\nfor "{title}" we propose:\n{proposal}\n\n'
                "Please accept or decline it here: {track_url}\n\n{tenant}",
            ),
        }
    },
    "resolve": {
        "customer": {
            "zh_CN": (
                "您的问题已处理，请评价（{number}）",
                "{customer}，您好：\n\n“{title}”已处理完毕。请告诉我们您是否满意：{track_url}"
                "\n\n{tenant}",
            ),
            "en": (
                "Case {number} is resolved: how did we do?",
                'Dear {customer},\n\n"{title}" is resolved. Please tell us whether you are '
                "satisfied: {track_url}\n\n{tenant}",
            ),
        }
    },
    "timer_breached": {
        "staff": {
            "zh_CN": (
                "【超时】{number} 的 {timer} 已超过期限",
                "案件 {number}“{title}”的 {timer} 已于 {due_at} 到期，请尽快处理：{case_url}",
            ),
            "en": (
                "[Overdue] {timer} of case {number}",
                'The {timer} deadline of case {number} "{title}" passed at {due_at}. '
                "Please act: {case_url}",
            ),
        }
    },
}


@dataclass(frozen=True)
class Recipient:
    """``target`` is unique per message (``email:a@b``); ``address`` is what a channel uses."""

    target: str
    channel: str
    address: str
    audience: str


def recipients(session: TenantSession, case: Case, event: CaseEvent) -> list[Recipient]:
    """Who is told of this event: the customer, or the owner and the managers."""
    audiences = TEMPLATES.get(event.type, {})
    out: list[Recipient] = []
    if "customer" in audiences:
        if case.customer_email:
            out.append(
                Recipient(f"email:{case.customer_email}", "email", case.customer_email, "customer")
            )
        if case.customer_phone:
            out.append(
                Recipient(f"sms:{case.customer_phone}", "sms", case.customer_phone, "customer")
            )
    if "staff" in audiences:
        staff = set(
            session.scalars(
                select(User.email).where(User.active.is_(True), User.role.in_(["manager", "admin"]))
            )
        )
        if case.owner and "@" in case.owner:
            staff.add(case.owner)
        out += [Recipient(f"email:{e}", "email", e, "staff") for e in sorted(staff)]
    return out


def render(
    tenant: TenantContext, case: Case, event: CaseEvent, audience: str, base_url: str
) -> tuple[str, str]:
    """Subject and body in the tenant's language."""
    locale = "en" if tenant.locale.startswith("en") else "zh_CN"
    subject, body = TEMPLATES[event.type][audience][locale]
    query = urlencode({"number": case.number})
    values = {
        "customer": case.customer_name,
        "title": case.title,
        "number": case.number,
        "tenant": tenant.name,
        "proposal": case.proposal or "",
        "timer": event.data.get("timer", ""),
        "due_at": event.data.get("due_at", ""),
        "track_url": f"{base_url}/p/{tenant.slug}/track?{query}",
        "case_url": f"{base_url}/t/{tenant.slug}/cases/{case.id}",
    }
    return subject.format(**values), body.format(**values)


class EmailChannel:
    """Email over SMTP: ``smtp://[user:password@]host:port[?from=addr&starttls=1]`` or
    ``smtps://`` for TLS from the start."""

    name = "email"

    def __init__(self, smtp_url: str):
        url = urlparse(smtp_url)
        if url.scheme not in ("smtp", "smtps") or not url.hostname:
            raise ValueError("SMTP_URL must look like smtp://user:password@host:587")
        self.url = url
        options = parse_qs(url.query)
        self.sender = options.get("from", [f"casecore@{url.hostname}"])[0]
        self.starttls = options.get("starttls", ["0"])[0] == "1"

    def send(self, address: str, subject: str, body: str, message_key: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, address, subject
        # A stable id per delivery lets mail systems drop a duplicate after a retry.
        message["Message-ID"] = make_msgid(idstring=message_key, domain="casecore")
        message.set_content(body)
        smtp_class = smtplib.SMTP_SSL if self.url.scheme == "smtps" else smtplib.SMTP
        port = self.url.port or (465 if self.url.scheme == "smtps" else 25)
        with smtp_class(self.url.hostname, port, timeout=30) as smtp:
            if self.starttls:
                smtp.starttls()
            if self.url.username:
                smtp.login(unquote(self.url.username), unquote(self.url.password or ""))
            smtp.send_message(message)
