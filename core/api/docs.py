"""Documenting a view's problem responses in one line: ``@problems(blp, 401, 403, 404)``."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus

from flask_smorest import Blueprint


def problems(blp: Blueprint, *statuses: int) -> Callable:
    """The view answers these statuses as problem+json (the components CaseCoreApi declares)."""

    def document(view: Callable) -> Callable:
        for status in reversed(statuses):
            view = blp.alt_response(status, response=HTTPStatus(status).name)(view)
        return view

    return document
