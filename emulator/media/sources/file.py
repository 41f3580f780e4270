"""Local media files (MP4, FLV, MKV, TS ...), decoded a little ahead of the caller on a thread of their own.

Video and audio are read through two demuxers of the same file (tracks.py), so each runs at its own
consumer's pace and neither buffers the other. One worker thread per file decodes both ahead of the caller,
at most AHEAD_FRAMES video frames and AHEAD_S of audio: FFmpeg's decoders and swscale release the GIL, so
the files of a mix decode in parallel with composing and encoding. The worker also runs each video frame
through the prescaler the renderer gave (:meth:`scale_ahead`): a layer's scaling happens there too.

Timing stays the caller's: ``video_at(t)`` is exactly the frame due at ``t`` and ``audio_at`` exactly the
samples asked for. With ``wait`` > 0 (fast mode) the caller waits for the worker as long as that takes (up
to FILE_WAIT_S, for a stuck decoder), so a fast render is deterministic; with ``wait`` = 0 (realtime) it
never waits: it gets what the worker has ready (which is ahead, unless the machine is starved), else the
current frame again and silence.
A file that does not loop ends at its container's duration (:attr:`duration`), or where its data ends.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, ClassVar

import av
import numpy as np

from emulator.media.errors import MediaError
from emulator.media.sources.base import AudioFormat, Now, Source, SourceState, stop_worker
from emulator.media.sources.opener import check_local_file, open_container
from emulator.media.sources.samples import SampleBuffer
from emulator.media.sources.tracks import AudioTrack, VideoTrack

log = logging.getLogger(__name__)

AHEAD_FRAMES = 4  # decoded (and prescaled) video frames ready ahead of the caller
AHEAD_S = 0.5  # seconds of audio decoded ahead of the caller
AUDIO_BUFFER_S = 4
FILE_WAIT_S = 10.0  # fast mode: the longest a caller waits for the worker (only a stuck decoder takes long)
IDLE_S = 0.2  # a worker with nothing to do re-checks this often (it is woken when there is)
END_EPSILON_S = 1e-6  # media times this close to the duration count as reaching it

PrescaleFn = Callable[[av.VideoFrame], Any]
_Ready = tuple[float, av.VideoFrame, Any]  # media time, frame, what the prescaler made of it


class FileSource(Source):
    """Raises MediaError from the constructor when the file is missing or empty. The worker opens it (files
    open in parallel, off the caller's thread): until then it reports video and audio, and a file FFmpeg
    cannot open turns to "error" a moment later."""

    _opens: ClassVar[dict[str, int]] = {}  # path -> decoders opened for it in this process (files_opened)
    _opens_lock = threading.Lock()

    def __init__(self, spec: str, path: str, *, loop: bool, audio: AudioFormat, now: Now = time.time) -> None:
        super().__init__(spec, now=now)
        check_local_file(path)
        self._path = path
        self._loop = loop
        self._fmt = audio
        self.finite = not loop
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._prescaler: PrescaleFn | None = None
        self._ready: deque[_Ready] = deque()  # video frames decoded ahead, bounded by AHEAD_FRAMES
        self._current: _Ready | None = None  # the frame shown now
        self._samples = SampleBuffer(audio.channels, audio.rate * AUDIO_BUFFER_S)
        self._wanted = 0  # audio: the caller has asked up to this sample; the worker decodes AHEAD_S beyond
        self._read_to = 0  # audio: the caller has read up to this sample
        self._ahead = round(AHEAD_S * audio.rate)
        self._video_t = 0.0  # the latest time the caller asked video for
        self._video_over = False  # the worker has decoded all there is
        self._video_end = 0.0  # once over: when the last frame stops showing
        self._audio_over = False
        self._damage: str | None = None  # a track ended early (truncated, unreadable): the end is an error
        self._used: set[str] = set()  # "video" / "audio": what the caller reads (the end waits for those)
        self._set_state(SourceState.LIVE)
        name = f"file {os.path.basename(path)[:40]}"
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # ----- caller side
    def video_at(self, t: float, wait: float = 0.0) -> av.VideoFrame | None:
        if not self.has_video or self.state is SourceState.ERROR:
            return None
        deadline = time.monotonic() + (FILE_WAIT_S if wait > 0 else 0.0)
        with self._cond:
            self._used.add("video")
            self._video_t = max(self._video_t, t)
            while True:
                # Take every frame due; the very first one shows at once (no black lead-in).
                while self._ready and (self._ready[0][0] <= t or self._current is None):
                    self._current = self._ready.popleft()
                    if len(self._ready) == AHEAD_FRAMES // 2:
                        self._cond.notify_all()  # the worker refills in one go: fewer thread switches
                if self._ready or self._video_over or not self._wait(deadline):
                    break
            self._check_end()
            return self._shown(self._current[1] if self._current else None)

    def audio_at(self, start: int, count: int, wait: float = 0.0) -> np.ndarray | None:
        if not self.has_audio or self.state is SourceState.ERROR:
            return None
        deadline = time.monotonic() + (FILE_WAIT_S if wait > 0 else 0.0)
        with self._cond:
            self._used.add("audio")
            if start + count > self._wanted:
                self._wanted = start + count
                if self._samples.end < self._wanted + self._ahead // 2:
                    self._cond.notify_all()  # the worker refills in one go: fewer thread switches
            while self._samples.end < start + count and not self._audio_over and self._wait(deadline):
                pass
            out = self._samples.read(start, count)
            self._samples.discard_before(start)
            self._read_to = max(self._read_to, start + count)
            self._check_end()
            return out

    def scale_ahead(self, prescaler: PrescaleFn | None) -> None:
        self._prescaler = prescaler  # read by the worker once per frame

    def prescaled(self, frame: av.VideoFrame) -> Any:
        current = self._current
        if current is None or current[1] is not frame:
            return None
        prescaler = self._prescaler
        if current[2] is None and prescaler is not None:
            # decoded before scale_ahead() was called (the first frames): scale it here, once
            self._current = current = (current[0], current[1], prescaler(frame))
        return current[2]

    @property
    def finished(self) -> bool:
        return self.state in (SourceState.ENDED, SourceState.ERROR)

    def close(self, timeout: float = 2.0) -> None:
        stop_worker(self._thread, self._stop, self._cond, timeout, str(self._path))

    def _wait(self, deadline: float) -> bool:
        """Wait (holding the condition) for the worker; False once past the deadline or failed."""
        left = deadline - time.monotonic()
        if left <= 0 or self.state is SourceState.ERROR:
            return False
        self._cond.wait(left)
        return True

    def _check_end(self) -> None:
        """Ended: the caller reached the duration, or played all there is of what it reads (an error once
        that is all of a damaged file)."""
        if self.state is SourceState.ERROR:
            return
        reached = max(self._video_t, self._read_to / self._fmt.rate)
        if self.duration is not None and reached >= self.duration - END_EPSILON_S:
            self._set_state(SourceState.ENDED)
            return
        video_end = self._video_end - END_EPSILON_S
        video_done = self._video_over and not self._ready and self._video_t >= video_end
        audio_done = self._audio_over and self._read_to >= self._samples.end
        if self._used and all(video_done if kind == "video" else audio_done for kind in self._used):
            if self._damage is not None:
                self._set_state(SourceState.ERROR, self._damage)
            else:
                self._set_state(SourceState.ENDED)

    # ----- the worker thread
    def _run(self) -> None:
        tracks: list[VideoTrack | AudioTrack] = []
        try:
            video, audio = self._open(tracks)
            while not self._stop.is_set():
                with self._cond:
                    more_video, audio_need = self._video_room(), self._audio_need()
                    if not more_video and audio_need <= 0:
                        self._cond.wait(IDLE_S)
                        continue
                if more_video and video is not None:
                    self._decode_video(video)  # one frame, then audio again: neither waits for the other
                if audio_need > 0 and audio is not None:
                    self._decode_audio(audio, min(audio_need, self._ahead))  # bounded: a jump takes rounds
        except Exception as exc:  # whatever FFmpeg or a bad file throws, the render loop goes on
            if not isinstance(exc, MediaError):
                log.warning("%s: decoding failed", self._path, exc_info=exc)
            message = str(exc) if isinstance(exc, MediaError) else f"cannot decode {self._path}"
            self._set_state(SourceState.ERROR, message)
        finally:
            for track in tracks:
                track.close()
            with self._cond:
                self._video_over = self._audio_over = True
                self._cond.notify_all()

    def _open(self, tracks: list[VideoTrack | AudioTrack]) -> tuple[VideoTrack | None, AudioTrack | None]:
        """Open a demuxer per stream kind (appended to ``tracks`` for closing); says what the file holds."""
        container = open_container(self._path, name=self._path)
        with self._opens_lock:
            FileSource._opens[self._path] = FileSource._opens.get(self._path, 0) + 1
        has_video, has_audio = bool(container.streams.video), bool(container.streams.audio)
        duration = container.duration / av.time_base if container.duration and not self._loop else None
        video = audio = None
        if has_video:
            video = VideoTrack(self._path, container, self._loop)
            tracks.append(video)
        if has_audio:
            audio_container = container if video is None else open_container(self._path, name=self._path)
            audio = AudioTrack(self._path, audio_container, self._loop, self._fmt)
            tracks.append(audio)
        with self._cond:
            self.has_video, self.has_audio, self.duration = has_video, has_audio, duration
            self._video_over, self._audio_over = not has_video, not has_audio
            self._cond.notify_all()
        return video, audio

    def _video_room(self) -> bool:
        """Whether to decode another video frame now (called holding the condition)."""
        return not self._video_over and len(self._ready) < AHEAD_FRAMES

    def _audio_need(self) -> int:
        """How many audio samples to decode now (called holding the condition)."""
        return 0 if self._audio_over else self._wanted + self._ahead - self._samples.end

    def _prescale(self, frame: av.VideoFrame) -> Any:
        """The frame as the caller's layer shows it, scaled here (None: the compositor scales it)."""
        return self._scale_with(self._prescaler, frame)

    def _scale_with(self, prescaler: PrescaleFn | None, frame: av.VideoFrame) -> Any:
        if prescaler is None:
            return None
        try:
            return prescaler(frame)
        except Exception:  # the compositor then scales the frame itself
            log.exception("%s: scaling ahead failed", self._path)
            return None

    def _decode_video(self, video: VideoTrack) -> None:
        item = video.pull()  # decoding (and scaling, below) run without the condition held
        prescaled = None if item is None else self._prescale(item[1])
        with self._cond:
            if item is None:
                self._video_over, self._video_end = True, video.end
                self._damage = self._damage or video.damage
            else:
                self._ready.append((item[0], item[1], prescaled))
            self._cond.notify_all()

    def _decode_audio(self, audio: AudioTrack, need: int) -> None:
        """Decode at least ``need`` samples (or to the end), handed over in one go."""
        chunks: list[tuple[int, np.ndarray]] = []
        got = 0
        while got < need and (pulled := audio.pull()):
            chunks += pulled
            got += sum(data.shape[1] for _, data in pulled)
        with self._cond:
            for pos, data in chunks:
                self._samples.write(pos, data)
            self._audio_over = got < need  # pull() came back empty: the file is over
            if self._audio_over:
                self._damage = self._damage or audio.damage
            self._cond.notify_all()


def files_opened() -> dict[str, int]:
    """Per file path, the decoders this process opened for it (one per live input however many mixes show
    it, shared_file.py; one per mix otherwise)."""
    with FileSource._opens_lock:
        return dict(FileSource._opens)
