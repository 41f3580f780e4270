"""ZEGO mix specs -> the provider-neutral MixJob.

Pure: what a stream id means comes from ``stream_info`` (a published stream's probed info, or None), so the
same code serves the live API and ``mix-emulator render``.

Choices where ZEGO's documents are silent (see docs/zego.md):
- the canvas is the first output that carries video; other outputs are scaled from it;
- RenderMode 0 (crop) fills the rectangle keeping aspect and crops the overflow; 1 (fill) fits the whole
  picture inside it with black bars;
- an input whose stream drops disappears at once (the background shows); all inputs gone for 90 s ends the
  task, as ZEGO documents;
- Image with DisplayMode 0 replaces the stream's picture (its sound stays); DisplayMode 1/2 put the image
  under the picture, so it shows while the stream is absent;
- ByPass (legacy bypass) with exactly one input stream: the output is that stream's picture whole, at its
  own size (the layout, images and labels are not applied); it is re-encoded (as the output asks), not
  copied bit for bit;
- UserData goes out as SEI in every video frame, and with SoundLevel on so do the inputs' sound levels
  (media/sei_feed.py has the bytes); AudioCodec 0 (HE-AAC) is encoded as AAC-LC;
- a StreamUrl (or legacy url) whose last path segment names a published stream reads that stream; any other
  URL is pulled as is (map production URLs with POST /_emulator/urls) until a stream of that name is
  published, which the mix then reads (``pull:``, core/resolver.py).
"""

from __future__ import annotations

import base64
from collections.abc import Callable

from emulator.core.job import (
    AudioSpec,
    Canvas,
    FitMode,
    Layer,
    MixJob,
    Output,
    Rect,
    SeiSpec,
    TextLabel,
    VideoSpec,
)
from emulator.core.resolver import pull_spec
from emulator.core.streams import MediaInfo
from emulator.providers.zego.spec import (
    AUDIO_ONLY,
    IMAGE_ALWAYS,
    RENDER_FIT,
    VIDEO_ONLY,
    AutoMixSpec,
    Box,
    ExtraInput,
    InputSpec,
    MixSpec,
    OutputSpec,
)
from emulator.providers.zego.validate import MAX_INPUTS, canvas_of, url_stream_name

StreamInfo = Callable[[str], MediaInfo | None]

IDLE_TIMEOUT_S = 90.0  # "all inputs gone for 90 s ends the task"
DEFAULT_MAX_FPS = 20  # ZEGO: "the frame rate is limited to 20 by default"
MIN_VIDEO_BITRATE = 10_000  # the encoder needs something to work with (legacy pure-audio sends 1)
WATERMARK_Z = 1 << 40  # above every input layer
AUDIO_CANVAS = Canvas(16, 16)  # audio-only tasks draw nothing
AUDIO_CODECS = {0: "he-aac", 1: "aac", 2: "mp3", 3: "opus"}  # AudioCodec / audio_enc_id


def mix_job(spec: MixSpec, stream_info: StreamInfo, *, max_fps: int = DEFAULT_MAX_FPS) -> MixJob:
    canvas_output = canvas_of(spec)
    bypassed = _bypassed(spec)
    if bypassed is not None and canvas_output is not None:
        return _bypass_job(spec, bypassed, canvas_output, stream_info, max_fps)
    if canvas_output is None:
        canvas = Canvas(AUDIO_CANVAS.width, AUDIO_CANVAS.height, spec.background_color)
    else:
        canvas = Canvas(
            canvas_output.width, canvas_output.height, spec.background_color, image=spec.background_image
        )
    layers: list[Layer] = []
    for item in spec.inputs:
        layers.extend(_input_layers(item, stream_info, draw=canvas_output is not None))
    if spec.watermark is not None and canvas_output is not None:
        layers.append(
            Layer(
                id="watermark",
                source=spec.watermark.image,
                z=WATERMARK_Z,
                rect=_rect(spec.watermark.box),
                audio=False,
                loop=True,
                keeps_alive=False,
            )
        )
    return MixJob(
        canvas=canvas,
        layers=layers,
        outputs=[_output(o, canvas_output, max_fps, spec.extra) for o in spec.outputs],
        input_loss_timeout=0.0,
        idle_timeout=IDLE_TIMEOUT_S,
        sei=_sei(spec),
    )


def _bypassed(spec: MixSpec) -> InputSpec | None:
    """The one input stream ByPass passes through, None when ByPass is off or there is not exactly one."""
    streams = [i for i in spec.inputs if i.stream_id is not None or i.stream_url is not None]
    return streams[0] if spec.bypass and len(streams) == 1 else None


def _bypass_job(
    spec: MixSpec, item: InputSpec, canvas_output: OutputSpec, stream_info: StreamInfo, max_fps: int
) -> MixJob:
    """ByPass: the input's picture whole at its own size (the request's size while it is unknown)."""
    source = source_of(item.stream_id, item.stream_url, stream_info)
    info = stream_info(source.removeprefix("stream:")) if source.startswith("stream:") else None
    width = info.width if info is not None and info.width else canvas_output.width
    height = info.height if info is not None and info.height else canvas_output.height
    size = OutputSpec(stream_id="", width=width, height=height)
    layer = Layer(id=item.key, source=source, audio=item.content != VIDEO_ONLY, volume=item.volume)
    outputs = [_output(o, size, max_fps, spec.extra, same_size=True) for o in spec.outputs]
    return MixJob(
        canvas=Canvas(width, height),
        layers=[layer],
        outputs=outputs,
        input_loss_timeout=0.0,
        idle_timeout=IDLE_TIMEOUT_S,
        sei=_sei(spec),
    )


