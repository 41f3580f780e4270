"""pytest plugin (entry point ``pytest11``): an in-process emulator for any test suite.

    def test_mix(mix_emulator):
        mix_emulator.publish("anchor", "pattern:bars?size=320x180")
        mix_emulator.zego.call("StartMix", body)                    # signed for you
        task = mix_emulator.wait_for("zego:12345:task1", frames=1)
        mix_emulator.assert_layout(task, {"anchor": (0, 0, 320, 180)})

One server per test session (per worker under pytest-xdist), on free ports with a temporary data dir, reset
before every test that uses ``mix_emulator`` (an ``emulator.kit.EmulatorHandle``). Override
``mix_emulator_settings`` in a conftest.py to return a dict (or a ``Settings``) of settings to change: they
are merged onto the free ports and the temporary data dir.

pytest imports this module in every run of every project that has the emulator installed, so it imports
nothing of the emulator until a fixture is used: the server, aiohttp and PyAV load on first use.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from emulator.config import Settings
    from emulator.kit.handle import EmulatorHandle
    from emulator.server import EmulatorThread


def __getattr__(name: str) -> Any:
    """``EmulatorFixture`` (the fixture's type, for annotations) loads with the kit, on first use."""
    if name == "EmulatorFixture":
        from emulator.kit.handle import EmulatorHandle

        return EmulatorHandle
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@contextmanager
def push_rtmp(clip: Path, url: str, *, loop: bool = True) -> Iterator[subprocess.Popen[bytes]]:
    """Push ``clip`` to ``url`` with FFmpeg's RTMP client in a child process (a real anchor) while inside.

    A child process, because FFmpeg's client holds the GIL while it connects: in-process it would stall an
    in-process emulator's RTMP server."""
    command = [sys.executable, "-m", "emulator", "push", str(clip), url, "--until-stdin-closes"]
    child = subprocess.Popen([*command, *([] if loop else ["--once"])], stdin=subprocess.PIPE)
    try:
        yield child
    finally:
        try:
            child.communicate(b"", timeout=15)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


@pytest.fixture(scope="session")
def mix_emulator_settings() -> dict[str, Any] | Settings:
    """Settings to change (override in a conftest.py): a dict such as ``{"media_mode": "fast"}`` or a
    ``Settings``; free ports and a temporary data dir are kept unless set here."""
    return {}


@pytest.fixture(scope="session")
def mix_emulator_server(
    mix_emulator_settings: dict[str, Any] | Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmulatorThread]:
    yield from serving(mix_emulator_settings, tmp_path_factory)


def serving(
    settings: dict[str, Any] | Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[EmulatorThread]:
    """An emulator thread with ``settings`` for the length of a fixture (``yield from serving(...)``)."""
    from emulator.kit.settings import merged_settings
    from emulator.server import EmulatorThread

    thread = EmulatorThread(merged_settings(settings, tmp_path_factory.mktemp("mix-emulator"))).start()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.fixture
def mix_emulator(mix_emulator_server: EmulatorThread) -> EmulatorHandle:
    from emulator.kit.handle import EmulatorHandle

    emulator = EmulatorHandle(mix_emulator_server)
    emulator.reset()
    return emulator
