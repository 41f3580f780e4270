"""Encoder settings as they show in what comes out: GOPs other than the default, the frame-rate range and
its exact fractions, bitrate versus constant quality, audio parameters, and the timing of frames."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest

from emulator.core.job import AudioSpec, Output, VideoSpec
from emulator.media.encoder import EncodedPacket, OutputEncoder, fps_fraction
from emulator.media.errors import MediaError


def noise_frame(seed: int, width: int = 160, height: int = 96) -> av.VideoFrame:
    """Incompressible pictures: what an encoder's rate control has to fight."""
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), np.uint8)
    return av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuv420p")


def encode_frames(
    spec: VideoSpec, frames: list[av.VideoFrame], *, realtime: bool = False
) -> list[EncodedPacket]:
    encoder = OutputEncoder(Output("v", video=spec, audio=None), (160, 96), realtime=realtime)
    try:
        packets: list[EncodedPacket] = []
        for frame in frames:
            packets += encoder.encode_video(frame)
        return packets + encoder.flush()
    finally:
        encoder.close()


@pytest.fixture(scope="module")
def noise() -> list[av.VideoFrame]:
    return [noise_frame(i) for i in range(20)]


@pytest.mark.parametrize(
    ("fps", "gop_seconds", "keyframes"),
    [
        (25, 0.2, [0, 5, 10, 15]),
        (10, 1.5, [0, 15]),
        (20, 0.01, list(range(20))),  # less than a frame: every frame is a keyframe
    ],
)
def test_keyframe_interval_follows_gop_seconds(fps: int, gop_seconds: float, keyframes: list[int]) -> None:
    spec = VideoSpec(fps=fps, gop_seconds=gop_seconds, preset="ultrafast", bitrate=200_000)
    frames = [noise_frame(0, 32, 32)] * 20  # a still picture: no scene cut could add keyframes
    packets = encode_frames(spec, frames)
    assert sorted(p.pts for p in packets if p.keyframe) == keyframes


@pytest.mark.parametrize(
    ("fps", "expected"),
    [
        (25, Fraction(25)),
        (24.999, Fraction(25)),  # within 0.005 of a whole rate
        (29.97, Fraction(30000, 1001)),
        (23.976, Fraction(24000, 1001)),
        (59.94, Fraction(60000, 1001)),
        (12.5, Fraction(25, 2)),
        (25.01, Fraction(2501, 100)),
        (0.5, Fraction(1, 2)),
        (240, Fraction(240)),
    ],
)
def test_fps_fractions(fps: float, expected: Fraction) -> None:
    assert fps_fraction(fps) == expected


@pytest.mark.parametrize("fps", [0, -1, 240.01, 1000])
def test_fps_outside_0_to_240_is_refused(fps: float) -> None:
    with pytest.raises(MediaError, match=r"\(0, 240\]"):
        fps_fraction(fps)


def test_bitrate_caps_the_output_and_constant_quality_does_not(noise: list[av.VideoFrame]) -> None:
    capped = encode_frames(VideoSpec(fps=10, bitrate=150_000, preset="ultrafast"), noise)
    size = sum(len(p.data) for p in capped)
    # 2 s at 150 kbit/s = 37.5 kB, with a one-second buffer: never more than ~1.5x that
    assert 15_000 < size < 56_000
    quality = encode_frames(VideoSpec(fps=10, bitrate=None, crf=23, preset="ultrafast"), noise)
    assert sum(len(p.data) for p in quality) > 4 * size  # noise at crf 23 costs far more


def test_crf_decides_the_size_when_there_is_no_bitrate(noise: list[av.VideoFrame]) -> None:
    def size(crf: int | None) -> int:
        return sum(
            len(p.data) for p in encode_frames(VideoSpec(bitrate=None, crf=crf, preset="ultrafast"), noise)
        )

    default, coarse = size(None), size(45)
    assert default == size(23)  # no crf given: 23
    assert coarse * 3 < default


def test_the_bitrate_is_in_the_stream_parameters() -> None:
    output = Output("p", VideoSpec(bitrate=700_000, preset="ultrafast"), AudioSpec(48000, 1, 96_000))
    encoder = OutputEncoder(output, (160, 96), realtime=True)
    try:
        video, audio = encoder.templates["video"].codec_context, encoder.templates["audio"].codec_context
        assert video.bit_rate == 700_000
        assert (audio.bit_rate, audio.sample_rate, audio.layout.name) == (96_000, 48000, "mono")
    finally:
        encoder.close()


def test_non_realtime_reorders_frames_and_realtime_does_not(noise: list[av.VideoFrame]) -> None:
    spec = VideoSpec(fps=10, bitrate=300_000, preset="veryfast")
    batch = encode_frames(spec, noise)
    assert [p.pts for p in batch] != sorted(p.pts for p in batch)  # B-frames: decode order differs
    live = encode_frames(spec, noise, realtime=True)
    assert [p.pts for p in live] == list(range(20))


