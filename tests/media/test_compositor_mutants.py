"""Compositor paths mutation testing found unexercised: the background image, labels at and over the canvas
edges, sources with alpha (cropped, translucent, rounded), reuse of pooled canvas frames after layouts that
leave bars or labels behind, prescaled frames, the scaling filter, and exact alpha arithmetic."""

from __future__ import annotations

import av
import numpy as np
import pytest

from emulator.core.job import Canvas, FitMode, Layer, Rect, TextLabel
from emulator.media.compositor import POOL_FRAMES, Compositor, blend, color_yuv, rgba_of
from emulator.media.placement import Scaled, place
from emulator.media.sources.frames import YUVA, plane_views, solid_frame
from tests.media.conftest import BLACK, BLUE, GREEN, RED, WHITE, YELLOW, assert_rgb, near, rgb_at

CANVAS = Canvas(320, 180, "#0000ff")


def layer(**kwargs: object) -> Layer:
    return Layer(id=str(kwargs.pop("id", "l")), source="", **kwargs)  # type: ignore[arg-type]


def quadrants(width: int, height: int) -> av.VideoFrame:
    """Red top-left, green top-right, yellow bottom-left, white bottom-right."""
    rgb = np.zeros((height, width, 3), np.uint8)
    rgb[: height // 2, : width // 2] = RED
    rgb[: height // 2, width // 2 :] = GREEN
    rgb[height // 2 :, : width // 2] = YELLOW
    rgb[height // 2 :, width // 2 :] = WHITE
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


def rgba(
    width: int, height: int, left: tuple[int, int, int, int], right: tuple[int, int, int, int]
) -> av.VideoFrame:
    """An rgba frame (as a PNG decodes): the left half one colour, the right half another."""
    pixels = np.empty((height, width, 4), np.uint8)
    pixels[:, : width // 2], pixels[:, width // 2 :] = left, right
    return av.VideoFrame.from_ndarray(pixels, format="rgba")


def luma(frame: av.VideoFrame, x: int, y: int) -> int:
    return int(plane_views(frame)[0][y, x])


# ----- the background image


def test_a_background_image_is_stretched_over_the_whole_canvas() -> None:
    out = Compositor(CANVAS).compose([], background=quadrants(100, 100))  # square onto 16:9
    assert_rgb(out, 0, 0, RED)
    assert_rgb(out, 319, 0, GREEN)
    assert_rgb(out, 0, 179, YELLOW)
    assert_rgb(out, 319, 179, WHITE)
    assert_rgb(out, 300, 100, WHITE)  # y 100 of 180 is in the bottom half
    assert_rgb(out, 300, 80, GREEN)


def test_a_transparent_background_shows_the_canvas_colour() -> None:
    background = rgba(64, 64, (0, 0, 0, 0), (255, 0, 0, 255))
    out = Compositor(CANVAS).compose([], background=background)
    assert_rgb(out, 40, 90, BLUE)
    assert_rgb(out, 280, 90, RED)


def test_a_new_background_frame_redraws_what_an_unchanged_layer_leaves() -> None:
    compositor = Compositor(CANVAS)
    window = [(layer(rect=Rect(0, 0, 100, 100)), solid_frame(16, 16, WHITE))]
    for colour in (RED, GREEN, YELLOW):
        out = compositor.compose(window, background=solid_frame(32, 32, colour))
        assert_rgb(out, 200, 150, colour)
        assert_rgb(out, 50, 50, WHITE)
        del out  # released: the next compose reuses the frame


# ----- labels


def label_box(text: str = "    ") -> TextLabel:
    return TextLabel(text=text, font_size=24, x=10, y=5, background="#ff0000")


def test_a_label_sits_at_its_offset_inside_the_layer_rect() -> None:
    out = Compositor(CANVAS).compose(
        [(layer(rect=Rect(40, 20, 200, 100), label=label_box()), solid_frame(16, 16, WHITE))]
    )
    assert_rgb(out, 52, 27, RED)  # the box starts at (40 + 10, 20 + 5)
    assert_rgb(out, 46, 27, WHITE)
    assert_rgb(out, 52, 22, WHITE)


def test_a_label_is_blended_through_its_alpha() -> None:
    blank = TextLabel(text=" ", font_size=24, x=0, y=0)  # no glyph, no box: fully transparent
    out = Compositor(CANVAS).compose(
        [(layer(rect=Rect(0, 0, 100, 100), label=blank), solid_frame(16, 16, WHITE))]
    )
    for x, y in ((0, 0), (3, 3), (6, 10)):
        assert_rgb(out, x, y, WHITE)


def test_labels_over_every_canvas_edge_are_clipped() -> None:
    wide = Compositor(Canvas(320, 60, "#0000ff"))
    layers = [
        (
            layer(
                id="tl",
                rect=Rect(-20, -20, 60, 60),
                label=TextLabel("          ", 24, x=0, y=0, background="#ff0000"),
            ),
            None,
        ),
        (layer(id="br", rect=Rect(300, 50, 60, 60), label=label_box("          ")), None),
    ]
    frames = [(item, solid_frame(16, 16, WHITE)) for item, _ in layers]
    out = wide.compose(frames)
    assert_rgb(out, 1, 1, RED)  # the top-left label's visible part
    assert_rgb(out, 318, 58, RED)  # the bottom-right one starts at (310, 55)
    assert_rgb(out, 305, 58, WHITE)


# ----- sources with alpha


def test_a_cropped_source_keeps_its_alpha() -> None:
    source = rgba(64, 32, (255, 0, 0, 255), (0, 0, 0, 0))
    rgba_crop = layer(rect=Rect(0, 0, 100, 50), crop=Rect(16, 0, 32, 32))  # half opaque red, half clear
    out = Compositor(CANVAS).compose([(rgba_crop, source)])
    assert_rgb(out, 20, 25, RED)
    assert_rgb(out, 80, 25, BLUE)


def test_source_alpha_and_opacity_multiply() -> None:
    source = rgba(64, 32, (255, 0, 0, 255), (255, 0, 0, 0))
    out = Compositor(Canvas(64, 32, "#000000")).compose([(layer(opacity=0.5), source)])
    half = rgb_at(out, 10, 16)
    assert 110 <= half[0] <= 145 and half[1] < 20 and half[2] < 20  # half red over black
    assert_rgb(out, 50, 16, BLACK)  # transparent stays transparent


def yuva(width: int, height: int, y: int, alpha: int) -> av.VideoFrame:
    frame = av.VideoFrame(width, height, YUVA)
    planes = plane_views(frame)
    planes[0][...], planes[1][...], planes[2][...], planes[3][...] = y, 128, 128, alpha
    return frame


@pytest.mark.parametrize(
    ("alpha", "opacity", "radius", "expected"),
    [
        # worked out: the mask times alpha is (a * m + 127) // 255, then Y = (235 a + 16 (255 - a)) / 255
        (255, 1.0, 2, 235),  # 255 x 255 stays 255
        (128, 0.996, 0, 125),  # 128 x 254 -> 127 (127.5 rounds down) -> 124.98
        (128, 0.5, 0, 71),  # 128 x 128 -> 64 -> 70.96
    ],
)
def test_alpha_times_mask_is_exact(alpha: int, opacity: float, radius: int, expected: int) -> None:
    out = Compositor(Canvas(16, 16, "#000000")).compose(
        [(layer(opacity=opacity, corner_radius=radius), yuva(16, 16, 235, alpha))]
    )
    assert color_yuv("#000000")[0] == 16
    assert luma(out, 8, 8) == expected


def test_blend_rounds_exactly() -> None:
    src = np.full((1, 256), 235, np.uint8)
    dst = np.full((1, 256), 16, np.uint8)
    alpha = np.arange(256, dtype=np.uint8)[None, :]
    blend(dst, src, alpha)
    expected = [(235 * a + 16 * (255 - a) + 127) // 255 for a in range(256)]  # round half down of x / 255
    exact = [round((235 * a + 16 * (255 - a)) / 255) for a in range(256)]
    assert dst[0].tolist() == expected == exact


# ----- pooled canvas frames: whatever a frame held before, the result equals a fresh compositor's


def fresh(layers: list, canvas: Canvas = CANVAS) -> np.ndarray:  # type: ignore[type-arg]
    return Compositor(canvas).compose(layers).to_ndarray()


@pytest.mark.parametrize(
    "first",
    [
        [(layer(rect=Rect(0, 0, 160, 180), fit=FitMode.FIT, bar_color="#ffff00"), solid_frame(160, 90, RED))],
        [(layer(rect=Rect(0, 45, 160, 90), label=label_box()), solid_frame(160, 90, RED))],
    ],
    ids=["bars", "label"],
)
def test_a_frame_reused_after_bars_or_a_label_is_redrawn_whole(first: list) -> None:  # type: ignore[type-arg]
    then = [(layer(rect=Rect(0, 45, 160, 90)), solid_frame(160, 90, GREEN))]  # the same picture rect
    compositor = Compositor(CANVAS)
    for layers in (first, then, first, then):
        assert np.array_equal(compositor.compose(layers).to_ndarray(), fresh(layers))


def test_a_frame_reused_under_a_translucent_source_is_not_blended_twice() -> None:
    layers = [(layer(rect=Rect(0, 0, 100, 100)), rgba(16, 16, (255, 0, 0, 128), (255, 0, 0, 128)))]
    compositor = Compositor(CANVAS)
    expected = fresh(layers)
    for _ in range(3):
        assert np.array_equal(compositor.compose(layers).to_ndarray(), expected)


def test_more_frames_held_than_the_pool_keeps() -> None:
    compositor = Compositor(CANVAS)
    layers = [(layer(rect=Rect(0, 0, 100, 100)), solid_frame(16, 16, RED))]
    held = [compositor.compose(layers) for _ in range(POOL_FRAMES + 2)]
    assert len({id(frame) for frame in held}) == POOL_FRAMES + 2
    for frame in held:
        assert_rgb(frame, 50, 50, RED)
        assert_rgb(frame, 200, 50, BLUE)


def test_the_same_frame_under_a_new_layout_is_scaled_again() -> None:
    compositor = Compositor(CANVAS)
    frame = quadrants(64, 64)
    compositor.compose([(layer(rect=Rect(0, 0, 100, 100)), frame)])
    out = compositor.compose([(layer(rect=Rect(100, 0, 200, 180)), frame)])
    assert_rgb(out, 110, 10, RED)
    assert_rgb(out, 290, 170, WHITE)
    assert_rgb(out, 50, 50, BLUE)


def test_a_layer_showing_only_its_bars_draws_them() -> None:
    bars_only = layer(rect=Rect(0, 0, 300, 40), fit=FitMode.FIT, bar_color="#ffff00")  # picture at x 130..170
    out = Compositor(Canvas(120, 60, "#0000ff")).compose([(bars_only, solid_frame(16, 16, RED))])
    assert_rgb(out, 60, 20, YELLOW)
    assert_rgb(out, 60, 50, BLUE)


def test_a_layer_one_pixel_inside_the_canvas_draws_that_column() -> None:
    out = Compositor(Canvas(32, 16, "#000000")).compose(
        [(layer(rect=Rect(-9, 0, 10, 16)), solid_frame(16, 16, WHITE))]
    )
    assert luma(out, 0, 8) == 235 and luma(out, 1, 8) == 16


# ----- the scaling filter


def test_the_interpolation_asked_for_is_used() -> None:
    source = np.zeros((2, 4, 3), np.uint8)
    source[:, 2:] = WHITE  # black | white, scaled 4x
    frame = av.VideoFrame.from_ndarray(source, format="rgb24").reformat(format="yuv420p")
    rect = layer(rect=Rect(0, 0, 16, 8))
    nearest = Compositor(Canvas(16, 8), interpolation="POINT").compose([(rect, frame)])
    smooth = Compositor(Canvas(16, 8)).compose([(rect, frame)])
    assert [luma(nearest, x, 4) for x in (6, 7, 8, 9)] == [16, 16, 235, 235]  # a hard edge
    assert 16 < luma(smooth, 7, 4) < 235  # bilinear (the default) blends across it
    prescaled = Compositor(Canvas(16, 8), interpolation="POINT").prescaler(rect)(frame)
    assert prescaled is not None and plane_views(prescaled.frame)[0][4, 6:10].tolist() == [16, 16, 235, 235]


# ----- prescaled frames


def test_a_prescaler_scales_as_the_compositor_would() -> None:
    window = layer(rect=Rect(10, 10, 80, 40), crop=Rect(20, 10, 100, 50))
    compositor = Compositor(Canvas(160, 90))
    prescaler = compositor.prescaler(window)
    assert prescaler.key == compositor.geometry_key(window)
    frame = quadrants(160, 90)
    scaled = prescaler(frame)
    assert scaled is not None and scaled.source is frame
    assert (scaled.src_box, scaled.size) == ((20, 10, 120, 60), (80, 40))
    assert (scaled.frame.width, scaled.frame.height, scaled.frame.format.name) == (80, 40, "yuv420p")
    assert scaled.fits(place(window, 160, 90, 160, 90))  # type: ignore[arg-type]
    direct = compositor.compose([(window, frame)]).to_ndarray()
    assert np.array_equal(Compositor(Canvas(160, 90)).compose([(window, scaled)]).to_ndarray(), direct)


def test_a_prescaler_follows_a_source_that_changes_size() -> None:
    prescaler = Compositor(Canvas(160, 90)).prescaler(layer(rect=Rect(0, 0, None, 30)))
    small, large = prescaler(solid_frame(32, 16, RED)), prescaler(solid_frame(64, 64, GREEN))
    assert small is not None and small.size == (60, 30)  # 30 * 32 / 16
    assert large is not None and large.size == (30, 30)
    assert near(tuple(int(v) for v in large.frame.to_ndarray(format="rgb24")[15, 15]), GREEN)  # type: ignore[arg-type]


def test_a_prescaler_gives_none_when_nothing_shows() -> None:
    prescaler = Compositor(Canvas(160, 90)).prescaler(layer(rect=Rect(500, 0, 10, 10)))
    assert prescaler(solid_frame(16, 16, RED)) is None


def test_a_scaled_frame_for_another_layout_is_not_used() -> None:
    frame = quadrants(64, 64)
    old = Compositor(Canvas(160, 90)).prescaler(layer(rect=Rect(0, 0, 20, 20)))(frame)
    assert isinstance(old, Scaled)
    out = Compositor(Canvas(160, 90)).compose([(layer(rect=Rect(0, 0, 160, 90)), old)])
    assert_rgb(out, 5, 5, RED)
    assert_rgb(out, 155, 85, WHITE)  # scaled again for the layout at hand


# ----- colours


def test_unreadable_colours_fall_back_to_the_default() -> None:
    assert rgba_of("not-a-colour", "#00ff00") == (0, 255, 0, 255)
    assert rgba_of(None, "#0000ff80") == (0, 0, 255, 128)
    assert color_yuv("nonsense") == color_yuv("#000000")
    assert color_yuv("nonsense", "#ffffff") == color_yuv("#ffffff")


def test_blend_rounds_exactly_for_every_source_value() -> None:
    # x = s a + d (255 - a) hits every residue modulo 255 here (e.g. s 143, d 16, a 1: x = 255 * 16 + 127)
    src = np.repeat(np.arange(256, dtype=np.uint8)[:, None], 256, axis=1)
    alpha = np.repeat(np.arange(256, dtype=np.uint8)[None, :], 256, axis=0)
    dst = np.full((256, 256), 16, np.uint8)
    blend(dst, src, alpha)
    x = src.astype(np.int64) * alpha + 16 * (255 - alpha.astype(np.int64))
    assert np.array_equal(dst, (2 * x + 255) // 510)  # x / 255 rounded to nearest (never a tie: 255 is odd)


def test_a_frame_reused_after_other_bars_is_redrawn_whole() -> None:
    source = solid_frame(160, 80, RED)  # 2:1
    wide = [(layer(rect=Rect(0, 0, 160, 180), fit=FitMode.FIT, bar_color="#ffff00"), source)]
    tight = [
        (layer(rect=Rect(0, 50, 160, 80), fit=FitMode.FIT, bar_color="#ffff00"), source)
    ]  # the same picture
    compositor = Compositor(CANVAS)
    for layers in (wide, tight, wide, tight):
        assert np.array_equal(compositor.compose(layers).to_ndarray(), fresh(layers))


def test_a_label_overflowing_its_layer_is_not_blended_twice() -> None:
    labelled = [
        (layer(rect=Rect(0, 0, 40, 40), label=TextLabel("WWWW", 24, x=30, y=5)), solid_frame(16, 16, RED))
    ]
    compositor = Compositor(CANVAS)
    expected = fresh(labelled)
    for _ in range(3):
        assert np.array_equal(compositor.compose(labelled).to_ndarray(), expected)


def test_a_prescaler_gives_none_when_only_bars_show() -> None:
    bars_only = layer(rect=Rect(0, 0, 300, 40), fit=FitMode.FIT, bar_color="#ffff00")
    assert Compositor(Canvas(120, 60)).prescaler(bars_only)(solid_frame(16, 16, RED)) is None
