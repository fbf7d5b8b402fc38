"""The 8D report of a case: ``8d.html`` (printable) and ``8d.pdf`` (WeasyPrint, same HTML).

In ``data.manufacturing.language`` (``zh`` or ``en``), else the tenant's locale (DOMAIN.md 4).
The disciplines come from ``report_sections`` of ``rules.py``: all nine always appear, blanks
included, because the printed 8D is a form. Chinese is set in Noto Sans CJK SC (Debian's
``fonts-noto-cjk``, installed by ``scripts/system-deps``), which WeasyPrint embeds in the PDF.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from core import TenantContext

from .rules import PLUGIN, report_language, report_sections

HTML = "8d.html"
PDF = "8d.pdf"
TEMPLATE = "8d.html"

_env = Environment(
    loader=PackageLoader(__package__, "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

LABELS = {
    "en": {
        "title": "8D report",
        "number": "Case",
        "customer": "Customer",
        "customer_complaint_no": "Customer complaint no.",
        "part": "Part",
        "lots": "Lots",
        "quantity_affected": "Quantity affected",
        "defect": "Defect",
        "found_at": "Found at",
        "received_at": "Received",
        "severity": "Severity",
        "state": "State",
        "approved": "Approved",
        "not_approved": "not approved",
        "rejections": "Rejected by the customer",
        "found": {
            "incoming": "incoming inspection",
            "production": "production",
            "field": "field",
            "in_transit": "in transit",
        },
    },
    "zh": {
        "title": "8D 报告",
        "number": "案件编号",
        "customer": "客户",
        "customer_complaint_no": "客户投诉编号",
        "part": "零件",
        "lots": "批次",
        "quantity_affected": "涉及数量",
        "defect": "缺陷",
        "found_at": "发现地点",
        "received_at": "接收时间",
        "severity": "严重程度",
        "state": "状态",
        "approved": "批准",
        "not_approved": "未批准",
        "rejections": "客户退回记录",
        "found": {
            "incoming": "来料检验",
            "production": "生产过程",
            "field": "市场",
            "in_transit": "运输途中",
        },
        # The console's words for the same states and severities: one case, one vocabulary.
        "severities": {"low": "低", "normal": "一般", "major": "重大", "critical": "特别重大"},
        "states": {
            "received": "已受理",
            "acknowledged": "已答复",
            "investigating": "调查中",
            "in_department": "部门处理中",
            "awaiting_customer": "等待客户确认",
            "resolving": "处理中",
            "resolved": "已解决",
            "follow_up": "回访",
            "closed": "已结案",
        },
    },
}


def language(tenant: TenantContext, case: Any) -> str:
    """The case's ``language``, else the tenant's locale (``zh`` or ``en``)."""
    return report_language(case.plugin_data(PLUGIN).get("language") or tenant.locale)


def html(tenant: TenantContext, case: Any, rejections: list[dict[str, Any]]) -> str:
    lang = language(tenant, case)
    fields = case.plugin_data(PLUGIN)
    zone = ZoneInfo(tenant.timezone)

    def local(at: datetime | None) -> str:
        return at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if at else ""

    labels = LABELS[lang]
    part = " ".join(str(v) for v in (fields.get("part_no"), fields.get("part_name")) if v)
    return _env.get_template(TEMPLATE).render(
        lang=lang,
        labels=labels,
        business=tenant.name,
        number=case.number,
        title=case.title,
        header=[
            (labels["customer"], fields.get("customer") or ""),
            (labels["customer_complaint_no"], fields.get("customer_complaint_no") or ""),
            (labels["part"], part),
            (labels["lots"], ("、" if lang == "zh" else ", ").join(fields.get("lots") or [])),
            (labels["quantity_affected"], fields.get("quantity_affected") or ""),
            (labels["defect"], fields.get("defect") or ""),
            (labels["found_at"], labels["found"].get(fields.get("found_at") or "", "")),
            (labels["received_at"], local(case.received_at)),
            (labels["severity"], labels.get("severities", {}).get(case.severity, case.severity)),
            (labels["state"], labels.get("states", {}).get(case.state, case.state)),
        ],
        approved=(
            f"{case.approved_by} {local(case.approved_at)}"
            if case.approved_at
            else labels["not_approved"]
        ),
        rejections=[{"at": local(r["at"]), "reason": r["reason"]} for r in rejections],
        sections=report_sections(fields.get("eight_d"), lang),
    )


def pdf(page: str) -> bytes:
    """The printable page as PDF (WeasyPrint is imported here: it is slow to import)."""
    from weasyprint import HTML as WeasyHTML

    return WeasyHTML(string=page).write_pdf()
