"""Outputs in the codecs asked for (H.265, MP3, Opus; HE-AAC as AAC-LC) with SEI in every video frame, in the
recording and the HLS segments, read back with PyAV; an input's SEI passed through to the mix."""

from __future__ import annotations

import time
from pathlib import Path

import av

from emulator.core.job import AudioSpec, Canvas, Layer, MixJob, Output, Rect, SeiSpec, VideoSpec
from emulator.media.sei import read_sei
from emulator.media.sei_feed import USER_DATA_UUID
from tests.media.conftest import RED, assert_rgb
from tests.media.test_pipeline import TOLERANCE, Events, color, make_pipeline, run_to_end


def _job(*outputs: Output, sei: SeiSpec | None = None, source: str | None = None) -> MixJob:
    layer = Layer("red", source or color(RED, "160x90") + "&tone=440", rect=Rect(0, 0, 160, 90))
    return MixJob(Canvas(160, 90), [layer], list(outputs), sei=sei)


def _user_data(path: str, *, annexb: bool) -> tuple[str, list[bytes | None]]:
    """The video codec and, per packet in decode order, the payload of its mixemu.userdata. SEI."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        codec = stream.codec_context.name
        found = []
        for packet in container.demux(stream):
            if packet.size:
                messages = [
                    m for m in read_sei(bytes(packet), codec, annexb=annexb) if m.uuid == USER_DATA_UUID
                ]
                found.append(messages[0].payload if messages else None)
    return codec, found


def _audio_codec(path: str) -> str:
    with av.open(path) as container:
        return container.streams.audio[0].codec_context.codec.canonical_name  # mp3, not the decoder mp3float


def test_h265_opus_and_mp3_outputs_carry_sei_in_recording_and_hls(tmp_path: Path) -> None:
    hevc = Output(
        "hevc", VideoSpec(fps=10, codec="h265", gop_seconds=0.5), AudioSpec(48000, 2, 64_000, "opus")
    )
    mp3 = Output("mp3", VideoSpec(fps=10, preset="ultrafast"), AudioSpec(44100, 1, 64_000, "mp3"))
    he = Output("he", VideoSpec(fps=5, preset="ultrafast"), AudioSpec(44100, 1, 48_000, "he-aac"))
    events = Events()
    job = _job(hevc, mp3, he, sei=SeiSpec(user_data="AAABaGVsbG8="))  # 00 00 01 "hello"
    pipeline = make_pipeline(job, tmp_path, events, mode="fast", duration=1.0)
    run_to_end(pipeline, events)
    outputs = pipeline.status()["outputs"]

    assert outputs["hevc"]["codecs"] == {"video": "hevc", "audio": "opus"}
    assert outputs["mp3"]["codecs"] == {"video": "h264", "audio": "mp3"}
    assert outputs["he"]["codecs"] == {"video": "h264", "audio": "aac", "audio_requested": "he-aac"}
    for name, video, audio in (("hevc", "hevc", "opus"), ("mp3", "h264", "mp3"), ("he", "h264", "aac")):
        for path, annexb in ((outputs[name]["recording"], False), (outputs[name]["hls"], True)):
            codec, payloads = _user_data(path, annexb=annexb)
            assert codec == video and _audio_codec(path) == audio, (name, path)
            assert payloads and all(p == b"\x00\x00\x01hello" for p in payloads), (name, path, payloads)
    with av.open(outputs["hevc"]["recording"]) as container:
        frames = list(container.decode(video=0))
    assert len(frames) == 10
    assert_rgb(frames[-1], 80, 45, RED, TOLERANCE)


def test_updated_user_data_reaches_the_next_frames(tmp_path: Path) -> None:
    output = Output("live", VideoSpec(fps=10, preset="ultrafast"), None)
    events = Events()
    pipeline = make_pipeline(_job(output, sei=SeiSpec(user_data="b25l")), tmp_path, events, duration=1.2)
    pipeline.start()
    deadline = time.monotonic() + 5
    while pipeline.status()["frames"] < 5 and time.monotonic() < deadline:
        time.sleep(0.02)
    pipeline.update(_job(output, sei=SeiSpec(user_data="dHdv")))
    assert events.final.wait(5)
    pipeline.stop()
    _, payloads = _user_data(pipeline.status()["outputs"]["live"]["recording"], annexb=False)
    assert len(payloads) == 12 and payloads[0] == b"one" and payloads[-1] == b"two"
    switch = payloads.index(b"two")
    assert set(payloads[:switch]) == {b"one"} and set(payloads[switch:]) == {b"two"}


def test_an_inputs_sei_passes_through_to_the_frames_made_from_it(tmp_path: Path) -> None:
    first = Output("anchor", VideoSpec(fps=10, preset="ultrafast"), None)
    events = Events()
    pipeline = make_pipeline(
        _job(first, sei=SeiSpec(user_data="YW5jaG9y")), tmp_path / "a", events, mode="fast", duration=1.0
    )
    run_to_end(pipeline, events)
    anchor = pipeline.status()["outputs"]["anchor"]["recording"]  # an MP4 whose frames carry "anchor"

    mixed = Output("mixed", VideoSpec(fps=10, preset="ultrafast", codec="h265"), None)
    events = Events()
    job = _job(mixed, sei=SeiSpec(user_data="bWl4", pass_input=True), source=anchor)
    pipeline = make_pipeline(job, tmp_path / "b", events, mode="fast", duration=1.0)
    run_to_end(pipeline, events)
    with av.open(pipeline.status()["outputs"]["mixed"]["recording"]) as container:
        per_packet = [read_sei(bytes(p), "hevc", annexb=False) for p in container.demux(video=0) if p.size]
    assert len(per_packet) == 10
    for messages in per_packet:
        assert [m.payload for m in messages if m.uuid == USER_DATA_UUID] == [b"mix", b"anchor"]
