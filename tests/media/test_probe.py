"""probe(): what each kind of source holds, and a clear MediaError for every kind of unusable one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from emulator.core.streams import MediaInfo
from emulator.media.clips import write_picture
from emulator.media.errors import MediaError
from emulator.media.live import LiveHub
from emulator.media.probe import probe


def test_files(clip) -> None:
    info = probe(str(clip("probe.mp4", size=(160, 90), fps=25, duration=1.0)))
    assert (info.width, info.height, info.fps, info.has_video, info.has_audio) == (160, 90, 25.0, True, True)
    assert info.duration == pytest.approx(1.0, abs=0.05)
    audio = probe(f"file://{clip('probe.m4a', video=None, duration=0.5)}")
    assert (audio.has_video, audio.has_audio, audio.width) == (False, True, None)
    assert audio.duration == pytest.approx(0.5, abs=0.05)
    mute = probe(str(clip("probe.flv", tone_hz=None, fps=10)))
    assert (mute.has_audio, mute.fps) == (False, 10.0)


def test_pictures_and_patterns(tmp_path: Path) -> None:
    png = write_picture(tmp_path / "logo.png", (48, 20), (1, 2, 3, 4))
    assert probe(str(png)) == MediaInfo(48, 20, None, True, False, None)
    assert probe("pattern:bars?size=64x32&fps=30&tone=440&duration=2") == MediaInfo(
        64, 32, 30.0, True, True, 2.0
    )
    assert probe("pattern:color").has_audio is False


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.mp4", None, "file not found"),
        ("empty.mp4", b"", "empty file"),
        ("noise.mp4", bytes(range(256)) * 40, "corrupt"),
        ("fake.png", b"\x89PNG not really", "cannot read picture"),
    ],
)
def test_unusable_files(tmp_path: Path, name: str, content: bytes | None, message: str) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(MediaError, match=message):
        probe(str(path))


def test_unusable_specs() -> None:
    for spec, message in [
        ("stream:cam", "not published"),
        ("pattern:plaid", "unknown pattern"),
        ("pattern:bars?size=9999x1", "out of range"),
        ("ftp://host/a.mp4", "unsupported source scheme"),
        ("live:cam", "live hub"),
    ]:
        with pytest.raises(MediaError, match=message):
            probe(spec)


def test_urls(http_root, clip) -> None:
    folder, base = http_root
    (folder / "cam.flv").write_bytes(clip("probe-http.flv").read_bytes())
    info = probe(f"{base}/cam.flv", timeout=5)
    assert (info.width, info.height, info.has_audio) == (160, 90, True)
    with pytest.raises(MediaError, match=r"cannot open .*missing\.flv"):
        probe(f"{base}/missing.flv", timeout=5)
    started = time.monotonic()
    with pytest.raises(MediaError, match="cannot open"):
        probe("http://127.0.0.1:9/cam.flv", timeout=1)  # nothing listens there
    assert time.monotonic() - started < 3


def test_live_channel(clip) -> None:
    hub = LiveHub()
    publisher = hub.open_publisher("cam")
    publisher.write(clip("probe-live.flv", duration=0.6).read_bytes())
    info = probe("live:cam", timeout=3, hub=hub)
    assert (info.width, info.height, info.has_video, info.has_audio, info.duration) == (
        160,
        90,
        True,
        True,
        None,
    )
    publisher.close()
