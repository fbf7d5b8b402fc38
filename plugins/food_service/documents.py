"""The food_service documents of a case, rendered from Jinja2 templates in ``templates/``.

- ``recall_notice.html``: the recall notice of the case's lot with the recall plan's fields
  (食品召回管理办法: the business, the food, its lot and dates, the scope (every site), the reason
  and hazard, the recall level with its deadlines, the notice's publication, the pull's outcome).
  Offered for every case that reports a product and lot; before the notice is published it is
  the draft.
- ``feedback_rates.html``: the feedback collection of the case's meal service against the targets
  (20 % of tables, 90 % for new dishes). Offered for feedback cases logged with their meal
  service (``meal``; ``service_date`` when it was not the day the feedback was received).

Both are in the tenant's language (``zh`` for a Chinese locale, else ``en``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, select_autoescape

from core import CaseLookup, Document, TenantContext

from .pulls import current_pull, same_lot_cases
from .rules import PLUGIN, meal_service_rates, proposed_recall_level, pull_key, recall_rules

RECALL_NOTICE = "recall_notice.html"
FEEDBACK_RATES = "feedback_rates.html"

_env = Environment(
    loader=PackageLoader(__package__, "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

UNITS = {
    "zh": {
        "hours": "小时",
        "days": "天",
        "working_days": "个工作日",
        "working_hours": "个工作小时",
    },
    "en": {
        "hours": "hours",
        "days": "days",
        "working_days": "working days",
        "working_hours": "working hours",
    },
}
HAZARDS = {
    "zh": {
        "foreign_object": "异物",
        "spoilage": "变质",
        "contamination": "污染",
        "allergen": "过敏原",
        "labelling": "标签标识问题",
        "other": "其他",
    },
    "en": {
        "foreign_object": "foreign object",
        "spoilage": "spoilage",
        "contamination": "contamination",
        "allergen": "allergen",
        "labelling": "labelling",
        "other": "other",
    },
}
MEALS = {
    "zh": {"breakfast": "早餐", "lunch": "午市", "dinner": "晚市", "late_night": "夜宵"},
    "en": {"breakfast": "breakfast", "lunch": "lunch", "dinner": "dinner", "late_night": "late"},
}
PULL_STATES = {
    "zh": {"open": "停售中", "recall": "召回中", "ended": "已结束"},
    "en": {"open": "stop sale at every site", "recall": "recall under way", "ended": "ended"},
}


def language(tenant: TenantContext) -> str:
    return "zh" if tenant.locale.lower().replace("-", "_").startswith("zh") else "en"


def offered(case: Any) -> list[Document]:
    fields = case.plugin_data(PLUGIN)
    docs = []
    if pull_key(fields) is not None:
        docs.append(Document(RECALL_NOTICE, "text/html", title="Recall notice"))
    if case.kind == "feedback" and fields.get("meal"):
        docs.append(Document(FEEDBACK_RATES, "text/html", title="Feedback collection"))
    return docs


def service_date(tenant: TenantContext, case: Any) -> date:
    """The date of the meal service a feedback case belongs to: as given, else the day (in the
    tenant's time zone) the feedback was received."""
    given = case.plugin_data(PLUGIN).get("service_date")
    if given:
        return date.fromisoformat(given)
    return tenant.local_date(case.received_at)


def render(tenant: TenantContext, case: Any, name: str, cases: CaseLookup) -> str | None:
    if name == RECALL_NOTICE:
        return recall_notice(tenant, case, cases)
    if name == FEEDBACK_RATES:
        return feedback_rates(tenant, case, cases)
    return None


def _local(at: datetime | str | None, tenant: TenantContext) -> str:
    if not at:
        return ""
    moment = datetime.fromisoformat(at) if isinstance(at, str) else at
    return moment.astimezone(ZoneInfo(tenant.timezone)).strftime("%Y-%m-%d %H:%M")


def recall_notice(tenant: TenantContext, case: Any, cases: CaseLookup) -> str | None:
    fields = case.plugin_data(PLUGIN)
    key = pull_key(fields)
    if key is None:
        return None
    lang = language(tenant)
    pull = current_pull(cases, key)
    data: Mapping[str, Any] = pull.data if pull is not None else {}
    level = proposed_recall_level(fields) or data.get("recall_level")
    rules = recall_rules(tenant.plugin_settings(PLUGIN).get("recall_version"))
    figures = rules.level(level) if level in rules.levels else None
    units = UNITS[lang]
    reports = 1 + len(same_lot_cases(cases, key, case.id)) if pull is not None else 1
    return _env.get_template(RECALL_NOTICE).render(
        lang=lang,
        business=tenant.name,
        number=case.number,
        product=fields.get("product"),
        lot=fields.get("lot"),
        produced_on=fields.get("produced_on"),
        best_before=fields.get("best_before"),
        hazard=HAZARDS[lang].get(fields.get("hazard") or "", ""),
        illness=fields.get("illness_reported") is True,
        level=level,
        level_description=figures.description.get(lang, "") if figures else "",
        start=f"{figures.start_amount} {units[figures.start_unit]}" if figures else "",
        complete=f"{figures.complete_amount} {units[figures.complete_unit]}" if figures else "",
        regulation=rules.regulation,
        version=rules.version,
        sites=data.get("sites") or [],
        started_at=_local(data.get("started_at"), tenant),
        published_at=_local(data.get("notice_published_at"), tenant),
        ended_at=_local(data.get("ended_at"), tenant),
        outcome=data.get("outcome"),
        pull_state=PULL_STATES[lang].get(pull.state, pull.state) if pull is not None else "",
        reports=reports,
    )


def feedback_rates(tenant: TenantContext, case: Any, cases: CaseLookup) -> str | None:
    fields = case.plugin_data(PLUGIN)
    if case.kind != "feedback" or not fields.get("meal"):
        return None
    lang = language(tenant)
    day = service_date(tenant, case)
    zone = ZoneInfo(tenant.timezone)
    # Feedback of a service is logged on its day or within the week after.
    criteria: dict[str, Any] = {
        "kind": "feedback",
        "data": {PLUGIN: {"meal": fields["meal"]}},
        "received_since": datetime.combine(day, time.min, zone),
        "received_until": datetime.combine(day + timedelta(days=8), time.min, zone),
    }
    if case.site is not None:
        criteria["site"] = case.site
    total = cases.count(**criteria)
    entries = [
        other
        for other in cases.find(limit=max(total, 1), **criteria)
        if other.site == case.site and service_date(tenant, other) == day
    ]
    rates = meal_service_rates(
        [other.plugin_data(PLUGIN) for other in entries], tenant.plugin_settings(PLUGIN)
    )
    return _env.get_template(FEEDBACK_RATES).render(
        lang=lang,
        business=tenant.name,
        site=case.site,
        service_date=day.isoformat(),
        meal=MEALS[lang][fields["meal"]],
        rates=rates,
        entries=len(entries),
    )
