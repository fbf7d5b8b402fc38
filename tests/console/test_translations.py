"""Both languages complete: every message of the console in both catalogs, translated, not fuzzy,
compiled; ``?lang=`` switches and is remembered; the tenant's locale is the default."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

CONSOLE = Path(__file__).resolve().parents[2] / "core" / "console"
LOCALES = ("zh_CN", "en")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def catalog(locale: str):
    with open(CONSOLE / "translations" / locale / "LC_MESSAGES" / "messages.po", "rb") as f:
        return read_po(f, locale=locale)


def messages_of(cat) -> dict:
    def key(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {key(m.id): key(m.string) for m in cat if m.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_complete_translated_and_not_fuzzy(locale):
    cat = catalog(locale)
    assert not cat.fuzzy, "the catalog header is marked fuzzy"
    untranslated = [
        m.id for m in cat if m.id and not all(m.string if m.pluralizable else [m.string])
    ]
    fuzzy = [m.id for m in cat if m.id and m.fuzzy]
    assert untranslated == [], f"untranslated in {locale}: {untranslated}"
    assert fuzzy == [], f"fuzzy in {locale}: {fuzzy}"
    problems = [(m.id, errors) for m, errors in cat.check()]
    assert problems == [], f"placeholders differ in {locale}: {problems}"


@pytest.mark.parametrize("locale", LOCALES)
def test_compiled_catalog_is_not_older_than_its_po(locale):
    """The .mo holds exactly what the .po says (``pybabel compile -d translations`` after every
    edit). File times are not compared: a git checkout sets them in no particular order."""
    folder = CONSOLE / "translations" / locale / "LC_MESSAGES"
    with open(folder / "messages.mo", "rb") as f:
        compiled = messages_of(read_mo(f))
    fresh = io.BytesIO()
    write_mo(fresh, catalog(locale))
    fresh.seek(0)
    assert compiled == messages_of(read_mo(fresh)), (
        f"{folder / 'messages.mo'} is older than its .po: run pybabel compile -d translations"
    )


def test_every_message_in_the_code_is_in_both_catalogs():
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(CONSOLE), method_map, keywords=KEYWORDS
        )
    }
    found.discard("")
    for locale in LOCALES:
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog(locale) if m.id}
        missing = sorted(found - ids)
        assert missing == [], f"not in the {locale} catalog (extract and update): {missing}"


def _heading(response) -> str:
    return re.search(r"<h1>([^<]+)", response.get_data(as_text=True)).group(1).strip()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_tenants_locale_is_the_default_and_lang_switches_and_sticks(
    client, make_tenant, make_user, login
):
    acme = make_tenant("acme")  # locale zh_CN
    make_user(acme, "ann@acme.example", "admin")
    login("acme", "ann@acme.example")
    page = client.get("/t/acme/cases")
    assert _heading(page) == "案件"
    assert '<html lang="zh-CN">' in page.get_data(as_text=True)
    assert _heading(client.get("/t/acme/cases?lang=en")) == "Cases"
    page = client.get("/t/acme/settings")  # remembered on the next page
    assert _heading(page) == "Settings"
    assert '<html lang="en">' in page.get_data(as_text=True)
    assert _heading(client.get("/p/acme/")) == "Tell us what happened"
    assert _heading(client.get("/p/acme/?lang=zh_CN")) == "请告诉我们发生了什么"
    assert _heading(client.get("/t/acme/")) == "概览"
    # A tenant whose locale is English starts in English for a new visitor.
    make_tenant("shop", locale="en")
    fresh = client.application.test_client()
    assert _heading(fresh.get("/p/shop/track")) == "Track your case"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_schema_messages_are_translated_in_chinese(client, make_tenant, make_user, login):
    acme = make_tenant("acme")
    make_user(acme, "ann@acme.example", "agent")
    login("acme", "ann@acme.example")
    from tests.console.conftest import csrf_of

    page = client.get("/t/acme/cases/new")
    response = client.post(
        "/t/acme/cases/new",
        data={
            "csrf_token": csrf_of(page),
            "kind": "complaint",
            "channel": "phone",
            "customer.name": "张三",
            "customer.email": "nope",
        },
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "此项为必填项。" in text  # title missing
    assert "不是有效的电子邮箱地址。" in text
