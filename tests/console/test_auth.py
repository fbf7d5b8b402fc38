"""Signing in to the console: passwords, CSRF, the rate limit, and tenants kept apart."""

from __future__ import annotations

import dataclasses
import secrets

import pytest
from redis import Redis

from core.app import create_app
from tests.console.conftest import PASSWORD, csrf_of
from tests.support import REDIS_URL, need_service


def test_login_with_email_and_password_opens_the_dashboard(client, make_tenant, make_user, login):
    acme = make_tenant("acme", locale="en")
    make_user(acme, "ann@acme.example", "agent")
    response = login("acme", "Ann@Acme.example")
    assert response.status_code == 302
    assert response.location.endswith("/t/acme/")
    page = client.get("/t/acme/")
    assert page.status_code == 200
    assert "ann@acme.example" in page.get_data(as_text=True)


def test_wrong_password_is_refused_and_the_page_says_so(client, make_tenant, make_user, login):
    acme = make_tenant("acme", locale="en")
    make_user(acme, "ann@acme.example")
    response = login("acme", "ann@acme.example", "wrong password", follow=True)
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/t/acme/cases").status_code == 302  # still not signed in


def test_pages_need_a_signed_in_user(client, make_tenant):
    make_tenant("acme")
    response = client.get("/t/acme/cases?state=received")
    assert response.status_code == 302
    assert "/t/acme/login?next=" in response.location
    assert client.get("/t/nobody/login").status_code == 404


def test_a_post_without_its_csrf_token_gets_400(client, make_tenant, make_user, login):
    acme = make_tenant("acme", locale="en")
    make_user(acme, "ann@acme.example")
    response = client.post(
        "/t/acme/login", data={"email": "ann@acme.example", "password": PASSWORD}
    )
    assert response.status_code == 400
    login("acme", "ann@acme.example")
    assert client.post("/t/acme/logout").status_code == 400
    assert client.get("/t/acme/cases").status_code == 200  # the forged logout did nothing


def test_login_is_rate_limited_per_email(client, make_tenant, make_user, login):
    acme = make_tenant("acme", locale="en")
    make_user(acme, "ann@acme.example")
    for _ in range(5):
        assert login("acme", "ann@acme.example", "guess").status_code == 401
    # Even the right password is refused while the limit holds.
    response = login("acme", "ann@acme.example")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)


def sign_in(client, slug: str, email: str, password: str = PASSWORD):
    page = client.get(f"/t/{slug}/login")
    data = {"email": email, "password": password, "csrf_token": csrf_of(page)}
    return client.post(f"/t/{slug}/login", data=data)


@pytest.fixture
def workers(config):
    """``workers(redis_url)``: two app processes' worth of apps on one database and Redis."""
    made, keys = [], []

    def make(redis_url: str) -> list:
        shared = dataclasses.replace(
            config, redis_url=redis_url, queue_name=f"casecore-test-{secrets.token_hex(4)}"
        )
        keys.append(f"{shared.queue_name}:*")
        made.extend(create_app(shared) for _ in range(2))
        return [app.test_client() for app in made[-2:]]

    yield make
    for app in made:
        app.extensions["casecore"].db.dispose()
    redis = Redis.from_url(REDIS_URL)
    for pattern in keys:
        for key in redis.scan_iter(pattern):
            redis.delete(key)


def test_the_login_limit_is_shared_by_every_worker(workers, make_tenant, make_user):
    try:
        Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:
        need_service("Redis", str(exc))
    one, two = workers(REDIS_URL)
    acme = make_tenant("acme", locale="en")
    make_user(acme, "ann@acme.example")
    for attempt in range(5):  # the guesses spread over both workers, as a balancer spreads them
        assert sign_in((one, two)[attempt % 2], "acme", "ann@acme.example", "x").status_code == 401
    for worker in (one, two):
        assert sign_in(worker, "acme", "ann@acme.example").status_code == 429
    assert sign_in(one, "acme", "bob@acme.example", "x").status_code == 401  # others unaffected


def test_without_redis_sign_in_works_and_each_worker_still_limits(workers, make_tenant, make_user):
    one, _ = workers("redis://127.0.0.1:1/0")  # nothing listens there
    acme = make_tenant("acme", locale="en")
    make_user(acme, "ann@acme.example")
    make_user(acme, "bob@acme.example")
    assert sign_in(one, "acme", "bob@acme.example").status_code == 302
    for _ in range(5):
        assert sign_in(one, "acme", "ann@acme.example", "x").status_code == 401
    assert sign_in(one, "acme", "ann@acme.example").status_code == 429


def test_another_tenants_pages_send_to_its_login_never_its_data(
    client, make_tenant, make_user, login, make_case
):
    acme, other = make_tenant("acme"), make_tenant("other")
    make_user(acme, "ann@acme.example", "admin")
    theirs = make_case(other, title="别家的案件")
    ours = make_case(acme, title="我们的案件")
    login("acme", "ann@acme.example")
    for path in (
        "/t/other/",
        "/t/other/cases",
        f"/t/other/cases/{theirs['id']}",
        "/t/other/settings",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.location.startswith("/t/other/login")
    # And the other tenant's case id is unknown in our own console.
    assert client.get(f"/t/acme/cases/{theirs['id']}").status_code == 404
    listing = client.get("/t/acme/cases").get_data(as_text=True)
    assert "我们的案件" in listing and "别家的案件" not in listing
    assert ours["number"] in listing


def test_deactivating_or_resetting_a_user_ends_their_session(
    app, client, make_tenant, make_user, login, db
):
    from core.models import User

    acme = make_tenant("acme", locale="en")
    uid = make_user(acme, "ann@acme.example")
    login("acme", "ann@acme.example")
    assert client.get("/t/acme/cases").status_code == 200
    with db.unscoped("test") as session:
        session.get(User, (acme.id, uid)).password_hash = "changed"
        session.commit()
    assert client.get("/t/acme/cases").status_code == 302


def test_login_follows_next_only_inside_the_tenant(client, make_tenant, make_user):
    acme = make_tenant("acme", locale="en")
    make_user(acme, "ann@acme.example")
    page = client.get("/t/acme/login")
    response = client.post(
        "/t/acme/login?next=https://evil.example/t/acme/cases",
        data={"email": "ann@acme.example", "password": PASSWORD, "csrf_token": csrf_of(page)},
    )
    assert response.location.endswith("/t/acme/")
    client.post("/t/acme/logout", data={"csrf_token": csrf_of(client.get("/t/acme/cases"))})
    page = client.get("/t/acme/login")
    response = client.post(
        "/t/acme/login?next=/t/acme/cases?state=received",
        data={"email": "ann@acme.example", "password": PASSWORD, "csrf_token": csrf_of(page)},
    )
    assert response.location.endswith("/t/acme/cases?state=received")


def test_intake_users_may_open_cases_but_not_read_them(client, make_tenant, make_user, login):
    acme = make_tenant("acme", locale="en")
    make_user(acme, "desk@acme.example", "intake")
    login("acme", "desk@acme.example")
    assert client.get("/t/acme/cases").status_code == 403
    assert client.get("/t/acme/settings").status_code == 403
    assert client.get("/t/acme/cases/new").status_code == 200
