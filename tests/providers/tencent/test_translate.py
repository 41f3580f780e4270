"""The layout rules, through ``translate`` (the render command's entry): canvas, windows, templates,
fractions, crop, canvases, pictures, audio-only mixes and the output spec."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.core.job import FitMode, MixJob, Rect
from emulator.core.streams import MediaInfo
from emulator.providers.tencent import translate
from tests.providers.tencent.helpers import load, start_para, stream


def sizes(**known: tuple[int, int]) -> Any:
    def info(stream_id: str) -> MediaInfo | None:
        if stream_id not in known:
            return None
        width, height = known[stream_id]
        return MediaInfo(width=width, height=height, fps=30)

    return info


def rects(job: MixJob) -> dict[str, Rect | None]:
    return {layer.id: layer.rect for layer in job.layers}


def test_seed_start_example_places_the_small_window_in_pixels() -> None:
    job = translate(load("start"), sizes(stream_lewis01=(720, 1280), stream_lewis02=(320, 180)))
    assert (job.canvas.width, job.canvas.height) == (720, 1280)
    background, window = job.layers
    assert background.source == "stream:stream_lewis01"
    assert background.rect == Rect(0, 0, 720, 1280)
    assert background.freezes_canvas and background.fit == FitMode.FIT and background.bar_color == "#000000"
    assert window.source == "stream:stream_lewis02"
    assert window.rect == Rect(380, 630, 160, 240)
    assert window.fit == FitMode.FIT and window.bar_color == "#000000"  # 320x180 in 160x240: black bars
    assert not window.freezes_canvas
    assert [layer.z for layer in job.layers] == [1, 2]
    assert job.outputs[0].stream_id == "stream_lewis01"
    assert job.outputs[0].video is not None and job.outputs[0].video.fps == 30
    assert job.idle_timeout == 900 and job.input_loss_timeout == 900


def test_the_whole_body_or_just_para_translate_alike() -> None:
    info = sizes(stream_lewis01=(640, 360), stream_lewis02=(320, 180))
    body = load("start")
    assert translate(body, info).to_dict() == translate(body["interface"]["para"], info).to_dict()


def test_seed_crop_example_crops_then_scales() -> None:
    job = translate(load("crop"), sizes(stream_lewis01=(1280, 1280), **{"5000_lewis03": (640, 360)}))
    window = job.layers[1]
    assert window.crop == Rect(100, 1, 200, 100)
    assert window.rect == Rect(580, 830, 320, 240)
    assert window.z == 3


def test_crop_outside_the_source_is_code_29() -> None:
    with pytest.raises(ValueError, match=r"code -29: .*outside stream \[5000_lewis03\] of 250x100"):
        translate(load("crop"), sizes(stream_lewis01=(1280, 1280), **{"5000_lewis03": (250, 100)}))


def test_crop_without_size_runs_to_the_source_edge() -> None:
    para = start_para("s", "a", [stream("a", 1), stream("b", 2, crop={"crop_x": 100, "crop_y": 20})])
    job = translate(para, sizes(a=(640, 360), b=(320, 180)))
    assert job.layers[1].crop == Rect(100, 20, 220, 160)
    assert job.layers[1].rect == Rect(0, 0, 220, 160)  # no size given: the cropped source's own size


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        (10, [Rect(20, 20, 213, 120)]),
        (20, [Rect(407, 220, 213, 120)]),
        (30, [Rect(20, 220, 213, 120)]),
        (40, [Rect(407, 20, 213, 120)]),
        (50, [Rect(244, 400, 120, 68)]),
        (310, [Rect(20, 20, 213, 120), Rect(407, 220, 213, 120)]),
        (390, [Rect(20, 90, 320, 180), Rect(320, 90, 320, 180)]),
        (391, [Rect(150, 10, 320, 180), Rect(150, 200, 320, 180)]),
        (410, [Rect(20, 20, 213, 120), Rect(407, 220, 213, 120), Rect(20, 220, 213, 120)]),
        (
            510,
            [
                Rect(20, 20, 213, 120),
                Rect(407, 220, 213, 120),
                Rect(407, 20, 213, 120),
                Rect(20, 220, 213, 120),
            ],
        ),
        (
            590,
            [
                Rect(20, 20, 298, 167),
                Rect(322, 20, 298, 167),
                Rect(20, 173, 298, 167),
                Rect(322, 173, 298, 167),
            ],
        ),
        (
            610,
            [
                Rect(20, 20, 213, 120),
                Rect(407, 220, 213, 120),
                Rect(407, 20, 213, 120),
                Rect(213, 220, 213, 120),
                Rect(20, 220, 213, 120),
            ],
        ),
    ],
)
def test_template_geometry(template: int, expected: list[Rect]) -> None:
    ids = [f"s{n}" for n in range(len(expected) + 1)]
    inputs = [stream(stream_id, n + 1) for n, stream_id in enumerate(ids)]
    job = translate(
        start_para("s", "s0", inputs, mix_stream_template_id=template),
        sizes(**{stream_id: (640, 360) if n == 0 else (320, 180) for n, stream_id in enumerate(ids)}),
    )
    assert [layer.rect for layer in job.layers[1:]] == expected
    assert job.layers[0].rect == Rect(0, 0, 640, 360)


def test_template_values_are_overridden_one_by_one() -> None:
    para = start_para(
        "s", "a", [stream("a", 1), stream("b", 2, image_width=100, location_y=50)], mix_stream_template_id=10
    )
    assert rects(translate(para, sizes(a=(640, 360), b=(320, 180))))["b"] == Rect(20, 50, 100, 120)


def test_audio_inputs_do_not_count_for_a_template() -> None:
    para = start_para(
        "s",
        "a",
        [stream("a", 1), stream("b", 2), stream("voice", 3, input_type=4)],
        mix_stream_template_id=20,
    )
    job = translate(para, sizes(a=(640, 360), b=(320, 180), voice=(320, 180)))
    voice = job.layers[2]
    assert (voice.video, voice.audio, voice.rect) == (False, True, None)
    assert job.layers[1].rect == Rect(407, 220, 213, 120)


def test_fractions_are_shares_of_the_background() -> None:
    para = start_para(
        "s",
        "a",
        [stream("a", 1), stream("b", 2, image_width=0.25, image_height=0.5, location_x=0.1, location_y=0.2)],
    )
    assert rects(translate(para, sizes(a=(640, 360), b=(320, 180))))["b"] == Rect(64, 72, 160, 180)


def test_one_size_given_keeps_the_source_aspect() -> None:
    para = start_para("s", "a", [stream("a", 1), stream("b", 2, image_width=160)])
    assert rects(translate(para, sizes(a=(640, 360), b=(320, 180))))["b"] == Rect(0, 0, 160, 90)


def test_background_size_sets_the_output_size() -> None:
    para = start_para("s", "a", [stream("a", 1, image_width=480, image_height=270), stream("b", 2)])
    job = translate(para, sizes(a=(640, 360), b=(320, 180)))
    assert (job.canvas.width, job.canvas.height) == (480, 270)
    assert job.layers[0].rect == Rect(0, 0, 480, 270)


def test_seed_canvas_scenario() -> None:
    job = translate(load("canvas"), sizes(stream_lewis01=(320, 180), stream_lewis02=(320, 180)))
    assert (job.canvas.width, job.canvas.height, job.canvas.color) == (400, 640, "#000000")
    assert [layer.id for layer in job.layers] == ["stream_lewis01", "stream_lewis02"]
    assert rects(job) == {"stream_lewis01": Rect(40, 64, 160, 500), "stream_lewis02": Rect(200, 64, 160, 500)}
    assert not any(layer.freezes_canvas for layer in job.layers)


def test_a_canvas_without_size_takes_the_smallest_layer_stream() -> None:
    para = start_para(
        "s",
        "out",
        [stream("canvas", 1, input_type=3, color="0x99CCFF"), stream("b", 3), stream("a", 2)],
        output_stream_type=1,
    )
    job = translate(para, sizes(a=(320, 240), b=(640, 360)))
    assert (job.canvas.width, job.canvas.height, job.canvas.color) == (320, 240, "#99ccff")


def test_a_canvas_window_is_a_coloured_rectangle() -> None:
    para = start_para(
        "s",
        "a",
        [stream("a", 1), stream("box", 2, input_type=3, color="#cc0033", image_width=50, image_height=40)],
    )
    box = translate(para, sizes(a=(320, 180))).layers[1]
    assert box.source == "pattern:color?color=#cc0033&size=50x40"
    assert box.rect == Rect(0, 0, 50, 40) and box.audio is False


def test_canvas_and_audio_without_canvas_size_is_code_28() -> None:
    para = start_para(
        "s", "out", [stream("canvas", 1, input_type=3), stream("a", 2, input_type=4)], output_stream_type=1
    )
    with pytest.raises(ValueError, match="code -28"):
        translate(para, sizes(a=(320, 180)))


def test_unknown_size_of_the_background_stream_is_code_507() -> None:
    with pytest.raises(ValueError, match=r"code -507: .*\[stream_lewis01\]"):
        translate(load("start"), sizes(stream_lewis02=(320, 180)))


def test_seed_audio_scenario_is_an_audio_only_mix() -> None:
    job = translate(load("audio"), sizes())
    assert job.outputs[0].video is None and job.outputs[0].audio is not None
    assert [(layer.video, layer.audio) for layer in job.layers] == [(False, True), (False, True)]


def test_video_only_and_pictures_carry_no_audio() -> None:
    para = start_para(
        "s",
        "a",
        [stream("a", 1), stream("v", 2, input_type=5), stream("logo", 3, input_type=2, picture_id=10)],
    )
    job = translate(para, sizes(a=(320, 180), v=(160, 90), logo=(64, 32)))
    video, logo = job.layers[1:]
    assert (video.video, video.audio) == (True, False)
    assert (logo.source, logo.audio, logo.bar_color, logo.rect) == (
        "stream:logo",
        False,
        None,
        Rect(0, 0, 64, 32),
    )


def test_bitrate_is_in_kbps_and_automatic_when_unset() -> None:
    info = sizes(stream_lewis01=(640, 360), stream_lewis02=(320, 180))
    body = load("start")
    auto = translate(body, info).outputs[0].video
    body["interface"]["para"]["output_stream_bitrate"] = 800
    fixed = translate(body, info).outputs[0].video
    assert auto is not None and fixed is not None
    assert (auto.bitrate, fixed.bitrate) == (691_200, 800_000)


def test_a_stream_used_twice_gets_distinct_layer_ids() -> None:
    para = start_para("s", "a", [stream("a", 1), stream("a", 2, image_width=100, image_height=50)])
    assert [layer.id for layer in translate(para, sizes(a=(320, 180))).layers] == ["a", "a#2"]


def test_a_bad_body_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="code -21"):
        translate(start_para("s", "a", [stream("a", 1)]), sizes())
    with pytest.raises(ValueError, match="must be a JSON object"):
        translate([], sizes())  # type: ignore[arg-type]
