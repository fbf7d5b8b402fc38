"""Problems: every error the API answers is one of these, as ``application/problem+json``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from core.types import Violation

PROBLEM_TYPE = "https://casecore.dev/problems/"


class Problem(Exception):
    """An RFC 9457 problem. Raise it anywhere below a request; the app answers it."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str | None = None,
        *,
        kind: str | None = None,
        errors: Mapping[str, list[str]] | None = None,
        violations: Iterable[Violation] = (),
        extra: Mapping[str, Any] | None = None,
    ):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.kind = kind or title.lower().replace(" ", "-")
        self.errors = dict(errors or {})
        self.violations = list(violations)
        self.extra = dict(extra or {})

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": PROBLEM_TYPE + self.kind,
            "title": self.title,
            "status": self.status,
            "detail": self.detail or self.title,
        }
        if self.errors:
            body["errors"] = self.errors
        if self.violations:
            body["violations"] = [v.as_dict() for v in self.violations]
        body.update(self.extra)
        return body


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as ``{"customer.name": [...], "data.retail.sku": [...]}``."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if key == "_schema":
                path = prefix or "_schema"
            for k, v in flatten_errors(value, path).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(messages, list | tuple) and all(isinstance(m, str) for m in messages):
        out[prefix or "_schema"] = list(messages)
    elif isinstance(messages, list | tuple):
        for i, value in enumerate(messages):
            for k, v in flatten_errors(value, f"{prefix}.{i}" if prefix else str(i)).items():
                out.setdefault(k, []).extend(v)
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out


def invalid(messages: Any, prefix: str = "", detail: str | None = None) -> Problem:
    """422 for input that does not fit its schema."""
    return Problem(
        422,
        "Invalid input",
        detail or "The request does not fit its schema; see errors.",
        kind="invalid-input",
        errors=flatten_errors(messages, prefix),
    )


def refused(violations: Iterable[Violation]) -> Problem:
    """422 for a request that rules refuse; every refusing rule is listed."""
    violations = list(violations)
    return Problem(
        422,
        "Refused by rules",
        "; ".join(v.message for v in violations),
        kind="rule-refusal",
        violations=violations,
    )


def conflict(code: str, message: str) -> Problem:
    """409: a stale version, or an action not allowed from the case's state."""
    return Problem(409, "Conflict", message, kind="conflict", violations=[Violation(code, message)])


def not_found(what: str = "resource") -> Problem:
    return Problem(404, "Not found", f"No such {what}.", kind="not-found")


def forbidden(detail: str) -> Problem:
    return Problem(403, "Forbidden", detail, kind="forbidden")


def unauthorized(detail: str = "A valid bearer token is required.") -> Problem:
    return Problem(401, "Unauthorized", detail, kind="unauthorized")
