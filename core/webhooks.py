"""Signed webhook deliveries (HMAC-SHA256 over the timestamp and the body).

A receiver checks ``X-Casecore-Signature: t=<unix time>,v1=<hex>`` where ``v1`` is
HMAC-SHA256(secret, "<t>.<body>"), and rejects old timestamps to stop replays;
``X-Casecore-Delivery`` is stable across retries, so a receiver can drop duplicates.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from typing import Any

USER_AGENT = "casecore-webhooks/1"
TIMEOUT = 10


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str, header: str, body: bytes, tolerance: int = 300, now: float | None = None
) -> bool:
    """What a receiver does (and what the tests do)."""
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(signature(secret, timestamp, body), header)


class DeliveryFailed(Exception):
    """The receiver did not take the delivery; rq retries the job with back-off."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


def post(url: str, secret: str, delivery_id: str, payload: dict[str, Any]) -> int:
    """POST the signed payload; answers the HTTP status, or raises ``DeliveryFailed``."""
    body = json.dumps(payload, ensure_ascii=False, default=str).encode()
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "X-Casecore-Delivery": delivery_id,
            "X-Casecore-Event": str(payload.get("event", "")),
            "X-Casecore-Signature": signature(secret, int(time.time()), body),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            return response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryFailed(f"{url} answered {exc.code}", exc.code) from exc
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryFailed(f"{url} unreachable: {exc}") from exc
