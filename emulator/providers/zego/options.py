"""ZEGO settings: ``[providers.zego]`` in the config file, per-app keys of ``[credentials.zego]``, and what
tests set at runtime through ``/_emulator/zego/...`` (forgotten on reset).

    [providers.zego]
    callback_url = "http://127.0.0.1:9000/zego"   # mix_start / mix_stop for every app
    callback_format = "json"                       # or "form"
    max_fps = 20                                   # output frame rate cap ("20 by default" per ZEGO)
    max_tasks = 100                                # running mixes per AppId before 110200190
    rate_limit = 100                               # requests per second per AppId before 110200194
    auto_mix_create_room = false                   # StartAutoMix on an empty room: start (true) or 110200150

    [[credentials.zego]]
    app_id = "12345"
    secret = "..."
    callback_secret = "secret"                     # signs callbacks (default: the ServerSecret)
    callback_url = "http://..."                    # this app's callbacks
    production = true                              # false: only IsTest=true is accepted (100000016)
    mix_enabled = true                             # false: every mix request gets 110200157
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from emulator.config import Credential, Settings
from emulator.core.callbacks import BodyFormat

log = logging.getLogger(__name__)

PROVIDER = "zego"
_DEFAULTS: dict[str, Any] = {
    "callback_url": None,
    "callback_format": "json",
    "max_fps": 20,
    "max_tasks": 100,
    "rate_limit": 100,
    "auto_mix_create_room": False,
}
LIMIT_NAMES = ("max_fps", "max_tasks", "rate_limit")


@dataclass
class CallbackTarget:
    url: str
    secret: str
    body_format: BodyFormat


@dataclass
class ZegoOptions:
    settings: Settings
    _runtime: dict[str, Any] = field(default_factory=dict)
    _callbacks: dict[str | None, tuple[str, str | None]] = field(default_factory=dict)  # app id / all

    def get(self, name: str) -> Any:
        if name in self._runtime:
            return self._runtime[name]
        return self.settings.provider_option(PROVIDER, name, _DEFAULTS[name])

    def limit(self, name: str) -> int:
        """A limit as a positive integer; a config value that is not one falls back to the default."""
        value = self.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            log.warning(
                "[providers.zego] %s = %r is not a positive integer: using %s", name, value, _DEFAULTS[name]
            )
            return int(_DEFAULTS[name])
        return value

    def set_limits(self, values: dict[str, int]) -> None:
        self._runtime.update(values)

    def limits(self) -> dict[str, int]:
        return {name: self.limit(name) for name in LIMIT_NAMES}

    def set_callback(self, url: str, secret: str | None, app_id: str | None) -> None:
        self._callbacks[app_id] = (url, secret)

    def callback_target(self, credential: Credential) -> CallbackTarget | None:
        """Where an app's callbacks go: runtime (this app, then all apps), its credential, the config file."""
        url, secret = self._callbacks.get(credential.app_id) or self._callbacks.get(None) or (None, None)
        url = url or credential.extra.get("callback_url") or self.get("callback_url")
        if not url:
            return None
        secret = secret or credential.extra.get("callback_secret") or credential.secret
        body_format: BodyFormat = "form" if self.get("callback_format") == "form" else "json"
        return CallbackTarget(str(url), str(secret), body_format)

    def callbacks_view(self) -> dict[str, Any]:
        return {
            app or "*": {"url": url, "secret_set": secret is not None}
            for app, (url, secret) in self._callbacks.items()
        }

    def reset_callbacks(self) -> None:
        self._callbacks.clear()

    def reset(self) -> None:
        self._runtime.clear()
        self._callbacks.clear()
