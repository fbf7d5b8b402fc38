"""Form inputs generated from marshmallow schemas (plugins' case fields and settings), and the
form data read back into what the schema loads.

Strings, numbers, booleans, dates and ``OneOf`` choices get their own inputs; a list of strings is
a textarea with one entry per line; nested objects, dicts and other lists are a JSON textarea.
Values that do not convert are passed on as typed, so the schema answers with the API's message.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from marshmallow import Schema, fields, validate
from marshmallow.utils import missing
from werkzeug.datastructures import MultiDict


@dataclass
class Input:
    """One input of a generated form."""

    name: str  # the form field's name: the dotted path the API reports errors under
    key: str
    label: str
    widget: str  # text, textarea, integer, number, boolean, date, datetime, select, lines, json
    required: bool = False
    help: str = ""
    value: str = ""
    choices: list[str] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    max_length: int | None = None

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")


def _widget(f: fields.Field) -> str:
    if any(isinstance(v, validate.OneOf) for v in f.validators):
        return "select"
    if isinstance(f, fields.Boolean):
        return "boolean"
    if isinstance(f, fields.Integer):
        return "integer"
    if isinstance(f, fields.Float | fields.Decimal | fields.Number):
        return "number"
    if isinstance(f, fields.DateTime):
        return "datetime"
    if isinstance(f, fields.Date):
        return "date"
    if isinstance(f, fields.List) and isinstance(f.inner, fields.String):
        return "lines"
    if isinstance(f, fields.String):
        length = next((v for v in f.validators if isinstance(v, validate.Length)), None)
        return "textarea" if length is None or (length.max or 0) > 500 else "text"
    return "json"


def _render_value(f: fields.Field, widget: str, value: Any) -> str:
    if value is None or value is missing:
        return ""
    if widget == "boolean":
        return "true" if value else "false"
    if widget == "lines":
        return "\n".join(str(v) for v in value)
    if widget == "json":
        return json.dumps(value, ensure_ascii=False, indent=2)
    if widget == "datetime" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if widget == "number" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def inputs_of(
    schema_cls: type[Schema], prefix: str, values: dict[str, Any] | None = None
) -> list[Input]:
    """The inputs of ``schema_cls``'s fields, named ``<prefix>.<field>``, filled with
    ``values`` (or each field's default)."""
    schema = schema_cls()
    out = []
    for key, f in schema.fields.items():
        if f.dump_only:
            continue
        name = f.data_key or key
        widget = _widget(f)
        value = (values or {}).get(name, missing)
        if value is missing and values is None:
            value = f.load_default() if callable(f.load_default) else f.load_default
        spec = Input(
            name=f"{prefix}.{name}",
            key=name,
            label=str(f.metadata.get("title") or name.replace("_", " ").capitalize()),
            widget=widget,
            required=f.required,
            help=str(f.metadata.get("description") or ""),
            value=_render_value(f, widget, value),
        )
        for v in f.validators:
            if isinstance(v, validate.OneOf):
                spec.choices = [str(c) for c in v.choices]
            elif isinstance(v, validate.Range):
                spec.minimum, spec.maximum = v.min, v.max
            elif isinstance(v, validate.Length) and widget in ("text", "textarea"):
                spec.max_length = v.max
        out.append(spec)
    return out


class Unparsable(ValueError):
    """Form text that is not what the field needs (bad JSON): reported under the field."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.name = name
        self.message = message


def read(
    schema_cls: type[Schema],
    prefix: str,
    form: MultiDict,
    timezone: str = "UTC",
    empty_lists: bool = False,
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The form's values for ``schema_cls`` (not yet loaded) and the fields that could not be
    read at all. Empty inputs are left out (the schema's default applies); with
    ``empty_lists`` an emptied list of lines is an empty list instead."""
    data: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for spec in inputs_of(schema_cls, prefix, {}):
        raw = form.get(spec.name)
        if raw is None:
            continue
        text = raw.strip()
        try:
            value = _parse(spec, text, timezone, empty_lists)
        except Unparsable as exc:
            errors[spec.name] = [exc.message]
            continue
        if value is not missing:
            data[spec.key] = value
    return data, errors


def _parse(spec: Input, text: str, timezone: str, empty_lists: bool) -> Any:
    if spec.widget == "lines":
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        return lines if lines or empty_lists else missing
    if text == "":
        return missing
    if spec.widget == "boolean":
        return {"true": True, "false": False}.get(text, text)
    if spec.widget == "integer":
        try:
            return int(text)
        except ValueError:
            return text
    if spec.widget == "number":
        try:
            return float(text)
        except ValueError:
            return text
    if spec.widget == "datetime":
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return text
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
        return moment.isoformat()
    if spec.widget == "json":
        try:
            return json.loads(text)
        except ValueError:
            raise Unparsable(spec.name, "Not valid JSON.") from None
    return text
