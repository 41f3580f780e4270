"""FFmpeg's own thread pools off, for processes that run many mixes at once (the media workers).

Where a thread count is left at "auto", FFmpeg starts a pool of one thread per core (capped at 8-16):
filter graphs, swscale, slice-threaded decoders. The emulator asks for one thread wherever it can, but PyAV
re-frames an audio encoder's input through a filter graph of its own whose thread count it does not expose,
so each AAC output kept a pool of idle threads: 2 per task here, up to 16 on a large CI machine.
``av_cpu_force_count(1)`` makes "auto" mean one thread in the whole process. A worker hosting many tasks
gets its parallelism from the tasks; x264 counts the cores itself, so fast mode keeps its frame threads.
"""

from __future__ import annotations

import ctypes
import functools
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def loaded_libavutil(maps: Path = Path("/proc/self/maps")) -> str | None:
    """The libavutil this process loaded for PyAV (bundled with the wheel, or the system's)."""
    try:
        lines = maps.read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split(maxsplit=5)  # address, perms, offset, device, inode, then the path if any
        if len(fields) == 6 and Path(fields[5]).name.startswith("libavutil"):
            return fields[5]
    return None


@functools.cache
def single_threaded_ffmpeg() -> bool:
    """Make FFmpeg's automatic thread counts one thread, process-wide (once; after PyAV is imported);
    False where that is not possible."""
    import av  # noqa: F401  (loads libavutil, which the maps then list)

    path = loaded_libavutil()
    if path is None:
        log.info("libavutil not found in this process's maps: FFmpeg keeps its automatic thread counts")
        return False
    ctypes.CDLL(path).av_cpu_force_count(1)
    return True
