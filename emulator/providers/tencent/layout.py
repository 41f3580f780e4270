"""A validated start request -> the provider-neutral MixJob (canvas, layers, output).

Rules, from the seed and Tencent's demo scripts (choices where they are silent: docs/tencent.md):
- The canvas is the background (image_layer 1): a stream's or picture's own size, or its image_width /
  image_height when given (that is the output size); a canvas input's image_width / image_height, or when
  it has none the size of the stream with the smallest layer. No visible input at all: an audio-only mix.
- Sizes and positions below 1 are shares of the background's width or height (the seed's rule).
- A small window's default size is its (cropped) source's own size, or the template's; explicit values
  override the template one by one. Crop comes first, then scaling; an aspect that does not match the
  window gives black bars (FAQ 8). Layers draw in image_layer order.
- Cloud API 3.0 ControlParams: UseMixCropCenter 1 crops a stream to its window's aspect instead of bars;
  a picture's alpha applies only with UsePictureTransparent 1 (the legacy CGI always applies it);
  OutputParams.MixSei and PassInputSei become the job's SEI (media/sei_feed.py has the bytes).
- A dropped background freezes the whole picture; a dropped window freezes on its last frame, for up to
  15 minutes; all inputs gone for 15 minutes ends the mix (FAQ 6 and 12).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from emulator.core.job import AudioSpec, Canvas, FitMode, Layer, MixJob, Output, Rect, SeiSpec, VideoSpec
from emulator.providers.tencent.errors import TencentError
from emulator.providers.tencent.params import MAX_PIXELS, InputSpec, InputType, Length, StartRequest
from emulator.providers.tencent.templates import window_position, window_size

IDLE_TIMEOUT_S = 15 * 60
INPUT_LOSS_TIMEOUT_S = 15 * 60
DEFAULT_FPS = 25.0
MIN_FPS, MAX_FPS = 5.0, 60.0
BLACK = "#000000"
AUDIO_ONLY_CANVAS = 16  # a placeholder canvas: an audio-only mix encodes no video


@dataclass(frozen=True)
class SourceFacts:
    """What the layout needs of a stream or picture input: what to open and, when known, its size."""

    spec: str
    width: int | None = None
    height: int | None = None
    fps: float | None = None

    @property
    def size(self) -> tuple[int, int] | None:
        return (self.width, self.height) if self.width and self.height else None


# Facts of a stream or picture input; raises TencentError when it cannot be had (unknown picture id).
SourceLookup = Callable[[InputSpec], SourceFacts]


def build_job(req: StartRequest, lookup: SourceLookup) -> MixJob:
    facts = {spec.layer: lookup(spec) for spec in req.inputs if spec.input_type != InputType.CANVAS}
    size = _canvas_size(req, facts)
    bg = req.background
    if size is None:
        width = height = AUDIO_ONLY_CANVAS
    else:
        width, height = size
    layers: list[Layer] = []
    if bg.input_type != InputType.CANVAS:
        layers.append(_background_layer(bg, facts[bg.layer], width, height, size is not None, req))
    index = 0  # the template's window number: visible windows only
    for spec in req.windows:
        if spec.visible:
            layers.append(_window_layer(req, index, spec, facts.get(spec.layer), width, height))
            index += 1
        else:
            layers.append(Layer(id=spec.stream_id, source=facts[spec.layer].spec, z=spec.layer, video=False))
    _unique_ids(layers)
    return MixJob(
        canvas=Canvas(width, height, bg.color if bg.input_type == InputType.CANVAS else BLACK),
        layers=layers,
        outputs=[_output(req, facts, None if size is None else (width, height))],
        input_loss_timeout=INPUT_LOSS_TIMEOUT_S,
        idle_timeout=IDLE_TIMEOUT_S,
        sei=_sei(req),
    )


def _sei(req: StartRequest) -> SeiSpec | None:
    control = req.control
    if control.mix_sei is None and not control.pass_input_sei:
        return None
    user_data = base64.b64encode(control.mix_sei).decode("ascii") if control.mix_sei else None
    return SeiSpec(user_data=user_data, pass_input=control.pass_input_sei)


# ----- the canvas
def _canvas_size(req: StartRequest, facts: dict[int, SourceFacts]) -> tuple[int, int] | None:
    bg = req.background
    if not any(spec.visible for spec in req.inputs):
        return None
    if bg.input_type == InputType.AUDIO:
        raise TencentError(-28, "Get background height and width failed, the background is audio only!")
    if bg.input_type == InputType.CANVAS:
        if bg.width is None and bg.height is None:
            size = _smallest_layer_stream_size(req, facts)
        elif bg.width is None or bg.height is None or bg.width.fraction or bg.height.fraction:
            raise TencentError(-28, "Get background height and width failed, set the canvas size in pixels!")
        else:
            size = (bg.width.pixels(0), bg.height.pixels(0))
    else:
        size = _scaled(bg, facts[bg.layer])
    width, height = size
    if not (0 < width <= MAX_PIXELS and 0 < height <= MAX_PIXELS):
        raise TencentError(-4, f"Stream params error, output size {width}x{height} not in (0, 3000]!")
    return width, height


def _smallest_layer_stream_size(req: StartRequest, facts: dict[int, SourceFacts]) -> tuple[int, int]:
    """A canvas background without a size takes the size of the stream with the smallest layer."""
    first = next(
        (s for s in req.windows if s.input_type in (InputType.AUDIO_VIDEO, InputType.VIDEO)),
        None,
    )
    if first is None:
        raise TencentError(-28, "Get background height and width failed, the canvas has no size set!")
    return _known_size(first, facts[first.layer])


def _known_size(spec: InputSpec, facts: SourceFacts) -> tuple[int, int]:
    if facts.size is None:
        raise TencentError(
            -507, f"Get stream height and width failed, stream [{spec.stream_id}] size unknown!"
        )
    return facts.size


# ----- layers
def _background_layer(
    bg: InputSpec, facts: SourceFacts, width: int, height: int, video: bool, req: StartRequest
) -> Layer:
    picture = bg.input_type == InputType.PICTURE
    return Layer(
        id=bg.stream_id,
        source=facts.spec,
        z=bg.layer,
        rect=Rect(0, 0, width, height) if video else None,
        crop=_crop_rect(bg, facts) if video else None,
        fit=FitMode.FILL if req.control.crop_center and not picture else FitMode.FIT,
        bar_color=BLACK,
        source_alpha=req.control.picture_alpha or not picture,
        video=video and bg.input_type != InputType.AUDIO,
        audio=bg.input_type in (InputType.AUDIO_VIDEO, InputType.AUDIO),
        # A background stream that drops freezes the whole picture (FAQ 6).
        freezes_canvas=video and bg.is_stream,
    )


def _window_layer(
    req: StartRequest, index: int, spec: InputSpec, facts: SourceFacts | None, width: int, height: int
) -> Layer:
    template_id = req.template_id
    box_w: int | None = None
    box_h: int | None = None
    if template_id:
        box_w, box_h = window_size(template_id, width, height)
    # A tiny share of a small canvas still leaves a window of at least one pixel.
    w = max(1, spec.width.pixels(width)) if spec.width else box_w
    h = max(1, spec.height.pixels(height)) if spec.height else box_h
    if spec.input_type == InputType.CANVAS:
        if not w or not h:
            raise TencentError(
                -507, f"Get stream height and width failed, canvas [{spec.stream_id}] has no size!"
            )
        x, y = _position(template_id, index, spec, width, height, w, h)
        return Layer(
            id=spec.stream_id,
            source=f"pattern:color?color={spec.color}&size={w}x{h}",
            z=spec.layer,
            rect=Rect(x, y, w, h),
            audio=False,
            keeps_alive=False,  # a canvas is not a stream: it never keeps an abandoned mix alive
        )
    assert facts is not None
    crop = _crop_rect(spec, facts)
    w, h = _fill_size(w, h, crop, facts)
    x, y = _position(template_id, index, spec, width, height, w or 0, h or 0)
    picture = spec.input_type == InputType.PICTURE
    return Layer(
        id=spec.stream_id,
        source=facts.spec,
        z=spec.layer,
        rect=Rect(x, y, w, h),
        crop=crop,
        fit=FitMode.FILL if req.control.crop_center and not picture else FitMode.FIT,
        bar_color=None if picture else BLACK,  # watermarks keep their transparency
        source_alpha=req.control.picture_alpha or not picture,
        audio=spec.input_type == InputType.AUDIO_VIDEO,
        keeps_alive=not picture,
    )


def _position(
    template_id: int, index: int, spec: InputSpec, width: int, height: int, w: int, h: int
) -> tuple[int, int]:
    x, y = window_position(template_id, index, width, height, w, h) if template_id else (0, 0)
    return (
        spec.x.pixels(width) if spec.x else x,
        spec.y.pixels(height) if spec.y else y,
    )


def _fill_size(
    w: int | None, h: int | None, crop: Rect | None, facts: SourceFacts
) -> tuple[int | None, int | None]:
    """Complete a window's size from its (cropped) source where known; what stays None the engine takes
    from the source itself."""
    source = (crop.w, crop.h) if crop is not None and crop.w and crop.h else facts.size
    if source is None or (w and h):
        return w, h
    if w is None and h is None:
        return source
    if w is None:
        return round(h * source[0] / source[1]), h  # type: ignore[operator]
    return w, round(w * source[1] / source[0])


def _scaled(spec: InputSpec, facts: SourceFacts) -> tuple[int, int]:
    """A background's output size: its image_width/height (shares of its own size), else its own size."""
    if spec.width and spec.height and not spec.width.fraction and not spec.height.fraction:
        return spec.width.pixels(0), spec.height.pixels(0)
    own_w, own_h = _known_size(spec, facts)
    w = _own_share(spec.width, own_w)
    h = _own_share(spec.height, own_h)
    if w is None and h is None:
        return own_w, own_h
    if w is None:
        return round(h * own_w / own_h), h  # type: ignore[operator]
    if h is None:
        return w, round(w * own_h / own_w)
    return w, h


