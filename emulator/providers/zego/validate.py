"""Rules every ZEGO mix request obeys, whichever API it came through: id formats, URL protocols, limits,
duplicates, and rectangles that must lie on the output canvas."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from emulator.providers.zego.errors import (
    BAD_PARAM,
    DUPLICATE_INPUT,
    DUPLICATE_OUTPUT,
    EXPARA_ERROR,
    IMAGE_PROTOCOL,
    INPUT_FORMAT,
    INPUT_IS_OUTPUT,
    OUTPUT_FORMAT,
    TOO_MANY_INPUTS,
    TOO_MANY_OUTPUTS,
    WATERMARK_EMPTY,
    WATERMARK_WRONG,
    ZegoError,
)
from emulator.providers.zego.fields import Reader
from emulator.providers.zego.spec import Box, MixSpec, OutputSpec, Watermark

MAX_INPUTS = 9
MAX_OUTPUTS = 3
MAX_SIDE = 3000
MAX_VIDEO_BITRATE = 10_000_000

# ZEGO documents these characters for task ids, and digits, letters, '-' and '_' for stream ids.
_TASK_ID = re.compile(r"[A-Za-z0-9~!@$%^&*()_+=\-`;',.<>]{1,256}")
_STREAM_ID = re.compile(r"[A-Za-z0-9_\-]{1,256}")
_COLOR_HEX = re.compile(r"0[xX]([0-9A-Fa-f]{6})([0-9A-Fa-f]{2})?")


def task_id(value: str, name: str) -> str:
    if not _TASK_ID.fullmatch(value):
        raise ZegoError(BAD_PARAM, f"{name} may only hold letters, digits and ~!@$%^&*()_+=-`;',.<> (1-256)")
    return value


def stream_id(value: str, name: str, code: int = BAD_PARAM) -> str:
    if not _STREAM_ID.fullmatch(value):
        raise ZegoError(code, f"{name} {value!r} may only hold digits, letters, '-' and '_' (1-256)")
    return value


def image_url(value: str, name: str) -> str:
    if urlsplit(value).scheme.lower() not in ("http", "https", "preset-id"):
        raise ZegoError(IMAGE_PROTOCOL, f"{name} {value!r}")
    return value


def pull_url(value: str, name: str, schemes: tuple[str, ...] = ("rtmp", "http", "https")) -> str:
    """An input stream URL: RTMP or HTTP-FLV."""
    parts = urlsplit(value)
    if parts.scheme.lower() not in schemes or not parts.netloc:
        raise ZegoError(INPUT_FORMAT, f"{name} {value!r} must be an {' or '.join(schemes)} URL")
    return value


def push_url(value: str, name: str, schemes: tuple[str, ...] = ("rtmp",)) -> str:
    """An output stream URL (a CDN push)."""
    parts = urlsplit(value)
    if parts.scheme.lower() not in schemes or not parts.netloc:
        raise ZegoError(OUTPUT_FORMAT, f"{name} {value!r} must be an {' or '.join(schemes)} URL")
    return value


def url_stream_name(url: str) -> str:
    """The stream name at the end of a stream URL (``rtmp://host/app/name?x`` -> ``name``)."""
    path = urlsplit(url).path.rstrip("/")
    name = path.rpartition("/")[2]
    return name.removesuffix(".flv") or urlsplit(url).netloc


def color_hex(value: str, name: str) -> str:
    """``0xRRGGBBAA`` (AA ignored: ZEGO does not support transparent backgrounds) -> ``#rrggbb``."""
    match = _COLOR_HEX.fullmatch(value)
    if match is None:
        raise ZegoError(BAD_PARAM, f"{name} {value!r} must look like 0xRRGGBBAA")
    return "#" + match.group(1).lower()


def box(left: int, top: int, right: int, bottom: int, name: str, code: int = BAD_PARAM) -> Box | None:
    """A rectangle from its edges; all zero = none (an audio-only input)."""
    if left == top == right == bottom == 0:
        return None
    if right <= left or bottom <= top:
        raise ZegoError(
            code, f"{name} needs Right > Left and Bottom > Top, got {_edges(Box(left, top, right, bottom))}"
        )
    return Box(left, top, right, bottom)


def watermark(
    r: Reader | None, image_key: str, rect_key: str, edges: Callable[[Reader], list[int]]
) -> Watermark | None:
    """The watermark object of either API (their key names differ): its image and its rect, both required."""
    if r is None:
        return None
    image = r.string(image_key, max_len=2048)
    if image is None:
        raise ZegoError(WATERMARK_EMPTY, r.name(image_key))
    image_url(image, r.name(image_key))
    rect = r.obj(rect_key)
    if rect is None:
        raise ZegoError(WATERMARK_WRONG, f"{r.name(rect_key)} is required")
    found = box(*edges(rect), rect.path, code=WATERMARK_WRONG)
    if found is None:
        raise ZegoError(WATERMARK_WRONG, f"{rect.path} is empty")
    return Watermark(image, found)


def key_values(raw: Any, name: str, key_field: str, value_field: str) -> dict[str, str]:
    """ExPara ``[{Key, Value}]`` / extra_params ``[{key, value}]``; a malformed entry is 110200172."""
    if raw is None:
        return {}
    if not isinstance(raw, list):
        raise ZegoError(EXPARA_ERROR, f"{name} must be an array of {{{key_field}, {value_field}}}")
    params: dict[str, str] = {}
    for i, item in enumerate(raw):
        key = item.get(key_field) if isinstance(item, dict) else None
        value = item.get(value_field, "") if isinstance(item, dict) else None
        if not isinstance(key, str) or not key or not isinstance(value, str):
            raise ZegoError(EXPARA_ERROR, f"{name}[{i}] must be {{{key_field}, {value_field}}} strings")
        params[key] = value
    return params


def canvas_of(spec: MixSpec) -> OutputSpec | None:
    """The output whose size is the composition canvas: the first that carries video."""
    return next((o for o in spec.outputs if not o.audio_only), None)


def check_mix(spec: MixSpec, inputs_name: str = "MixInput", outputs_name: str = "MixOutput") -> None:
    """Limits, duplicates and geometry of a whole request (after its fields were parsed)."""
    if not spec.inputs:
        raise ZegoError(BAD_PARAM, f"{inputs_name} is required")
    if len(spec.inputs) > MAX_INPUTS:
        raise ZegoError(TOO_MANY_INPUTS, f"{len(spec.inputs)} inputs, at most {MAX_INPUTS}")
    if not spec.outputs:
        raise ZegoError(BAD_PARAM, f"{outputs_name} is required")
    if len(spec.outputs) > MAX_OUTPUTS:
        raise ZegoError(TOO_MANY_OUTPUTS, f"{len(spec.outputs)} outputs, at most {MAX_OUTPUTS}")
    seen: set[str] = set()
    for i, item in enumerate(spec.inputs):
        if item.key in seen:
            raise ZegoError(DUPLICATE_INPUT, f"{inputs_name}[{i}] {item.key!r} appears twice")
        seen.add(item.key)
    outputs: set[str] = set()
    for i, output in enumerate(spec.outputs):
        for key in filter(None, (output.stream_id, output.push_url)):
            if key in outputs:
                raise ZegoError(DUPLICATE_OUTPUT, f"{outputs_name}[{i}] {key!r} appears twice")
            outputs.add(key)
    for i, item in enumerate(spec.inputs):
        if item.stream_id in outputs or item.stream_url in outputs:
            raise ZegoError(INPUT_IS_OUTPUT, f"{inputs_name}[{i}] {item.key!r} is also an output")
    if spec.sound_level:
        ids = [item.sound_level_id for item in spec.inputs]
        if None in ids or len(set(ids)) != len(ids):
            raise ZegoError(BAD_PARAM, f"SoundLevel is on: every {inputs_name} needs its own SoundLevelId")
    _check_geometry(spec, inputs_name)


def _check_geometry(spec: MixSpec, inputs_name: str) -> None:
    canvas = canvas_of(spec)
    if canvas is None:
        return  # audio-only: rectangles are not drawn
    size = f"{canvas.width}x{canvas.height}"  # named in messages
    for i, item in enumerate(spec.inputs):
        if item.box is not None and not _inside(item.box, canvas):
            raise ZegoError(
                BAD_PARAM, f"{inputs_name}[{i}] rectangle {_edges(item.box)} is outside the {size} canvas"
            )
    mark = spec.watermark
    if mark is not None:
        edges = (mark.box.left, mark.box.top, mark.box.right, mark.box.bottom)
        if any(v % 2 for v in edges):
            raise ZegoError(WATERMARK_WRONG, f"watermark {_edges(mark.box)} must use even numbers")
        if not _inside(mark.box, canvas):
            raise ZegoError(WATERMARK_WRONG, f"watermark {_edges(mark.box)} is outside the {size} canvas")


def _inside(rect: Box, canvas: OutputSpec) -> bool:
    return min(rect.left, rect.top) >= 0 and rect.right <= canvas.width and rect.bottom <= canvas.height


def _edges(rect: Box) -> str:
    return f"(left {rect.left}, top {rect.top}, right {rect.right}, bottom {rect.bottom})"
