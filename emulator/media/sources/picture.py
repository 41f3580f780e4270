"""Still pictures (PNG with alpha, JPEG, ...): one frame shown forever, silent.

A local picture loads in the constructor; a remote one (http(s)) loads on a background thread so a slow
server never holds up the render loop (the source is "waiting" meanwhile). Pictures with transparency stay
RGBA (the compositor blends them); opaque ones are converted to yuv420p once.
"""

from __future__ import annotations

import io
import threading
import time

import av
import numpy as np

from emulator.media.errors import MediaError
from emulator.media.sources.base import Now, Source, SourceState
from emulator.media.sources.frames import YUV
from emulator.media.sources.opener import READ_TIMEOUT, check_local_file

MAX_BYTES = 32 * 1024 * 1024
MAX_PIXELS = 8192 * 8192


def load_picture(data: bytes | str, name: str) -> av.VideoFrame:
    """Decode image bytes or a file path into a frame (rgba when it has transparency, else yuv420p)."""
    from PIL import Image, UnidentifiedImageError  # imported when a picture is used: faster start-up

    try:
        with Image.open(io.BytesIO(data) if isinstance(data, bytes) else data) as image:
            if image.width * image.height > MAX_PIXELS:
                raise MediaError(f"picture too large: {name} ({image.width}x{image.height})")
            rgba = np.asarray(image.convert("RGBA"))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise MediaError(f"cannot read picture {name}: {exc}") from None
    if rgba[..., 3].min() < 255:
        return av.VideoFrame.from_ndarray(np.ascontiguousarray(rgba), format="rgba")
    rgb = np.ascontiguousarray(rgba[..., :3])
    return av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(format=YUV)


def fetch(url: str, timeout: float) -> bytes:
    import urllib.request  # slow to import; only remote pictures need it

    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # http(s) only, see spec.py
            data = response.read(MAX_BYTES + 1)
    except OSError as exc:
        raise MediaError(f"cannot fetch {url}: {exc}") from None
    if len(data) > MAX_BYTES:
        raise MediaError(f"picture too large: {url} (over {MAX_BYTES // 2**20} MiB)")
    return data


class PictureSource(Source):
    has_audio = False

    def __init__(self, spec: str, location: str, *, remote: bool, now: Now = time.time) -> None:
        """Raises MediaError when a local picture is missing or unreadable."""
        super().__init__(spec, now=now)
        self._frame: av.VideoFrame | None = None
        self._loaded = threading.Event()  # set once the picture is in, or failed
        if remote:
            threading.Thread(target=self._load_remote, args=(location,), daemon=True, name="picture").start()
        else:
            check_local_file(location)
            self._frame = load_picture(location, location)
            self._set_state(SourceState.LIVE)
            self._loaded.set()

    def _load_remote(self, url: str) -> None:
        # One bounded attempt: the thread ends by itself within the timeout, nothing to stop.
        try:
            self._frame = load_picture(fetch(url, READ_TIMEOUT * 2), url)
            self._set_state(SourceState.LIVE)
        except MediaError as exc:
            self._set_state(SourceState.ERROR, str(exc))
        finally:
            self._loaded.set()

    def video_at(self, t: float, wait: float = 0.0) -> av.VideoFrame | None:
        if wait > 0:
            self._loaded.wait(wait)
        return self._shown(self._frame)

    def audio_at(self, start: int, count: int, wait: float = 0.0) -> np.ndarray | None:
        return None
