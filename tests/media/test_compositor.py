"""The compositor on known pictures: every check reads real pixels of the composed yuv420p frame."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from emulator.core.job import Canvas, FitMode, Layer, Rect, TextLabel
from emulator.media.compositor import CJK_FONTS, Compositor, even_size, place, render_label
from emulator.media.sources.frames import solid_frame
from tests.media.conftest import BLUE, GREEN, RED, WHITE, YELLOW, assert_rgb, near, rgb_at

CANVAS = Canvas(320, 180, "#0000ff")


def stripes(colors: list[tuple[int, int, int]], width: int = 200, height: int = 100) -> av.VideoFrame:
    """Vertical stripes of equal width, left to right, as a yuv420p frame (like a decoded video)."""
    rgb = np.zeros((height, width, 3), np.uint8)
    step = width // len(colors)
    for i, color in enumerate(colors):
        rgb[:, i * step : (i + 1) * step] = color
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")


def rgba_frame(width: int, height: int, rgba: tuple[int, int, int, int]) -> av.VideoFrame:
    pixels = np.empty((height, width, 4), np.uint8)
    pixels[...] = rgba
    return av.VideoFrame.from_ndarray(pixels, format="rgba")


def compose(layers: list[tuple[Layer, av.VideoFrame | None]], canvas: Canvas = CANVAS) -> av.VideoFrame:
    return Compositor(canvas).compose(layers)


def test_stretch_places_a_layer_and_leaves_the_background() -> None:
    layer = Layer(id="a", source="", rect=Rect(40, 20, 100, 60))
    out = compose([(layer, solid_frame(160, 90, RED))])
    assert (out.width, out.height, out.format.name) == (320, 180, "yuv420p")
    assert_rgb(out, 90, 50, RED)
    assert_rgb(out, 42, 22, RED)  # just inside the corners
    assert_rgb(out, 137, 77, RED)
    assert_rgb(out, 37, 50, BLUE)  # just outside
    assert_rgb(out, 143, 50, BLUE)
    assert_rgb(out, 90, 83, BLUE)


def test_rect_none_covers_the_canvas_and_missing_frames_draw_nothing() -> None:
    out = compose(
        [(Layer(id="a", source=""), solid_frame(16, 16, GREEN)), (Layer(id="b", source="", z=1), None)]
    )
    for x, y in ((0, 0), (160, 90), (319, 179)):
        assert_rgb(out, x, y, GREEN)


def test_rect_sizes_from_the_source_when_unset() -> None:
    native = Layer(id="a", source="", rect=Rect(10, 10))  # w, h None: the source's own 60x30
    derived = Layer(id="b", source="", rect=Rect(100, 10, 40))  # h from the 2:1 aspect: 20
    out = compose([(native, solid_frame(60, 30, RED)), (derived, solid_frame(60, 30, GREEN))])
    assert_rgb(out, 67, 37, RED)
    assert_rgb(out, 73, 45, BLUE)
    assert_rgb(out, 137, 27, GREEN)
    assert_rgb(out, 120, 33, BLUE)


def test_fit_keeps_aspect_with_transparent_or_coloured_bars() -> None:
    source = stripes([RED, GREEN, YELLOW, WHITE])  # 200x100 (2:1)
    rect = Rect(0, 0, 100, 100)  # fit -> 100x50 at y 25
    clear = compose([(Layer(id="a", source="", rect=rect, fit=FitMode.FIT), source)])
    assert_rgb(clear, 12, 50, RED)
    assert_rgb(clear, 87, 50, WHITE)
    assert_rgb(clear, 50, 10, BLUE)  # transparent bar: the canvas shows
    assert_rgb(clear, 50, 90, BLUE)
    barred = compose([(Layer(id="a", source="", rect=rect, fit=FitMode.FIT, bar_color="#ffff00"), source)])
    assert_rgb(barred, 50, 10, YELLOW)
    assert_rgb(barred, 50, 90, YELLOW)
    assert_rgb(barred, 12, 50, RED)
    assert_rgb(barred, 150, 50, BLUE)  # bars stay inside the rect


def test_fill_crops_the_overflow_centred() -> None:
    source = stripes([BLUE, RED, GREEN, YELLOW])  # 200x100: only the middle 100x100 (red | green) fits
    out = compose(
        [(Layer(id="a", source="", rect=Rect(0, 0, 100, 100), fit=FitMode.FILL), source)], Canvas(200, 100)
    )
    assert_rgb(out, 10, 50, RED)
    assert_rgb(out, 40, 50, RED)
    assert_rgb(out, 60, 50, GREEN)
    assert_rgb(out, 90, 50, GREEN)
    stretched = compose([(Layer(id="a", source="", rect=Rect(0, 0, 100, 100)), source)], Canvas(200, 100))
    assert_rgb(stretched, 10, 50, BLUE)  # stretch squeezes all four stripes in
    assert_rgb(stretched, 90, 50, YELLOW)


def test_crop_takes_source_pixels_before_scaling() -> None:
    source = stripes([BLUE, RED, GREEN, YELLOW])
    layer = Layer(id="a", source="", rect=Rect(0, 0, 80, 80), crop=Rect(100, 0, 50, 100))  # the green stripe
    out = compose([(layer, source)], Canvas(160, 100, "#000000"))
    for x in (3, 40, 76):
        assert_rgb(out, x, 40, GREEN)
    # A crop reaching past the source is clamped; one entirely outside draws nothing.
    clamped = Layer(id="b", source="", rect=Rect(0, 0, 80, 80), crop=Rect(150, 0, 500, 500))
    assert_rgb(compose([(clamped, source)], Canvas(160, 100)), 40, 40, YELLOW)
    assert place(Layer(id="c", source="", crop=Rect(300, 0, 10, 10)), 200, 100, 160, 100) is None


def test_z_order_then_list_order() -> None:
    low = Layer(id="low", source="", z=1, rect=Rect(0, 0, 100, 100))
    high = Layer(id="high", source="", z=5, rect=Rect(50, 0, 100, 100))
    out = compose([(high, solid_frame(8, 8, GREEN)), (low, solid_frame(8, 8, RED))])
    assert_rgb(out, 75, 50, GREEN)  # overlap: the higher z wins though it comes first
    assert_rgb(out, 25, 50, RED)
    tie_a = Layer(id="a", source="", rect=Rect(0, 0, 100, 100))
    tie_b = Layer(id="b", source="", rect=Rect(50, 0, 100, 100))
    out = compose([(tie_a, solid_frame(8, 8, RED)), (tie_b, solid_frame(8, 8, GREEN))])
    assert_rgb(out, 75, 50, GREEN)  # same z: the later layer is above


def test_png_alpha_blends_and_transparent_pixels_show_through() -> None:
    pixels = np.zeros((40, 80, 4), np.uint8)
    pixels[:, :40] = (255, 0, 0, 255)  # left: opaque red
    pixels[:, 40:] = (255, 0, 0, 128)  # right: half-transparent red
    logo = av.VideoFrame.from_ndarray(pixels, format="rgba")
    out = compose([(Layer(id="logo", source="", rect=Rect(0, 0, 80, 40)), logo)], Canvas(160, 80, "#0000ff"))
    assert_rgb(out, 20, 20, RED)
    half = rgb_at(out, 60, 20)
    assert near(half, (128, 0, 128), 16), half  # red over blue at 50 %
    invisible = compose(
        [(Layer(id="x", source="", rect=Rect(0, 0, 80, 40)), rgba_frame(8, 8, (0, 255, 0, 0)))]
    )
    assert_rgb(invisible, 40, 20, BLUE)


def test_opacity_blends_an_opaque_layer() -> None:
    layer = Layer(id="a", source="", rect=Rect(0, 0, 100, 100), opacity=0.5)
    out = compose([(layer, solid_frame(16, 16, RED))], Canvas(200, 100, "#00ff00"))
    assert near(rgb_at(out, 50, 50), (128, 128, 0), 16)
    assert_rgb(out, 150, 50, GREEN)
    hidden = compose(
        [(Layer(id="a", source="", opacity=0.0), solid_frame(16, 16, RED))], Canvas(64, 64, "#00ff00")
    )
    assert_rgb(hidden, 32, 32, GREEN)


def test_corner_radius_cuts_the_corners() -> None:
    layer = Layer(id="a", source="", rect=Rect(20, 20, 100, 80), corner_radius=30)
    out = compose([(layer, solid_frame(16, 16, RED))], Canvas(160, 120, "#0000ff"))
    assert_rgb(out, 22, 22, BLUE)  # outside the rounded corner
    assert_rgb(out, 117, 97, BLUE)
    assert_rgb(out, 70, 60, RED)
    assert_rgb(out, 70, 22, RED)  # edges between the corners stay
    assert_rgb(out, 22, 60, RED)


def test_corner_radius_rounds_the_bars_not_the_picture_inside() -> None:
    source = stripes([RED, GREEN, YELLOW, WHITE])  # 200x100 (2:1): fit into 100x100 -> 100x50 at y 45
    layer = Layer(
        id="a", source="", rect=Rect(20, 20, 100, 100), fit=FitMode.FIT, bar_color="#ffffff", corner_radius=30
    )
    out = compose([(layer, source)], Canvas(160, 160, "#0000ff"))
    assert_rgb(out, 22, 22, BLUE)  # the rect's corners are cut, bars included
    assert_rgb(out, 117, 117, BLUE)
    assert_rgb(out, 70, 22, WHITE)  # bars between the corners stay
    assert_rgb(out, 70, 117, WHITE)
    assert_rgb(out, 22, 47, RED)  # the picture's own corners are inside the rect: not rounded
    assert_rgb(out, 117, 92, WHITE)
    half = Layer(
        id="b", source="", rect=Rect(0, 0, 100, 100), fit=FitMode.FIT, bar_color="#ff0000", opacity=0.5
    )
    translucent = compose([(half, source)], Canvas(100, 100, "#000000"))
    assert_rgb(translucent, 50, 10, (128, 0, 0), 16)  # the bars take the layer's opacity too


def test_odd_sizes_and_clipping() -> None:
    assert even_size(321, 181) == (320, 180)
    assert even_size(1, 0) == (2, 2)
    canvas = Canvas(321, 181, "#0000ff")
    layers = [
        (Layer(id="odd", source="", rect=Rect(11, 7, 33, 21)), solid_frame(17, 9, RED)),
        (Layer(id="left", source="", rect=Rect(-50, 100, 100, 40)), stripes([GREEN, YELLOW])),
        (Layer(id="right", source="", rect=Rect(300, -10, 64, 64)), solid_frame(31, 31, WHITE)),
        (Layer(id="gone", source="", rect=Rect(400, 400, 10, 10)), solid_frame(8, 8, GREEN)),
        (Layer(id="zero", source="", rect=Rect(10, 10, 0, 5)), solid_frame(8, 8, GREEN)),
    ]
    out = compose(layers, canvas)
    assert (out.width, out.height) == (320, 180)
    assert_rgb(out, 27, 17, RED)
    assert_rgb(out, 8, 17, BLUE)
    assert_rgb(out, 47, 17, BLUE)
    # Only the right half (the yellow half) of the "left" layer is on the canvas.
    assert_rgb(out, 3, 120, YELLOW)
    assert_rgb(out, 46, 120, YELLOW)
    assert_rgb(out, 55, 120, BLUE)
    assert_rgb(out, 310, 20, WHITE)
    assert_rgb(out, 295, 20, BLUE)


def test_layout_follows_a_source_that_changes_resolution() -> None:
    layer = Layer(id="a", source="", rect=Rect(20, 20, 80, 60))
    compositor = Compositor(CANVAS)
    for frame in (solid_frame(160, 90, RED), solid_frame(64, 48, GREEN), solid_frame(320, 240, RED)):
        out = compositor.compose([(layer, frame)])
        assert_rgb(out, 60, 50, rgb_at(frame, 10, 10))
        assert_rgb(out, 97, 77, rgb_at(frame, 10, 10))
        assert_rgb(out, 103, 50, BLUE)


def test_background_image_is_stretched_under_the_layers() -> None:
    background = stripes([RED, GREEN], 64, 32)
    layer = Layer(id="a", source="", rect=Rect(140, 80, 40, 20))
    out = Compositor(CANVAS).compose([(layer, solid_frame(8, 8, WHITE))], background)
    assert_rgb(out, 40, 40, RED)
    assert_rgb(out, 280, 140, GREEN)
    assert_rgb(out, 160, 90, WHITE)


def test_labels_draw_text_over_their_layer() -> None:
    label = TextLabel(text="HELLO", font_size=32, color="#ffffff", x=4, y=4, background="#000000ff")
    layer = Layer(id="a", source="", rect=Rect(100, 50, 160, 80), label=label)
    out = compose([(layer, solid_frame(8, 8, RED))])
    rgb = out.to_ndarray(format="rgb24").astype(int)
    box = rgb[54:80, 104:180]
    assert (box.sum(axis=2) > 600).sum() > 50  # white strokes
    assert (box.sum(axis=2) < 60).sum() > 50  # on the black box
    assert_rgb(out, 200, 120, RED)  # the rest of the layer is untouched


@pytest.mark.skipif(
    not any(Path(font).exists() for font in CJK_FONTS),
    reason="no CJK font installed (make test installs fonts-wqy-microhei where apt-get can)",
)
def test_chinese_labels_draw_their_own_glyphs() -> None:
    def ink(text: str) -> int:
        _, alpha = render_label(text, 32, "#ffffff", None)
        return int((alpha > 128).sum())

    assert ink("麤") > 3 * ink("一")  # a font without CJK draws both as the same empty box


@pytest.mark.parametrize("fit", list(FitMode))
def test_same_frame_twice_gives_identical_output(fit: FitMode) -> None:
    compositor = Compositor(CANVAS)
    layer = Layer(id="a", source="", rect=Rect(5, 5, 101, 77), fit=fit, corner_radius=9)
    frame = stripes([RED, GREEN, YELLOW])
    first = compositor.compose([(layer, frame)]).to_ndarray()
    second = compositor.compose([(layer, frame)]).to_ndarray()  # from the scaled-frame cache
    assert np.array_equal(first, second)


def test_reused_canvas_frames_hold_exactly_the_new_picture() -> None:
    """Canvas frames are reused once released, and the background is redrawn only where needed: whatever
    the previous picture in a frame was, the result equals a fresh compositor's."""
    left, right = Rect(0, 0, 160, 180), Rect(160, 0, 160, 180)
    logo = Layer(id="logo", source="", rect=Rect(150, 80, 20, 20), z=1, opacity=0.5)
    layouts = [
        [(Layer(id="a", source="", rect=left), solid_frame(16, 16, RED))],
        [(Layer(id="a", source="", rect=left), solid_frame(16, 16, GREEN))],  # same rects: base kept
        [(Layer(id="a", source="", rect=right), solid_frame(16, 16, RED))],  # moved: base redrawn
        [(Layer(id="a", source="", rect=right), solid_frame(16, 16, RED)), (logo, solid_frame(8, 8, WHITE))],
        [(Layer(id="a", source="", rect=right), solid_frame(16, 16, GREEN))],
        [],
    ]
    compositor = Compositor(CANVAS)
    for layers in layouts * 3:  # frames are dropped at once: the pool hands the same ones out again
        expected = Compositor(CANVAS).compose(layers).to_ndarray()
        assert np.array_equal(compositor.compose(layers).to_ndarray(), expected)
    kept = compositor.compose(layouts[0])  # a caller keeps this one: it is never drawn over
    picture = kept.to_ndarray().copy()
    for layers in layouts * 2:
        assert compositor.compose(layers) is not kept
    assert np.array_equal(kept.to_ndarray(), picture)
