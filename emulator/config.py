"""Settings: defaults, then a TOML file, then ``MIXEMU_*`` environment variables, then command-line flags."""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from emulator.core.outbound import check_entries

AuthMode = Literal["strict", "off"]
MediaMode = Literal["realtime", "fast"]

PROJECT_FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@dataclass
class Credential:
    """One app of one provider. ``app_id`` is Tencent's appid, ZEGO's AppId or Volcengine's access key;
    ``secret`` is the Tencent API key, ZEGO ServerSecret or Volcengine secret key."""

    provider: str
    app_id: str
    secret: str
    extra: dict[str, Any] = field(default_factory=dict)  # e.g. ZEGO callback_secret, Volcengine region


DEFAULT_CREDENTIALS: tuple[Credential, ...] = (
    # The key of Tencent's own signature example (seed 000).
    Credential("tencent", "1252500000", "40328529ca4381a80c6ecf2e6aa57438"),
    # ZEGO's documented signature test vector (AppId 12345); callback secret from ZEGO's callback example.
    Credential("zego", "12345", "9193cc662a4c0ec135ec71fb57194b38", {"callback_secret": "secret"}),
    Credential("volcengine", "AKLTemulator", "emulator-secret", {"account_id": "2100000001"}),
)


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080  # 0 = a free port, printed at start
    rtmp_port: int | None = 1935  # 0 = a free port; None = no RTMP server
    data_dir: Path = Path("data")
    media_roots: list[Path] = field(default_factory=list)  # besides <data_dir>/media and fixtures/
    auth: AuthMode = "strict"  # "off": signatures and tokens are not checked (ids still are)
    media_mode: MediaMode = "realtime"  # "fast": tasks render as fast as the CPU allows
    max_body_bytes: int = 8 * 1024 * 1024
    journal_size: int = 1000
    demo: bool = False  # publish demo streams at start
    max_tasks: int = 0  # running mixes at once, all providers; then each provider's overload code. 0 = auto
    # Processes running the media pipelines: 0 = inside the server process; None (unset, "auto") = one
    # per usable core, each hosting many tasks (the event loop stays out of media work; emulator/workers/).
    media_workers: int | None = None
    jitter_ms: int = 100  # the jitter buffer of live inputs: frames show this long after they can arrive
    recordings_keep: int = 100  # recordings kept, the oldest removed first; 0 = no limit
    recordings_max_bytes: int = 1 << 30  # their total size at most (1 GiB), oldest removed first; 0 = none
    public_host: str | None = None  # host[:port] used in play URLs handed to clients (default: host:port)
    credentials: list[Credential] = field(default_factory=lambda: list(DEFAULT_CREDENTIALS))
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)  # per-provider options
    # The control API's token (Authorization: Bearer). Required when bound beyond loopback: if none is set
    # then, one is made at start and printed (not logged).
    control_token: str | None = None
    # Hosts URL sources, callbacks and pushes may reach (core/outbound.py); empty: any.
    outbound_allow: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Callers (tests, the in-process Emulator) pass paths as str as often as Path.
        self.data_dir = Path(self.data_dir)
        self.media_roots = [Path(p) for p in self.media_roots]

    def all_media_roots(self) -> list[Path]:
        roots = [self.data_dir / "media", PROJECT_FIXTURES, *self.media_roots]
        return [r.resolve() for r in roots]

    def task_limit(self) -> int:
        """``max_tasks``, or when it is 0 (auto) TASKS_PER_CORE for each core this process may use."""
        return self.max_tasks or TASKS_PER_CORE * usable_cores()

    def worker_count(self) -> int:
        """``media_workers``, or when unset one worker per usable core."""
        return usable_cores() if self.media_workers is None else self.media_workers

    def provider_option(self, provider: str, name: str, default: Any = None) -> Any:
        return self.providers.get(provider, {}).get(name, default)


class SettingsError(ValueError):
    pass


# Ten small mixes (two 320x180 inputs, 10-15 fps) keep up on one core; more slow every mix down.
TASKS_PER_CORE = 10


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_ENV_FIELDS: dict[str, str] = {
    "MIXEMU_HOST": "host",
    "MIXEMU_PORT": "port",
    "MIXEMU_RTMP_PORT": "rtmp_port",
    "MIXEMU_DATA_DIR": "data_dir",
    "MIXEMU_MEDIA_ROOTS": "media_roots",
    "MIXEMU_AUTH": "auth",
    "MIXEMU_MEDIA_MODE": "media_mode",
    "MIXEMU_MAX_BODY_BYTES": "max_body_bytes",
    "MIXEMU_JOURNAL_SIZE": "journal_size",
    "MIXEMU_PUBLIC_HOST": "public_host",
    "MIXEMU_MAX_TASKS": "max_tasks",
    "MIXEMU_MEDIA_WORKERS": "media_workers",
    "MIXEMU_JITTER_MS": "jitter_ms",
    "MIXEMU_RECORDINGS_KEEP": "recordings_keep",
    "MIXEMU_RECORDINGS_MAX_BYTES": "recordings_max_bytes",
    "MIXEMU_CONTROL_TOKEN": "control_token",
    "MIXEMU_OUTBOUND_ALLOW": "outbound_allow",
}


