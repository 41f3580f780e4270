"""The audio mixer with exact expected values: dBFS of known signals, the sound-level scale at and around
its ends, volume limits, clipping on both sides, levels taken after volume and before clipping."""

from __future__ import annotations

import numpy as np
import pytest

from emulator.media.audio import AudioMixer, rms_dbfs, sound_level
from emulator.media.sources import AudioFormat

MONO = AudioFormat(8000, 1)
STEREO = AudioFormat(8000, 2)


def square(amplitude: float, channels: int = 1, count: int = 8) -> np.ndarray:
    """A square wave of this amplitude: its RMS is the amplitude, so its dBFS is 20 log10(amplitude)."""
    wave = np.array([amplitude, -amplitude] * (count // 2), np.float32)
    return np.tile(wave, (channels, 1))


@pytest.mark.parametrize(
    ("amplitude", "dbfs"),
    [
        (1.0, 0.0),
        (0.5, -6.0206),
        (0.1, -20.0),
        (0.001, -60.0),
        (1e-6, -120.0),  # exactly the floor
        (1e-7, -120.0),  # below it: the floor
        (0.0, -120.0),
    ],
)
def test_rms_dbfs_of_square_waves(amplitude: float, dbfs: float) -> None:
    assert rms_dbfs(square(amplitude)) == pytest.approx(dbfs, abs=1e-3)


def test_rms_dbfs_of_a_single_sample() -> None:
    assert rms_dbfs(np.array([[0.5]], np.float32)) == pytest.approx(-6.0206, abs=1e-3)


def test_rms_dbfs_of_a_full_scale_sine_and_of_nothing() -> None:
    n = np.arange(800)
    sine = np.sin(2 * np.pi * n / 80).astype(np.float32)[None, :]
    assert rms_dbfs(sine) == pytest.approx(-3.0103, abs=1e-3)
    assert rms_dbfs(np.zeros((2, 0), np.float32)) == -120.0
    # the mean is over every sample of every channel: one silent channel halves the power (-3 dB)
    assert rms_dbfs(np.stack([np.ones(8, np.float32), np.zeros(8, np.float32)])) == pytest.approx(
        -3.0103, abs=1e-3
    )


@pytest.mark.parametrize(
    ("dbfs", "level"),
    [
        (-120.0, 0.0),
        (-60.01, 0.0),
        (-60.0, 0.0),
        (-59.4, 1.0),
        (-45.55, 24.1),  # 14.45 / 60 = 24.083 %, one decimal
        (-30.0, 50.0),
        (-0.06, 99.9),
        (0.0, 100.0),
        (6.0, 100.0),
    ],
)
def test_sound_level_scale(dbfs: float, level: float) -> None:
    assert sound_level(dbfs) == level


def test_a_fresh_mixer_reports_silence() -> None:
    mixer = AudioMixer(MONO)
    assert mixer.levels == {} and mixer.mix_level == 0.0


def test_volume_scales_and_is_limited_to_0_and_200_percent() -> None:
    mixer = AudioMixer(MONO)
    inputs = [
        ("unit", square(0.25), 100),
        ("half", square(0.25), 50),
        ("double", square(0.25), 200),
        ("over", square(0.25), 250),  # treated as 200
        ("zero", square(0.25), 0),
        ("negative", square(0.25), -20),  # treated as 0
    ]
    frame = mixer.mix(inputs, 8)
    # 0.25 * (1 + 0.5 + 2 + 2) = 1.375, clipped to 1
    assert frame.to_ndarray().tolist() == [[1.0, -1.0] * 4]
    # levels after volume: 0.25 -> -12.04 dBFS -> 79.9; 0.125 -> -18.06 -> 69.9; 0.5 -> -6.02 -> 90.0
    assert mixer.levels == {
        "unit": 79.9,
        "half": 69.9,
        "double": 90.0,
        "over": 90.0,
        "zero": 0.0,
        "negative": 0.0,
    }
    assert mixer.mix_level == 100.0


def test_clipping_on_both_sides_and_levels_before_clipping() -> None:
    mixer = AudioMixer(MONO)
    a = np.array([[0.6, -0.6, 0.6, -0.6, 0.2, -0.2, 0.0, 0.9]], np.float32)
    b = np.array([[0.6, -0.6, 0.3, -0.3, 0.2, -0.2, 0.0, 0.2]], np.float32)
    out = mixer.mix([("a", a, 100), ("b", b, 100)], 8).to_ndarray()
    assert out == pytest.approx(np.array([[1.0, -1.0, 0.9, -0.9, 0.4, -0.4, 0.0, 1.0]]), abs=1e-6)
    # a: mean square (4 * 0.36 + 2 * 0.04 + 0.81) / 8 = 0.29125 -> -5.36 dBFS -> 91.1 (unclipped contribution)
    # mix: (3 * 1 + 2 * 0.81 + 2 * 0.16) / 8 = 0.6175 -> -2.09 dBFS -> 96.5
    assert mixer.levels == {"a": 91.1, "b": 85.1}  # b: 1.02 / 8 = 0.1275 -> -8.94 dBFS -> 85.1
    assert mixer.mix_level == 96.5


def test_the_inputs_are_not_changed_by_mixing() -> None:
    mixer = AudioMixer(STEREO)
    first, second = square(0.5, 2), square(0.5, 2)
    mixer.mix([("a", first, 100), ("b", second, 100), ("c", square(0.5, 2), 150)], 8)
    assert first.tolist() == square(0.5, 2).tolist() and second.tolist() == square(0.5, 2).tolist()


def test_nothing_to_hear_gives_silence_of_the_format() -> None:
    mixer = AudioMixer(STEREO)
    frame = mixer.mix([("gone", None, 100)], 16)
    assert (frame.format.name, frame.layout.name, frame.sample_rate, frame.samples) == (
        "fltp",
        "stereo",
        8000,
        16,
    )
    assert frame.to_ndarray().tolist() == [[0.0] * 16] * 2
    assert mixer.levels == {"gone": 0.0} and mixer.mix_level == 0.0
    assert AudioMixer(MONO).mix([], 4).to_ndarray().tolist() == [[0.0] * 4]


def test_levels_follow_the_latest_chunk() -> None:
    mixer = AudioMixer(MONO)
    mixer.mix([("a", square(1.0), 100)], 8)
    assert (mixer.levels, mixer.mix_level) == ({"a": 100.0}, 100.0)
    mixer.mix([("a", square(0.1), 100)], 8)  # -20 dBFS
    assert (mixer.levels, mixer.mix_level) == ({"a": 66.7}, 66.7)
    mixer.mix([("b", None, 100)], 8)
    assert (mixer.levels, mixer.mix_level) == ({"b": 0.0}, 0.0)
