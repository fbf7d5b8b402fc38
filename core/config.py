"""Settings from the environment, with embedded defaults (API.md, "Command line")."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _instance_dir() -> Path:
    return Path(os.environ.get("CASECORE_INSTANCE", Path.cwd() / "instance"))


@dataclass(frozen=True)
class Config:
    """Everything the app reads from its environment. Tests build one directly."""

    database_url: str
    database_admin_url: str
    redis_url: str | None = None
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    smtp_url: str | None = None
    plugins_allowed: tuple[str, ...] | None = None
    instance_dir: Path = field(default_factory=_instance_dir)
    calendar_dir: Path | None = None
    base_url: str = "http://127.0.0.1:5000"
    queue_name: str = "casecore"
    max_upload_bytes: int = 20 * 1024 * 1024
    testing: bool = False

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        instance = Path(env.get("CASECORE_INSTANCE", Path.cwd() / "instance"))
        default_db = f"sqlite:///{instance / 'casecore.db'}"
        database_url = normalise_url(env.get("DATABASE_URL") or default_db)
        allowed = env.get("CASECORE_PLUGINS")
        return cls(
            database_url=database_url,
            database_admin_url=normalise_url(env.get("DATABASE_ADMIN_URL") or database_url),
            redis_url=env.get("REDIS_URL") or None,
            secret_key=env.get("SECRET_KEY") or _stable_dev_secret(instance),
            smtp_url=env.get("SMTP_URL") or None,
            plugins_allowed=tuple(p.strip() for p in allowed.split(",") if p.strip())
            if allowed
            else None,
            instance_dir=instance,
            queue_name=env.get("CASECORE_QUEUE") or "casecore",
            base_url=(env.get("CASECORE_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
            calendar_dir=Path(env["CASECORE_CALENDAR_DIR"])
            if env.get("CASECORE_CALENDAR_DIR")
            else instance / "calendars",
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def separate_admin(self) -> bool:
        """True when migrations and cross-tenant work use their own (owner) connection."""
        return self.database_admin_url != self.database_url


def normalise_url(url: str) -> str:
    """Let operators write ``postgresql://``; we always drive PostgreSQL through psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _stable_dev_secret(instance: Path) -> str:
    """Without SECRET_KEY, keep one per instance folder so console sessions survive restarts."""
    path = instance / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        instance.mkdir(parents=True, exist_ok=True)
        key = secrets.token_hex(32)
        path.write_text(key)
        path.chmod(0o600)
        return key
