"""The tenant scope, the second wall (RLS), and 404 for another tenant's ids."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, text

from core.db import insert_rows
from core.models import Case, CaseEvent
from core.tenancy import TenantScopeError, bind_tenant_by_slug


def test_orm_queries_see_only_the_bound_tenant(db, make_tenant, make_case):
    acme, other = make_tenant("acme"), make_tenant("other")
    make_case(acme)
    make_case(other)
    make_case(other)
    with db.session(acme.id) as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        assert session.scalar(select(func.count(Case.id))) == 1
        assert len(session.scalars(select(Case)).all()) == 1
        assert session.scalar(select(func.count()).select_from(CaseEvent)) == 1
        subquery = select(Case.id).scalar_subquery()
        assert session.scalar(select(func.count()).where(CaseEvent.case_id.in_(subquery))) == 1


def test_a_query_on_tenant_data_without_a_tenant_raises(db, make_tenant, make_case):
    make_case(make_tenant("acme"))
    with db.session(None) as session:
        for stmt in (select(Case), select(func.count()).select_from(Case)):
            with pytest.raises(TenantScopeError):
                session.execute(stmt)


def test_inserting_into_another_tenant_raises(db, make_tenant):
    acme, other = make_tenant("acme"), make_tenant("other")
    with db.session(acme.id) as session:
        session.add(CaseEvent(tenant_id=other.id, case_id="x", type="comment", actor="a"))
        with pytest.raises(TenantScopeError):
            session.flush()


def test_bulk_inserting_into_another_tenant_raises(db, make_tenant):
    acme, other = make_tenant("acme"), make_tenant("other")
    row = {"tenant_id": other.id, "id": "e1", "case_id": "x", "type": "comment", "actor": "a"}
    with db.session(acme.id) as session, pytest.raises(TenantScopeError):
        insert_rows(session, CaseEvent, [{**row, "tenant_id": acme.id, "id": "e0"}, row])


def test_binding_by_slug_scopes_the_session_and_row_level_security(db, make_tenant, make_case):
    acme, other = make_tenant("acme"), make_tenant("other")
    make_case(acme)
    make_case(other)
    make_case(other)
    with db.session(None) as session:
        assert bind_tenant_by_slug(session, "other") == other.id
        assert session.scalar(select(func.count()).select_from(Case)) == 2
        if db.dialect == "postgresql":  # the same transaction's raw SQL: RLS sees it only
            assert session.execute(text("SELECT count(*) FROM cases")).scalar() == 2
        with pytest.raises(TenantScopeError):
            bind_tenant_by_slug(session, "acme")  # bound once, for good
        session.commit()
        assert session.scalar(select(func.count()).select_from(Case)) == 2  # the next one too
    with db.session(None) as session:
        assert bind_tenant_by_slug(session, "nobody") is None
        with pytest.raises(TenantScopeError):
            session.execute(select(Case))


def test_unscoped_is_explicit_and_logged(db, make_tenant, make_case, caplog):
    make_case(make_tenant("acme"))
    make_case(make_tenant("other"))
    with caplog.at_level("INFO", logger="casecore.db"), db.unscoped("test: count all") as s:
        assert s.scalar(select(func.count()).select_from(Case)) == 2
    assert "unscoped: test: count all" in caplog.text


postgres_only = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)


@postgres_only
def test_raw_sql_on_the_app_connection_sees_one_tenant(db, make_tenant, make_case):
    """The second wall: row-level security, even for SQL with a forgotten filter."""
    acme, other = make_tenant("acme"), make_tenant("other")
    make_case(acme)
    make_case(other)
    make_case(other)
    with db.session(acme.id) as session:
        assert session.execute(text("SELECT count(*) FROM cases")).scalar() == 1
        assert session.execute(text("SELECT count(*) FROM case_events")).scalar() == 1
        assert session.execute(text("SELECT count(*) FROM api_tokens")).scalar() == 4
    with db.engine.connect() as conn:  # no tenant set at all: nothing
        assert conn.execute(text("SELECT count(*) FROM cases")).scalar() == 0


@postgres_only
def test_app_role_cannot_rewrite_the_event_log(db, make_tenant, make_case):
    acme = make_tenant("acme")
    make_case(acme)
    with db.session(acme.id) as session, pytest.raises(Exception, match="permission denied"):
        session.execute(text("UPDATE case_events SET type = 'forged'"))


def test_another_tenants_ids_are_404_on_every_case_route(client, make_tenant, make_case):
    acme, other = make_tenant("acme"), make_tenant("other")
    case = make_case(acme)
    cid = case["id"]
    headers = other.auth("admin")
    routes = [
        ("get", f"/api/v1/cases/{cid}", None),
        ("patch", f"/api/v1/cases/{cid}", {"version": 1, "title": "x"}),
        ("post", f"/api/v1/cases/{cid}/actions", {"action": "acknowledge", "version": 1}),
        ("get", f"/api/v1/cases/{cid}/events", None),
        ("post", f"/api/v1/cases/{cid}/surveys", {"score": 5}),
        ("post", f"/api/v1/cases/{cid}/comments", {"body": "hi"}),
        ("get", f"/api/v1/cases/{cid}/documents/8d.pdf", None),
        ("get", f"/api/v1/cases/{cid}/attachments/abc", None),
        ("get", "/api/v1/tenants/acme", None),
        ("patch", "/api/v1/tenants/acme", {"name": "mine now"}),
        ("put", "/api/v1/tenants/acme/plugins/retail", {}),
        ("delete", "/api/v1/tenants/acme/plugins/retail", None),
    ]
    for method, path, body in routes:
        response = getattr(client, method)(path, json=body, headers=headers)
        assert response.status_code == 404, (method, path, response.json)
        assert response.mimetype == "application/problem+json"
    listed = client.get("/api/v1/cases", headers=headers).json
    assert listed["items"] == []
    # and the case is untouched
    assert client.get(f"/api/v1/cases/{cid}", headers=acme.auth()).json["version"] == 1
