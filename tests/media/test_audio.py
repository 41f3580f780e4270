"""The audio mixer: volumes, saturation instead of wrap-around, sound levels; mixing via the renderer."""

from __future__ import annotations

import numpy as np
import pytest

from emulator.core.job import Canvas, Layer, MixJob
from emulator.media.audio import AudioMixer, rms_dbfs, sound_level
from emulator.media.renderer import MixRenderer
from emulator.media.sources import AudioFormat
from emulator.media.sources.pattern import sine
from tests.media.conftest import MapResolver, rms

FMT = AudioFormat(48000, 2)


def test_levels_of_known_signals() -> None:
    assert rms_dbfs(np.ones((2, 100), np.float32)) == pytest.approx(0.0)
    assert rms_dbfs(sine(1000, FMT, 0, 4800, 1.0)) == pytest.approx(-3.01, abs=0.02)
    assert rms_dbfs(np.zeros((2, 10), np.float32)) == -120.0
    assert sound_level(0.0) == 100 and sound_level(-30.0) == 50 and sound_level(-80.0) == 0


def test_two_tones_at_different_volumes() -> None:
    mixer = AudioMixer(FMT)
    loud, quiet = sine(440, FMT, 0, 4800), sine(1000, FMT, 0, 4800)  # both -9.03 dBFS RMS at 100 %
    frame = mixer.mix([("loud", loud, 100), ("quiet", quiet, 25)], 4800)
    assert mixer.levels["loud"] == pytest.approx((60 - 9.03) / 60 * 100, abs=0.2)
    assert mixer.levels["quiet"] == pytest.approx((60 - 9.03 - 12.04) / 60 * 100, abs=0.2)  # 25 % = -12 dB
    mixed = frame.to_ndarray()
    assert (frame.format.name, frame.layout.name, frame.sample_rate, frame.samples) == (
        "fltp",
        "stereo",
        48000,
        4800,
    )
    assert np.allclose(mixed, loud + 0.25 * quiet, atol=1e-6)
    spectrum = np.abs(np.fft.rfft(mixed[0]))
    assert spectrum[1000 * 4800 // 48000] / spectrum[440 * 4800 // 48000] == pytest.approx(0.25, abs=0.02)


def test_loud_input_at_200_percent_saturates_instead_of_wrapping() -> None:
    mixer = AudioMixer(FMT)
    loud = sine(100, FMT, 0, 4800, 0.9)
    out = mixer.mix([("a", loud, 200)], 4800).to_ndarray()
    assert out.max() == 1.0 and out.min() == -1.0
    hot = loud > 0.5  # 2 x 0.9 sine would be 1.8 here: clipped to full scale, never negative
    assert np.all(out[hot] == 1.0)
    assert np.all(np.sign(out[np.abs(loud) > 1e-3]) == np.sign(loud[np.abs(loud) > 1e-3]))
    assert mixer.levels["a"] == 100.0
    s16 = (out * 32767).astype(np.int16)  # what an encoder gets after conversion: still no wrap
    assert s16.max() == 32767 and s16[hot].min() == 32767


def test_silent_missing_and_muted_inputs() -> None:
    mixer = AudioMixer(FMT)
    frame = mixer.mix([("gone", None, 100), ("muted", sine(440, FMT, 0, 960), 0)], 960)
    assert np.abs(frame.to_ndarray()).max() == 0
    assert mixer.levels == {"gone": 0.0, "muted": 0.0} and mixer.mix_level == 0.0


def test_renderer_mixes_audio_layers_only(clock) -> None:
    layers = [
        Layer(id="tone", source="pattern:color?color=%23ff0000&tone=440", video=False, volume=50),
        Layer(id="picture-only", source="pattern:bars?tone=1000", audio=False),
        Layer(id="silent", source="pattern:color"),
    ]
    renderer = MixRenderer(
        MixJob(Canvas(64, 36), layers), MapResolver(), clock, audio_rate=48000, realtime=False
    )
    frames = [renderer.audio_frame(i * 1024 / 48000, 1024) for i in range(10)]
    samples = np.concatenate([f.to_ndarray() for f in frames], axis=1)
    assert frames[0].samples == 1024 and frames[0].sample_rate == 48000
    assert rms(samples) == pytest.approx(0.25 / np.sqrt(2), abs=0.005)  # only the 440 Hz tone, at 50 %
    spectrum = np.abs(np.fft.rfft(samples[0]))
    freqs = np.fft.rfftfreq(samples.shape[1], 1 / 48000)
    assert abs(freqs[np.argmax(spectrum)] - 440) < 10
    assert (
        spectrum[np.argmin(np.abs(freqs - 1000))] < spectrum.max() / 100
    )  # the video-only layer is not heard
    levels = renderer.sound_levels()
    assert levels["tone"] == pytest.approx((60 - 15.05) / 60 * 100, abs=0.3)
    assert levels["picture-only"] == 0.0 and levels["silent"] == 0.0
    assert renderer.mix_level == pytest.approx(levels["tone"], abs=0.3)
    renderer.close()
