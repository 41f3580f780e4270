"""Freed memory goes back to the OS through glibc's malloc_trim (and mallopt tunes it), found at import."""

from __future__ import annotations

import platform

import pytest

from emulator.core.memory import _load_libc, release_free_memory


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="malloc_trim is glibc's")
def test_glibc_malloc_trim_is_found_and_runs() -> None:
    libc = _load_libc()
    assert libc is not None
    assert libc.malloc_trim(0) in (0, 1)  # 1: memory was released, 0: there was none to release
    release_free_memory()
