"""The food_service section of the summary report: feedback collection per meal service against
its targets (DOMAIN.md 3: at least 20 % of tables, 90 % for new dishes, "shown on the report").

A meal service is a site, a service date and a meal; its feedback cases are those received in
the report's period (see ``rules.meal_service_rates`` for how one service's rates are counted).
Services whose feedback never said how many tables were served have no rate and are left out.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from core import CaseLookup, ReportSection, TenantContext

from .documents import language, service_date
from .rules import PLUGIN, meal_service_rates

#: The newest meal services listed row by row; the figures count them all.
ROWS = 100

LABELS = {
    "zh": {
        "title": "反馈收集（每餐次）",
        "meal_services": "有桌数的餐次",
        "tables_target": "桌数目标 %",
        "tables_target_met": "达到桌数目标的餐次",
        "new_dishes_target": "新菜目标 %",
        "new_dish_services": "供应新菜的餐次",
        "new_dishes_target_met": "达到新菜目标的餐次",
        "service_date": "日期",
        "site": "门店",
        "meal": "餐次",
        "tables_served": "接待桌数",
        "tables_with_feedback": "反馈桌数",
        "tables_rate": "桌数 %",
        "tables_met": "桌数达标",
        "new_dish_servings": "新菜份数",
        "new_dish_feedback": "新菜反馈",
        "new_dishes_rate": "新菜 %",
        "new_dishes_met": "新菜达标",
    },
    "en": {
        "title": "Feedback collection per meal service",
        "meal_services": "meal services with a table count",
        "tables_target": "tables target %",
        "tables_target_met": "services meeting the tables target",
        "new_dishes_target": "new dishes target %",
        "new_dish_services": "services with new dishes",
        "new_dishes_target_met": "services meeting the new dishes target",
        "service_date": "date",
        "site": "site",
        "meal": "meal",
        "tables_served": "tables served",
        "tables_with_feedback": "tables with feedback",
        "tables_rate": "tables %",
        "tables_met": "tables target met",
        "new_dish_servings": "new dish servings",
        "new_dish_feedback": "new dish feedback",
        "new_dishes_rate": "new dishes %",
        "new_dishes_met": "new dishes target met",
    },
}


def section(
    tenant: TenantContext, since: datetime, until: datetime, cases: CaseLookup
) -> ReportSection | None:
    criteria: dict[str, Any] = {
        "kind": "feedback",
        "received_since": since,
        "received_until": until,
    }
    total = cases.count(**criteria)
    services: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
    for case in cases.find(limit=max(total, 1), **criteria) if total else []:
        fields = case.plugin_data(PLUGIN)
        if fields.get("meal"):
            day = service_date(tenant, case).isoformat()
            services.setdefault((day, case.site or "", fields["meal"]), []).append(fields)
    settings = tenant.plugin_settings(PLUGIN)
    rows: list[dict[str, Any]] = []
    targets: dict[str, float] = {}
    for (day, site, meal), entries in sorted(services.items(), reverse=True):
        rates = meal_service_rates(entries, settings)
        if rates is None:
            continue
        tables, dishes = rates["tables"], rates["new_dishes"]
        targets = {"tables": tables.target, "new_dishes": dishes.target}
        rows.append(
            {
                "service_date": day,
                "site": site or None,
                "meal": meal,
                "tables_served": tables.served,
                "tables_with_feedback": tables.with_feedback,
                "tables_rate": tables.rate,
                "tables_met": tables.met,
                "new_dish_servings": dishes.served,
                "new_dish_feedback": dishes.with_feedback,
                "new_dishes_rate": dishes.rate,
                "new_dishes_met": dishes.met,
            }
        )
    if not rows:
        return None
    labels = LABELS[language(tenant)]
    figures = {
        "meal_services": len(rows),
        "tables_target": targets["tables"],
        "tables_target_met": sum(1 for row in rows if row["tables_met"]),
        "new_dishes_target": targets["new_dishes"],
        "new_dish_services": sum(1 for row in rows if row["new_dish_servings"]),
        "new_dishes_target_met": sum(1 for row in rows if row["new_dishes_met"]),
    }
    return ReportSection(
        title=labels["title"],
        figures=figures,
        rows=tuple(rows[:ROWS]),
        labels={key: text for key, text in labels.items() if key != "title"},
    )
