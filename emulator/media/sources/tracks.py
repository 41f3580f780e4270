"""One stream of a local file with its own demuxer: packets -> decoded frames placed on the media timeline.

Frames are placed by the container's start time (so a file's audio and video stay in sync); a looping file
rewinds at the end and adds one container duration per round, so media time keeps growing. Damaged packets
are skipped; too many in a row raise MediaError ("corrupt"). Data that runs out (or a demuxer that fails)
well before the duration the file declares ends the track with ``damage`` set ("truncated"): the caller
plays what there is, then reports the error instead of a plain end. Used by :class:`~.file.FileSource`'s
worker thread only (not thread-safe).
"""

from __future__ import annotations

import logging
import os
from collections import deque

import av
import numpy as np
from av.container import InputContainer

from emulator.media.errors import MediaError
from emulator.media.sources.base import AudioFormat
from emulator.media.sources.samples import AudioConverter

log = logging.getLogger(__name__)

MAX_BAD_PACKETS = 25  # consecutive undecodable packets before the file counts as corrupt
TRUNCATED_MARGIN_S = 0.5  # data ending this much before the declared duration: the file is damaged
UNREAD_MARGIN_BYTES = 4096  # damaged with more than this left unread: corrupt, not truncated


class Track:
    def __init__(self, path: str, container: InputContainer, kind: str, loop: bool) -> None:
        self._path = path
        self._container = container
        self._stream = container.streams.video[0] if kind == "video" else container.streams.audio[0]
        # One decoding thread: the file's worker. Files decode in parallel with each other and with the
        # encoders already; FFmpeg's frame threads on top only added thread switches and frames in flight.
        self._stream.thread_count = 1
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
        self.damage: str | None = None  # why the track ended early (truncated, unreadable), if it did
        self._read_to = 0  # the furthest byte of the file its packets came from
        self._size = os.path.getsize(path)
        declared = self._stream.duration * self._stream.time_base if self._stream.duration else None
        self._declared = float(declared) if declared else self._period  # this stream's own, if it says

    def next_frames(self) -> list:
        """Frames decoded from the next packet(s); [] once the file is over (``ended``)."""
        while not self.ended:
            try:
                packet = next(self._packets)
            except StopIteration:
                self._data_over(None)
                continue
            except av.FFmpegError as exc:  # damaged container structure: what came so far is all there is
                log.info("%s: demuxing stopped: %s", self._path, exc)
                self._data_over(exc)
                continue
            if packet.pos is not None and packet.pos >= 0:
                self._read_to = max(self._read_to, packet.pos + packet.size)
            try:
                frames = packet.decode()
            except av.FFmpegError:
                self._bad += 1
                if self._bad > MAX_BAD_PACKETS:
                    raise MediaError(f"corrupt media data in {self._path} at {self._last:.1f} s") from None
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

    def _data_over(self, error: av.FFmpegError | None) -> None:
        """This round's data ran out (``error``: the demuxer failed): the file is truncated if that is well
        before its declared duration (first round only: later rounds repeat it), else rewind or end."""
        declared = self._declared
        reason = f" ({error})" if error is not None else ""
        if self._offset == 0 and declared and self._last < declared - TRUNCATED_MARGIN_S:
            if self._read_to < self._size - UNREAD_MARGIN_BYTES:  # bytes remain that the demuxer skipped
                where = f"cannot be read past {self._last:.1f} s of its {declared:.1f} s"
                self.damage = f"corrupt: {self._path} {where}{reason}"
            else:
                where = f"ends at {self._last:.1f} s of its {declared:.1f} s"
                self.damage = f"truncated: {self._path} {where}{reason}"
            self.ended = True
            return
        if error is not None and declared is None:
            self.damage = f"corrupt: {self._path} cannot be read past {self._last:.1f} s{reason}"
            self.ended = True
            return
        self._rewind_or_end()

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


class VideoTrack(Track):
    def __init__(self, path: str, container: InputContainer, loop: bool) -> None:
        super().__init__(path, container, "video", loop)
        self._pending: deque[av.VideoFrame] = deque()
        rate = self._stream.average_rate or self._stream.guessed_rate
        self._frame_s = float(1 / rate) if rate else 0.0  # when frames carry no duration
        self._tick_s = float(self._stream.time_base or 0)  # what frame durations count (decoded frames')
        self.end = 0.0  # media time when the latest frame stops showing

    def pull(self) -> tuple[float, av.VideoFrame] | None:
        """The next frame and its media time; None once the file is over."""
        while not self._pending:
            frames = self.next_frames()
            if not frames:
                return None
            self._pending.extend(frames)
        frame = self._pending.popleft()
        t = self.time_of(frame)
        self.end = t + ((frame.duration or 0) * self._tick_s or self._frame_s)
        return t, frame


class AudioTrack(Track):
    def __init__(self, path: str, container: InputContainer, loop: bool, fmt: AudioFormat) -> None:
        super().__init__(path, container, "audio", loop)
        self._rate = fmt.rate
        self._converter = AudioConverter(fmt)
        self._pos: int | None = None  # where the next converted samples go

    def pull(self) -> list[tuple[int, np.ndarray]]:
        """The next decoded samples, converted, with their sample positions; [] once the file is over."""
        while not self.ended:
            chunks = [self._place(self.time_of(f), self._converter.convert(f)) for f in self.next_frames()]
            if self.ended:
                chunks += [self._place(None, tail) for tail in self._converter.flush()]
            if chunks:
                return chunks
        return []

    def _place(self, seconds: float | None, data: np.ndarray) -> tuple[int, np.ndarray]:
        # Contiguous unless the timestamps jump by more than 100 ms (a loop round, a gap in the file).
        pos = self._pos if seconds is None else round(seconds * self._rate)
        if self._pos is None or (pos is not None and abs(pos - self._pos) > self._rate // 10):
            self._pos = pos
        assert self._pos is not None
        at = self._pos
        self._pos += data.shape[1]
        return at, data
