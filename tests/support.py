"""Helpers shared by test modules (fixtures live in conftest.py)."""

from __future__ import annotations

import os

import pytest

REQUIRE_SERVICES = os.environ.get("CASECORE_REQUIRE_SERVICES") == "1"
PG_ADMIN_DSN = os.environ.get("CASECORE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("CASECORE_TEST_REDIS", "redis://127.0.0.1:6379/0")


def need_service(name: str, reason: str) -> None:
    """Skip when a server is missing, unless CI requires the services: then fail."""
    message = f"{name} is not reachable: {reason}"
    if REQUIRE_SERVICES:
        pytest.fail(message + " (CASECORE_REQUIRE_SERVICES=1)")
    pytest.skip(message)
