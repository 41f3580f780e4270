"""The legacy web API's start-mix body (seed 001) parsed into the same MixSpec as StartMix.

Differences from the rtc-api that matter: ``stream_id`` wins over ``url`` (inputs and outputs alike), rect
edges are top/left/bottom/right, ``output_bg_color`` is a decimal 0xRRGGBBxx, ``userdata`` is plain text, the
task id defaults to the first output's stream name, and a pure-audio mix is written as 1x1 rects and outputs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from emulator.providers.zego import validate
from emulator.providers.zego.errors import (
    INPUT_ERROR,
    OUTPUT_ERROR,
    START_PARSE,
    WATERMARK_WRONG,
    WIDTH_RANGE,
    ZegoError,
)
from emulator.providers.zego.fields import INT64, UINT32, Reader
from emulator.providers.zego.spec import InputSpec, MixSpec, OutputSpec

# Input URLs may use ZEGO's own avertp:// transport (the seed's curl sample); the emulator maps them.
INPUT_SCHEMES = ("rtmp", "http", "https", "avertp")
OUTPUT_SCHEMES = ("rtmp", "avertp")
MAX_USER_DATA = 1000


@dataclass
class LegacyStart:
    spec: MixSpec
    app_id: int | None  # the body's appid (informational: the token names the app)
    test_env: bool


def parse_legacy_start(body: Any) -> LegacyStart:
    r = Reader(body, "", type_code=START_PARSE, lenient=True)
    channels = r.integer("audio_channel_cnt", default=0, hi=2) or 0
    outputs = [_output(item, channels) for item in r.objects("MixOutput")]
    id_name = r.string("id_name", required=True, max_len=256, code=INPUT_ERROR)
    assert id_name is not None
    task_id = r.string("task_id", max_len=256, code=INPUT_ERROR) or (outputs[0].stream_id if outputs else "")
    spec = MixSpec(
        task_id=validate.task_id(task_id, "task_id") if task_id else "",
        user_id=id_name,
        inputs=[_input(item) for item in r.objects("MixInput")],
        outputs=outputs,
        room_id=r.string("live_channel", max_len=256) or "",
        sequence=r.sequence("seq"),
        background_color=_bg_color(r),
        background_image=_image(r.string("output_bg_image", max_len=2048), "output_bg_image"),
        watermark=validate.watermark(r.obj("watermark"), "image", "rect", _watermark_edges),
        user_data=_user_data(r),
        sound_level=bool(r.integer("with_sound_level", default=0, hi=1)),
        extra=_extra_params(r),
        bypass=bool(r.integer("bypass", default=0, hi=1)),
    )
    r.integer("version", default=1, hi=UINT32)
    r.string("biztype", max_len=16)
    app_id = r.integer("appid", hi=2**64 - 1)
    test_env = bool(r.integer("testenv", default=0, hi=1))
    validate.check_mix(spec)
    return LegacyStart(spec, app_id, test_env)


def _input(r: Reader) -> InputSpec:
    stream_id = r.string("stream_id", max_len=256, code=INPUT_ERROR)
    url = r.string("url", max_len=2048, code=INPUT_ERROR)
    if stream_id is not None:  # "if stream_id is given, url is left empty"
        validate.stream_id(stream_id, r.name("stream_id"), INPUT_ERROR)
        url = None
    elif url is not None:
        validate.pull_url(url, r.name("url"), INPUT_SCHEMES)
    else:
        raise ZegoError(INPUT_ERROR, f"{r.name('stream_id')} or {r.name('url')} is required")
    rect = r.obj("rect")
    if rect is None:
        raise ZegoError(INPUT_ERROR, f"{r.name('rect')} is required")
    edges = [rect.integer(k, default=0, hi=validate.MAX_SIDE, code=INPUT_ERROR) or 0 for k in _EDGES]
    return InputSpec(
        stream_id=stream_id,
        stream_url=url,
        box=validate.box(*edges, rect.path, code=INPUT_ERROR),
        layer=rect.integer("layer", default=0, hi=UINT32, code=INPUT_ERROR) or 0,
        content=r.integer("content_control", default=0, hi=2, code=INPUT_ERROR) or 0,
        sound_level_id=r.integer("sound_level_id", hi=UINT32, code=INPUT_ERROR),
        render_mode=r.integer("render_mode", default=0, hi=1, code=INPUT_ERROR) or 0,
    )


_EDGES = ("left", "top", "right", "bottom")


def _output(r: Reader, channels: int) -> OutputSpec:
    stream_id = r.string("stream_id", max_len=256, code=OUTPUT_ERROR)
    mix_url = r.string("mixurl", max_len=2048, code=OUTPUT_ERROR)
    if stream_id is not None:
        name, push = validate.stream_id(stream_id, r.name("stream_id"), OUTPUT_ERROR), None
    elif mix_url is not None:
        url = validate.push_url(mix_url, r.name("mixurl"), OUTPUT_SCHEMES)
        name, push = validate.url_stream_name(url), url if url.lower().startswith("rtmp") else None
    else:
        raise ZegoError(OUTPUT_ERROR, f"{r.name('stream_id')} or {r.name('mixurl')} is required")
    crf = None
    if r.integer("encode_mode", default=0, hi=1, code=OUTPUT_ERROR):
        crf = r.integer("encode_qua", default=23, hi=51, code=OUTPUT_ERROR)
    return OutputSpec(
        stream_id=name,
        push_url=push,
        width=_side(r, "width"),
        height=_side(r, "height"),
        fps=r.integer("fps", default=15, hi=60, code=OUTPUT_ERROR) or 15,
        bitrate=None if crf is not None else _bitrate(r),
        crf=crf,
        audio_codec=r.integer("audio_enc_id", default=0, hi=2, code=OUTPUT_ERROR) or 0,
        audio_bitrate=_audio_bitrate(r),
        channels=max(r.integer("audio_channel_cnt", default=channels, hi=2, code=OUTPUT_ERROR) or 0, 1),
    )


def _side(r: Reader, key: str) -> int:
    value = r.integer(key, default=0, lo=-INT64 - 1, code=OUTPUT_ERROR) or 0
    if not 0 <= value <= validate.MAX_SIDE:
        raise ZegoError(WIDTH_RANGE, f"{r.name(key)} is {value}")
    if value > 1 and value % 2:
        raise ZegoError(OUTPUT_ERROR, f"{r.name(key)} must be even, got {value}")
    return value


def _bitrate(r: Reader) -> int:
    value = r.integer("bitrate", default=1_000_000, hi=validate.MAX_VIDEO_BITRATE, code=OUTPUT_ERROR)
    return value or 1_000_000


def _audio_bitrate(r: Reader) -> int:
    value = r.integer("audio_bitrate", default=0, hi=192_000, code=OUTPUT_ERROR) or 0
    if value and value < 10_000:
        raise ZegoError(OUTPUT_ERROR, f"{r.name('audio_bitrate')} must be in [10000, 192000], got {value}")
    return value or 48_000  # 0 (the PHP sample) = the default


def _bg_color(r: Reader) -> str:
    """Decimal 0xRRGGBBxx: the first three bytes are the colour (4294967040 = 0xFFFFFF00 = white)."""
    value = r.integer("output_bg_color", default=0, hi=0xFFFFFFFF)
    return f"#{(value or 0) >> 8:06x}"


def _image(value: str | None, name: str) -> str | None:
    return None if value is None else validate.image_url(value, name)


def _watermark_edges(rect: Reader) -> list[int]:
    return [rect.integer(k, default=0, hi=validate.MAX_SIDE, code=WATERMARK_WRONG) or 0 for k in _EDGES]


def _user_data(r: Reader) -> bytes | None:
    text = r.string("userdata", max_len=MAX_USER_DATA)
    return None if text is None else text.encode()


def _extra_params(r: Reader) -> dict[str, str]:
    return validate.key_values(r.raw("extra_params"), "extra_params", "key", "value")