def _sei(spec: MixSpec) -> SeiSpec | None:
    """UserData and (SoundLevel on) the inputs' levels by SoundLevelId, as SEI in the video."""
    levels = {}
    if spec.sound_level:
        levels = {i.key: i.sound_level_id for i in spec.inputs if i.sound_level_id is not None}
    if not spec.user_data and not levels:
        return None
    user_data = base64.b64encode(spec.user_data).decode("ascii") if spec.user_data else None
    return SeiSpec(user_data=user_data, sound_levels=levels)


def auto_mix_job(spec: AutoMixSpec, room_streams: list[str], stream_info: StreamInfo) -> MixJob:
    """Audio only: the room's streams in publish order (at most 9), ExtraMixInput added and removed."""
    extras = {e.key: e for e in spec.extra if not e.remove}
    layers = [
        _extra_layer(extras[key], stream_info) if key in extras else _audio_layer(key, f"stream:{key}", 100)
        for key in auto_mix_inputs(spec, room_streams)[:MAX_INPUTS]
    ]
    return MixJob(
        canvas=AUDIO_CANVAS,
        layers=layers,
        outputs=[_output(o, None, DEFAULT_MAX_FPS, {}) for o in spec.outputs],
        input_loss_timeout=0.0,
        idle_timeout=IDLE_TIMEOUT_S,
    )


def auto_mix_inputs(spec: AutoMixSpec, room_streams: list[str]) -> list[str]:
    """The keys of every input an auto-mix has now: room streams not removed, then added streams."""
    removed = {e.stream_id for e in spec.extra if e.remove}
    keys = [s for s in room_streams if s not in removed]
    keys.extend(e.key for e in spec.extra if not e.remove and e.key not in keys)
    return keys


def source_of(stream_id: str | None, url: str | None, stream_info: StreamInfo) -> str:
    """The source spec of an input given by stream id or URL (see the module docstring)."""
    if url is None:
        return f"stream:{stream_id}"
    name = url_stream_name(url)
    # Not published yet: the task keeps looking for it, and pulls the URL meanwhile (core/resolver.py).
    return f"stream:{name}" if stream_info(name) is not None else pull_spec(url)


# ----- parts
def _input_layers(item: InputSpec, stream_info: StreamInfo, *, draw: bool) -> list[Layer]:
    has_stream = item.stream_id is not None or item.stream_url is not None
    video = draw and item.box is not None and item.content != AUDIO_ONLY
    layers: list[Layer] = []
    image_covers = item.image_url is not None and item.image_mode == IMAGE_ALWAYS
    if item.image_url is not None and video:
        layers.append(
            Layer(
                id=f"{item.key}#image",
                source=item.image_url,
                z=item.layer,
                rect=_rect(item.box),
                fit=FitMode.STRETCH,
                audio=False,
                loop=True,
                keeps_alive=False,
                corner_radius=item.corner_radius,
                label=_label(item) if image_covers else None,
            )
        )
    if has_stream:
        layers.append(
            Layer(
                id=item.key,
                source=source_of(item.stream_id, item.stream_url, stream_info),
                z=item.layer,
                rect=_rect(item.box) if video else None,
                fit=FitMode.FIT if item.render_mode == RENDER_FIT else FitMode.FILL,
                bar_color="#000000" if item.render_mode == RENDER_FIT else None,
                video=video and not image_covers,
                audio=item.content != VIDEO_ONLY,
                volume=item.volume,
                corner_radius=item.corner_radius,
                label=_label(item) if video and not image_covers else None,
            )
        )
    return layers


def _audio_layer(layer_id: str, source: str, volume: int) -> Layer:
    return Layer(id=layer_id, source=source, video=False, audio=True, volume=volume)


def _extra_layer(extra: ExtraInput, stream_info: StreamInfo) -> Layer:
    return _audio_layer(extra.key, source_of(extra.stream_id, extra.stream_url, stream_info), extra.volume)


def _rect(box: Box | None) -> Rect | None:
    return None if box is None else Rect(box.left, box.top, box.width, box.height)


def _label(item: InputSpec) -> TextLabel | None:
    label = item.label
    if label is None:
        return None
    return TextLabel(text=label.text, font_size=label.font_size, color=label.color, x=label.left, y=label.top)


def _output(
    output: OutputSpec,
    canvas: OutputSpec | None,
    max_fps: int,
    extra: dict[str, str],
    *,
    same_size: bool = False,
) -> Output:
    rate = 48_000 if output.audio_codec == 3 else 44_100  # OPUS runs at 48 kHz, the AAC family at 44.1
    codec = AUDIO_CODECS.get(output.audio_codec, "aac")
    audio = AudioSpec(sample_rate=rate, channels=output.channels, bitrate=output.audio_bitrate, codec=codec)
    video = None
    if canvas is not None and not output.audio_only:
        same = same_size or (output.width, output.height) == (canvas.width, canvas.height)
        video = VideoSpec(
            width=None if same else output.width,
            height=None if same else output.height,
            fps=float(min(output.fps, max_fps)),
            bitrate=None if output.bitrate is None else max(output.bitrate, MIN_VIDEO_BITRATE),
            crf=output.crf,
            # legacy extra_params / ExPara video_encode=h265 asks for H.265 too
            codec="h265" if extra.get("video_encode", "").lower() == "h265" else output.video_codec,
        )
    push = [output.push_url] if output.push_url else []
    return Output(stream_id=output.stream_id, video=video, audio=audio, push_urls=push)
