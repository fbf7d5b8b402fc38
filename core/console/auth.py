"""Console sign-in: the ``/t/<slug>/`` blueprint, Flask-Login users, the rate-limited login.

A user belongs to one tenant. The session remembers ``<tenant id>:<user id>:<password stamp>``;
on another tenant's pages that id does not load, so the visitor is sent to that tenant's login
and never sees its data. A password reset or a deactivation ends the user's sessions.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import (
    Blueprint,
    abort,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from core.console.web import (
    console_state,
    install_error_pages,
    protect_forms,
    tenant_blueprint,
)
from core.models import User
from core.types import STAFF_ROLES, Actor


def hasher() -> PasswordHasher:
    """The app's password hasher (argon2id; cheap parameters only in tests)."""
    return console_state().hasher


@dataclass
class ConsoleUser:
    """The signed-in user, as Flask-Login and the views see it."""

    id: str
    tenant_id: int
    email: str
    name: str
    role: str
    stamp: str
    active: bool = True

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return f"{self.tenant_id}:{self.id}:{self.stamp}"

    @property
    def actor(self) -> Actor:
        return Actor(self.email, self.role, "user")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @classmethod
    def of(cls, user: User) -> ConsoleUser:
        return cls(
            id=user.id,
            tenant_id=user.tenant_id,
            email=user.email,
            name=user.name or user.email,
            role=user.role,
            stamp=password_stamp(user.password_hash),
            active=user.active,
        )


def password_stamp(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:12]


def load_user(user_id: str) -> ConsoleUser | None:
    """Flask-Login's loader: only a user of the tenant in the URL, active, same password."""
    tenant = g.get("tenant")
    if tenant is None:
        return None
    try:
        tenant_id, uid, stamp = user_id.split(":", 2)
    except ValueError:
        return None
    if tenant_id != str(tenant.id) or len(uid) > 64:
        return None
    user = g.db.get(User, (tenant.id, uid))
    if user is None or not user.active or password_stamp(user.password_hash) != stamp:
        return None
    return ConsoleUser.of(user)


def unauthorized() -> Any:
    tenant = g.get("tenant")
    if tenant is None:
        abort(404)
    if request.headers.get("HX-Request"):
        # An htmx request cannot follow a redirect to a full page: ask for a full reload.
        response = redirect(url_for("console.login", next=request.full_path))
        response.headers["HX-Redirect"] = url_for("console.login")
        return response
    return redirect(url_for("console.login", next=request.full_path.rstrip("?")))


def login_required(*roles: str) -> Callable:
    """Signed in as a user of this tenant (and, if ``roles`` are given, in one of them)."""

    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return unauthorized()
            if roles and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def console_blueprint() -> Blueprint:
    bp = tenant_blueprint("console", "/t", "console", user=lambda: current_user)
    protect_forms(bp)
    install_error_pages(bp)
    return bp


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])


def _safe_next(target: str | None) -> str | None:
    """Only a path inside this tenant's console (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(f"/t/{g.tenant.slug}/"):
        return None
    if parts.path.endswith("/login"):
        return None
    return target


def login() -> Any:
    # The blueprint checked the CSRF token of the POST already (protect_forms).
    form = LoginForm(meta={"csrf": False})
    status = 200
    if request.method == "POST":
        state = console_state()
        email = (form.email.data or "").strip().lower()
        subject = f"{g.tenant.id}:{email}"
        client = f"{g.tenant.id}:{request.remote_addr}"
        if state.login_limit.blocked(subject) or state.login_ip_limit.blocked(client):
            flash(_("Too many failed attempts. Wait 15 minutes and try again."), "error")
            return render_template("login.html", form=form), 429
        if form.validate():
            user = g.db.scalar(select(User).where(User.email == email))
            if _verify(user, form.password.data or ""):
                state.login_limit.reset(subject)
                assert user is not None
                if hasher().check_needs_rehash(user.password_hash):
                    user.password_hash = hasher().hash(form.password.data or "")
                    g.db.commit()
                lang = session.get("lang")
                session.clear()  # a fresh session: no fixation across the sign-in
                if lang:
                    session["lang"] = lang
                login_user(ConsoleUser.of(user))
                return redirect(
                    _safe_next(request.args.get("next")) or url_for("console.dashboard")
                )
            state.login_limit.hit(subject)
            state.login_ip_limit.hit(client)
        flash(_("Wrong email or password."), "error")
        status = 401
    return render_template("login.html", form=form), status


def _verify(user: User | None, password: str) -> bool:
    if user is None or not user.active or not user.password_hash:
        # Verifying against a dummy takes as long as a real check, so the time a login takes
        # does not tell which emails exist.
        with contextlib.suppress(VerificationError, InvalidHashError):
            hasher().verify(console_state().dummy_hash, password)
        return False
    try:
        return hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def logout() -> Any:
    logout_user()
    flash(_("You are signed out."), "info")
    return redirect(url_for("console.login"))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/login", "login", login, methods=["GET", "POST"])
    bp.add_url_rule("/logout", "logout", logout, methods=["POST"])