def test_a_frame_is_due_at_its_time_not_before() -> None:
    encoder = OutputEncoder(Output("d", VideoSpec(fps=10, preset="ultrafast"), None), (32, 32), realtime=True)
    try:
        assert encoder.frames_encoded == 0 and encoder.video_due(0.0)
        encoder.encode_video(noise_frame(1, 32, 32))
        assert encoder.frames_encoded == 1
        assert not encoder.video_due(0.09)
        assert encoder.video_due(0.1)
        assert encoder.fps == 10 and encoder.video_size == (32, 32)
    finally:
        encoder.close()
    audio_only = OutputEncoder(Output("a", video=None), (32, 32), realtime=True)
    try:
        assert not audio_only.video_due(100.0) and audio_only.fps is None and audio_only.video_size is None
    finally:
        audio_only.close()


def test_video_packets_last_one_frame_and_audio_stamps_count_samples() -> None:
    output = Output("t", VideoSpec(fps=20, preset="ultrafast"), AudioSpec(8000, 1, 32_000))
    encoder = OutputEncoder(output, (32, 32), realtime=True)
    try:
        packets: list[EncodedPacket] = []
        for _ in range(5):
            packets += encoder.encode_video(noise_frame(2, 32, 32))
            silence = av.AudioFrame.from_ndarray(
                np.zeros((1, 2048), np.float32), format="fltp", layout="mono"
            )
            silence.sample_rate = 8000
            packets += encoder.encode_audio(silence)
        packets += encoder.flush()
    finally:
        encoder.close()
    video = [p for p in packets if p.kind == "video"]
    assert {p.duration for p in video} == {1} and {p.time_base for p in video} == {Fraction(1, 20)}
    assert [p.seconds for p in video] == [0.0, 0.05, 0.1, 0.15, 0.2]
    audio = [p for p in packets if p.kind == "audio"]
    assert {p.time_base for p in audio} == {Fraction(1, 8000)}
    stamps = sorted(p.pts for p in audio if p.pts is not None and p.pts >= 0)
    assert stamps[:4] == [0, 1024, 2048, 3072]


def test_packet_seconds_fall_back_to_pts_then_zero() -> None:
    def packet(pts: int | None, dts: int | None) -> EncodedPacket:
        return EncodedPacket("video", b"", pts, dts, 1, Fraction(1, 4), False)

    assert packet(8, 6).seconds == 1.5
    assert packet(8, None).seconds == 2.0
    assert packet(None, None).seconds == 0.0


def stereo_tone(rate: int, count: int, start: int) -> av.AudioFrame:
    wave = (0.5 * np.sin(2 * np.pi * 440 * np.arange(start, start + count) / rate)).astype(np.float32)
    frame = av.AudioFrame.from_ndarray(np.tile(wave, (2, 1)), format="fltp", layout="stereo")
    frame.sample_rate = rate
    return frame


def test_audio_is_stamped_in_output_samples_and_flushed_to_the_end() -> None:
    # one second of 16 kHz stereo into an 8 kHz mono output (with a video encoder beside it)
    output = Output("a", VideoSpec(fps=10, preset="ultrafast"), AudioSpec(8000, 1, 32_000))
    encoder = OutputEncoder(output, (32, 32), realtime=True)
    try:
        packets: list[EncodedPacket] = []
        for i in range(10):
            packets += encoder.encode_audio(stereo_tone(16000, 1600, i * 1600))
        tail = encoder.flush()
        audio = [p for p in packets + tail if p.kind == "audio"]
        # 8000 output samples in 1024-sample AAC frames, after one frame of encoder priming
        assert [p.pts for p in audio] == [-1024, 0, 1024, 2048, 3072, 4096, 5120, 6144, 7168]
        assert len([p for p in tail if p.kind == "audio"]) == 3  # held until the flush
        decoder = av.CodecContext.create("aac", "r")
        decoder.extradata = encoder.templates["audio"].codec_context.extradata
        decoded = 0
        for encoded in audio:
            packet = av.Packet(encoded.data)
            packet.pts, packet.time_base = encoded.pts, encoded.time_base
            decoded += sum(frame.samples for frame in decoder.decode(packet))
        assert decoded == 9216  # all 8000 samples came out (9 frames of 1024)
    finally:
        encoder.close()


def test_fractional_rates_keep_denominators_of_at_most_1000() -> None:
    rate = fps_fraction(12345 / 1001)  # near no NTSC or whole rate
    assert rate.denominator <= 1000 and abs(float(rate) - 12345 / 1001) < 1e-5


def test_the_stream_template_carries_the_frame_rate() -> None:
    encoder = OutputEncoder(
        Output("r", VideoSpec(fps=12.5, preset="ultrafast"), None), (32, 32), realtime=True
    )
    try:
        assert encoder.templates["video"].average_rate == Fraction(25, 2)
    finally:
        encoder.close()
