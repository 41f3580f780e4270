"""The provider-neutral mixing job: the one language between provider adapters and the media engine.

A provider adapter turns a request into a :class:`MixJob`; the media pipeline renders any MixJob. Neither
side knows the other. Everything here is plain data: it serialises to JSON for the control API
(``to_dict``) and back (``from_dict``) for ``mix-emulator render``.

Source specs (``Layer.source``, ``Canvas.image``) are strings the media engine understands:

- a file path or ``file://`` URL (MP4, FLV, MKV, TS, PNG, JPEG ...),
- ``http(s)://`` (a file, HTTP-FLV or an HLS ``.m3u8``), ``rtmp://`` (a pull),
- ``pattern:bars?size=640x360&fps=30&tone=440`` / ``pattern:color?color=#ff0000&size=320x240`` (synthetic),
- ``stream:<id>``: a stream published to the emulator; the pipeline's resolver maps it to a concrete
  source and reports it missing while it is unpublished (the input "drops").
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


class FitMode(enum.StrEnum):
    """How a (cropped) source fills its destination rectangle."""

    STRETCH = "stretch"  # scale to the rect exactly, aspect ignored
    FIT = "fit"  # scale to fit inside keeping aspect; the rest is bars (Layer.bar_color) or transparent
    FILL = "fill"  # scale to cover keeping aspect; the overflow is cropped away (centred)


@dataclass
class Rect:
    """A rectangle in pixels. ``w``/``h`` of None in a destination rect mean "from the source":
    both None = the source's own size; one None = derived from the other keeping the source's aspect."""

    x: int = 0
    y: int = 0
    w: int | None = None
    h: int | None = None


@dataclass
class TextLabel:
    """Text drawn over a layer (ZEGO Label). Position is relative to the layer's rect."""

    text: str
    font_size: int = 24
    color: str = "#ffffff"
    x: int = 0
    y: int = 0
    background: str | None = None  # "#rrggbb[aa]" box behind the text, None = none


@dataclass
class Layer:
    """One input placed on the canvas (video) and/or mixed into the output (audio)."""

    id: str  # the provider's name for this input (stream id, InputSource ID, ...): keys status and levels
    source: str  # a source spec, see the module docstring
    z: int = 0  # higher draws above lower; ties keep list order
    rect: Rect | None = None  # destination on the canvas; None = the whole canvas
    crop: Rect | None = None  # region of the source (source pixels) taken before scaling; None = all
    fit: FitMode = FitMode.STRETCH
    bar_color: str | None = None  # FIT mode: colour of the bars ("#000000"), None = transparent
    video: bool = True  # False: audio only (nothing drawn)
    audio: bool = True  # False: video only (not mixed)
    volume: int = 100  # 0..200 percent
    loop: bool = False  # file sources: start again at the end instead of ending
    opacity: float = 1.0  # 0..1, multiplies the source's own alpha
    source_alpha: bool = True  # False: the source's own alpha channel is ignored (drawn opaque)
    corner_radius: int = 0  # rounded corners, pixels (transparent outside)
    label: TextLabel | None = None
    freezes_canvas: bool = False  # when this input is lost the whole picture freezes (Tencent background)
    keeps_alive: bool = True  # False: a decoration (logo, watermark, canvas); the idle rule ignores it


@dataclass
class Canvas:
    width: int
    height: int
    color: str = "#000000"  # "#rrggbb" background
    image: str | None = None  # a source spec of a picture stretched over the background colour


@dataclass
class VideoSpec:
    width: int | None = None  # None = canvas size; other sizes are scaled from the canvas
    height: int | None = None
    fps: float = 25.0
    bitrate: int | None = 1_000_000  # bps; None = constant quality (crf)
    crf: int | None = None  # used when bitrate is None (0..51)
    gop_seconds: float = 2.0  # keyframe interval
    preset: str = "veryfast"  # libx264 preset (libx265 always runs at ultrafast, media/encoder.py)
    codec: str = "h264"  # "h264" or "h265"; anything else is encoded as H.264 (the task view says so)


