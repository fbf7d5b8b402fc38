"""The cost of all hooks fired by one intake with the four industry plugins enabled.

Two figures, in the same run: the hooks as the real plugins answer them (their rule logic,
with the database replaced by an empty in-memory lookup so that only hook work is timed), and
the bare dispatch cost of the same calls through pluggy's per-tenant callers.

    .venv/bin/python -m bench.hooks [--rounds 20000]
"""

from __future__ import annotations

import argparse
import time
from datetime import UTC, datetime

from core import hookimpl
from core.models import Case
from core.plugins import Plugins
from core.tenants import probe_context
from core.types import PluginInfo

INTAKE_HOOKS = ("register_kinds", "classify_case", "check_case", "register_timers", "case_opened")


class EmptyLookup:
    """Stands in for CaseLookup: no other cases, no records (no database in the timing)."""

    def find(self, **_):
        return []

    def count(self, **_):
        return 0

    def get(self, _):
        return None

    def events(self, *_, **__):
        return []

    def links(self, *_, **__):
        return []

    def records(self, plugin):
        return self

    def claim(self, kind, key, data=None, case_id=None):
        class Record:
            id, state = "r1", "open"

        return Record(), True

    def find_records(self, *_, **__):
        return []


def a_case(tenant) -> Case:
    return Case(
        id="01bench",
        tenant_id=0,
        number="2026-000001",
        kind="return",
        state="received",
        title="冰箱不制冷",
        description="",
        channel="phone",
        customer_name="张三",
        customer_phone="13800000000",
        customer_email=None,
        category=None,
        severity="normal",
        site=None,
        subject_staff=[],
        remedy_sought=None,
        department=None,
        owner=None,
        received_at=datetime(2026, 9, 30, 2, tzinfo=UTC),
        flags=[],
        warnings=[],
        version=1,
        data={
            "retail": {
                "return_type": "no_reason",
                "sale_channel": "online",
                "receipt_no": "R1",
                "purchased_on": "2026-09-20",
                "delivered_on": "2026-09-25",
                "sku": "A1",
                "quantity": 1,
                "amount": 99.0,
                "goods_type": "general",
                "condition": "intact",
            },
            "food_service": {"food_safety": False},
            "manufacturing": {"cause_known": True},
            "auto_repair": {"complaint_type": "attitude"},
        },
    )


def time_intake(hooks, tenant, case, cases, rounds: int) -> float:
    def once():
        hooks.register_kinds(tenant=tenant)
        hooks.classify_case(tenant=tenant, case=case)
        hooks.check_case(tenant=tenant, case=case, changes=None, cases=cases)
        hooks.register_timers(tenant=tenant, case=case)
        hooks.case_opened(tenant=tenant, case=case, cases=cases)

    for _ in range(min(rounds // 10, 500)):
        once()
    started = time.perf_counter()
    for _ in range(rounds):
        once()
    return (time.perf_counter() - started) / rounds * 1e6


def noop_plugin(name: str):
    class Noop:
        PLUGIN_INFO = PluginInfo(name=name, title=name, version="1")

    for hook in INTAKE_HOOKS:
        setattr(Noop, hook, hookimpl(specname=hook)(lambda self, **_: None))
    return Noop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20000)
    args = parser.parse_args()
    plugins = Plugins()
    tenant = probe_context(plugins)
    case, cases = a_case(tenant), EmptyLookup()
    real = time_intake(plugins.for_tenant(tenant.plugins), tenant, case, cases, args.rounds)
    names = [f"noop{i}" for i in range(4)]
    bare = Plugins(allowed=(), extra=tuple(noop_plugin(n) for n in names))
    dispatch = time_intake(bare.for_tenant(names), tenant, case, cases, args.rounds)
    print(
        f"plugins enabled: {', '.join(plugins.names)}; hooks per intake: {', '.join(INTAKE_HOOKS)}"
    )
    print(f"the four plugins' hooks for one intake: {real:8.1f} µs")
    print(f"pluggy dispatch alone (4 no-op plugins): {dispatch:8.1f} µs")
    print(f"target under 50 µs: {'met' if real < 50 else 'NOT met'}")


if __name__ == "__main__":
    main()
