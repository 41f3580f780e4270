"""Local media files (MP4, FLV, MKV, TS ...) decoded on demand, in the caller's thread.

Video and audio are read through two demuxers of the same file, each opened on first use, so each runs at
its own consumer's pace and neither buffers the other. Both place frames by the container's start time (A/V
stay in sync); a looping file rewinds at the end and adds one container duration per round, so media time
keeps growing. Damaged packets are skipped; a file that is mostly damage becomes an "error".
"""

from __future__ import annotations

import logging
import time
from collections import deque

import av
import numpy as np
from av.container import InputContainer

from emulator.media.errors import MediaError
from emulator.media.sources.base import AudioFormat, Now, Source, SourceState
from emulator.media.sources.opener import check_local_file, open_container
from emulator.media.sources.samples import AudioConverter, SampleBuffer

log = logging.getLogger(__name__)

MAX_BAD_PACKETS = 25  # consecutive undecodable packets before the file counts as corrupt
AUDIO_BUFFER_S = 4


class _Track:
    """One stream of the file with its own demuxer: packets -> decoded frames with media times."""

    def __init__(self, path: str, container: InputContainer, kind: str, loop: bool) -> None:
        self._path = path
        self._container = container
        self._stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
        if kind == "video":
            self._stream.thread_type = "AUTO"  # frame threads: decoding overlaps the caller's other work
        start, duration = container.start_time, container.duration
        self._start = start / av.time_base if start is not None else 0.0
        self._period = duration / av.time_base if duration else None
        self._loop = loop
        self._offset = 0.0  # added per loop round
        self._packets = container.demux(self._stream)
        self._last = 0.0  # media time of the latest frame
        self._round_frames = 0
        self._bad = 0
        self.ended = False

    def next_frames(self) -> list:
        """Frames decoded from the next packet(s); [] once the file is over (``ended``)."""
        while not self.ended:
            try:
                packet = next(self._packets)
            except StopIteration:
                self._rewind_or_end()
                continue
            except av.FFmpegError as exc:  # damaged container structure: what came so far is all there is
                log.info("%s: demuxing stopped: %s", self._path, exc)
                self._rewind_or_end()
                continue
            try:
                frames = packet.decode()
            except av.FFmpegError:
                self._bad += 1
                if self._bad > MAX_BAD_PACKETS:
                    raise MediaError(f"corrupt media data in {self._path}") from None
                continue
            self._bad = 0
            if frames:
                self._round_frames += len(frames)
                return frames
        return []

    def time_of(self, frame: av.VideoFrame | av.AudioFrame) -> float:
        seconds = frame.time
        self._last = self._last if seconds is None else seconds - self._start + self._offset
        return self._last

    def _rewind_or_end(self) -> None:
        if not self._loop or self._round_frames == 0:
            self.ended = True
            return
        self._offset += self._period or max(self._last - self._offset, 0.04)
        self._round_frames = 0
        self._container.seek(0)  # also flushes the decoder, which the end-of-stream drain left finished
        self._packets = self._container.demux(self._stream)

    def close(self) -> None:
        self._container.close()


class _VideoTrack(_Track):
    def __init__(self, path: str, container: InputContainer, loop: bool) -> None:
        super().__init__(path, container, "video", loop)
        self._pending: deque[av.VideoFrame] = deque()
        self._next: tuple[float, av.VideoFrame] | None = None
        self.current: av.VideoFrame | None = None

    @property
    def exhausted(self) -> bool:
        return self.ended and self._next is None and not self._pending

    def frame_at(self, t: float) -> av.VideoFrame | None:
        """The latest frame due at ``t`` (the first frame before its time: no black lead-in)."""
        while True:
            if self._next is None:
                self._next = self._pull()
                if self._next is None:
                    return self.current
            due, frame = self._next
            if self.current is not None and due > t:
                return self.current
            self.current, self._next = frame, None

    def _pull(self) -> tuple[float, av.VideoFrame] | None:
        while not self._pending:
            frames = self.next_frames()
            if not frames:
                return None
            self._pending.extend(frames)
        frame = self._pending.popleft()
        return self.time_of(frame), frame


