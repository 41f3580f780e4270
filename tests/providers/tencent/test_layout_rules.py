"""The layout rules (layout.py) called directly with known source sizes: the canvas, the background's own
scaling, window sizes and flags, crop boxes from both sides, the output's frame rate, bitrate, audio and SEI,
and API 3.0's ControlParams. Expected geometry is worked out by hand in the comments."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from emulator.core.job import FitMode, Layer, MixJob, Rect, SeiSpec
from emulator.providers.tencent.errors import TencentError
from emulator.providers.tencent.layout import SourceFacts, build_job
from emulator.providers.tencent.params import ControlOptions, InputSpec, OutputOptions, parse_start
from tests.providers.tencent.helpers import start_para, stream

Size = tuple[int, int] | tuple[int, int, float]


def job_of(
    inputs: list[dict[str, Any]],
    sizes: dict[str, Size],
    *,
    control: ControlOptions | None = None,
    output: OutputOptions | None = None,
    **extra: Any,
) -> MixJob:
    """``sizes``: stream id -> (width, height[, fps]); a stream not named has no known size."""
    req = parse_start(start_para("s", inputs[0]["input_stream_id"], inputs, **extra))
    req = dataclasses.replace(req, control=control or ControlOptions(), output=output or OutputOptions())

    def lookup(spec: InputSpec) -> SourceFacts:
        known = sizes.get(spec.stream_id)
        if known is None:
            return SourceFacts(f"stream:{spec.stream_id}")
        fps = known[2] if len(known) == 3 else None  # type: ignore[misc]
        return SourceFacts(f"stream:{spec.stream_id}", known[0], known[1], fps)

    return build_job(req, lookup)


def refused(inputs: list[dict[str, Any]], sizes: dict[str, Size], **extra: Any) -> tuple[int, str]:
    with pytest.raises(TencentError) as error:
        job_of(inputs, sizes, **extra)
    return error.value.code, error.value.message


def layer(job: MixJob, layer_id: str) -> Layer:
    return next(lay for lay in job.layers if lay.id == layer_id)


def canvas_size(job: MixJob) -> tuple[int, int]:
    return job.canvas.width, job.canvas.height


# ----- the canvas
@pytest.mark.parametrize(
    ("background", "size"),
    [
        ({}, (640, 360)),  # its own size
        ({"image_width": 480, "image_height": 270}, (480, 270)),  # both in pixels: the output size
        ({"image_width": 0.5}, (320, 180)),  # a share of its own width, the height keeps the aspect
        ({"image_height": 0.5}, (320, 180)),
        ({"image_width": 500}, (500, 281)),  # 500 * 360 / 640 = 281.25
        ({"image_height": 270}, (480, 270)),  # 270 * 640 / 360
        ({"image_height": 100}, (178, 100)),  # 100 * 640 / 360 = 177.8
        ({"image_width": 0.5, "image_height": 0.25}, (320, 90)),
        ({"image_width": 500, "image_height": 0.5}, (500, 180)),
        ({"image_width": 0.25, "image_height": 300}, (160, 300)),
    ],
)
def test_the_background_sets_the_canvas(background: dict[str, Any], size: tuple[int, int]) -> None:
    job = job_of([stream("a", 1, **background), stream("b", 2)], {"a": (640, 360), "b": (160, 90)})
    assert canvas_size(job) == size
    assert job.canvas.color == "#000000"
    assert job.layers[0].rect == Rect(0, 0, *size)


def test_a_stream_background_keeps_a_black_canvas_whatever_its_colour() -> None:
    job = job_of([stream("a", 1, color="0xff0000"), stream("b", 2)], {"a": (64, 36), "b": (16, 9)})
    assert job.canvas.color == "#000000"


def test_the_output_is_at_most_3000_pixels_each_way() -> None:
    assert canvas_size(job_of([stream("a", 1), stream("b", 2)], {"a": (3000, 3000), "b": (16, 9)})) == (
        3000,
        3000,
    )
    for size in ((3001, 100), (100, 3001)):
        assert refused([stream("a", 1), stream("b", 2)], {"a": size, "b": (16, 9)}) == (
            -4,
            f"Stream params error, output size {size[0]}x{size[1]} not in (0, 3000]!",
        )


def canvas(**layout: Any) -> dict[str, Any]:
    return stream("canvas", 1, input_type=3, **layout)


def test_a_canvas_background_sets_size_and_colour() -> None:
    job = job_of(
        [canvas(image_width=400, image_height=300, color="0x3366FF"), stream("b", 2)], {"b": (160, 90)}
    )
    assert (*canvas_size(job), job.canvas.color) == (400, 300, "#3366ff")
    assert [lay.id for lay in job.layers] == ["b"]  # the canvas is the background colour, not a layer


@pytest.mark.parametrize(
    "size",
    [
        {"image_width": 400},
        {"image_height": 300},
        {"image_width": 0.5, "image_height": 300},
        {"image_width": 400, "image_height": 0.5},
    ],
)
def test_a_canvas_needs_both_sizes_in_pixels(size: dict[str, Any]) -> None:
    assert refused([canvas(**size), stream("b", 2)], {"b": (160, 90)}) == (
        -28,
        "Get background height and width failed, set the canvas size in pixels!",
    )


def test_a_canvas_without_size_takes_the_first_video_stream_by_layer() -> None:
    inputs = [
        canvas(),
        stream("voice", 2, input_type=4),
        stream("logo", 3, input_type=2, picture_id=1),
        stream("v", 5, input_type=5),
        stream("av", 4),
    ]
    sizes: dict[str, Size] = {"voice": (10, 10), "logo": (20, 20), "v": (300, 200), "av": (320, 240)}
    assert canvas_size(job_of(inputs, sizes, output_stream_type=1, output_stream_id="out")) == (320, 240)
    del inputs[4]  # a video-only stream counts too
    assert canvas_size(job_of(inputs, sizes, output_stream_type=1, output_stream_id="out")) == (300, 200)


def test_a_canvas_without_size_and_without_a_video_stream_is_code_28() -> None:
    inputs = [canvas(), stream("logo", 2, input_type=2, picture_id=1)]
    assert refused(inputs, {"logo": (20, 20)}, output_stream_type=1, output_stream_id="out") == (
        -28,
        "Get background height and width failed, the canvas has no size set!",
    )


def test_a_canvas_without_size_whose_stream_size_is_unknown_is_code_507() -> None:
    assert refused([canvas(), stream("b", 2)], {}, output_stream_type=1, output_stream_id="out") == (
        -507,
        "Get stream height and width failed, stream [b] size unknown!",
    )


def test_an_audio_background_under_pictures_is_code_28() -> None:
    assert refused([stream("a", 1, input_type=4), stream("b", 2)], {"a": (64, 36), "b": (16, 9)}) == (
        -28,
        "Get background height and width failed, the background is audio only!",
    )


def test_only_audio_inputs_make_an_audio_only_mix() -> None:
    crop = {"crop_x": 1, "crop_y": 1}  # an audio-only mix crops nothing, whatever the request says
    job = job_of(
        [stream("a", 1, input_type=4, crop=crop), stream("b", 2, input_type=4)],
        {"a": (64, 36)},
        output=OutputOptions(audio_bitrate=128_000, sample_rate=48_000, channels=1),
    )
    assert canvas_size(job) == (16, 16)
    out = job.outputs[0]
    assert out.video is None and out.audio is not None
    assert (out.audio.bitrate, out.audio.sample_rate, out.audio.channels) == (128_000, 48_000, 1)
    background = job.layers[0]
    assert (background.rect, background.crop, background.video, background.audio) == (None, None, False, True)
    assert background.freezes_canvas is False


# ----- windows
def test_a_tiny_share_still_leaves_a_window_of_one_pixel() -> None:
    job = job_of(
        [stream("a", 1), stream("b", 2, image_width=0.01, image_height=0.01)], {"a": (40, 40), "b": (16, 9)}
    )
    assert layer(job, "b").rect == Rect(0, 0, 1, 1)  # 0.4 rounds to 0


def test_one_window_size_keeps_its_source_aspect() -> None:
    sizes: dict[str, Size] = {"a": (640, 360), "b": (400, 300)}
    assert layer(job_of([stream("a", 1), stream("b", 2, image_height=90)], sizes), "b").rect == Rect(
        0, 0, 120, 90
    )
    assert layer(job_of([stream("a", 1), stream("b", 2, image_width=100)], sizes), "b").rect == Rect(
        0, 0, 100, 75
    )
    # A crop's aspect counts, not the source's: 100x50 cropped, 80 wide -> 40 high.
    crop = {"crop_x": 0, "crop_y": 0, "crop_width": 100, "crop_height": 50}
    job = job_of([stream("a", 1), stream("b", 2, crop=crop, image_width=80)], sizes)
    assert layer(job, "b").rect == Rect(0, 0, 80, 40)
    job = job_of([stream("a", 1), stream("b", 2, crop=crop, image_height=25)], sizes)
    assert layer(job, "b").rect == Rect(0, 0, 50, 25)


def test_a_window_of_unknown_size_is_left_to_the_engine() -> None:
    job = job_of([stream("a", 1), stream("b", 2, image_width=100, location_x=5)], {"a": (640, 360)})
    assert layer(job, "b").rect == Rect(5, 0, 100, None)
    job = job_of([stream("a", 1), stream("b", 2, image_width=100, image_height=50)], {"a": (640, 360)})
    assert layer(job, "b").rect == Rect(0, 0, 100, 50)


def test_a_canvas_window_needs_a_size() -> None:
    box = stream("box", 2, input_type=3, color="0x00ff00")
    assert refused([stream("a", 1), box], {"a": (64, 36)}) == (
        -507,
        "Get stream height and width failed, canvas [box] has no size!",
    )
    assert (
        refused(
            [stream("a", 1), {**box, "layout_params": {**box["layout_params"], "image_width": 10}}],
            {"a": (64, 36)},
        )[0]
        == -507
    )
    job = job_of([stream("a", 1), box], {"a": (600, 300)}, mix_stream_template_id=10)
    square = layer(job, "box")  # template 10: 600/3 x 300/3 at (20, 20)
    assert square.rect == Rect(20, 20, 200, 100)
    assert square.source == "pattern:color?color=#00ff00&size=200x100"
    assert (square.z, square.audio, square.keeps_alive) == (2, False, False)


def test_a_canvas_window_counts_as_a_template_window() -> None:
    inputs = [
        stream("a", 1),
        stream("box", 2, input_type=3, image_width=10, image_height=10),
        stream("voice", 3, input_type=4),
        stream("b", 4),
    ]
    job = job_of(inputs, {"a": (600, 300), "b": (60, 30), "voice": (1, 1)}, mix_stream_template_id=310)
    # 310: s1 top-left, s2 bottom-right (600 - 20 - 200, 300 - 20 - 100); the audio input is no window
    assert layer(job, "box").rect == Rect(20, 20, 10, 10)
    assert layer(job, "b").rect == Rect(380, 180, 200, 100)
    voice = layer(job, "voice")
    assert (voice.video, voice.rect, voice.z, voice.source) == (False, None, 3, "stream:voice")


def test_shares_of_the_background_place_a_window() -> None:
    job = job_of(
        [stream("a", 1), stream("b", 2, location_x=0.5, location_y=0.25, image_width=10, image_height=10)],
        {"a": (640, 360), "b": (16, 9)},
    )
    assert layer(job, "b").rect == Rect(320, 90, 10, 10)


@pytest.mark.parametrize(
    ("input_type", "audio", "keeps_alive", "bars"),
    [(0, True, True, "#000000"), (5, False, True, "#000000"), (2, False, False, None)],
)
def test_window_flags_by_input_type(
    input_type: int, audio: bool, keeps_alive: bool, bars: str | None
) -> None:
    job = job_of(
        [stream("a", 1), stream("b", 2, input_type=input_type, picture_id=3)], {"a": (64, 36), "b": (16, 9)}
    )
    window = layer(job, "b")
    assert (window.audio, window.keeps_alive, window.bar_color) == (audio, keeps_alive, bars)
    assert (window.fit, window.source_alpha, window.freezes_canvas, window.z) == (FitMode.FIT, True, False, 2)


@pytest.mark.parametrize(
    ("input_type", "audio", "freezes"), [(0, True, True), (5, False, True), (2, False, False)]
)
def test_background_flags_by_input_type(input_type: int, audio: bool, freezes: bool) -> None:
    job = job_of(
        [stream("a", 1, input_type=input_type, picture_id=3), stream("b", 2)], {"a": (64, 36), "b": (16, 9)}
    )
    background = job.layers[0]
    assert (background.audio, background.freezes_canvas, background.video) == (audio, freezes, True)
    assert (background.bar_color, background.fit, background.source_alpha) == ("#000000", FitMode.FIT, True)
    assert (background.rect, background.z, background.crop) == (Rect(0, 0, 64, 36), 1, None)


def test_crop_center_fills_streams_but_never_pictures() -> None:
    inputs = [stream("a", 1), stream("b", 2), stream("logo", 3, input_type=2, picture_id=3)]
    sizes: dict[str, Size] = {"a": (64, 36), "b": (16, 9), "logo": (8, 8)}
    job = job_of(inputs, sizes, control=ControlOptions(crop_center=True))
    assert [lay.fit for lay in job.layers] == [FitMode.FILL, FitMode.FILL, FitMode.FIT]
    inputs[0] = stream("a", 1, input_type=2, picture_id=4)
    job = job_of(inputs, sizes, control=ControlOptions(crop_center=True))
    assert job.layers[0].fit == FitMode.FIT


def test_a_pictures_alpha_applies_only_with_use_picture_transparent() -> None:
    inputs = [
        stream("a", 1, input_type=2, picture_id=4),
        stream("b", 2),
        stream("logo", 3, input_type=2, picture_id=3),
    ]
    sizes: dict[str, Size] = {"a": (64, 36), "b": (16, 9), "logo": (8, 8)}
    job = job_of(inputs, sizes, control=ControlOptions(picture_alpha=False))
    assert [lay.source_alpha for lay in job.layers] == [False, True, False]
    job = job_of(inputs, sizes, control=ControlOptions(picture_alpha=True))
    assert [lay.source_alpha for lay in job.layers] == [True, True, True]


# ----- crop boxes
@pytest.mark.parametrize(
    ("crop", "box"),
    [
        (
            {"crop_x": 220, "crop_y": 80, "crop_width": 100, "crop_height": 100},
            Rect(220, 80, 100, 100),
        ),  # to the edge
        ({"crop_x": 20, "crop_y": 30}, Rect(20, 30, 300, 150)),  # no size: to the right and bottom edges
        ({"crop_width": 320, "crop_height": 180}, Rect(0, 0, 320, 180)),
        (
            {"crop_x": 319, "crop_y": 179, "crop_width": 1, "crop_height": 1},
            Rect(319, 179, 1, 1),
        ),  # one pixel
    ],
)
def test_crop_boxes_inside_the_source(crop: dict[str, int], box: Rect) -> None:
    job = job_of([stream("a", 1), stream("b", 2, crop=crop)], {"a": (640, 360), "b": (320, 180)})
    assert layer(job, "b").crop == box


@pytest.mark.parametrize(
    ("crop", "shown"),
    [
        ({"crop_x": 221, "crop_width": 100}, "(221, 0, 100x180)"),
        ({"crop_y": 81, "crop_height": 100}, "(0, 81, 320x100)"),
        ({"crop_x": 320}, "(320, 0, 0x180)"),
        ({"crop_y": 180}, "(0, 180, 320x0)"),
        ({"crop_width": 321}, "(0, 0, 321x180)"),
    ],
)
def test_crop_boxes_past_the_source_are_code_29(crop: dict[str, int], shown: str) -> None:
    assert refused([stream("a", 1), stream("b", 2, crop=crop)], {"a": (640, 360), "b": (320, 180)}) == (
        -29,
        f"Crop params error, crop {shown} outside stream [b] of 320x180!",
    )


def test_a_background_crop() -> None:
    crop = {"crop_x": 10, "crop_y": 20, "crop_width": 300, "crop_height": 100}
    job = job_of([stream("a", 1, crop=crop), stream("b", 2)], {"a": (640, 360), "b": (16, 9)})
    assert job.layers[0].crop == Rect(10, 20, 300, 100)


def test_a_crop_of_a_stream_of_unknown_size_is_code_507() -> None:
    assert refused([stream("a", 1), stream("b", 2, crop={"crop_x": 1})], {"a": (64, 36)}) == (
        -507,
        "Get stream height and width failed, stream [b] size unknown!",
    )


def test_a_stream_used_three_times_gets_three_ids() -> None:
    inputs = [
        stream("a", 1),
        stream("a", 2, image_width=10, image_height=10),
        stream("a", 3, image_width=5, image_height=5),
    ]
    assert [lay.id for lay in job_of(inputs, {"a": (64, 36)}).layers] == ["a", "a#2", "a#3"]


# ----- the output
def test_the_frame_rate_comes_from_the_background_then_the_windows_by_layer() -> None:
    inputs = [stream("a", 1), stream("c", 3), stream("b", 2)]
    sizes: dict[str, Size] = {"a": (64, 36, 30.0), "b": (16, 9, 12.0), "c": (16, 9, 15.0)}
    assert job_of(inputs, sizes).outputs[0].video.fps == 30.0  # type: ignore[union-attr]
    sizes["a"] = (64, 36)
    assert job_of(inputs, sizes).outputs[0].video.fps == 12.0  # type: ignore[union-attr]
    sizes["b"] = (16, 9)
    assert job_of(inputs, sizes).outputs[0].video.fps == 15.0  # type: ignore[union-attr]
    output = OutputOptions(fps=20, gop_seconds=4)
    video = job_of(inputs, sizes, output=output).outputs[0].video
    assert video is not None and (video.fps, video.gop_seconds) == (20, 4)


def test_the_output_defaults() -> None:
    job = job_of([stream("a", 1), stream("b", 2)], {"a": (640, 360, 25.0), "b": (16, 9)})
    out = job.outputs[0]
    assert out.stream_id == "a"
    assert out.video is not None and out.audio is not None
    assert (out.video.fps, out.video.gop_seconds, out.video.bitrate) == (25.0, 2.0, 576_000)
    assert (out.audio.bitrate, out.audio.sample_rate, out.audio.channels) == (64_000, 44100, 2)
    assert (job.input_loss_timeout, job.idle_timeout, job.sei) == (900, 900, None)


@pytest.mark.parametrize(
    ("size", "bitrate"),
    [
        ((640, 360, 25.0), 576_000),  # 0.1 bit per pixel per frame
        ((160, 90, 25.0), 300_000),  # 36 000: raised to the 300 kbps floor
        ((400, 300, 25.0), 300_000),  # exactly the floor
        ((400, 300, 26.0), 312_000),
        ((1920, 1080, 60.0), 8_000_000),  # 12.4 Mbps: capped at 8 Mbps
        ((1600, 1000, 50.0), 8_000_000),  # exactly the cap
        ((1600, 1000, 49.0), 7_840_000),
    ],
)
def test_the_automatic_bitrate(size: tuple[int, int, float], bitrate: int) -> None:
    video = job_of([stream("a", 1), stream("b", 2)], {"a": size, "b": (16, 9)}).outputs[0].video
    assert video is not None and video.bitrate == bitrate


@pytest.mark.parametrize(
    ("control", "sei"),
    [
        (ControlOptions(), None),
        (ControlOptions(pass_input_sei=True), SeiSpec(user_data=None, pass_input=True)),
        (ControlOptions(mix_sei=b"abc"), SeiSpec(user_data="YWJj", pass_input=False)),
        (ControlOptions(mix_sei=b"abc", pass_input_sei=True), SeiSpec(user_data="YWJj", pass_input=True)),
        (ControlOptions(mix_sei=b""), SeiSpec(user_data=None, pass_input=False)),
    ],
)
def test_sei_from_mix_sei_and_pass_input_sei(control: ControlOptions, sei: SeiSpec | None) -> None:
    assert job_of([stream("a", 1), stream("b", 2)], {"a": (64, 36), "b": (16, 9)}, control=control).sei == sei


# ----- templates on odd sizes: positions stay whole pixels
@pytest.mark.parametrize(
    ("template", "index", "canvas", "window", "position"),
    [
        (390, 0, (640, 361), (320, 181), (20, 90)),  # (361 - 181) / 2 = 90
        (390, 0, (640, 361), (320, 180), (20, 90)),  # 181 / 2 = 90.5: rounded down
        (390, 1, (640, 361), (320, 180), (320, 90)),
        (391, 0, (641, 360), (320, 180), (150, 10)),  # (641 - 320 - 20) / 2 = 150.5
        (391, 1, (641, 360), (320, 180), (150, 200)),
        (610, 3, (641, 360), (214, 120), (213, 220)),  # (641 - 214) / 2 = 213.5
    ],
)
def test_template_positions_are_whole_pixels(
    template: int, index: int, canvas: tuple[int, int], window: tuple[int, int], position: tuple[int, int]
) -> None:
    from emulator.providers.tencent.templates import window_position

    placed = window_position(template, index, *canvas, *window)
    assert placed == position and all(type(value) is int for value in placed)


def test_the_output_is_at_least_one_pixel_each_way() -> None:
    assert canvas_size(job_of([stream("a", 1), stream("b", 2)], {"a": (1, 1), "b": (16, 9)})) == (1, 1)
    # 1 % of 40 pixels rounds to 0
    for size, shown in (({"image_width": 0.01}, "0x0"), ({"image_width": 0.01, "image_height": 0.5}, "0x20")):
        assert refused([stream("a", 1, **size), stream("b", 2)], {"a": (40, 40), "b": (16, 9)}) == (
            -4,
            f"Stream params error, output size {shown} not in (0, 3000]!",
        )
