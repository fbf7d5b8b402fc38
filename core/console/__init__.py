"""The web console (``/t/<slug>/``) and the customer pages (``/p/<slug>/``).

Server-rendered Flask + Jinja2 with htmx for partial updates; Flask-Login sessions, Flask-WTF
CSRF on every form, Flask-Babel with zh_CN and en. Everything here goes through the same services
as the API (``core.cases.CaseService``, ``core.tenants``), so the console shows the API's rules
and messages.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from argon2 import PasswordHasher, profiles
from babel import support
from flask import Blueprint, Flask, g, request, session
from flask_babel import Babel, Domain, get_locale
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from redis import Redis

from core.config import Config
from core.console.limits import RateLimiter, RedisRateLimiter

HERE = Path(__file__).parent
LANGUAGES: tuple[str, ...] = ("zh_CN", "en")

csrf = CSRFProtect()


class CatalogDomain(Domain):
    """The console's message catalogs, under ``translations/{zh_CN,en}``.

    Babel names Chinese (China) ``zh_Hans_CN``, which gettext would look for as ``zh_Hans_CN``
    or ``zh``; the catalogs keep gettext's usual ``zh_CN``, so the lookup tries that too.
    """

    def get_translations(self) -> support.Translations:
        locale = get_locale()
        if locale is None:
            return support.NullTranslations()
        key = str(locale)
        if key not in self.cache:
            names = [key]
            if locale.territory:
                names.append(f"{locale.language}_{locale.territory}")
            self.cache[key] = support.Translations.load(str(HERE / "translations"), names)
        return self.cache[key]


domain = CatalogDomain(str(HERE / "translations"))


class ConsoleState:
    """Per-app parts of the console: the password hasher, the login and tracking rate limits
    (in Redis when there is one, shared by every worker; else in this process)."""

    def __init__(self, testing: bool = False, config: Config | None = None) -> None:
        # argon2id with the library's defaults (RFC 9106, low memory); tests use the cheapest
        # parameters, which a hash records, so verifying stays correct either way.
        self.hasher = (
            PasswordHasher.from_parameters(profiles.CHEAPEST) if testing else PasswordHasher()
        )
        self._dummy: str | None = None
        limiter = _limiters(config)
        self.login_limit = limiter("login", 5, 15 * 60)  # per account: 5 in 15 minutes
        self.login_ip_limit = limiter("login_ip", 30, 15 * 60)  # per address
        self.track_limit = limiter("track", 10, 10 * 60)  # customer case lookups

    @property
    def dummy_hash(self) -> str:
        if self._dummy is None:
            self._dummy = self.hasher.hash("casecore: no such user")
        return self._dummy


def _limiters(config: Config | None) -> Callable[[str, int, float], RateLimiter | RedisRateLimiter]:
    """Limits shared in Redis with ``REDIS_URL`` (keys under the deployment's queue name, short
    timeouts so that a stuck Redis cannot hold a sign-in up); else kept in this process, which
    is all the embedded default runs."""
    if config is None or not config.redis_url:
        return lambda _name, max_events, window_seconds: RateLimiter(max_events, window_seconds)
    redis = Redis.from_url(config.redis_url, socket_connect_timeout=2, socket_timeout=2)
    return lambda name, max_events, window_seconds: RedisRateLimiter(
        redis, f"{config.queue_name}:limit:{name}:", max_events, window_seconds
    )


def select_locale() -> str:
    """``?lang=`` switches (and is remembered in the session); else the tenant's locale."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
        return asked
    if session.get("lang") in LANGUAGES:
        return session["lang"]
    tenant = g.get("tenant")
    if tenant is not None and tenant.locale in LANGUAGES:
        return tenant.locale
    return request.accept_languages.best_match(LANGUAGES, "zh_CN")


def select_timezone() -> str | None:
    tenant = g.get("tenant")
    return tenant.timezone if tenant is not None else None


def init_console(app: Flask) -> None:
    """Register the console and customer pages with Flask-Login, CSRF and Babel."""
    from core.console import auth, cases, dashboard, public, settings, web
    from core.console.labels import TEMPLATE_GLOBALS

    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    # CSRF is checked by the console's and the public pages' blueprints only: the API is
    # authenticated by bearer tokens and takes no cookies.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # a form stays valid for the session
    csrf.init_app(app)
    Babel(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(HERE / "translations"),
    )
    login = LoginManager()
    login.init_app(app)
    login.session_protection = "basic"
    login.user_loader(auth.load_user)
    login.unauthorized_handler(auth.unauthorized)
    app.extensions["casecore_console"] = ConsoleState(
        testing=bool(app.config.get("TESTING")), config=app.extensions["casecore"].config
    )
    app.jinja_env.globals.update(TEMPLATE_GLOBALS, with_lang=web.with_lang, LANGUAGES=LANGUAGES)
    app.jinja_env.filters.update(
        when=web.when,
        remaining=web.remaining,
        pairs=lambda xs: [(x, x) for x in xs],
        zip_labels=lambda xs, fn: [(x, fn(x)) for x in xs],
    )
    app.jinja_env.globals["errors_none"] = web.FormErrors()
    app.jinja_env.globals["get_locale"] = get_locale

    assets = Blueprint(
        "console_assets",
        __name__,
        static_folder=str(HERE / "static"),
        template_folder=str(HERE / "templates"),
        static_url_path="/console/static",
    )
    app.register_blueprint(assets)
    console = auth.console_blueprint()
    for module in (auth, dashboard, cases, settings):
        module.register(console)
    app.register_blueprint(console)
    app.register_blueprint(public.blueprint())