class _AudioTrack(_Track):
    def __init__(self, path: str, container: InputContainer, loop: bool, fmt: AudioFormat) -> None:
        super().__init__(path, container, "audio", loop)
        self._rate = fmt.rate
        self._converter = AudioConverter(fmt)
        self._buffer = SampleBuffer(fmt.channels, fmt.rate * AUDIO_BUFFER_S)
        self._pos: int | None = None  # where the next converted samples go
        self._read_to = 0

    @property
    def exhausted(self) -> bool:
        return self.ended and self._buffer.end <= self._read_to

    def samples(self, start: int, count: int) -> np.ndarray:
        while self._buffer.end < start + count and not self.ended:
            for frame in self.next_frames():
                self._write(self.time_of(frame), self._converter.convert(frame))
            if self.ended:
                for tail in self._converter.flush():
                    self._write(None, tail)
        self._read_to = start + count
        out = self._buffer.read(start, count)
        self._buffer.discard_before(start)
        return out

    def _write(self, seconds: float | None, data: np.ndarray) -> None:
        # Contiguous unless the timestamps jump by more than 100 ms (a loop round, a gap in the file).
        pos = self._pos if seconds is None else round(seconds * self._rate)
        if self._pos is None or (pos is not None and abs(pos - self._pos) > self._rate // 10):
            self._pos = pos
        assert self._pos is not None
        self._buffer.write(self._pos, data)
        self._pos += data.shape[1]


class FileSource(Source):
    """Raises MediaError from the constructor when the file cannot be opened at all."""

    def __init__(self, spec: str, path: str, *, loop: bool, audio: AudioFormat, now: Now = time.time) -> None:
        super().__init__(spec, now=now)
        check_local_file(path)
        self._path = path
        self._loop = loop
        self._fmt = audio
        self.finite = not loop
        self._spare: InputContainer | None = open_container(path, name=path)  # taken by the first track
        self.has_video = bool(self._spare.streams.video)
        self.has_audio = bool(self._spare.streams.audio)
        self._video: _VideoTrack | None = None
        self._audio: _AudioTrack | None = None
        self._set_state(SourceState.LIVE)

    def video_at(self, t: float, wait: float = 0.0) -> av.VideoFrame | None:
        if not self.has_video or self.state is SourceState.ERROR:
            return None
        try:
            if self._video is None:
                self._video = _VideoTrack(self._path, self._container(), self._loop)
            frame = self._video.frame_at(t)
        except Exception as exc:  # whatever FFmpeg or a bad file throws, the render loop goes on
            self._fail(exc)
            return None
        self._check_end()
        return self._shown(frame)

    def audio_at(self, start: int, count: int, wait: float = 0.0) -> np.ndarray | None:
        if not self.has_audio or self.state is SourceState.ERROR:
            return None
        try:
            if self._audio is None:
                self._audio = _AudioTrack(self._path, self._container(), self._loop, self._fmt)
            samples = self._audio.samples(start, count)
        except Exception as exc:  # see video_at
            self._fail(exc)
            return None
        self._check_end()
        return samples

    @property
    def finished(self) -> bool:
        return self.state in (SourceState.ENDED, SourceState.ERROR)

    def _container(self) -> InputContainer:
        spare, self._spare = self._spare, None
        return spare or open_container(self._path, name=self._path)

    def _check_end(self) -> None:
        tracks = [track for track in (self._video, self._audio) if track is not None]
        if tracks and all(track.exhausted for track in tracks):
            self._set_state(SourceState.ENDED)

    def _fail(self, exc: Exception) -> None:
        if not isinstance(exc, MediaError):
            log.warning("%s: decoding failed", self._path, exc_info=exc)
        message = str(exc) if isinstance(exc, MediaError) else f"cannot decode {self._path}"
        self._set_state(SourceState.ERROR, message)

    def close(self, timeout: float = 2.0) -> None:
        for track in (self._video, self._audio):
            if track is not None:
                track.close()
        if self._spare is not None:
            self._spare.close()
