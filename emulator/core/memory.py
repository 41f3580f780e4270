"""Handing freed memory back to the operating system.

A stopped task frees its encoders' and decoders' buffers at once, but glibc's allocator keeps freed pages
in its per-thread arenas, so the process's RSS would stay at its high-water mark after a burst of mixes.
``malloc_trim(0)`` returns those pages; elsewhere (musl, macOS) this does nothing. The ``tune_*`` functions
set glibc's options once per process so that fewer pages stay pinned in the first place (bench/soak.py
measures it).
"""

from __future__ import annotations

import ctypes
import ctypes.util

_M_MMAP_THRESHOLD = -3  # glibc's mallopt parameters (malloc.h)
_M_ARENA_MAX = -8
MMAP_THRESHOLD = 128 * 1024  # glibc's starting value
ARENAS = 2  # glibc arenas per process (media workers and a server whose mixes run in them)


def _load_libc():  # type: ignore[no-untyped-def]
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        return (
            libc if libc is not None and hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None
        )
    except OSError:  # not glibc
        return None


_libc = _load_libc()


def release_free_memory() -> None:
    """Return the allocator's free pages to the OS (glibc only); call it after large objects were freed."""
    if _libc is not None:
        _libc.malloc_trim(0)


def tune_for_a_server_without_media() -> None:
    """For a process whose mixes run in media workers: it handles requests and keeps records, no frames.

    glibc gives blocks over 128 KiB a mapping of their own, unmapped when freed, but raises that threshold
    (up to 32 MiB) each time such a block is freed; larger blocks (a task's last frame, a status off a
    worker's channel) then come from the heap, where a few small survivors keep their pages after a reset.
    A fixed threshold keeps them mapped. A mapping per large block costs where frames are made (about 10%
    more CPU rendering 1080p), so media workers keep glibc's moving threshold. Arenas as in workers."""
    if _libc is not None:
        _libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        _libc.mallopt(_M_ARENA_MAX, ARENAS)


def tune_for_a_media_worker() -> None:
    """A thread that meets another in glibc's allocator gets an arena of its own (up to 8 per core), and
    each arena keeps pages of its own after the tasks that used it stopped; a process's threads need few
    (no CPU cost measured rendering 1080p with two)."""
    if _libc is not None:
        _libc.mallopt(_M_ARENA_MAX, ARENAS)
