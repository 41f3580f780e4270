"""OutputEncoder: what comes out decodes to the requested size, rate, GOP and audio format."""

from __future__ import annotations

import av
import numpy as np
import pytest

from emulator.core.job import AudioSpec, Output, VideoSpec
from emulator.media.encoder import EncodedPacket, OutputEncoder, even_size, fps_fraction
from emulator.media.errors import MediaError


def canvas_frame(width: int, height: int, rgb: tuple[int, int, int]) -> av.VideoFrame:
    image = np.empty((height, width, 3), np.uint8)
    image[...] = rgb
    return av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")


def tone(rate: int, channels: int, samples: int, start: int = 0) -> av.AudioFrame:
    """A 440 Hz sine at half scale, samples ``start``..``start+samples``."""
    wave = (0.5 * np.sin(2 * np.pi * 440 * np.arange(start, start + samples) / rate)).astype(np.float32)
    frame = av.AudioFrame.from_ndarray(np.tile(wave, (channels, 1)), format="fltp", layout=f"{channels}c")
    frame.sample_rate = rate
    return frame


def decode(encoder: OutputEncoder, packets: list[EncodedPacket], kind: str) -> list[av.frame.Frame]:
    template = encoder.templates[kind]  # type: ignore[index]
    decoder = av.CodecContext.create("h264" if kind == "video" else "aac", "r")
    decoder.extradata = template.codec_context.extradata
    frames = []
    for encoded in packets:
        if encoded.kind == kind:
            packet = av.Packet(encoded.data)
            packet.pts, packet.dts, packet.time_base = encoded.pts, encoded.dts, encoded.time_base
            frames += decoder.decode(packet)
    return frames + decoder.decode(None)


def test_even_size_rounds_down_to_even() -> None:
    assert even_size(321, 241) == (320, 240)
    assert even_size(320, 240) == (320, 240)
    assert even_size(1, 0) == (2, 2)
    assert even_size(100_001, 90) == (8192, 90)


def test_fps_fraction_is_exact() -> None:
    assert fps_fraction(25) == 25
    assert fps_fraction(29.97) == pytest.approx(30000 / 1001)
    with pytest.raises(MediaError):
        fps_fraction(0)


def test_video_has_requested_size_rate_and_keyframe_interval() -> None:
    spec = VideoSpec(width=161, height=91, fps=20, gop_seconds=0.5, bitrate=300_000, preset="ultrafast")
    encoder = OutputEncoder(Output("v", video=spec, audio=None), (320, 240), realtime=False)
    assert encoder.video_size == (160, 90) and encoder.fps == 20
    packets: list[EncodedPacket] = []
    for _ in range(40):
        packets += encoder.encode_video(canvas_frame(320, 240, (255, 0, 0)))
    packets += encoder.flush()

    video = [p for p in packets if p.kind == "video"]
    assert len(video) == 40
    keyframe_pts = sorted(p.pts for p in video if p.keyframe)
    assert keyframe_pts == [0, 10, 20, 30]  # every gop_seconds * fps frames, no scene-cut extras
    assert all(p.time_base == pytest.approx(1 / 20) for p in video)

    frames = decode(encoder, packets, "video")
    encoder.close()
    assert len(frames) == 40
    assert (frames[0].width, frames[0].height) == (160, 90)
    red = frames[5].to_ndarray(format="rgb24")[45, 80]
    assert red[0] > 200 and red[1] < 50 and red[2] < 50


def test_realtime_has_no_reordering_and_monotonic_stamps() -> None:
    encoder = OutputEncoder(Output("rt", VideoSpec(fps=25, preset="ultrafast")), (160, 90), realtime=True)
    packets: list[EncodedPacket] = []
    for i in range(25):
        packets += encoder.encode_video(canvas_frame(160, 90, (i * 10, 0, 0)))
        packets += encoder.encode_audio(tone(44100, 2, 1764))
    packets += encoder.flush()
    encoder.close()
    video = [p for p in packets if p.kind == "video"]
    assert [p.pts for p in video] == list(range(25))  # zerolatency: each frame leaves at once, in order
    assert all(p.dts == p.pts for p in video)
    audio_pts = [p.pts for p in packets if p.kind == "audio"]
    assert audio_pts == sorted(audio_pts) and len(set(audio_pts)) == len(audio_pts)


def test_audio_is_resampled_to_the_requested_rate_and_channels() -> None:
    output = Output("a", video=None, audio=AudioSpec(sample_rate=48000, channels=1, bitrate=48_000))
    encoder = OutputEncoder(output, (160, 90), realtime=False)
    assert set(encoder.templates) == {"audio"}
    assert encoder.encode_video(canvas_frame(160, 90, (0, 0, 0))) == []
    packets: list[EncodedPacket] = []
    for i in range(50):  # 2 s of 44.1 kHz stereo in odd-sized chunks
        packets += encoder.encode_audio(tone(44100, 2, 1764, start=i * 1764))
    packets += encoder.flush()
    frames = decode(encoder, packets, "audio")
    encoder.close()
    assert {f.sample_rate for f in frames} == {48000}
    assert {f.layout.nb_channels for f in frames} == {1}
    decoded = np.concatenate([f.to_ndarray()[0] for f in frames])
    assert abs(len(decoded) - 96000) <= 2048  # 2 s, give or take the AAC priming and the last frame
    middle = decoded[10000:90000]
    assert 0.3 < np.sqrt(np.mean(middle**2)) < 0.6  # the tone kept its level (stereo -> mono: -3 dB each)
    spectrum = np.abs(np.fft.rfft(middle))
    assert np.argmax(spectrum) * 48000 / len(middle) == pytest.approx(440, abs=2)  # and its pitch


def test_bad_specs_are_media_errors() -> None:
    with pytest.raises(MediaError, match="neither video nor audio"):
        OutputEncoder(Output("x", video=None, audio=None), (160, 90), realtime=False)
    with pytest.raises(MediaError, match="channels"):
        OutputEncoder(Output("x", video=None, audio=AudioSpec(channels=6)), (160, 90), realtime=False)
    with pytest.raises(MediaError, match="encoder"):
        OutputEncoder(Output("x", VideoSpec(preset="no-such-preset")), (160, 90), realtime=False)
