"""Layer geometry with the expected numbers written out (worked by hand from the rules in placement.py's
docstring), so a one-line slip in crop, fit, fill, derived sizes or clipping changes a value here."""

from __future__ import annotations

import av
import numpy as np
import pytest

from emulator.core.job import Canvas, FitMode, Layer, Rect
from emulator.media.compositor import Compositor
from emulator.media.placement import Placement, place
from emulator.media.sources.frames import solid_frame
from tests.media.conftest import BLUE, GREEN, RED, assert_rgb


def geometry(placement: Placement | None) -> tuple | None:
    """The numbers of a placement (masks aside)."""
    if placement is None:
        return None
    return placement.src_box, placement.size, placement.at, placement.bars, placement.rect


def layer(**kwargs) -> Layer:  # type: ignore[no-untyped-def]
    return Layer(id="l", source="", **kwargs)


# ----- fill: the overflow is cut centred, on whichever axis overflows


def test_fill_a_tall_source_overflows_vertically_and_is_cut_top_and_bottom() -> None:
    # 160x360 into 80x90: scale max(0.5, 0.25) = 0.5 -> 80x180, so 90 of 180 rows show: source rows 90..270.
    got = place(layer(rect=Rect(10, 20, 80, 90), fit=FitMode.FILL), 160, 360, 200, 200)
    assert geometry(got) == ((0, 90, 160, 270), (80, 90), (10, 20), None, (10, 20, 80, 90))


def test_fill_a_wide_source_overflows_horizontally_and_is_cut_left_and_right() -> None:
    got = place(layer(rect=Rect(0, 0, 100, 100), fit=FitMode.FILL), 200, 100, 100, 100)
    assert geometry(got) == ((50, 0, 150, 100), (100, 100), (0, 0), None, (0, 0, 100, 100))


def test_fill_of_a_tall_source_shows_its_middle_on_the_canvas() -> None:
    rgb = np.zeros((120, 40, 3), np.uint8)  # 40x120: red, green, blue bands of 40 rows
    rgb[:40], rgb[40:80], rgb[80:] = RED, GREEN, BLUE
    source = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format="yuv420p")
    out = Compositor(Canvas(40, 40, "#000000")).compose([(layer(fit=FitMode.FILL), source)])
    for x, y in ((2, 2), (20, 20), (37, 37)):
        assert_rgb(out, x, y, GREEN)  # only the middle band


def test_fill_with_the_source_aspect_cuts_nothing() -> None:
    got = place(layer(rect=Rect(0, 0, 80, 45), fit=FitMode.FILL), 160, 90, 160, 90)
    assert geometry(got) == (None, (80, 45), (0, 0), None, (0, 0, 80, 45))


# ----- fit: scaled inside, centred, bars only with a colour


def test_fit_a_wide_source_is_centred_vertically() -> None:
    # 160x90 into 100x100: scale min(0.625, 1.11) = 0.625 -> 100x56 (56.25 rounded), at y (100-56)//2 = 22.
    got = place(layer(rect=Rect(0, 0, 100, 100), fit=FitMode.FIT), 160, 90, 200, 200)
    assert geometry(got) == (None, (100, 56), (0, 22), None, (0, 0, 100, 100))


def test_fit_a_tall_source_is_centred_horizontally_with_bars_over_the_rect() -> None:
    got = place(layer(rect=Rect(10, 0, 100, 100), fit=FitMode.FIT, bar_color="#000000"), 90, 160, 200, 200)
    assert geometry(got) == (None, (56, 100), (32, 0), (10, 0, 100, 100), (10, 0, 100, 100))


def test_fit_bars_are_clipped_to_the_canvas() -> None:
    got = place(layer(rect=Rect(-20, 0, 100, 50), fit=FitMode.FIT, bar_color="#000000"), 100, 100, 60, 60)
    # the picture: 50x50 at x -20 + 25 = 5; the bars: the rect's visible part, x 0..60
    assert geometry(got) == (None, (50, 50), (5, 0), (0, 0, 60, 50), (-20, 0, 100, 50))


