"""Finding the libavutil PyAV loaded, whose automatic thread count a media worker sets to one."""

from __future__ import annotations

from pathlib import Path

from emulator.media.ffmpeg_threads import loaded_libavutil

MAPS = """\
7f0a1000-7f0a2000 r--p 00000000 fd:01 1234   /usr/lib/x86_64-linux-gnu/libc.so.6
7f0a3000-7f0a4000 rw-p 00000000 00:00 0
7f0a5000-7f0a6000 r-xp 00001000 fd:01 5678   /venv/site-packages/av.libs/libavutil-5809ad29.so.60.26.102
"""


def test_the_mapped_libavutil_is_found(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    maps.write_text(MAPS)
    assert loaded_libavutil(maps) == "/venv/site-packages/av.libs/libavutil-5809ad29.so.60.26.102"


def test_none_without_it_or_without_the_maps(tmp_path: Path) -> None:
    maps = tmp_path / "maps"
    maps.write_text(MAPS.splitlines()[0] + "\n" + MAPS.splitlines()[1] + "\n")
    assert loaded_libavutil(maps) is None
    assert loaded_libavutil(tmp_path / "missing") is None


def test_this_process_maps_the_one_pyav_uses() -> None:
    import av

    path = loaded_libavutil()
    assert path is not None and Path(path).exists()
    assert Path(av.__file__).parent.parent.as_posix() in path or "/lib" in path
