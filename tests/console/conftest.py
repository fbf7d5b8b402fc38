"""Fixtures of the console tests: console users, signing in, CSRF tokens, a plugin with a panel
and a document."""

from __future__ import annotations

import re
from typing import Any

import pytest
from argon2 import PasswordHasher, profiles

from core import Document, Panel, PluginInfo, hookimpl
from core.models import User

PASSWORD = "correct horse battery"
HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)  # the test app's parameters
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(response) -> str:
    """The CSRF token of the first form on the page."""
    found = _TOKEN.search(response.get_data(as_text=True))
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class PanelsPlugin:
    """A test plugin with a console panel and a document, as an industry plugin would add."""

    PLUGIN_INFO = PluginInfo(name="paneltest", title="Panel test", version="1.0")

    @staticmethod
    @hookimpl
    def register_console_panels(tenant, case):
        return [Panel("checklist", "Return checklist", f"<p class='check'>Case {case.number}</p>")]

    @staticmethod
    @hookimpl
    def register_documents(tenant, case):
        return [Document("report.html", "text/html", "Test report")]

    @staticmethod
    @hookimpl
    def render_document(tenant, case, name, cases):
        if name == "report.html":
            return f"<h1>Report {case.number}</h1>"
        return None


@pytest.fixture
def extra_plugins() -> tuple[Any, ...]:
    return (PanelsPlugin(),)


@pytest.fixture
def make_user(db):
    """``make_user(tenant, email, role)``: a console user with the password ``PASSWORD``."""

    def make(tenant, email: str, role: str = "agent", name: str = "", active: bool = True) -> str:
        with db.unscoped("test: console user") as session:
            user = User(
                tenant_id=tenant.id,
                email=email,
                name=name,
                role=role,
                password_hash=HASHER.hash(PASSWORD),
                active=active,
            )
            session.add(user)
            session.commit()
            return user.id

    return make


@pytest.fixture
def login(client):
    """``login(slug, email)`` signs the test client in; returns the response of the POST."""

    def do(slug: str, email: str, password: str = PASSWORD, follow: bool = False):
        page = client.get(f"/t/{slug}/login")
        return client.post(
            f"/t/{slug}/login",
            data={"email": email, "password": password, "csrf_token": csrf_of(page)},
            follow_redirects=follow,
        )

    return do


@pytest.fixture
def post_form(client):
    """``post_form(page_url, action_url, data)``: GET the page for its CSRF token, then POST."""

    def do(page_url: str, action_url: str, data: dict[str, Any], **kwargs: Any):
        page = client.get(page_url)
        assert page.status_code == 200, page.get_data(as_text=True)[:500]
        return client.post(action_url, data={**data, "csrf_token": csrf_of(page)}, **kwargs)

    return do
