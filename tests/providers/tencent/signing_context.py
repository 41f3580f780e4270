"""A real EmulatorContext for the signature tests that call the auth functions directly (no server)."""

from __future__ import annotations

from pathlib import Path

from emulator.config import DEFAULT_CREDENTIALS, AuthMode, Credential, Settings
from emulator.context import EmulatorContext


def signing_context(
    data_dir: Path, *, auth: AuthMode = "strict", extra: tuple[Credential, ...] = ()
) -> EmulatorContext:
    """The default credentials (the seed's appid 1252500000 and key) plus ``extra``, newest last."""
    settings = Settings(
        data_dir=data_dir,
        auth=auth,
        media_workers=0,
        rtmp_port=None,
        credentials=[*DEFAULT_CREDENTIALS, *extra],
    )
    return EmulatorContext.create(settings)