def test_fit_with_bars_whose_picture_is_off_canvas_still_draws_the_bars() -> None:
    got = place(layer(rect=Rect(0, 0, 100, 20), fit=FitMode.FIT, bar_color="#000000"), 10, 10, 30, 30)
    # the 20x20 picture sits at x 40, outside the 30-wide canvas; the bars show from 0 to 30
    assert got is not None and got.size == (0, 0) and got.src_box is None
    assert got.bars == (0, 0, 30, 20)
    assert place(layer(rect=Rect(0, 0, 100, 20), fit=FitMode.FIT), 10, 10, 30, 30) is None


# ----- a window given only one side takes the other from the source's aspect


@pytest.mark.parametrize(
    ("rect", "expected"),
    [
        (Rect(0, 0, None, 50), (89, 50)),  # 50 * 160 / 90 = 88.9
        (Rect(0, 0, None, 100), (178, 100)),  # 177.8
        (Rect(0, 0, 100, None), (100, 56)),  # 100 * 90 / 160 = 56.25
        (Rect(0, 0, 80, None), (80, 45)),
        (Rect(0, 0, None, None), (160, 90)),  # the source's own size
    ],
)
def test_a_window_given_one_side_keeps_the_source_aspect(rect: Rect, expected: tuple[int, int]) -> None:
    got = place(layer(rect=rect), 160, 90, 400, 400)
    assert got is not None and got.rect == (0, 0, *expected) and got.size == expected


def test_a_derived_side_is_at_least_one_pixel() -> None:
    assert place(layer(rect=Rect(0, 0, 1, None)), 1000, 1, 50, 50).rect == (0, 0, 1, 1)  # type: ignore[union-attr]
    assert place(layer(rect=Rect(0, 0, None, 1)), 1, 1000, 50, 50).rect == (0, 0, 1, 1)  # type: ignore[union-attr]


def test_a_window_of_zero_size_shows_nothing_and_one_pixel_shows() -> None:
    assert place(layer(rect=Rect(0, 0, 0, 10)), 16, 16, 50, 50) is None
    assert place(layer(rect=Rect(0, 0, 10, 0)), 16, 16, 50, 50) is None
    assert geometry(place(layer(rect=Rect(3, 4, 1, 1)), 16, 16, 50, 50)) == (
        None,
        (1, 1),
        (3, 4),
        None,
        (3, 4, 1, 1),
    )


def test_a_window_given_only_its_height_draws_that_wide_on_the_canvas() -> None:
    out = Compositor(Canvas(200, 100, "#0000ff")).compose(
        [(layer(rect=Rect(0, 0, None, 50)), solid_frame(160, 90, RED))]  # 89x50
    )
    assert_rgb(out, 86, 25, RED)
    assert_rgb(out, 92, 25, BLUE)
    assert_rgb(out, 40, 53, BLUE)


# ----- crop: even origin, clamped to the source, None sides run to the edge


def test_crop_origin_is_snapped_down_to_even_and_the_far_edge_kept() -> None:
    got = place(layer(rect=Rect(0, 0, 100, 100), crop=Rect(31, 21, 50, 40)), 160, 90, 100, 100)
    assert geometry(got) == ((30, 20, 81, 61), (100, 100), (0, 0), None, (0, 0, 100, 100))


def test_crop_without_size_runs_to_the_source_edges() -> None:
    got = place(layer(rect=Rect(0, 0, 60, 40), crop=Rect(40, 10)), 160, 90, 100, 100)
    assert geometry(got) == ((40, 10, 160, 90), (60, 40), (0, 0), None, (0, 0, 60, 40))


def test_crop_sizes_the_window_when_the_rect_has_none() -> None:
    got = place(layer(rect=Rect(5, 5), crop=Rect(0, 0, 40, 30)), 160, 90, 100, 100)
    assert geometry(got) == ((0, 0, 40, 30), (40, 30), (5, 5), None, (5, 5, 40, 30))


def test_crop_is_clamped_to_the_source_on_every_side() -> None:
    got = place(layer(rect=Rect(0, 0, 10, 50), crop=Rect(150, -10, 50, 60)), 160, 90, 100, 100)
    assert geometry(got) == ((150, 0, 160, 50), (10, 50), (0, 0), None, (0, 0, 10, 50))


