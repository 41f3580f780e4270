"""Fixtures of the ZEGO tests."""

from __future__ import annotations

import pytest

from emulator.testing import EmulatorFixture
from tests.providers.zego.helpers import Zego


@pytest.fixture
def zego(mix_emulator: EmulatorFixture) -> Zego:
    return Zego(mix_emulator)
