"""spec.py: what a parsed request says about itself (rectangle sizes, what names an input, audio-only)."""

from __future__ import annotations

import pytest

from emulator.providers.zego.spec import Box, ExtraInput, InputSpec, MixSpec, OutputSpec


def test_box_size() -> None:
    box = Box(left=10, top=20, right=110, bottom=80)
    assert (box.width, box.height) == (100, 60)


def test_what_names_an_input() -> None:
    assert (
        InputSpec(stream_id="a", stream_url="rtmp://h/live/b", image_url="http://h/i.png").key
        == "rtmp://h/live/b"
    )
    assert InputSpec(stream_id="a", image_url="http://h/i.png").key == "a"
    assert InputSpec(image_url="http://h/i.png").key == "image:http://h/i.png"
    assert ExtraInput(stream_id="a", stream_url="rtmp://h/live/b").key == "rtmp://h/live/b"
    assert ExtraInput(stream_id="a", stream_url=None).key == "a"
    assert ExtraInput(stream_id=None, stream_url=None).key == ""


@pytest.mark.parametrize(
    ("width", "height", "audio_only"),
    [
        (0, 0, True),
        (1, 1, True),
        (1, 180, True),
        (320, 1, True),
        (320, 0, True),
        (2, 2, False),
        (320, 180, False),
    ],
)
def test_an_output_of_0_or_1_pixel_is_audio_only(width: int, height: int, audio_only: bool) -> None:
    assert OutputSpec("o", width=width, height=height).audio_only is audio_only


def test_a_mix_is_audio_only_when_every_output_is() -> None:
    def mix(*sizes: tuple[int, int]) -> MixSpec:
        outputs = [OutputSpec(f"o{i}", width=w, height=h) for i, (w, h) in enumerate(sizes)]
        return MixSpec(task_id="t", user_id="u", inputs=[], outputs=outputs)

    assert mix((1, 1), (0, 0)).audio_only
    assert not mix((1, 1), (320, 180)).audio_only
    assert not mix((320, 180), (1, 1)).audio_only