def _own_share(length: Length | None, own: int) -> int | None:
    return None if length is None else length.pixels(own)


def _crop_rect(spec: InputSpec, facts: SourceFacts) -> Rect | None:
    crop = spec.crop
    if crop is None:
        return None
    src_w, src_h = _known_size(spec, facts)
    w = crop.width if crop.width is not None else src_w - crop.x
    h = crop.height if crop.height is not None else src_h - crop.y
    if w <= 0 or h <= 0 or crop.x + w > src_w or crop.y + h > src_h:
        raise TencentError(
            -29,
            f"Crop params error, crop ({crop.x}, {crop.y}, {w}x{h}) outside stream "
            f"[{spec.stream_id}] of {src_w}x{src_h}!",
        )
    return Rect(crop.x, crop.y, w, h)


def _unique_ids(layers: list[Layer]) -> None:
    """Layer ids key the task's input status: a stream used twice gets its layer number appended."""
    seen: set[str] = set()
    for layer in layers:
        if layer.id in seen:
            layer.id = f"{layer.id}#{layer.z}"
        seen.add(layer.id)


# ----- the output
def _output(req: StartRequest, facts: dict[int, SourceFacts], size: tuple[int, int] | None) -> Output:
    options = req.output
    audio = AudioSpec()
    audio.bitrate = options.audio_bitrate or audio.bitrate
    audio.sample_rate = options.sample_rate or audio.sample_rate
    audio.channels = options.channels or audio.channels
    if size is None:
        return Output(stream_id=req.output_id, video=None, audio=audio)
    fps = options.fps or _fps(req, facts)
    video = VideoSpec(fps=fps, bitrate=_bitrate(req, *size, fps))
    video.gop_seconds = options.gop_seconds or video.gop_seconds
    return Output(stream_id=req.output_id, video=video, audio=audio)


def _fps(req: StartRequest, facts: dict[int, SourceFacts]) -> float:
    """The background's frame rate (else the first stream's), within [5, 60]; 25 when none is known."""
    ordered = [req.background, *req.windows]
    fps = next((facts[s.layer].fps for s in ordered if s.layer in facts and facts[s.layer].fps), None)
    return DEFAULT_FPS if fps is None else min(MAX_FPS, max(MIN_FPS, float(fps)))


def _bitrate(req: StartRequest, width: int, height: int, fps: float) -> int:
    """output_stream_bitrate (kbps); unset, "the system decides": about 0.1 bit per pixel per frame."""
    if req.bitrate_kbps is not None:
        return req.bitrate_kbps * 1000
    return max(300_000, min(8_000_000, round(width * height * fps * 0.1)))
