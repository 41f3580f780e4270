"""Tests of mixes in a media worker process: the same emulator fixtures, with ``media_workers = 1``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from emulator.kit.handle import EmulatorHandle
from emulator.server import EmulatorThread
from emulator.testing import serving
from tests.providers.zego.helpers import Zego


@pytest.fixture(scope="package")
def mix_emulator_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorThread]:
    yield from serving({"media_workers": 1}, tmp_path_factory)


@pytest.fixture
def zego(mix_emulator: EmulatorHandle) -> Zego:
    return Zego(mix_emulator)