@dataclass
class AudioSpec:
    sample_rate: int = 44100
    channels: int = 2
    bitrate: int = 64_000  # bps
    codec: str = "aac"  # "aac", "he-aac" (encoded as AAC-LC: no HE-AAC encoder), "mp3" or "opus"


@dataclass
class Output:
    """One output stream: encoded once, played at /live/{stream_id}.flv and /live/{stream_id}/index.m3u8,
    recorded under the data dir and pushed to each rtmp:// URL in push_urls."""

    stream_id: str
    video: VideoSpec | None = field(default_factory=VideoSpec)  # None = audio-only output
    audio: AudioSpec | None = field(default_factory=AudioSpec)  # None = video-only output
    push_urls: list[str] = field(default_factory=list)
    record: bool = True


@dataclass
class SeiSpec:
    """SEI (user_data_unregistered) the outputs' video carries in every frame (media/sei_feed.py documents the
    bytes). An update of the job changes it from the next frame on."""

    user_data: str | None = None  # base64 of bytes sent as they are
    sound_levels: dict[str, int] = field(default_factory=dict)  # layer id -> the id its level goes out as
    pass_input: bool = False  # each input's own SEI is copied into the frames composed from it


@dataclass
class MixJob:
    canvas: Canvas
    layers: list[Layer] = field(default_factory=list)
    outputs: list[Output] = field(default_factory=list)
    # Emulator-clock rules (seconds; None = never). The media engine reports input loss; the TaskManager
    # applies these against the emulator clock.
    input_loss_timeout: float | None = None  # a lost input freezes until then, then shows the background
    idle_timeout: float | None = None  # all inputs lost this long -> the task ends
    max_duration: float | None = None  # the task ends after running this long
    sei: SeiSpec | None = None

    def to_dict(self) -> dict[str, Any]:
        return _to_jsonable(dataclasses.asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MixJob:
        """Build a MixJob from JSON; raises ValueError/TypeError naming the field that is wrong."""
        return _build(cls, data, "job")


def _to_jsonable(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dict):
        return {k: _to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_jsonable(v) for v in value]
    return value


_NESTED: dict[tuple[type, str], type] = {
    (MixJob, "canvas"): Canvas,
    (Layer, "rect"): Rect,
    (Layer, "crop"): Rect,
    (Layer, "label"): TextLabel,
    (Output, "video"): VideoSpec,
    (Output, "audio"): AudioSpec,
    (MixJob, "sei"): SeiSpec,
}
_LISTS: dict[tuple[type, str], type] = {(MixJob, "layers"): Layer, (MixJob, "outputs"): Output}


def _build(cls: type, data: Any, where: str) -> Any:
    if not isinstance(data, dict):
        raise TypeError(f"{where}: expected an object")
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise ValueError(f"{where}.{unknown[0]}: unknown field")
    kwargs: dict[str, Any] = {}
    for name, value in data.items():
        path = f"{where}.{name}"
        if (cls, name) in _NESTED and value is not None:
            value = _build(_NESTED[(cls, name)], value, path)
        elif (cls, name) in _LISTS:
            if not isinstance(value, list):
                raise TypeError(f"{path}: expected a list")
            value = [_build(_LISTS[(cls, name)], item, f"{path}[{i}]") for i, item in enumerate(value)]
        elif cls is Layer and name == "fit":
            try:
                value = FitMode(value)
            except ValueError:
                raise ValueError(f"{path}: one of stretch, fit, fill") from None
        kwargs[name] = value
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field is missing
        raise TypeError(f"{where}: {exc}") from None


@dataclass(frozen=True)
class ResolvedSource:
    """What a ``stream:<id>`` (or a mapped production URL) points at right now. ``generation`` changes
    when the stream is published again, so the pipeline reopens it (the input "comes back")."""

    spec: str
    generation: int = 0
    loop: bool = False  # a published file stream loops unless it was published with loop=false


# Maps a Layer.source / Canvas.image to what to open now; None = not available (the input is lost).
# Specs that need no resolution (files, patterns, URLs nobody mapped) come back unchanged.
SourceResolver = Callable[[str], ResolvedSource | None]