def load_settings(
    config_file: str | Path | None = None,
    env: dict[str, str] | None = None,
    overrides: dict[str, Any] | None = None,
) -> Settings:
    """Build settings from the layers, highest last. ``overrides`` are command-line values (None = unset)."""
    env = dict(os.environ if env is None else env)
    settings = Settings()
    config_file = config_file or env.get("MIXEMU_CONFIG")
    if config_file:
        _apply_file(settings, Path(config_file))
    for var, name in _ENV_FIELDS.items():
        if var in env:
            _set(settings, name, env[var], source=var)
    for name, value in (overrides or {}).items():
        if value is not None:
            _set(settings, name, value, source=f"--{name.replace('_', '-')}")
    return settings


def _apply_file(settings: Settings, path: Path) -> None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SettingsError(f"config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"config file {path}: {exc}") from None
    section = data.get("emulator", {})
    for name, value in section.items():
        _set(settings, name, value, source=f"{path} [emulator].{name}")
    creds = data.get("credentials", {})
    for provider, apps in creds.items():
        for app in apps if isinstance(apps, list) else [apps]:
            settings.credentials.append(_credential(provider, app, f"{path} [credentials.{provider}]"))
    providers = data.get("providers", {})
    if not isinstance(providers, dict):
        raise SettingsError(f"{path} [providers]: expected tables")
    settings.providers.update(providers)


def _credential(provider: str, app: Any, source: str) -> Credential:
    if not isinstance(app, dict) or "app_id" not in app or "secret" not in app:
        raise SettingsError(f"{source}: needs app_id and secret")
    extra = {k: v for k, v in app.items() if k not in ("app_id", "secret")}
    for name in ("app_id", "secret", *(k for k in extra if k.endswith("secret"))):
        if problem := unusable_secret(str(app[name])):
            raise SettingsError(f"{source}: {name} {problem}")
    return Credential(provider, str(app["app_id"]), str(app["secret"]), extra)


def unusable_secret(value: str) -> str | None:
    """Why a secret (or id) could sign nothing: empty, or not text that UTF-8 can carry. None if usable."""
    if not value.strip():
        return "is empty"
    if "\x00" in value or any("\ud800" <= ch <= "\udfff" for ch in value):
        return "holds a NUL or a lone surrogate"
    return None


def _set(settings: Settings, name: str, raw: Any, *, source: str) -> None:
    fields = {f.name: f for f in dataclasses.fields(settings)}
    if name not in fields or name in ("credentials", "providers"):
        raise SettingsError(f"{source}: unknown setting {name!r}")
    try:
        value = _convert(name, raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{source}: {exc}") from None
    setattr(settings, name, value)


_COUNTS = (
    "max_tasks",
    "recordings_keep",
    "recordings_max_bytes",
    "jitter_ms",
)  # whole numbers >= 0, 0 = auto/no limit


def _convert(name: str, raw: Any) -> Any:
    if name in ("port", "max_body_bytes", "journal_size", *_COUNTS):
        value = int(raw)
        if value < 0 or (name == "port" and value > 65535):
            raise ValueError(f"{name} out of range: {raw}")
        return value
    if name == "media_workers":
        if raw is None or raw == "auto":
            return None
        try:
            value = int(raw)
        except (TypeError, ValueError):
            raise ValueError(f"media_workers must be a number of processes or auto, got {raw!r}") from None
        if not 0 <= value <= 256:
            raise ValueError(f"media_workers out of range (0..256 or auto): {raw}")
        return value
    if name == "rtmp_port":
        if raw in (None, "", "off", "none", -1, "-1"):
            return None
        value = int(raw)
        if not 0 <= value <= 65535:
            raise ValueError(f"rtmp_port out of range: {raw}")
        return value
    if name == "data_dir":
        return Path(raw)
    if name == "media_roots":
        items = raw.split(os.pathsep) if isinstance(raw, str) else list(raw)
        return [Path(p) for p in items if p]
    if name == "auth":
        if raw not in ("strict", "off"):
            raise ValueError("auth must be strict or off")
        return raw
    if name == "media_mode":
        if raw not in ("realtime", "fast"):
            raise ValueError("media_mode must be realtime or fast")
        return raw
    if name == "demo":
        return raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes", "on")
    if name in ("host", "public_host"):
        return str(raw)
    if name == "control_token":
        token = str(raw)
        if problem := unusable_secret(token):
            raise ValueError(f"control_token {problem}")
        return token
    if name == "outbound_allow":
        items = [p.strip() for p in raw.split(",")] if isinstance(raw, str) else [str(p) for p in raw]
        items = [p for p in items if p]
        check_entries(items)
        return items
    raise ValueError(f"cannot set {name}")
