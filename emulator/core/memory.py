"""Handing freed memory back to the operating system.

A stopped task frees its encoders' and decoders' buffers at once, but glibc's allocator keeps freed pages
in its per-thread arenas, so the process's RSS would stay at its high-water mark after a burst of mixes.
``malloc_trim(0)`` returns those pages; elsewhere (musl, macOS) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util


def _load_trim():  # type: ignore[no-untyped-def]
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):  # not glibc
        return None


_malloc_trim = _load_trim()


def release_free_memory() -> None:
    """Return the allocator's free pages to the OS (glibc only); call it after large objects were freed."""
    if _malloc_trim is not None:
        _malloc_trim(0)
