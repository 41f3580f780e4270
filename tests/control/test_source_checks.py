"""File sources: refused with the media roots searched, by /streams and /urls alike; str paths in Settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.client import ControlError
from emulator.config import Settings
from emulator.testing import EmulatorFixture


@pytest.mark.parametrize("route", ["streams", "urls"])
def test_a_missing_file_is_refused_naming_the_roots(mix_emulator: EmulatorFixture, route: str) -> None:
    with pytest.raises(ControlError) as refused:
        if route == "streams":
            mix_emulator.publish("cam", "clips/nope.mp4")
        else:
            mix_emulator.map_url("https://cdn.example.org/nope.mp4", "clips/nope.mp4")
    error = refused.value.body["error"]
    assert refused.value.status == 400 and error["field"] == "source"
    assert str(mix_emulator.data_dir.resolve() / "media") in error["message"]
    assert "clips/nope.mp4" in error["message"] and "current directory" in error["message"]


def test_a_file_that_does_not_decode_is_refused_by_urls_too(mix_emulator: EmulatorFixture) -> None:
    junk = mix_emulator.data_dir / "media" / "junk.mp4"
    junk.write_bytes(b"not a video")
    with pytest.raises(ControlError) as refused:
        mix_emulator.map_url("https://cdn.example.org/junk.mp4", "junk.mp4")
    assert refused.value.status == 400 and refused.value.body["error"]["field"] == "source"
    assert mix_emulator.urls() == []


def test_a_relative_path_is_found_in_a_media_root(mix_emulator: EmulatorFixture) -> None:
    from PIL import Image

    Image.new("RGB", (32, 18), (0, 255, 0)).save(mix_emulator.data_dir / "media" / "green.png")
    mix_emulator.map_url("https://cdn.example.org/green.png", "green.png")
    assert mix_emulator.publish("still", "green.png")["stream_id"] == "still"


def test_settings_take_str_paths(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path), media_roots=[str(tmp_path / "more")])  # type: ignore[arg-type]
    assert settings.data_dir == tmp_path and settings.media_roots == [tmp_path / "more"]
    assert tmp_path / "media" in settings.all_media_roots()
