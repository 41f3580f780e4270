"""A parsed ZEGO mix request, the same for the rtc-api and the legacy web API.

Both APIs front the same mixing service; their parsers (parse_rtc.py, parse_legacy.py) fill these classes and
translate.py turns them into a MixJob. Rectangles are in output pixels, as ZEGO gives them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

AUDIO_VIDEO, AUDIO_ONLY, VIDEO_ONLY = 0, 1, 2  # ContentControl / content_control
RENDER_CROP, RENDER_FIT = 0, 1  # RenderMode / render_mode
IMAGE_ALWAYS = 0  # Image.DisplayMode: 0 always shown, 1 camera off, 2 stream absent


@dataclass(frozen=True)
class Box:
    left: int
    top: int
    right: int
    bottom: int

    @property
    def width(self) -> int:
        return self.right - self.left

    @property
    def height(self) -> int:
        return self.bottom - self.top


@dataclass
class Label:
    text: str
    left: int = 0
    top: int = 0
    font_size: int = 24
    color: str = "#ffffff"


@dataclass
class InputSpec:
    stream_id: str | None = None  # an RTC stream id
    stream_url: str | None = None  # or a pull URL (RTMP / HTTP-FLV); wins over stream_id
    box: Box | None = None  # None = audio only (empty RectInfo)
    layer: int = 0
    corner_radius: int = 0
    content: int = AUDIO_VIDEO
    volume: int = 100
    sound_level_id: int | None = None
    render_mode: int = RENDER_CROP
    image_url: str | None = None
    image_mode: int = IMAGE_ALWAYS
    label: Label | None = None

    @property
    def key(self) -> str:
        """What identifies the input (duplicates, layer ids, sound levels)."""
        return self.stream_url or self.stream_id or f"image:{self.image_url}"


@dataclass
class OutputSpec:
    stream_id: str  # the output's name (derived from StreamUrl when only a URL is given)
    push_url: str | None = None  # RTMP URL the mix is pushed to (a CDN output)
    width: int = 0  # 0 or 1 (with height 0 or 1): audio-only output
    height: int = 0
    fps: int = 15
    bitrate: int | None = None  # bps; None = constant quality (crf)
    crf: int | None = None
    video_codec: str = "h264"
    audio_bitrate: int = 48_000
    audio_codec: int = 0  # 0 HE-AAC (encoded as AAC-LC), 1 AAC-LC, 2 MP3, 3 OPUS
    channels: int = 1

    @property
    def audio_only(self) -> bool:
        return self.width <= 1 or self.height <= 1


@dataclass
class Watermark:
    image: str
    box: Box


@dataclass
class MixSpec:
    task_id: str
    user_id: str
    inputs: list[InputSpec]
    outputs: list[OutputSpec]
    room_id: str = ""
    sequence: int | None = None
    background_color: str = "#000000"
    background_image: str | None = None
    watermark: Watermark | None = None
    user_data: bytes | None = None
    sound_level: bool = False
    bypass: bool = False  # ByPass: a single input is passed through as it is
    extra: dict[str, str] = field(default_factory=dict)  # ExPara / extra_params (video_encode is used)

    @property
    def audio_only(self) -> bool:
        return all(o.audio_only for o in self.outputs)


@dataclass
class ExtraInput:
    """StartAutoMix ExtraMixInput: a stream added to (ModifyType 0) or removed from (1) the room's mix."""

    stream_id: str | None
    stream_url: str | None
    remove: bool = False
    volume: int = 100
    sound_level_id: int | None = None

    @property
    def key(self) -> str:
        return self.stream_url or self.stream_id or ""


@dataclass
class AutoMixSpec:
    task_id: str
    user_id: str
    room_id: str
    outputs: list[OutputSpec]
    extra: list[ExtraInput] = field(default_factory=list)
    sequence: int | None = None
    user_data: bytes | None = None
    sound_level: bool = False


@dataclass
class StopSpec:
    task_id: str
    user_id: str | None = None
    sequence: int | None = None
    room_id: str | None = None  # StopAutoMix
