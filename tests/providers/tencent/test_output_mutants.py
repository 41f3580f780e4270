"""The Tencent output settings and start-request limits, from both sides: the frame rate taken from the
background and clamped to [5, 60], the bitrate given in kbps or decided from the picture size, and the
codes of the limits the seed documents."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.core.job import VideoSpec
from emulator.core.streams import MediaInfo
from emulator.providers.tencent import translate
from tests.providers.tencent.helpers import start_para, stream


def info_of(**known: tuple[int, int, float | None]) -> Any:
    def info(stream_id: str) -> MediaInfo | None:
        if stream_id not in known:
            return None
        width, height, fps = known[stream_id]
        return MediaInfo(width=width, height=height, fps=fps)

    return info


def two_streams(**extra: Any) -> dict[str, Any]:
    inputs = [
        stream("bg", 1),
        stream("win", 2, image_width=80, image_height=60, location_x=10, location_y=10),
    ]
    return start_para("s", "out", inputs, output_stream_type=1, **extra)


def video_of(para: dict[str, Any], **known: tuple[int, int, float | None]) -> VideoSpec:
    video = translate(para, info_of(**known)).outputs[0].video
    assert video is not None
    return video


@pytest.mark.parametrize(
    ("fps", "expected"),
    [(1.0, 5.0), (4.9, 5.0), (5.0, 5.0), (5.1, 5.1), (30.0, 30.0), (60.0, 60.0), (60.5, 60.0), (120.0, 60.0)],
)
def test_the_background_frame_rate_is_clamped_to_5_60(fps: float, expected: float) -> None:
    video = video_of(two_streams(), bg=(640, 360, fps), win=(320, 180, 15.0))
    assert video.fps == expected


def test_without_the_background_rate_the_first_known_window_rate_counts() -> None:
    assert video_of(two_streams(), bg=(640, 360, None), win=(320, 180, 12.0)).fps == 12.0


def test_with_no_known_rate_the_output_runs_at_25() -> None:
    assert video_of(two_streams(), bg=(640, 360, None), win=(320, 180, None)).fps == 25.0


@pytest.mark.parametrize(("kbps", "bps"), [(1, 1_000), (800, 800_000), (50_000, 50_000_000)])
def test_output_stream_bitrate_is_in_kbps(kbps: int, bps: int) -> None:
    assert video_of(two_streams(output_stream_bitrate=kbps), bg=(640, 360, 25.0)).bitrate == bps


@pytest.mark.parametrize("kbps", [0, -1, 50_001])
def test_output_stream_bitrate_outside_1_50000_is_code_31004(kbps: int) -> None:
    with pytest.raises(ValueError, match=r"^code -31004: Output stream bitrate \[-?\d+\] invalid"):
        translate(two_streams(output_stream_bitrate=kbps), info_of(bg=(640, 360, 25.0)))


@pytest.mark.parametrize(
    ("size", "fps", "bps"),
    [
        ((1280, 720), 25.0, 2_304_000),  # 0.1 bit per pixel per frame
        ((400, 300), 25.0, 300_000),  # exactly the floor
        ((160, 90), 25.0, 300_000),  # 36 000 -> the floor
        ((1920, 1080), 40.0, 8_000_000),  # 8 294 400 -> the ceiling
        ((1920, 1080), 38.0, 7_879_680),  # just under it
        ((640, 360), 5.0, 300_000),  # 115 200 -> the floor
    ],
)
def test_an_unset_bitrate_follows_the_picture(size: tuple[int, int], fps: float, bps: int) -> None:
    assert video_of(two_streams(), bg=(*size, fps)).bitrate == bps


@pytest.mark.parametrize(
    ("extra", "code"),
    [
        ({"output_stream_type": 2}, -111),
        ({"output_stream_type": -1}, -111),
        ({"output_stream_type": 0}, -111),  # 0: the output must be one of the inputs, "out" is not
        ({"mix_stream_template_id": 999}, -20),
    ],
)
def test_start_request_codes(extra: dict[str, Any], code: int) -> None:
    para = two_streams()
    para.update(extra)
    with pytest.raises(ValueError, match=rf"^code {code}:"):
        translate(para, info_of(bg=(640, 360, 25.0)))


def test_output_type_0_reuses_an_input_id() -> None:
    inputs = [stream("bg", 1), stream("win", 2, image_width=80, image_height=60)]
    job = translate(start_para("s", "bg", inputs, output_stream_type=0), info_of(bg=(640, 360, 25.0)))
    assert job.outputs[0].stream_id == "bg"
    with pytest.raises(ValueError, match=r"^code -111:"):
        translate(start_para("s", "bg", inputs, output_stream_type=1), info_of(bg=(640, 360, 25.0)))


@pytest.mark.parametrize(("count", "code"), [(1, -21), (17, -3)])
def test_input_count_outside_2_16(count: int, code: int) -> None:
    inputs = [stream(f"s{n}", n + 1, image_width=10, image_height=10) for n in range(count)]
    with pytest.raises(ValueError, match=rf"^code {code}\b"):
        translate(start_para("s", "out", inputs, output_stream_type=1), info_of(s0=(640, 360, 25.0)))


def test_sixteen_inputs_are_accepted() -> None:
    inputs = [stream(f"s{n}", n + 1, image_width=10, image_height=10) for n in range(16)]
    job = translate(start_para("s", "out", inputs, output_stream_type=1), info_of(s0=(640, 360, 25.0)))
    assert len(job.layers) == 16
