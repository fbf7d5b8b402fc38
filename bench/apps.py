"""The two apps the intake benchmark serves under gunicorn: casecore, and a bare Flask endpoint
doing one INSERT with psycopg (the floor any web app on this machine has to stand on)."""

from __future__ import annotations

import os

import psycopg
from flask import Flask, request


def casecore_app():
    from core.app import create_app

    return create_app()


def bare_app():
    app = Flask("bare")
    held: dict[str, psycopg.Connection] = {}  # one connection per (sync, single-thread) worker

    @app.post("/bare")
    def insert():
        conn = held.get("conn")
        if conn is None:
            conn = held["conn"] = psycopg.connect(os.environ["BARE_DSN"], autocommit=True)
        conn.execute(
            "INSERT INTO bench_bare (body) VALUES (%s::jsonb)", (request.get_data(as_text=True),)
        )
        return {"ok": True}, 201

    return app
