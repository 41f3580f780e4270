"""What a source holds, without playing it: size, frame rate, audio/video presence and duration.

``probe`` opens the source the way the media engine would and decodes its first frame, so a file that
opens but cannot be decoded is reported here rather than in the middle of a mix.
"""

from __future__ import annotations

import contextlib
from typing import Any

import av
from av.container import InputContainer

from emulator.core.streams import MediaInfo
from emulator.media.errors import MediaError
from emulator.media.sources.opener import LIVE_OPTIONS, check_local_file, open_container
from emulator.media.sources.pattern import parse_pattern
from emulator.media.sources.picture import fetch, load_picture
from emulator.media.sources.spec import parse_spec


def probe(spec: str, timeout: float = 5.0, *, hub: Any = None) -> MediaInfo:
    """Inspect a source spec; raises MediaError saying why it is unusable (missing, empty, corrupt,
    unsupported, unreachable). ``timeout`` bounds network waits; ``hub`` is needed for ``live:`` specs."""
    parsed = parse_spec(spec)
    if parsed.kind == "invalid":
        raise MediaError(parsed.target)
    if parsed.kind == "pattern":
        p = parse_pattern(parsed.target, parsed.params)
        return MediaInfo(p.width, p.height, p.fps, True, p.tone is not None, p.duration)
    if parsed.kind == "picture":
        return _picture_info(parsed.target, parsed.remote, timeout)
    if parsed.kind == "file":
        check_local_file(parsed.target)
        with open_container(parsed.target, name=parsed.target) as container:
            return _container_info(container, parsed.target)
    if parsed.kind == "network":
        with open_container(parsed.target, name=parsed.target, timeout=timeout) as container:
            return _container_info(container, parsed.target, live=parsed.target.lower().startswith("rtmp"))
    if hub is None:
        raise MediaError(f"{spec}: live channels need the emulator's live hub")
    reader = hub.open_reader(parsed.target, timeout=timeout)
    try:
        name = f"live channel {parsed.target}"
        with open_container(reader, name=name, fmt="flv", options=LIVE_OPTIONS) as container:
            return _container_info(container, name, live=True)
    finally:
        reader.close()


def _picture_info(location: str, remote: bool, timeout: float) -> MediaInfo:
    if remote:
        frame = load_picture(fetch(location, timeout), location)
        return MediaInfo(frame.width, frame.height, None, True, False, None)
    from PIL import Image, UnidentifiedImageError  # imported when a picture is probed: faster start-up

    check_local_file(location)
    try:
        with Image.open(location) as image:
            image.verify()  # reads the whole structure: a truncated or fake picture fails here
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise MediaError(f"cannot read picture {location}: {exc}") from None
    return MediaInfo(width, height, None, True, False, None)


def _container_info(container: InputContainer, name: str, *, live: bool = False) -> MediaInfo:
    video = container.streams.video[0] if container.streams.video else None
    audio = container.streams.audio[0] if container.streams.audio else None
    first = video or audio
    assert first is not None  # open_container refuses inputs with neither
    try:
        frame = next(container.decode(first), None)
    except av.FFmpegError as exc:
        codec = first.codec_context.name if first.codec_context else "unknown"
        reason = exc.strerror or exc
        raise MediaError(f"cannot decode {name} ({first.type} codec {codec}): {reason}") from None
    if frame is None:
        raise MediaError(f"no decodable {first.type} frames in {name}")
    duration = None
    if not live and container.duration:
        duration = container.duration / av.time_base
    fps = None
    if video is not None:
        with contextlib.suppress(ZeroDivisionError, TypeError):
            fps = float(video.average_rate or video.guessed_rate or 0) or None
    return MediaInfo(
        width=frame.width if video is not None else None,
        height=frame.height if video is not None else None,
        fps=fps,
        has_video=video is not None,
        has_audio=audio is not None,
        duration=duration,
    )