@pytest.mark.parametrize(
    ("crop", "visible"),
    [
        (Rect(158, 0, 2, 2), True),  # the last two columns
        (Rect(160, 0, 2, 2), False),  # starts at the right edge
        (Rect(0, 88, 2, 2), True),
        (Rect(0, 90, 2, 2), False),
        (Rect(10, 10, 0, 5), False),  # empty
        (Rect(10, 10, 5, 0), False),
    ],
)
def test_crop_at_the_source_edges(crop: Rect, visible: bool) -> None:
    assert (place(layer(rect=Rect(0, 0, 4, 4), crop=crop), 160, 90, 100, 100) is not None) is visible


# ----- clipping to the canvas: only the visible part is scaled, from the matching source region


def test_a_layer_over_the_top_left_edge_scales_only_its_visible_part() -> None:
    # 200x100 stretched to 100x50 at (-20, -10): scale 2; visible 80x40 from source (40, 20) onwards
    got = place(layer(rect=Rect(-20, -10, 100, 50)), 200, 100, 160, 90)
    assert geometry(got) == ((40, 20, 200, 100), (80, 40), (0, 0), None, (-20, -10, 100, 50))


def test_a_layer_over_the_bottom_right_edge_scales_only_its_visible_part() -> None:
    got = place(layer(rect=Rect(100, 50, 100, 50)), 200, 100, 160, 90)
    assert geometry(got) == ((0, 0, 120, 80), (60, 40), (100, 50), None, (100, 50, 100, 50))


@pytest.mark.parametrize(
    ("rect", "visible"),
    [
        (Rect(159, 0, 10, 10), True),
        (Rect(160, 0, 10, 10), False),
        (Rect(-10, 0, 10, 10), False),
        (Rect(-9, 0, 10, 10), True),
        (Rect(0, 89, 10, 10), True),
        (Rect(0, 90, 10, 10), False),
        (Rect(0, -10, 10, 10), False),
        (Rect(0, -9, 10, 10), True),
    ],
)
def test_a_layer_at_the_canvas_edges(rect: Rect, visible: bool) -> None:
    assert (place(layer(rect=rect), 20, 20, 160, 90) is not None) is visible


# ----- masks: opacity and rounded corners, values worked out


def test_opacity_mask_values_and_clamping() -> None:
    half = place(layer(rect=Rect(0, 0, 4, 2), opacity=0.5), 4, 2, 10, 10)
    assert half is not None and half.mask is not None
    assert half.mask.tolist() == [[128] * 4] * 2  # rint(127.5)
    assert place(layer(rect=Rect(0, 0, 4, 2), opacity=1.0), 4, 2, 10, 10).mask is None  # type: ignore[union-attr]
    assert place(layer(rect=Rect(0, 0, 4, 2), opacity=1.5), 4, 2, 10, 10).mask is None  # type: ignore[union-attr]
    clear = place(layer(rect=Rect(0, 0, 4, 2), opacity=-1.0), 4, 2, 10, 10)
    assert clear is not None and clear.mask is not None and clear.mask.tolist() == [[0] * 4] * 2


def test_rounded_corner_mask_values() -> None:
    # radius 2: distances from the corner circle's centre 2.12, 1.58, 0.71 -> coverage 0.38, 0.92, 1
    got = place(layer(rect=Rect(0, 0, 6, 4), corner_radius=2), 6, 4, 10, 10)
    assert got is not None and got.mask is not None
    assert got.mask.tolist() == [
        [97, 234, 255, 255, 234, 97],
        [234, 255, 255, 255, 255, 234],
        [234, 255, 255, 255, 255, 234],
        [97, 234, 255, 255, 234, 97],
    ]
    # the radius is limited to half the shorter side: 5 on a 6x4 rect is 2
    clamped = place(layer(rect=Rect(0, 0, 6, 4), corner_radius=5), 6, 4, 10, 10)
    assert clamped is not None and clamped.mask is not None
    assert clamped.mask.tolist() == got.mask.tolist()


def test_a_clipped_layer_gets_the_matching_piece_of_its_mask() -> None:
    got = place(layer(rect=Rect(-4, 0, 6, 4), corner_radius=2), 6, 4, 10, 10)
    assert got is not None and got.mask is not None and got.at == (0, 0)
    assert got.mask.tolist() == [[234, 97], [255, 234], [255, 234], [234, 97]]  # the right two columns


