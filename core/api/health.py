"""``/healthz`` (the process runs) and ``/readyz`` (its database and Redis answer)."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

blp = Blueprint("health", __name__)


@blp.get("/healthz")
def healthz():
    return jsonify(status="ok")


@blp.get("/readyz")
def readyz():
    core = current_app.extensions["casecore"]
    checks: dict[str, str] = {}
    try:
        core.db.ping()
        checks["database"] = "ok"
    except Exception as exc:  # any failure means not ready; say which
        checks["database"] = f"error: {type(exc).__name__}"
    if core.config.redis_url:
        try:
            import redis

            redis.Redis.from_url(core.config.redis_url, socket_timeout=2).ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
    ready = all(v == "ok" for v in checks.values())
    return jsonify(status="ready" if ready else "not ready", checks=checks), 200 if ready else 503
