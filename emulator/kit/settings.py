"""Settings for an emulator inside a test process: the caller's overrides on top of free ports and a
temporary data dir, so two test runs (or a test run beside ``make run``) never share a port or a folder."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emulator.config import Settings, SettingsError, load_settings

# Tasks run inside the test process unless a test asks for workers (``media_workers=1``): an emulator per
# test starts in milliseconds, where spawning workers takes about a second of CPU.
TEST_DEFAULTS: dict[str, Any] = {"port": 0, "rtmp_port": 0, "media_workers": 0}
_STRUCTURED = ("credentials", "providers")  # set as they are, not through the string converters


def changed_fields(settings: Settings) -> dict[str, Any]:
    """The fields of ``settings`` that differ from ``Settings()``: what its author set."""
    defaults = Settings()
    return {
        f.name: getattr(settings, f.name)
        for f in dataclasses.fields(Settings)
        if getattr(settings, f.name) != getattr(defaults, f.name)
    }


def overrides_of(settings: Settings | Mapping[str, Any] | None) -> dict[str, Any]:
    """A dict of setting names (values as a config file or flag would give them), or a ``Settings`` whose
    changed fields count (``Settings(media_mode="fast")`` keeps the free ports and the temporary dir)."""
    if settings is None:
        return {}
    return changed_fields(settings) if isinstance(settings, Settings) else dict(settings)


def merged_settings(overrides: Settings | Mapping[str, Any] | None, data_dir: str | Path) -> Settings:
    """``overrides`` (see :func:`overrides_of`) on top of free ports and ``data_dir``."""
    chosen = overrides_of(overrides)
    structured = {name: chosen.pop(name) for name in _STRUCTURED if name in chosen}
    merged = {**TEST_DEFAULTS, "data_dir": data_dir, **chosen}
    try:
        settings = load_settings(env={}, overrides=merged)  # env={}: a developer's MIXEMU_* stay out
    except SettingsError as exc:
        raise ValueError(f"emulator settings: {exc}") from None
    for name, value in structured.items():
        setattr(settings, name, value)
    return settings
