"""``assert_layout``: where each input of a running mix is drawn, checked against the expected rects, in the
layout the emulator reports (``GET /_emulator/tasks/{id}/layout``, the compositor's own placement) and in
the composed frame's pixels.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

RectTuple = tuple[int, int, int, int]
EDGE_PX = 2  # scaling blends the picture's outermost pixels with what lies around it
COLOUR_TOLERANCE = 24  # per channel, 0..255: H.264 and YUV round-trips move colours a little
UNIFORM_SPREAD = 8.0  # a picture whose channels vary less than this (standard deviation) is one colour


def shows_whole_picture(layer: dict[str, Any]) -> bool:
    """Whether the layer draws all of its source picture (not cropped, not filled past an aspect)."""
    if layer.get("crop") is not None:
        return False
    size, drawn = layer.get("source_size"), layer.get("drawn")
    if layer.get("fit") != "fill" or not size or not drawn:
        return True
    return abs(size[0] * drawn["h"] - size[1] * drawn["w"]) <= max(size[0], size[1], drawn["w"], drawn["h"])


def find_layer(layout: dict[str, Any], name: str) -> dict[str, Any] | None:
    """The layer named ``name``: its id, else the layer playing ``stream:name``, else the one playing
    ``name`` as its source."""
    for match in (
        lambda layer: layer["id"] == name,
        lambda layer: layer["source"] == f"stream:{name}",
        lambda layer: layer["source"] == name,
    ):
        found = [layer for layer in layout["layers"] if match(layer)]
        if found:
            return found[0]
    return None


def check_rects(
    layout: dict[str, Any], expected: Mapping[str, RectTuple], tolerance: int
) -> tuple[list[str], dict[str, dict[str, Any]]]:
    """The mismatches (one line each) and the layers found, by expected name."""
    problems, found = [], {}
    names = ", ".join(repr(layer["id"]) for layer in layout["layers"])
    for name, rect in expected.items():
        layer = find_layer(layout, name)
        if layer is None:
            problems.append(f"input {name!r}: no layer of the mix has this id or stream (layers: {names})")
            continue
        found[name] = layer
        drawn = _tuple(layer["drawn"])
        where = f"input {name!r} (layer {layer['id']!r}, {layer['source']})"
        if drawn is None:
            reason = layer.get("error") or f"state {layer.get('state')}"
            problems.append(f"{where}: expected {_show(rect)}, drawn nowhere ({reason})")
        elif any(abs(a - b) > tolerance for a, b in zip(drawn, rect, strict=True)):
            requested = _tuple(layer["requested"])
            problems.append(
                f"{where}: expected {_show(rect)}, drawn {_show(drawn)}"
                + ("" if requested == drawn else f" (requested {_show(requested)})")
            )
    return problems, found


class SourcePicture(NamedTuple):
    """What a layer's source shows: its average colour, and whether it is one colour throughout."""

    colour: tuple[float, float, float]
    uniform: bool


def check_pixels(
    image: Image.Image,
    layout: dict[str, Any],
    found: Mapping[str, dict[str, Any]],
    expected: Mapping[str, RectTuple],
    source_picture: Callable[[dict[str, Any]], SourcePicture | None],
) -> list[str]:
    """Each input's expected rect, where no layer above covers it, must average its source's colour. A
    picture that is not one colour (moving bars, a film) keeps its average only when the whole of it is
    seen: such a layer is checked only when nothing covers or crops it."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32)
    problems = []
    for name, layer in found.items():
        mask, whole = _visible(pixels.shape[:2], expected[name], layer, layout["layers"])
        picture = source_picture(layer)
        if mask is None or picture is None:
            continue
        if not picture.uniform and not (whole and shows_whole_picture(layer)):
            continue
        wanted = picture.colour
        seen = pixels[mask].mean(axis=0)
        if np.abs(seen - np.asarray(wanted)).max() > COLOUR_TOLERANCE:
            problems.append(
                f"input {name!r} (layer {layer['id']!r}, {layer['source']}): the frame inside "
                f"{_show(expected[name])} averages rgb{_rgb(seen)}, the input's picture rgb{_rgb(wanted)}"
            )
    return problems


def _visible(
    shape: tuple[int, int], rect: RectTuple, layer: dict[str, Any], layers: list[dict[str, Any]]
) -> tuple[np.ndarray | None, bool]:
    """The pixels of ``rect`` (less its edges) that no layer drawn above ``layer`` covers (None if none),
    and whether that is all of them."""
    height, width = shape
    mask = np.zeros((height, width), bool)
    x, y, w, h = rect
    mask[max(0, y + EDGE_PX) : max(0, y + h - EDGE_PX), max(0, x + EDGE_PX) : max(0, x + w - EDGE_PX)] = True
    inside = int(mask.sum())
    above = [other for other in layers if other["z"] > layer["z"] and other is not layer]
    above += [other for other in layers[layers.index(layer) + 1 :] if other["z"] == layer["z"]]
    for other in above:
        drawn = _tuple(other["drawn"])
        if drawn is not None:
            ox, oy, ow, oh = drawn
            mask[max(0, oy) : max(0, oy + oh), max(0, ox) : max(0, ox + ow)] = False
    seen = int(mask.sum())
    return (mask if seen else None), seen == inside


def _tuple(rect: dict[str, int] | None) -> RectTuple | None:
    return None if rect is None else (rect["x"], rect["y"], rect["w"], rect["h"])


def _show(rect: RectTuple | None) -> str:
    return "nothing" if rect is None else "(x={}, y={}, w={}, h={})".format(*rect)


def _rgb(colour: Any) -> tuple[int, int, int]:
    return tuple(round(float(c)) for c in colour)  # type: ignore[return-value]
