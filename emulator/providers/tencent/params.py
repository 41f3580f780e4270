"""Parsing and validation of a ``Mix_StreamV2`` body into typed requests, with the seed's error codes.

Only what the body itself says is checked here (types, ranges, layers, templates, output type); whatever
needs the emulator's state (streams, sessions, pictures) is checked by the handler. Numbers may arrive as
JSON numbers or numeric strings (PHP and Java clients send strings); booleans never count as numbers.
"""

from __future__ import annotations

import enum
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from emulator.core import jsonin
from emulator.providers.tencent.errors import TencentError
from emulator.providers.tencent.templates import TEMPLATE_INPUTS

INTERFACE_NAME = "Mix_StreamV2"
START = "mix_streamv2.start_mix_stream_advanced"
CANCEL = "mix_streamv2.cancel_mix_stream"
# The journal and fault rules name actions by these short names.
ACTIONS = {START: "start_mix_stream_advanced", CANCEL: "cancel_mix_stream"}

MAX_INPUTS = 16
MAX_LAYER = 16
MAX_PIXELS = 3000
MIN_FRACTION, MAX_FRACTION = 0.01, 0.99
MIN_BITRATE, MAX_BITRATE = 1, 50_000  # kbps
# The seed allows letters, digits and underscores; real ids also carry '-' (Tencent's own demo output
# "pc-cdn-trtc-911" was accepted), so the emulator accepts '-' too.
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,80}")
COLOR_PATTERN = re.compile(r"(?:0[xX]|#)?([0-9a-fA-F]{6})")


class InputType(enum.IntEnum):
    AUDIO_VIDEO = 0
    PICTURE = 2
    CANVAS = 3
    AUDIO = 4
    VIDEO = 5


@dataclass(frozen=True)
class Length:
    """A size or position: pixels, or (``fraction``) a share of the background's width or height."""

    value: float
    fraction: bool

    def pixels(self, base: int) -> int:
        return round(self.value * base) if self.fraction else round(self.value)


@dataclass(frozen=True)
class Crop:
    x: int
    y: int
    width: int | None  # None: to the source's right edge
    height: int | None


@dataclass(frozen=True)
class InputSpec:
    stream_id: str
    layer: int
    input_type: InputType
    width: Length | None = None
    height: Length | None = None
    x: Length | None = None
    y: Length | None = None
    color: str = "#000000"
    picture_id: int | None = None
    crop: Crop | None = None

    @property
    def visible(self) -> bool:
        return self.input_type != InputType.AUDIO

    @property
    def is_stream(self) -> bool:
        """Read from a pushed stream (pictures and canvases are not)."""
        return self.input_type in (InputType.AUDIO_VIDEO, InputType.AUDIO, InputType.VIDEO)


@dataclass(frozen=True)
class OutputOptions:
    """Output settings only Cloud API 3.0 can give; None keeps the emulator's default."""

    fps: float | None = None
    gop_seconds: float | None = None
    audio_bitrate: int | None = None  # bps
    sample_rate: int | None = None
    channels: int | None = None


@dataclass(frozen=True)
class ControlOptions:
    """Cloud API 3.0 ControlParams and OutputParams.MixSei; the defaults are the legacy CGI's behaviour."""

    crop_center: bool = False  # UseMixCropCenter: fill a window keeping aspect (crop) instead of bars
    picture_alpha: bool = True  # UsePictureTransparent: API 3.0 applies a picture's alpha only when 1
    pass_input_sei: bool = False  # PassInputSei
    mix_sei: bytes | None = None  # OutputParams.MixSei, put in every frame as SEI


@dataclass(frozen=True)
class StartRequest:
    app_id: int
    session_id: str
    output_id: str
    output_type: int  # 0: the output replaces one of the inputs; 1: a new stream
    template_id: int
    bitrate_kbps: int | None
    inputs: tuple[InputSpec, ...]
    output: OutputOptions = OutputOptions()
    control: ControlOptions = ControlOptions()

    @property
    def background(self) -> InputSpec:
        return next(i for i in self.inputs if i.layer == 1)

    @property
    def windows(self) -> list[InputSpec]:
        """Every input but the background, by layer (the template's small windows come in this order)."""
        return sorted((i for i in self.inputs if i.layer != 1), key=lambda i: i.layer)


@dataclass(frozen=True)
class CancelRequest:
    app_id: int
    session_id: str
    output_id: str


# ----- the envelope
def decode_body(raw: bytes) -> dict[str, Any]:
    try:
        body = jsonin.loads(raw)
    except (ValueError, RecursionError):
        raise TencentError(-1, "Parse input params failed, the body is not JSON!") from None
    if not isinstance(body, dict):
        raise TencentError(-1, "Parse input params failed, the body must be a JSON object!")
    return body


def event_id_of(body: dict[str, Any]) -> str | None:
    """The request's eventId as the answer echoes it (a string), if it has a usable one."""
    value = body.get("eventId")
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None
    text = str(value)
    return text if 0 < len(text) <= 64 else None


