"""The plugin manager: discovery by entry point, per-tenant hook callers, contained failures."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from importlib.metadata import entry_points
from types import ModuleType
from typing import Any

import pluggy
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from core import PROJECT, __version__, hookspecs
from core.types import PluginInfo

log = logging.getLogger("casecore.plugins")

ENTRY_POINT_GROUP = "casecore.plugins"

# The core's own behaviour, written as plugins (pytest and datasette do the same). Always on.
DEFAULT_PLUGINS: tuple[str, ...] = ("core.rules",)


class PluginError(Exception):
    """A plugin's hook raised. Carries the plugin's name for the log and the problem answer."""

    def __init__(self, plugin: str, hook: str, original: BaseException):
        super().__init__(f"plugin {plugin!r} failed in hook {hook!r}: {original!r}")
        self.plugin = plugin
        self.hook = hook
        self.original = original


class PluginLoadError(RuntimeError):
    """A plugin cannot be used: a clear start-up error rather than a surprise at request time."""


def _contained(name: str, hook: str, func: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(func)  # pluggy reads the argument names through __wrapped__
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PluginError:
            raise
        except Exception as exc:
            log.exception("plugin %s failed in hook %s", name, hook)
            raise PluginError(name, hook, exc) from exc

    return call


class _Proxy:
    """Stands in for a plugin in pluggy: its hook implementations, wrapped by ``_contained``."""

    def __init__(self, name: str, plugin: Any):
        self.name = name
        for attr in dir(plugin):
            func = getattr(plugin, attr, None)
            opts = getattr(func, f"{PROJECT}_impl", None)
            if callable(func) and opts is not None:
                setattr(self, attr, _contained(name, opts.get("specname") or attr, func))

    def __repr__(self) -> str:
        return f"<plugin {self.name}>"


def _compatible(requirement: str, version: str) -> bool:
    try:
        return SpecifierSet(requirement).contains(version, prereleases=True)
    except InvalidSpecifier as exc:
        raise PluginLoadError(f"cannot read the core version requirement {requirement!r}") from exc


class Plugins:
    """The app's plugins. Built in ``create_app()``, so every app (and test) gets its own."""

    def __init__(self, allowed: Iterable[str] | None = None, extra: Iterable[Any] = ()):
        self.pm = pluggy.PluginManager(PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self._objects: dict[str, Any] = {}
        self._callers: dict[tuple[str, frozenset[str]], Any] = {}
        for module_name in DEFAULT_PLUGINS:
            self._register(module_name, __import__(module_name, fromlist=["_"]), core=True)
        allow = set(allowed) if allowed is not None else None
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            if allow is not None and ep.name not in allow:
                continue
            try:
                obj = ep.load()
            except Exception as exc:
                raise PluginLoadError(f"plugin {ep.name!r} cannot be imported: {exc}") from exc
            self._register(ep.name, obj)
        for obj in extra:
            self._register(self._info_of(obj, None).name, obj)
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            raise PluginLoadError(
                f"plugin {exc.plugin.name if hasattr(exc.plugin, 'name') else exc.plugin!r} "
                f"implements a hook that does not exist: {exc}"
            ) from exc

    # --- registration --------------------------------------------------------------------

    @staticmethod
    def _info_of(obj: Any, name: str | None) -> PluginInfo:
        info = getattr(obj, "PLUGIN_INFO", None)
        if not isinstance(info, PluginInfo):
            raise PluginLoadError(f"plugin {name or obj!r} has no PLUGIN_INFO = PluginInfo(...)")
        if name is not None and info.name != name:
            raise PluginLoadError(
                f"plugin registered as {name!r} calls itself {info.name!r} in PLUGIN_INFO"
            )
        return info

    def _register(self, name: str, obj: Any, core: bool = False) -> None:
        if not core:
            info = self._info_of(obj, name)
            if not _compatible(info.requires_core, __version__):
                raise PluginLoadError(
                    f"plugin {name!r} {info.version} needs casecore {info.requires_core}, "
                    f"this is {__version__}"
                )
            if name in self.infos:
                raise PluginLoadError(f"two plugins are named {name!r}")
            self.infos[name] = info
        self._objects[name] = obj
        try:
            self.pm.register(_Proxy(name, obj), name=name)
        except pluggy.PluginValidationError as exc:
            raise PluginLoadError(f"plugin {name!r} does not fit the hook contract: {exc}") from exc

    # --- use -----------------------------------------------------------------------------

    @property
    def names(self) -> list[str]:
        """The installed industry plugins (the core's own are not listed)."""
        return sorted(self.infos)

    def module(self, name: str) -> ModuleType | Any:
        return self._objects[name]

    def hook(self, name: str, enabled: Iterable[str]) -> Any:
        """The hook caller for a tenant with ``enabled`` plugins: only those (and the core's
        own) are called. Cached per (hook, enabled set)."""
        key = (name, frozenset(enabled))
        caller = self._callers.get(key)
        if caller is None:
            remove = [self.pm.get_plugin(n) for n in self.infos if n not in key[1]]
            caller = self.pm.subset_hook_caller(name, remove_plugins=remove)
            self._callers[key] = caller
        return caller

    def call_one(self, plugin: str, hook: str, **kwargs: Any) -> Any:
        """Call one plugin's implementation of a hook (declarations such as its schemas)."""
        proxy = self.pm.get_plugin(plugin)
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            if impl.plugin is proxy:
                return impl.function(*(kwargs[a] for a in impl.argnames))
        return None

    def call_each(self, hook: str, enabled: Iterable[str], **kwargs: Any) -> list[tuple[str, Any]]:
        """Each enabled plugin's answer to a hook, with the plugin's name (for attribution)."""
        proxies = {id(self.pm.get_plugin(n)): n for n in enabled if n in self.infos}
        answers = []
        for impl in getattr(self.pm.hook, hook).get_hookimpls():
            name = proxies.get(id(impl.plugin))
            if name is not None:
                answers.append((name, impl.function(*(kwargs[a] for a in impl.argnames))))
        return answers

    def check_actions(self, probe: Any) -> None:
        """A plugin action may not take a core action's name, nor another plugin's."""
        from core.workflow import CORE_ACTIONS

        owners: dict[str, str] = {name: "the core" for name in CORE_ACTIONS}
        for plugin, answer in self.call_each("register_actions", self.infos, tenant=probe):
            for spec in answer or []:
                if spec.name in owners:
                    raise PluginLoadError(
                        f"plugin {plugin!r} adds an action {spec.name!r}, "
                        f"which {owners[spec.name]} has already"
                    )
                owners[spec.name] = f"plugin {plugin!r}"

    def for_tenant(self, enabled: Iterable[str]) -> TenantHooks:
        return TenantHooks(self, frozenset(enabled))


class TenantHooks:
    """``hooks.check_case(...)`` calls the hook on the tenant's enabled plugins only."""

    def __init__(self, plugins: Plugins, enabled: frozenset[str]):
        self._plugins = plugins
        self._enabled = enabled

    def __getattr__(self, hook: str) -> Any:
        return self._plugins.hook(hook, self._enabled)
