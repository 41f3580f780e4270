"""``Emulator``: an emulator started in this process, on free ports with a temporary data dir, for a
script, a unittest or pytest (the plugin's ``mix_emulator`` is the same object).

    with Emulator(media_mode="fast") as emu:
        ...
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from emulator.config import Settings
from emulator.kit.handle import EmulatorHandle
from emulator.kit.settings import merged_settings, overrides_of


class Emulator(EmulatorHandle):
    """``Emulator(settings=None, **overrides)``: ``settings`` a ``Settings`` or a dict, ``overrides``
    setting names (``media_mode="fast"``, ``data_dir="out"``, ``auth="off"`` ...). Unless given, the ports
    are free ones and the data dir a temporary folder removed at :meth:`stop`."""

    def __init__(self, settings: Settings | Mapping[str, Any] | None = None, **overrides: Any) -> None:
        from emulator.server import EmulatorThread

        chosen = {**overrides_of(settings), **overrides}
        self._own_dir = None if "data_dir" in chosen else Path(tempfile.mkdtemp(prefix="mix-emulator-"))
        thread = EmulatorThread(merged_settings(chosen, self._own_dir or chosen["data_dir"]))
        try:
            thread.start()
        except BaseException:  # a taken port, a bad setting: nothing of this emulator stays behind
            thread.stop()
            self._remove_own_dir()
            raise
        super().__init__(thread)

    def stop(self) -> None:
        """Stop every task and the server; remove the temporary data dir."""
        try:
            if self.thread.running is not None:
                self.reset()
        finally:
            self.thread.stop()
            self._remove_own_dir()

    def _remove_own_dir(self) -> None:
        if self._own_dir is not None:
            shutil.rmtree(self._own_dir, ignore_errors=True)

    def __enter__(self) -> Emulator:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
