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
        self.levels: dict[str, float] = {}  # layer id -> 0..100, of the latest chunk
        self.mix_level = 0.0

    def mix(self, inputs: Sequence[tuple[str, np.ndarray | None, int]], count: int) -> av.AudioFrame:
        """Mix ``(layer id, samples or None, volume %)`` into one ``count``-sample fltp frame. ``samples``
        are (channels, count) float32 in the mixer's format; None = nothing to hear (level 0)."""
        mixed = np.zeros((self.format.channels, count), np.float32)
        levels: dict[str, float] = {}
        for layer_id, samples, volume in inputs:
            gain = min(max(volume, 0), MAX_VOLUME) / 100
            if samples is None or gain == 0:
                levels[layer_id] = 0.0
                continue
            scaled = samples if gain == 1 else samples * np.float32(gain)
            levels[layer_id] = sound_level(rms_dbfs(scaled))
            mixed += scaled
        np.clip(mixed, -1.0, 1.0, out=mixed)
        self.levels = levels
        self.mix_level = sound_level(rms_dbfs(mixed))
        frame = av.AudioFrame.from_ndarray(mixed, format="fltp", layout=self.format.layout)
        frame.sample_rate = self.format.rate
        return frame
