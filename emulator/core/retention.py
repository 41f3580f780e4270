"""Recording retention: a long-running emulator keeps its newest recordings only.

Recordings stay after their task stops (tests and users inspect them); the folder keeps at most ``keep``
files and ``max_bytes`` in all, the oldest (by modification time) removed first. Files that running tasks
still write are never removed, nor counted against the limits.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path

log = logging.getLogger(__name__)

RECORDING_SUFFIX = ".mp4"


def prune_recordings(folder: Path, *, keep: int, max_bytes: int, protected: Collection[Path] = ()) -> int:
    """Remove the oldest recordings under ``folder`` beyond ``keep`` files or ``max_bytes`` (0 = no such
    limit); empty task folders go too. Returns how many files were removed."""
    if not keep and not max_bytes:
        return 0
    protected = {p.resolve() for p in protected}
    found = []
    for path in folder.glob(f"*/*{RECORDING_SUFFIX}"):
        try:
            stat = path.stat()
        except OSError:  # removed meanwhile
            continue
        if path.resolve() not in protected:
            found.append((stat.st_mtime, stat.st_size, path))
    found.sort(reverse=True)  # newest first: once a limit is reached, everything older goes
    kept, kept_bytes, removed, full = 0, 0, 0, False
    for _, size, path in found:
        full = full or bool(keep and kept >= keep) or bool(max_bytes and kept_bytes + size > max_bytes)
        if not full:
            kept, kept_bytes = kept + 1, kept_bytes + size
        else:
            try:
                path.unlink()
                removed += 1
                path.parent.rmdir()  # only when it was the task's last recording
            except OSError:
                pass
    if removed:
        log.info("recordings: removed the %d oldest (keep %d, at most %d bytes)", removed, keep, max_bytes)
    return removed