def test_bars_take_the_rounded_corners_and_the_picture_its_piece() -> None:
    got = place(
        layer(rect=Rect(0, 0, 6, 4), fit=FitMode.FIT, bar_color="#000000", corner_radius=2), 2, 4, 10, 10
    )
    assert got is not None and got.bars_mask is not None and got.mask is not None
    assert got.bars_mask[0].tolist() == [97, 234, 255, 255, 234, 97]
    assert got.at == (2, 0) and got.size == (2, 4)
    assert got.mask.tolist() == [[255, 255]] * 4  # the middle columns are inside the corners


# ----- more edges: crops before the source, thin fits, fractional starts, the smallest visible parts


@pytest.mark.parametrize("crop", [Rect(-10, 0, 5, 10), Rect(0, -10, 10, 5), Rect(-10, 0, 10, 10)])
def test_a_crop_ending_before_the_source_shows_nothing(crop: Rect) -> None:
    assert place(layer(rect=Rect(0, 0, 10, 10), crop=crop), 160, 90, 100, 100) is None


def test_a_cropped_source_sizes_a_derived_side_by_the_crop_alone() -> None:
    got = place(layer(rect=Rect(0, 0, None, 60), crop=Rect(40, 10, 40, 30)), 160, 90, 200, 200)
    assert geometry(got) == ((40, 10, 80, 40), (80, 60), (0, 0), None, (0, 0, 80, 60))
    got = place(layer(rect=Rect(0, 0, 80, None), crop=Rect(40, 10, 40, 30)), 160, 90, 200, 200)
    assert geometry(got) == ((40, 10, 80, 40), (80, 60), (0, 0), None, (0, 0, 80, 60))


def test_a_thin_fit_is_at_least_one_pixel() -> None:
    wide = place(layer(rect=Rect(0, 0, 10, 10), fit=FitMode.FIT), 1000, 10, 50, 50)
    assert geometry(wide) == (None, (10, 1), (0, 4), None, (0, 0, 10, 10))
    tall = place(layer(rect=Rect(0, 0, 10, 10), fit=FitMode.FIT), 10, 1000, 50, 50)
    assert geometry(tall) == (None, (1, 10), (4, 0), None, (0, 0, 10, 10))


def test_bars_only_placement_in_full() -> None:
    got = place(
        layer(rect=Rect(0, 0, 100, 20), fit=FitMode.FIT, bar_color="#000000", corner_radius=2), 10, 10, 30, 30
    )
    assert got is not None
    assert (got.src_box, got.size, got.at, got.mask, got.bars, got.rect) == (
        None,
        (0, 0),
        (0, 0),
        None,
        (0, 0, 30, 20),
        (0, 0, 100, 20),
    )
    assert got.bars_mask is not None and got.bars_mask.shape == (20, 30)
    assert got.bars_mask[0, :3].tolist() == [97, 234, 255] and got.bars_mask[19, :3].tolist() == [
        97,
        234,
        255,
    ]


@pytest.mark.parametrize(
    ("rect", "size"),
    [(Rect(-1, 0, 100, 50), (99, 50)), (Rect(0, -1, 100, 50), (100, 49))],
)
def test_a_source_start_between_pixels_snaps_down_to_even(rect: Rect, size: tuple[int, int]) -> None:
    # 150x75 into 100x50: 1.5 source pixels per canvas pixel; one canvas pixel cut = 1.5 source pixels,
    # snapped down to 0: the whole source is used
    got = place(layer(rect=rect), 150, 75, 200, 200)
    assert geometry(got) == (None, size, (0, 0), None, (rect.x, rect.y, rect.w, rect.h))


def test_the_smallest_visible_part_takes_one_source_pixel() -> None:
    # 20x20 magnified 10x, 80 canvas pixels off the top-left: the 2x2 canvas shows source pixel (8, 8)
    got = place(layer(rect=Rect(-80, -80, 200, 200)), 20, 20, 2, 2)
    assert geometry(got) == ((8, 8, 9, 9), (2, 2), (0, 0), None, (-80, -80, 200, 200))


@pytest.mark.parametrize("rect", [Rect(10, 0, 0, 10), Rect(0, 10, 10, 0), Rect(10, 10, -4, 10)])
def test_an_empty_fit_window_shows_not_even_a_pixel(rect: Rect) -> None:
    assert place(layer(rect=rect, fit=FitMode.FIT), 16, 16, 50, 50) is None
