"""Tests of mixes in a media worker process: the same emulator fixtures, with ``media_workers = 1``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.kit.handle import EmulatorHandle
from emulator.server import EmulatorThread
from tests.providers.zego.helpers import Zego


@pytest.fixture(scope="package")
def mix_emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorThread]:
    from emulator.kit.settings import merged_settings

    settings = merged_settings({"media_workers": 1}, tmp_path_factory.mktemp("worker-emulator"))
    thread = EmulatorThread(settings).start()
    try:
        yield thread
    finally:
        thread.stop()


@pytest.fixture
def mix_emulator(mix_emulator_server: EmulatorThread) -> EmulatorHandle:
    emulator = EmulatorHandle(mix_emulator_server)
    emulator.reset()
    return emulator


@pytest.fixture
def zego(mix_emulator: EmulatorHandle) -> Zego:
    return Zego(mix_emulator)
