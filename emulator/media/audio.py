"""Mixes the audio of the layers and measures their sound levels.

Samples are float32 in [-1, 1], planar (``fltp``, what the AAC encoder takes). Each input is scaled by its
volume (0..200 %), the inputs are summed, and the sum is clipped to [-1, 1]: too loud saturates like a
mixing desk instead of wrapping around as 16-bit integer overflow would.

Levels are measured per chunk: RMS in dBFS, and a 0..100 "sound level" (as ZEGO's SoundLevel reports)
that maps -60 dBFS..0 dBFS linearly (silence and anything quieter read 0). A layer's level is taken after
its volume, before clipping: what it contributes to the mix.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import av
import numpy as np

from emulator.media.sources.base import AudioFormat

SILENCE_DBFS = -120.0
FLOOR_DBFS = -60.0  # sound level 0
MAX_VOLUME = 200


def rms_dbfs(samples: np.ndarray) -> float:
    """RMS level of float samples in dBFS (a full-scale square wave is 0 dBFS, a full-scale sine -3)."""
    if samples.size == 0:
        return SILENCE_DBFS
    rms = math.sqrt(float(np.mean(np.square(samples, dtype=np.float64))))
    return max(SILENCE_DBFS, 20 * math.log10(rms)) if rms > 0 else SILENCE_DBFS


def sound_level(dbfs: float) -> float:
    """dBFS -> 0..100 (-60 dBFS and below = 0, 0 dBFS and above = 100)."""
    return round(min(max((dbfs - FLOOR_DBFS) / -FLOOR_DBFS, 0.0), 1.0) * 100, 1)


class AudioMixer:
    """Not thread-safe: one per renderer, called from its thread."""

    def __init__(self, fmt: AudioFormat) -> None:
        self.format = fmt
        # The latest chunk, as heard: levels are measured from it only when asked (they are read a few
        # times a second, chunks are mixed dozens of times).
        self._heard: list[tuple[str, np.ndarray | None]] = []
        self._mixed: np.ndarray | None = None
        self._levels: dict[str, float] | None = {}
        self._mix_level: float | None = 0.0

    @property
    def levels(self) -> dict[str, float]:
        """Layer id -> 0..100 sound level of its latest chunk (after volume, before clipping)."""
        if self._levels is None:
            self._levels = {
                layer_id: 0.0 if samples is None else sound_level(rms_dbfs(samples))
                for layer_id, samples in self._heard
            }
        return self._levels

    @property
    def mix_level(self) -> float:
        """0..100 sound level of the latest mixed chunk."""
        if self._mix_level is None:
            self._mix_level = 0.0 if self._mixed is None else sound_level(rms_dbfs(self._mixed))
        return self._mix_level

    def mix(self, inputs: Sequence[tuple[str, np.ndarray | None, int]], count: int) -> av.AudioFrame:
        """Mix ``(layer id, samples or None, volume %)`` into one ``count``-sample fltp frame. ``samples``
        are (channels, count) float32 in the mixer's format; None = nothing to hear (level 0). The mixer
        keeps the arrays until the next chunk (to measure levels): callers must not change them."""
        mixed: np.ndarray | None = None
        heard: list[tuple[str, np.ndarray | None]] = []
        for layer_id, samples, volume in inputs:
            gain = min(max(volume, 0), MAX_VOLUME) / 100
            if samples is None or gain == 0:
                heard.append((layer_id, None))
                continue
            scaled = samples if gain == 1 else samples * np.float32(gain)
            heard.append((layer_id, scaled))
            if mixed is None:
                mixed = scaled.copy()
            else:
                mixed += scaled
        if mixed is None:
            mixed = np.zeros((self.format.channels, count), np.float32)
        np.clip(mixed, -1.0, 1.0, out=mixed)
        self._heard, self._mixed, self._levels, self._mix_level = heard, mixed, None, None
        frame = av.AudioFrame.from_ndarray(mixed, format="fltp", layout=self.format.layout)
        frame.sample_rate = self.format.rate
        return frame
