"""Parsing and validation of the mixing actions' JSON bodies, with every field range of the API docs.

A field that is absent (or null) but required is ``MissingParameter``; anything else wrong is
``InvalidParameter`` with a message naming the field by its path (``MixedRules.InputSource[1].Layer``).
Unknown fields are ignored, as the Go backend's JSON binding does. Video BitRate and FrameRate are clamped
into range rather than refused (the docs say so); the values as sent are kept, so Update can compare them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from emulator.providers.volcengine.errors import invalid, missing

MAX_SOURCES = 8
MAX_LOGOS = 4
MAX_OUTPUT_URLS = 8
MAX_PAGE_SIZE = 100
LAYER_RANGE = (1, 9999)
SIZE_RANGE = (10, 2160)  # Scene Width/Height and Layout W/H
VIDEO_BITRATE_RANGE = (1_000_000, 20_000_000)  # clamped
FRAME_RATE_RANGE = (10, 60)  # clamped
GOP_RANGE = (1, 10)
AUDIO_BITRATE_RANGE = (128_000, 320_000)
SAMPLE_RATES = (32000, 44100, 48000)
CHANNELS = {"mono": 1, "stereo": 2}
CODECS = ("h264", "h265")
SOURCE_TYPES = ("vod", "live", "pic")
# URL schemes each source type accepts; URLs without "://" (published stream ids, local paths, pattern:
# sources) are emulator extensions, accepted for every type and resolved when the task opens them.
SCHEMES = {
    "vod": ("http", "https", "file"),
    "live": ("rtmp", "rtmps", "http", "https"),
    "pic": ("http", "https", "file"),
}
MAX_TEXT = 4096
MAX_NAME = 256


@dataclass(frozen=True)
class Box:
    """A limit box on the canvas: the picture is scaled into it keeping its aspect."""

    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True)
class InputSource:
    id: str
    layer: int
    type: str
    url: str


@dataclass(frozen=True)
class Logo:
    box: Box
    url: str


@dataclass(frozen=True)
class VideoOutput:
    bitrate: int  # as sent; ``effective_bitrate`` is clamped
    frame_rate: int
    gop: int
    codec: str

    @property
    def effective_bitrate(self) -> int:
        return _clamp(self.bitrate, VIDEO_BITRATE_RANGE)

    @property
    def effective_frame_rate(self) -> int:
        return _clamp(self.frame_rate, FRAME_RATE_RANGE)

    def runs_as(self) -> tuple[int, int, int, str]:
        """What the task encodes: the request's values and GetCloudMixTaskDetail's corrected ones agree."""
        return (self.effective_bitrate, self.effective_frame_rate, self.gop, self.codec)


@dataclass(frozen=True)
class AudioOutput:
    bitrate: int
    sample_rate: int
    channel_layout: str

    @property
    def channels(self) -> int:
        return CHANNELS[self.channel_layout]


@dataclass(frozen=True)
class OutputRule:
    video: VideoOutput
    audio: AudioOutput
    urls: tuple[str, ...]
    callback_url: str | None


@dataclass(frozen=True)
class MixedRules:
    width: int
    height: int
    sources: tuple[InputSource, ...]
    boxes: dict[int, Box]  # Scene.Layout by Layer
    logos: tuple[Logo, ...]
    output: OutputRule

    def to_rule(self) -> dict[str, Any]:
        """The rule the task runs (BitRate and FrameRate clamped), for GetCloudMixTaskDetail."""
        video, audio = self.output.video, self.output.audio
        output: dict[str, Any] = {
            "Video": {
                "BitRate": video.effective_bitrate,
                "FrameRate": video.effective_frame_rate,
                "GOP": video.gop,
                "Codec": video.codec,
            },
            "Audio": {
                "BitRate": audio.bitrate,
                "SampleRate": audio.sample_rate,
                "ChannelLayout": audio.channel_layout,
            },
            "Url": list(self.output.urls),
        }
        if self.output.callback_url is not None:
            output["Callback"] = {"Url": self.output.callback_url}
        return {
            "InputSource": [
                {"ID": source.id, "Layer": source.layer, "Type": source.type, "Url": source.url}
                for source in self.sources
            ],
            "InputLayout": {
                "Scene": {
                    "Width": self.width,
                    "Height": self.height,
                    "Layout": [_box_dict(box) | {"Layer": layer} for layer, box in self.boxes.items()],
                },
                "Logo": [{"Layout": _box_dict(logo.box), "Url": logo.url} for logo in self.logos],
            },
            "Output": output,
        }


def _box_dict(box: Box) -> dict[str, int]:
    return {"X": box.x, "Y": box.y, "W": box.w, "H": box.h}


def _clamp(value: int, bounds: tuple[int, int]) -> int:
    return max(bounds[0], min(bounds[1], value))


class _Obj:
    """A JSON object being read, with the path of its fields for error messages."""

    def __init__(self, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise invalid(path or "body", "must be a JSON object")
        self.data = value
        self.path = path

    def at(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def raw(self, key: str, required: bool) -> Any:
        value = self.data.get(key)
        if value is None and required:
            raise missing(self.at(key))
        return value

    def integer(self, key: str, bounds: tuple[int, int] | None = None) -> int:
        value = self.raw(key, True)
        if isinstance(value, bool) or not isinstance(value, int):
            raise invalid(self.at(key), "must be an integer")
        if bounds is not None and not bounds[0] <= value <= bounds[1]:
            raise invalid(self.at(key), f"must be in [{bounds[0]}, {bounds[1]}], got {value}")
        return value

    def text(self, key: str, max_len: int = MAX_TEXT) -> str:
        value = self.raw(key, True)
        if not isinstance(value, str):
            raise invalid(self.at(key), "must be a string")
        if not value.strip():
            raise invalid(self.at(key), "must not be empty")
        if len(value) > max_len:
            raise invalid(self.at(key), f"longer than {max_len} characters")
        return value

    def choice(self, key: str, allowed: tuple[Any, ...]) -> Any:
        value = self.raw(key, True)
        numeric = isinstance(allowed[0], int)
        if isinstance(value, bool) or (numeric and not isinstance(value, int)) or value not in allowed:
            shown = ", ".join(str(a) for a in allowed)
            raise invalid(self.at(key), f"must be one of {shown}, got {json.dumps(value)}")
        return value

    def object(self, key: str) -> _Obj:
        return _Obj(self.raw(key, True), self.at(key))

    def optional_object(self, key: str) -> _Obj | None:
        value = self.raw(key, False)
        return None if value is None else _Obj(value, self.at(key))

    def array(self, key: str, max_items: int, *, required: bool = True) -> list[Any]:
        value = self.raw(key, required)
        if value is None:
            return []
        if not isinstance(value, list):
            raise invalid(self.at(key), "must be an array")
        least = 1 if required else 0
        if not least <= len(value) <= max_items:
            raise invalid(self.at(key), f"must have {least} to {max_items} entries, got {len(value)}")
        return value

    def items(self, key: str, max_items: int, *, required: bool = True) -> list[_Obj]:
        """The entries of an array of objects, each named ``Key[i]``."""
        return [
            _Obj(v, f"{self.at(key)}[{i}]")
            for i, v in enumerate(self.array(key, max_items, required=required))
        ]


def parse_name(body: Any) -> str:
    return _Obj(body, "").text("Name", MAX_NAME)


def parse_task_id(body: Any) -> str:
    return _Obj(body, "").text("TaskID", MAX_NAME)


def parse_page(body: Any) -> tuple[int, int]:
    obj = _Obj(body, "")
    return obj.integer("Page", (1, 2**31 - 1)), obj.integer("PageSize", (1, MAX_PAGE_SIZE))


def parse_rules(body: Any) -> MixedRules:
    rules = _Obj(body, "").object("MixedRules")
    layout = rules.object("InputLayout")
    scene = layout.object("Scene")
    width, height = scene.integer("Width", SIZE_RANGE), scene.integer("Height", SIZE_RANGE)
    sources = _sources(rules)
    boxes = _scene_layout(scene, width, height)
    for i, source in enumerate(sources):
        if source.layer not in boxes:
            raise invalid(
                f"MixedRules.InputSource[{i}].Layer",
                f"no InputLayout.Scene.Layout entry has Layer {source.layer}: every source needs one",
            )
    used = {s.layer for s in sources}
    for layer in boxes:
        if layer not in used:
            raise invalid(scene.at("Layout"), f"Layer {layer} matches no InputSource")
    logos = tuple(_logo(obj, width, height) for obj in layout.items("Logo", MAX_LOGOS, required=False))
    return MixedRules(width, height, sources, boxes, logos, _output(rules.object("Output")))


def _sources(rules: _Obj) -> tuple[InputSource, ...]:
    sources: list[InputSource] = []
    for obj in rules.items("InputSource", MAX_SOURCES):
        source = InputSource(
            id=obj.text("ID", MAX_NAME),
            layer=obj.integer("Layer", LAYER_RANGE),
            type=obj.choice("Type", SOURCE_TYPES),
            url=obj.text("Url"),
        )
        _check_scheme(obj, source.url, SCHEMES[source.type], f"a {source.type} source")
        for other in sources:
            if other.id == source.id:
                raise invalid(obj.at("ID"), f"{source.id!r} is used twice: source IDs must be unique")
            if other.layer == source.layer:
                raise invalid(
                    obj.at("Layer"), f"{source.layer} is used twice: each source needs its own Layer"
                )
        sources.append(source)
    return tuple(sources)


def _check_scheme(obj: _Obj, url: str, schemes: tuple[str, ...], what: str) -> None:
    if "://" in url and url.split("://", 1)[0].lower() not in schemes:
        raise invalid(
            obj.at("Url"), f"{what} needs a {'/'.join(schemes)} URL, got {url.split('://', 1)[0]}://"
        )


def _scene_layout(scene: _Obj, width: int, height: int) -> dict[int, Box]:
    boxes: dict[int, Box] = {}
    for obj in scene.items("Layout", MAX_SOURCES):
        box = _box(obj, width, height)
        layer = obj.integer("Layer", LAYER_RANGE)
        if layer in boxes:
            raise invalid(obj.at("Layer"), f"Layer {layer} has two Layout entries")
        boxes[layer] = box
    return boxes


def _box(obj: _Obj, width: int, height: int) -> Box:
    return Box(
        x=obj.integer("X", (0, width)),
        y=obj.integer("Y", (0, height)),
        w=obj.integer("W", SIZE_RANGE),
        h=obj.integer("H", SIZE_RANGE),
    )


def _logo(obj: _Obj, width: int, height: int) -> Logo:
    logo = Logo(_box(obj.object("Layout"), width, height), obj.text("Url"))
    _check_scheme(obj, logo.url, SCHEMES["pic"], "a logo")
    return logo


def _output(obj: _Obj) -> OutputRule:
    video, audio = obj.object("Video"), obj.object("Audio")
    urls = obj.array("Url", MAX_OUTPUT_URLS)
    for i, url in enumerate(urls):
        if not isinstance(url, str) or not url.strip() or len(url) > MAX_TEXT:
            raise invalid(f"{obj.at('Url')}[{i}]", "must be a non-empty push URL")
    callback = obj.optional_object("Callback")
    callback_url = None
    if callback is not None:
        callback_url = callback.text("Url")
        if not callback_url.lower().startswith(("http://", "https://")):
            raise invalid(callback.at("Url"), "must be an http or https URL")
    return OutputRule(
        video=VideoOutput(
            bitrate=video.integer("BitRate"),
            frame_rate=video.integer("FrameRate"),
            gop=video.integer("GOP", GOP_RANGE),
            codec=video.choice("Codec", CODECS),
        ),
        audio=AudioOutput(
            bitrate=audio.integer("BitRate", AUDIO_BITRATE_RANGE),
            sample_rate=audio.choice("SampleRate", SAMPLE_RATES),
            channel_layout=audio.choice("ChannelLayout", tuple(CHANNELS)),
        ),
        urls=tuple(urls),
        callback_url=callback_url,
    )


def check_same_output(original: OutputRule, new: OutputRule) -> None:
    """Update may not change Output: Video, Audio and Url must be the task's original ones. Callback may be
    left out (the seed's own Update example leaves out the Callback its Create example has): the task keeps
    its callback; given, it must be the original too. Video is compared as it runs (BitRate and FrameRate
    clamped), so the Rule GetCloudMixTaskDetail returned, with the corrected values, passes back unchanged."""
    callback_changed = new.callback_url is not None and new.callback_url != original.callback_url
    if (new.video.runs_as(), new.audio, new.urls) != (
        original.video.runs_as(),
        original.audio,
        original.urls,
    ) or callback_changed:
        raise invalid("MixedRules.Output", "cannot change on update: pass the task's original Output")
