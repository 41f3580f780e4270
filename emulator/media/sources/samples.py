"""Audio plumbing shared by the decoding sources: conversion to the output format and a positioned ring.

Samples are addressed by absolute index at the output rate (0 = when the source was opened), so the mixer
asks for "samples 88200..89223" and gets silence for whatever never arrived instead of shifted audio.
"""

from __future__ import annotations

import av
import numpy as np

from emulator.media.resample import AudioResampler
from emulator.media.sources.base import AudioFormat


class AudioConverter:
    """Decoded frames of any format/layout/rate -> (channels, n) float32 at the output format.

    Rebuilds its resampler when the input format changes mid-stream (a new publisher, a spliced file)."""

    def __init__(self, fmt: AudioFormat) -> None:
        self._fmt = fmt
        self._resampler: AudioResampler | None = None
        self._input: tuple[str, str, int] | None = None

    def convert(self, frame: av.AudioFrame) -> np.ndarray:
        setup = (frame.format.name, frame.layout.name, frame.sample_rate)
        chunks: list[np.ndarray] = []
        if self._resampler is None or setup != self._input:
            chunks += self.flush()
            self._resampler = AudioResampler("fltp", self._fmt.layout, self._fmt.rate)
            self._input = setup
        chunks += [out.to_ndarray() for out in self._resampler.resample(frame)]
        return _join(chunks, self._fmt.channels)

    def flush(self) -> list[np.ndarray]:
        """What the resampler still holds (at the end of a stream or before a format change)."""
        if self._resampler is None:
            return []
        chunks = [out.to_ndarray() for out in self._resampler.resample(None)]
        self._resampler = None
        return chunks


def _join(chunks: list[np.ndarray], channels: int) -> np.ndarray:
    if not chunks:
        return np.zeros((channels, 0), np.float32)
    return chunks[0] if len(chunks) == 1 else np.concatenate(chunks, axis=1)


class SampleBuffer:
    """A bounded ring of float32 samples addressed by absolute position. Not thread-safe by itself.

    Writing before the current end replaces what followed (a re-synced timeline); writing after it leaves
    silence in the gap. When full, the oldest samples are dropped."""

    def __init__(self, channels: int, capacity: int) -> None:
        self._ring = np.zeros((channels, capacity), np.float32)
        self.start = 0  # absolute position of the oldest sample held
        self.end = 0  # absolute position just after the newest

    def write(self, pos: int, data: np.ndarray) -> None:
        capacity = self._ring.shape[1]
        if pos < self.start or pos - self.end >= capacity:  # far away: start afresh there
            self.start = self.end = pos
        elif pos < self.end:
            self.end = pos
        elif pos > self.end:  # a gap: silence
            self._put(self.end, np.zeros((self._ring.shape[0], pos - self.end), np.float32))
        if data.shape[1] > capacity:
            pos, data = pos + data.shape[1] - capacity, data[:, -capacity:]
            self.start = self.end = pos
        self._put(pos, data)

    def _put(self, pos: int, data: np.ndarray) -> None:
        capacity = self._ring.shape[1]
        n = data.shape[1]
        at = pos % capacity
        first = min(n, capacity - at)
        self._ring[:, at : at + first] = data[:, :first]
        self._ring[:, : n - first] = data[:, first:]
        self.end = pos + n
        self.start = max(self.start, self.end - capacity)

    def read(self, pos: int, count: int) -> np.ndarray:
        """``count`` samples from ``pos``; silence outside what is held."""
        out = np.zeros((self._ring.shape[0], count), np.float32)
        lo, hi = max(pos, self.start), min(pos + count, self.end)
        capacity = self._ring.shape[1]
        while lo < hi:
            at = lo % capacity
            n = min(hi - lo, capacity - at)
            out[:, lo - pos : lo - pos + n] = self._ring[:, at : at + n]
            lo += n
        return out

    def discard_before(self, pos: int) -> None:
        self.start = min(max(self.start, pos), self.end)
