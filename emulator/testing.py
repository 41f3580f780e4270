"""pytest plugin (entry point ``pytest11``): an in-process emulator for any test suite.

    def test_mix(mix_emulator):
        mix_emulator.publish("anchor", "pattern:bars?size=320x180")
        service.set_host(mix_emulator.host_port)       # point your SDK at it
        ...

One server per test session (per worker under pytest-xdist), on free ports, reset before every test that
uses ``mix_emulator``. Override ``mix_emulator_settings`` in your conftest.py to change its settings.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from emulator.client import ControlClient
from emulator.config import Settings
from emulator.context import EmulatorContext
from emulator.server import EmulatorThread


class EmulatorFixture(ControlClient):
    """The control client of a running in-process emulator, plus its addresses and internals."""

    def __init__(self, thread: EmulatorThread) -> None:
        super().__init__(thread.url)
        self.thread = thread

    @property
    def ctx(self) -> EmulatorContext:
        return self.thread.ctx

    @property
    def host(self) -> str:
        return self.ctx.settings.host

    @property
    def port(self) -> int:
        assert self.ctx.http_port is not None
        return self.ctx.http_port

    @property
    def host_port(self) -> str:
        """``127.0.0.1:PORT``, what SDK endpoint settings want."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return self.base_url

    def rtmp_url(self, stream_id: str, **query: str) -> str:
        """Where an RTMP client publishes ``stream_id`` (query: room_id, user_id)."""
        assert self.ctx.rtmp_port, "the RTMP server is off"
        suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
        return f"rtmp://{self.host}:{self.ctx.rtmp_port}/live/{stream_id}{suffix}"


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
def mix_emulator_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(port=0, rtmp_port=0, data_dir=tmp_path_factory.mktemp("mix-emulator"))


@pytest.fixture(scope="session")
def mix_emulator_server(mix_emulator_settings: Settings) -> Iterator[EmulatorThread]:
    thread = EmulatorThread(mix_emulator_settings).start()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.fixture
def mix_emulator(mix_emulator_server: EmulatorThread) -> EmulatorFixture:
    emulator = EmulatorFixture(mix_emulator_server)
    emulator.reset()
    return emulator