def parse_envelope(body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The action's short name and its ``para`` object."""
    interface = body.get("interface")
    if not isinstance(interface, dict):
        raise TencentError(-1, "Parse input params failed, interface object required!")
    if interface.get("interfaceName") != INTERFACE_NAME:
        raise TencentError(-1, f"Parse input params failed, interfaceName must be {INTERFACE_NAME}!")
    para = interface.get("para")
    if not isinstance(para, dict):
        raise TencentError(-1, "Parse input params failed, para object required!")
    name = para.get("interface")
    if not isinstance(name, str) or name not in ACTIONS:
        shown = _show(name)
        raise TencentError(-1, f"Parse input params failed, interface name [{shown}] not supported!")
    return ACTIONS[name], para


def check_event_id(body: dict[str, Any]) -> None:
    """The seed's -2: "check that appid and eventid are not 0" (a missing eventId counts as 0)."""
    value = body.get("eventId")
    if isinstance(value, bool) or not isinstance(value, (int, str)) or str(value).strip() in ("", "0"):
        raise TencentError(-2, "Input params error, eventId must not be 0!")


def check_timestamp(body: dict[str, Any]) -> None:
    """The seed's required ``timestamp`` (the client's current unix time, in seconds)."""
    value = body.get("timestamp")
    if value is None:
        raise TencentError(-1, "Parse input params failed, timestamp required!")
    _int_or_none(value, -1, "timestamp")


# ----- the two actions
def parse_cancel(para: dict[str, Any]) -> CancelRequest:
    return CancelRequest(
        app_id=_app_id(para),
        session_id=_session_id(para),
        output_id=_ident(para.get("output_stream_id"), -4, "output_stream_id"),
    )


def parse_start(para: dict[str, Any], *, allow_copy: bool = False) -> StartRequest:
    """``allow_copy`` (API 3.0 ControlParams.AllowCopy): one input with output_stream_type 1 is taken as a
    copy of that stream instead of refused."""
    app_id = _app_id(para)
    session_id = _session_id(para)
    output_id = _ident(para.get("output_stream_id"), -4, "output_stream_id")
    output_type = _int(para.get("output_stream_type"), -111, "output_stream_type", default=0)
    if output_type not in (0, 1):
        raise TencentError(-111, f"output_stream_type [{output_type}] invalid, use 0 or 1!")
    template_id = _int(para.get("mix_stream_template_id"), -20, "mix_stream_template_id", default=0)
    if template_id not in TEMPLATE_INPUTS:
        raise TencentError(-20, f"Input params not match the interface, template id [{template_id}] invalid!")
    bitrate = _int_or_none(para.get("output_stream_bitrate"), -31004, "output_stream_bitrate")
    if bitrate is not None and not MIN_BITRATE <= bitrate <= MAX_BITRATE:
        raise TencentError(-31004, f"Output stream bitrate [{bitrate}] invalid, must be in [1, 50000]!")

    items = para.get("input_stream_list")
    if items is None or items == []:
        raise TencentError(-1, "Parse input params failed, input_stream_list is empty!")
    if not isinstance(items, list):
        raise TencentError(-1, "Parse input params failed, input_stream_list must be a list!")
    if len(items) > MAX_INPUTS:
        raise TencentError(-3, f"Input stream number error, {len(items)} streams, must be in [1, 16]!")
    if len(items) < 2 and not (allow_copy and output_type == 1):
        raise TencentError(-21)
    inputs = tuple(_input(item, n) for n, item in enumerate(items))
    _check_layers(inputs)
    ids = {i.stream_id for i in inputs}
    if output_type == 0 and output_id not in ids:
        raise TencentError(-111, "output_stream_type is 0, output_stream_id must be in input_stream_list!")
    if output_type == 1 and output_id in ids:
        raise TencentError(
            -111, "output_stream_type is 1, output_stream_id must not be in input_stream_list!"
        )
    wanted = TEMPLATE_INPUTS[template_id]
    visible = sum(1 for i in inputs if i.visible)
    if wanted is not None and visible != wanted:
        raise TencentError(
            -20, f"Input stream number [{visible}] not match template [{template_id}], which takes {wanted}!"
        )
    return StartRequest(app_id, session_id, output_id, output_type, template_id, bitrate, inputs)


def _input(item: Any, n: int) -> InputSpec:
    where = f"input_stream_list[{n}]"
    if not isinstance(item, dict):
        raise TencentError(-4, f"Stream params error, {where} must be an object!")
    stream_id = _ident(item.get("input_stream_id"), -4, f"{where}.input_stream_id")
    layout = item.get("layout_params")
    if not isinstance(layout, dict):
        raise TencentError(-4, f"Stream params error, stream [{stream_id}] has no layout_params!")
    layer = _int_or_none(layout.get("image_layer"), -11, "image_layer")
    if layer is None:
        raise TencentError(-11, f"Image layer error, stream [{stream_id}] has no image_layer!")
    if not 1 <= layer <= MAX_LAYER:
        raise TencentError(-11, f"Image layer error, image_layer [{layer}] must be in [1, 16]!")
    raw_type = _int(layout.get("input_type"), -4, "input_type", default=0)
    try:
        input_type = InputType(raw_type)
    except ValueError:
        raise TencentError(-4, f"Stream params error, input_type [{raw_type}] not supported!") from None
    picture_id = None
    if input_type == InputType.PICTURE:
        picture_id = _int_or_none(layout.get("picture_id"), -33, "picture_id")
        if not picture_id:
            raise TencentError(
                -33, f"Picture id error, stream [{stream_id}] has input_type 2 and no picture_id!"
            )
    return InputSpec(
        stream_id=stream_id,
        layer=layer,
        input_type=input_type,
        width=_length(layout.get("image_width"), -4, "image_width"),
        height=_length(layout.get("image_height"), -4, "image_height"),
        x=_length(layout.get("location_x"), -2, "location_x"),
        y=_length(layout.get("location_y"), -2, "location_y"),
        color=_color(layout.get("color")),
        picture_id=picture_id,
        crop=_crop(item.get("crop_params")),
    )


def _check_layers(inputs: tuple[InputSpec, ...]) -> None:
    seen: set[int] = set()
    for spec in inputs:
        if spec.layer in seen:
            raise TencentError(-11, f"Image layer error, image_layer [{spec.layer}] repeated!")
        seen.add(spec.layer)
    if 1 not in seen:
        raise TencentError(-11, "Image layer error, no background (image_layer 1)!")


def _crop(value: Any) -> Crop | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TencentError(-29, "Crop params error, crop_params must be an object!")
    numbers: dict[str, int | None] = {}
    for name in ("crop_x", "crop_y", "crop_width", "crop_height"):
        number = _int_or_none(value.get(name), -29, name)
        if number is not None and not 0 <= number <= MAX_PIXELS:
            raise TencentError(-29, f"Crop params error, {name} [{number}] must be in [0, 3000]!")
        numbers[name] = number
    return Crop(
        x=numbers["crop_x"] or 0,
        y=numbers["crop_y"] or 0,
        width=numbers["crop_width"] or None,
        height=numbers["crop_height"] or None,
    )


# ----- fields
def _app_id(para: dict[str, Any]) -> int:
    app_id = _int_or_none(para.get("app_id"), -2, "app_id")
    if not app_id:
        raise TencentError(-2, "Input params error, app_id must not be 0!")
    return app_id


def _session_id(para: dict[str, Any]) -> str:
    return _ident(para.get("mix_stream_session_id"), -2, "mix_stream_session_id")


def _ident(value: Any, code: int, name: str) -> str:
    if not isinstance(value, str) or not ID_PATTERN.fullmatch(value):
        raise TencentError(
            code, f"{name} [{_show(value)}] invalid, 1 to 80 letters, digits, underscores or hyphens!"
        )
    return value


def _length(value: Any, code: int, name: str) -> Length | None:
    """Pixels in [1, 3000] or a fraction in [0.01, 0.99]; 0 or absent = not set (the default applies).
    Positions use code -2 ("picture parameters overflow"), sizes -4, as the seed's table sorts them."""
    number = _number(value, code, name)
    if number is None or number == 0:
        return None
    if number < 0 or number > MAX_PIXELS:
        raise TencentError(
            code, f"{name} [{number:g}] overflow, pixels in [0, 3000] or a share in [0.01, 0.99]!"
        )
    if number < 1:
        if not MIN_FRACTION <= number <= MAX_FRACTION:
            raise TencentError(code, f"{name} [{number:g}] overflow, a share must be in [0.01, 0.99]!")
        return Length(number, fraction=True)
    return Length(number, fraction=False)


def _color(value: Any) -> str:
    if value is None or value == "":
        return "#000000"
    match = COLOR_PATTERN.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise TencentError(-20, f"Color [{_show(value)}] invalid, use 0xRRGGBB!")
    return "#" + match.group(1).lower()


def _number(value: Any, code: int, name: str) -> float | None:
    if value is None:
        return None
    number: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = None
    elif isinstance(value, str) and 0 < len(value) <= 32:
        try:
            number = float(value)
        except ValueError:
            number = None
    if number is None or not math.isfinite(number):
        raise TencentError(code, f"{name} [{_show(value)}] must be a number!")
    return number


def _int_or_none(value: Any, code: int = -1, name: str = "value") -> int | None:
    number = _number(value, code, name)
    if number is None:
        return None
    if not number.is_integer() or abs(number) > 2**63:
        raise TencentError(code, f"{name} [{_show(value)}] must be an integer!")
    return int(number)


def _int(value: Any, code: int, name: str, *, default: int) -> int:
    number = _int_or_none(value, code, name)
    return default if number is None else number


def _show(value: Any) -> str:
    """A value for an error message: short, whatever the client sent."""
    if isinstance(value, str):
        text = value
    elif value is None or isinstance(value, (bool, int, float)):
        text = json.dumps(value)
    else:
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 80 else text[:77] + "..."
