"""The rtc-api bodies (StartMix, StartAutoMix, StopMix, StopAutoMix) parsed into specs, with ZEGO's codes."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from emulator.providers.zego import validate
from emulator.providers.zego.errors import (
    BAD_PARAM,
    DUPLICATE_OUTPUT,
    OUTPUT_FORMAT,
    START_PARSE,
    STOP_PARSE,
    TOO_MANY_OUTPUTS,
    WIDTH_RANGE,
    ZegoError,
)
from emulator.providers.zego.fields import INT64, UINT32, Reader, decimal
from emulator.providers.zego.spec import (
    AutoMixSpec,
    ExtraInput,
    InputSpec,
    Label,
    MixSpec,
    OutputSpec,
    StopSpec,
)

MAX_USER_DATA = 4000
_AUDIO_CODECS = range(4)  # 0 HE-AAC, 1 AAC-LC, 2 MP3, 3 OPUS
_VIDEO_CODECS = {0: "h264", 1: "h264-svc", 2: "vp8", 3: "h265"}

_RTC_EDGES = ("Left", "Top", "Right", "Bottom")  # RectInfo, in the order validate.box takes them


def parse_start_mix(body: Any) -> MixSpec:
    r = Reader(body, "", type_code=START_PARSE)
    channels = _sound_channel(r, "SoundChannel") or 1
    spec = MixSpec(
        task_id=validate.task_id(_required(r, "TaskId"), "TaskId"),
        user_id=_required(r, "UserId", max_len=256),
        inputs=[_mix_input(item) for item in r.objects("MixInput")],
        outputs=[_output(item, channels) for item in r.objects("MixOutput")],
        room_id=r.string("RoomId", max_len=256) or "",
        sequence=r.sequence("Sequence"),
        background_color=validate.color_hex(
            r.string("BackGroundColorHex") or "0x000000", "BackGroundColorHex"
        ),
        background_image=_image(r, "BackgroundImage"),
        watermark=validate.watermark(
            r.obj("WaterMark"), "Image", "RectInfo", lambda rect: [_edge(rect, k) for k in _RTC_EDGES]
        ),
        user_data=_user_data(r),
        sound_level=bool(r.integer("SoundLevel", default=0, hi=1)),
        extra=_ex_para(r),
    )
    spec.bypass = _common_options(r)
    validate.check_mix(spec)
    return spec


def parse_start_auto_mix(body: Any) -> AutoMixSpec:
    r = Reader(body, "", type_code=START_PARSE)
    channels = _sound_channel(r, "SoundChannel") or 1  # for outputs that do not name their own
    outputs = [_output(item, channels, audio_only=True) for item in r.objects("MixOutput")]
    spec = AutoMixSpec(
        task_id=validate.task_id(_required(r, "TaskId"), "TaskId"),
        user_id=_required(r, "UserId", max_len=256),
        room_id=_required(r, "RoomId", max_len=256),
        outputs=outputs,
        extra=[_extra_input(item) for item in r.objects("ExtraMixInput")],
        sequence=r.sequence("Sequence"),
        user_data=_user_data(r),
        sound_level=bool(r.integer("SoundLevel", default=0, hi=1)),
    )
    _common_options(r)
    _ex_para(r)
    if not outputs:
        raise ZegoError(BAD_PARAM, "MixOutput is required")
    if len(outputs) > validate.MAX_OUTPUTS:
        raise ZegoError(TOO_MANY_OUTPUTS, f"{len(outputs)} outputs, at most {validate.MAX_OUTPUTS}")
    keys = [o.push_url or o.stream_id for o in outputs]
    if len(set(keys)) != len(keys):
        raise ZegoError(DUPLICATE_OUTPUT, "MixOutput names the same stream twice")
    if spec.sound_level and any(e.sound_level_id is None for e in spec.extra if not e.remove):
        raise ZegoError(BAD_PARAM, "SoundLevel is on: every added ExtraMixInput needs a SoundLevelId")
    return spec


def parse_stop(body: Any, *, room_required: bool) -> StopSpec:
    r = Reader(body, "", type_code=STOP_PARSE)
    return StopSpec(
        task_id=_required(r, "TaskId"),
        user_id=r.string("UserId", max_len=256),
        sequence=r.sequence("Sequence"),
        room_id=_required(r, "RoomId", max_len=256) if room_required else r.string("RoomId", max_len=256),
    )


# ----- parts
def _required(r: Reader, key: str, *, max_len: int = 256) -> str:
    value = r.string(key, required=True, max_len=max_len)
    assert value is not None
    return value


def _mix_input(r: Reader) -> InputSpec:
    stream_url = r.string("StreamUrl", max_len=2048)
    stream_id = r.string("StreamId", max_len=256)
    image = r.obj("Image")
    image_url = None if image is None else _image(image, "Url")
    if stream_url is not None:
        validate.pull_url(stream_url, r.name("StreamUrl"))
    elif stream_id is not None:
        validate.stream_id(stream_id, r.name("StreamId"))
    elif image_url is None:
        raise ZegoError(BAD_PARAM, f"{r.name('StreamId')} or {r.name('StreamUrl')} is required")
    rect = r.obj("RectInfo")
    box, layer, radius = None, 0, 0
    if rect is not None:
        box = validate.box(*(_edge(rect, k) for k in _RTC_EDGES), rect.path)
        layer = rect.integer("Layer", default=0, hi=UINT32) or 0
        radius = rect.integer("CornerRadius", default=0, hi=validate.MAX_SIDE) or 0
    return InputSpec(
        stream_id=None if stream_url else stream_id,
        stream_url=stream_url,
        box=box,
        layer=layer,
        corner_radius=radius,
        content=r.integer("ContentControl", default=0, hi=2) or 0,
        volume=r.integer("Volume", default=100, hi=200) or 0,
        sound_level_id=r.integer("SoundLevelId", hi=UINT32),
        render_mode=r.integer("RenderMode", default=0, hi=1) or 0,
        image_url=image_url,
        image_mode=0 if image is None else image.integer("DisplayMode", default=0, hi=2) or 0,
        label=_label(r.obj("Label")),
    )


def _edge(rect: Reader, key: str) -> int:
    value = rect.integer(key, default=0, lo=-INT64 - 1)
    assert value is not None
    if not 0 <= value <= validate.MAX_SIDE:
        raise ZegoError(BAD_PARAM, f"{rect.name(key)} must be in [0, {validate.MAX_SIDE}], got {value}")
    return value


def _label(r: Reader | None) -> Label | None:
    if r is None:
        return None
    text = r.string("Text", required=True, max_len=100)
    assert text is not None
    font = r.obj("Font")
    size, color = 24, 0xFFFFFF
    if font is not None:
        size = font.integer("FontSize", default=24, lo=1, hi=200) or 24
        color = font.integer("FontColor", default=0xFFFFFF, hi=0xFFFFFF) or 0
        font.integer("FontType", default=0, hi=100)
        font.integer("Transparency", default=0, hi=100)
    return Label(
        text=text,
        left=r.integer("Left", default=0, hi=validate.MAX_SIDE) or 0,
        top=r.integer("Top", default=0, hi=validate.MAX_SIDE) or 0,
        font_size=size,
        color=f"#{color:06x}",
    )


def _output(r: Reader, channels: int, *, audio_only: bool = False) -> OutputSpec:
    stream_id = r.string("StreamId", max_len=256)
    stream_url = r.string("StreamUrl", max_len=2048)
    if stream_id is not None:  # StreamId wins: StreamUrl is ignored then
        name, push = validate.stream_id(stream_id, r.name("StreamId"), OUTPUT_FORMAT), None
    elif stream_url is not None:
        push = validate.push_url(stream_url, r.name("StreamUrl"))
        name = validate.url_stream_name(push)
    else:
        raise ZegoError(BAD_PARAM, f"{r.name('StreamId')} or {r.name('StreamUrl')} is required")
    output = OutputSpec(
        stream_id=name,
        push_url=push,
        audio_codec=r.integer("AudioCodec", default=0, hi=max(_AUDIO_CODECS)) or 0,
        audio_bitrate=r.integer("AudioBitrate", default=48_000, lo=0, hi=512_000) or 48_000,
        channels=_sound_channel(r, "SoundChannel") or channels,
    )
    if audio_only:
        return output
    output.width = _side(r, "Width")
    output.height = _side(r, "Height")
    output.fps = r.integer("Fps", default=15, hi=60) or 15
    output.bitrate = r.integer("VideoBitrate", default=1_000_000, hi=validate.MAX_VIDEO_BITRATE) or 1_000_000
    output.video_codec = _VIDEO_CODECS[r.integer("VideoEncId", default=0, hi=3) or 0]
    return output


def _side(r: Reader, key: str) -> int:
    value = r.integer(key, default=0, lo=-INT64 - 1)
    assert value is not None
    if not 0 <= value <= validate.MAX_SIDE:
        raise ZegoError(WIDTH_RANGE, f"{r.name(key)} is {value}")
    if value > 1 and value % 2:
        raise ZegoError(BAD_PARAM, f"{r.name(key)} must be even, got {value}")
    return value


def _sound_channel(r: Reader, key: str) -> int | None:
    """1 mono, 2 stereo (0 also means mono); documented as Int in one place and String in another."""
    value = r.raw(key)
    if isinstance(value, str) and decimal(value, unsigned=True) is not None:
        value = decimal(value)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ZegoError(r.type_code, f"{r.name(key)} must be 1 or 2")
    if value not in (0, 1, 2):
        raise ZegoError(BAD_PARAM, f"{r.name(key)} must be 1 or 2, got {value}")
    return max(value, 1)


def _extra_input(r: Reader) -> ExtraInput:
    remove = bool(r.integer("ModifyType", default=0, hi=1))
    stream_id = r.string("StreamId", max_len=256)
    stream_url = r.string("StreamUrl", max_len=2048)
    if remove:  # removing names the stream by id only
        if stream_id is None:
            raise ZegoError(BAD_PARAM, f"{r.name('StreamId')} is required when ModifyType is 1")
        stream_url = None
    elif stream_url is not None:  # adding: StreamUrl wins
        validate.pull_url(stream_url, r.name("StreamUrl"))
        stream_id = None
    elif stream_id is None:
        raise ZegoError(BAD_PARAM, f"{r.name('StreamId')} or {r.name('StreamUrl')} is required")
    if stream_id is not None:
        validate.stream_id(stream_id, r.name("StreamId"))
    return ExtraInput(
        stream_id=stream_id,
        stream_url=stream_url,
        remove=remove,
        volume=r.integer("Volume", default=100, hi=200) or 0,
        sound_level_id=r.integer("SoundLevelId", hi=UINT32),
    )


def _image(r: Reader, key: str) -> str | None:
    value = r.string(key, max_len=2048)
    return None if value is None else validate.image_url(value, r.name(key))


def _user_data(r: Reader) -> bytes | None:
    value = r.string("UserData", max_len=4 * MAX_USER_DATA)
    if value is None:
        return None
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ZegoError(BAD_PARAM, "UserData must be base64") from None
    if len(data) > MAX_USER_DATA:
        raise ZegoError(BAD_PARAM, f"UserData is {len(data)} bytes, at most {MAX_USER_DATA}")
    return data


def _ex_para(r: Reader) -> dict[str, str]:
    return validate.key_values(r.raw("ExPara"), "ExPara", "Key", "Value")


def _common_options(r: Reader) -> bool:
    """ByPass (what StartMix acts on), and options the emulator accepts and range-checks but ignores."""
    bypass = bool(r.integer("ByPass", default=0, hi=1))
    r.integer("AlignmentType", default=0, hi=2)
    r.integer("RecvBufferLevel", default=0, hi=4000)
    return bypass
