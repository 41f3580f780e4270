"""The test author's kit: an in-process emulator with signed callers, waits and one-line assertions.

    from emulator.kit import Emulator

    with Emulator(media_mode="fast") as emu:          # free ports, a temporary data dir
        emu.publish("host", "pattern:color?color=#ff0000&size=320x180")
        emu.zego.call("StartMix", body)
        task = emu.wait_for("zego:12345:task1", frames=1)
        emu.assert_layout(task, {"host": (0, 0, 320, 180)})

The pytest plugin (emulator/testing.py) hands the same object to tests as ``mix_emulator``.
"""

from emulator.kit.emulator import Emulator
from emulator.kit.handle import EmulatorHandle

__all__ = ["Emulator", "EmulatorHandle"]
