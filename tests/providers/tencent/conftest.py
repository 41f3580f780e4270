"""Fixtures of the Tencent tests."""

from __future__ import annotations

import pytest

from emulator.testing import EmulatorFixture
from tests.providers.tencent.helpers import Tencent


@pytest.fixture
def tencent(mix_emulator: EmulatorFixture) -> Tencent:
    return Tencent(mix_emulator)
