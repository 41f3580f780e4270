"""The layout templates (``mix_stream_template_id``): the small windows' sizes and places.

Geometry from Tencent's official demo scripts (providers.md), which call the values approximate: W x H is
the background, w x h a small window, windows s1, s2, ... are the visible non-background inputs by layer.
Audio-only inputs do not count: a template takes a fixed number of *visible* inputs, the background included.
"""

from __future__ import annotations

from fractions import Fraction

MARGIN = 20

# template id -> visible inputs it takes (the background included); 0 = no template, any number.
TEMPLATE_INPUTS: dict[int, int | None] = {
    0: None,
    10: 2,
    20: 2,
    30: 2,
    40: 2,
    50: 2,
    310: 3,
    390: 3,
    391: 3,
    410: 4,
    510: 5,
    590: 5,
    610: 6,
}

# Corner names of the windows, in window order. "tl" top-left, "br" bottom-right, "tr", "bl",
# "bc" bottom-centre; 390/391/50 have their own rules below.
_CORNERS: dict[int, tuple[str, ...]] = {
    10: ("tl",),
    20: ("br",),
    30: ("bl",),
    40: ("tr",),
    310: ("tl", "br"),
    410: ("tl", "br", "bl"),
    510: ("tl", "br", "tr", "bl"),
    590: ("tl", "tr", "bl", "br"),
    610: ("tl", "br", "tr", "bc", "bl"),
}

TEMPLATE_50_WIDTH = 120
TEMPLATE_50_POSITION = (244, 400)


def window_size(template_id: int, width: int, height: int) -> tuple[int, int | None]:
    """The default size of a small window; a height of None keeps the source's aspect (template 50)."""
    if template_id == 50:
        return TEMPLATE_50_WIDTH, None
    share = {390: Fraction(1, 2), 391: Fraction(1, 2), 590: Fraction(20, 43)}.get(template_id, Fraction(1, 3))
    return round(width * share), round(height * share)


def window_position(template_id: int, index: int, width: int, height: int, w: int, h: int) -> tuple[int, int]:
    """The default top-left corner of small window ``index`` (0-based) sized w x h on a W x H canvas."""
    if template_id == 50:
        return TEMPLATE_50_POSITION
    if template_id == 390:
        return (MARGIN, (height - h) // 2) if index == 0 else (width - w, (height - h) // 2)
    if template_id == 391:
        return ((width - w - MARGIN) // 2, 10) if index == 0 else ((width - w - MARGIN) // 2, h + MARGIN)
    corner = _CORNERS[template_id][index]
    left, right = MARGIN, width - MARGIN - w
    top, bottom = MARGIN, height - MARGIN - h
    return {
        "tl": (left, top),
        "tr": (right, top),
        "bl": (left, bottom),
        "br": (right, bottom),
        "bc": ((width - w) // 2, bottom),
    }[corner]
