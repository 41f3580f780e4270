"""FLV tag parsing and writing: round trips through a real PyAV-muxed FLV, any chunking, bad input."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from emulator.media.clips import write_clip
from emulator.media.flv import (
    AUDIO,
    SCRIPT,
    VIDEO,
    FlvError,
    FlvParser,
    FlvTag,
    flv_header,
    metadata_number,
    parse_metadata,
)
from emulator.media.rtmp import amf0


@pytest.fixture(scope="module")
def clip_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    path = write_clip(
        tmp_path_factory.mktemp("flv") / "clip.flv",
        size=(160, 90),
        duration=1.0,
        video="color:#ff0000",
        gop=10,
    )
    return Path(path).read_bytes()


def test_parses_a_real_flv_file_in_any_chunking(clip_bytes: bytes) -> None:
    whole = FlvParser()
    tags = whole.feed(clip_bytes)
    for step in (1, 7, 4096):
        parser = FlvParser()
        pieces = [parser.feed(clip_bytes[i : i + step]) for i in range(0, len(clip_bytes), step)]
        assert [t for piece in pieces for t in piece] == tags
    assert whole.header == flv_header(audio=True, video=True)
    kinds = {t.type for t in tags}
    assert kinds == {AUDIO, VIDEO, SCRIPT}
    assert tags[0].is_metadata
    video = [t for t in tags if t.type == VIDEO]
    assert video[0].is_sequence_header and video[0].codec == "h264"
    frames = [t for t in video if t.data[1] == 1]  # AVC NALUs (not the config or end-of-sequence tags)
    assert len(frames) == 25
    assert [i for i, t in enumerate(video) if t.is_keyframe] == [1, 11, 21]
    audio = [t for t in tags if t.type == AUDIO]
    assert audio[0].is_sequence_header and audio[0].codec == "aac"
    assert not any(t.is_sequence_header for t in audio[1:])
    meta = parse_metadata(tags[0])
    assert meta is not None and (meta["width"], meta["height"]) == (160.0, 90.0)


def test_encode_round_trips_byte_for_byte(clip_bytes: bytes) -> None:
    parser = FlvParser()
    tags = parser.feed(clip_bytes)
    rebuilt = flv_header() + b"".join(t.encode() for t in tags)
    assert rebuilt == clip_bytes


def test_timestamps_use_the_extended_byte() -> None:
    tag = FlvTag(VIDEO, 0x12345678, b"\x17\x01data")
    encoded = tag.encode()
    assert encoded[4:8] == bytes((0x34, 0x56, 0x78, 0x12))
    assert struct.unpack(">I", encoded[-4:])[0] == 11 + 6
    assert FlvParser().feed(flv_header() + encoded) == [tag]


def test_rejects_what_is_not_flv() -> None:
    with pytest.raises(FlvError):
        FlvParser().feed(b"GET / HTTP/1.1\r\n")
    with pytest.raises(FlvError):
        FlvParser().feed(b"FLV\x01\x05" + struct.pack(">I", 5_000_000))
    huge = struct.pack(">I", (VIDEO << 24) | 0xFFFFFF) + b"\x00" * 7
    with pytest.raises(FlvError, match="exceeds"):
        FlvParser(max_tag_size=1 << 20).feed(flv_header() + huge)


def test_skips_unknown_tag_types_and_waits_for_partial_tags() -> None:
    unknown = FlvTag(7, 0, b"xx").encode()
    audio = FlvTag(AUDIO, 40, b"\xaf\x01abc").encode()
    parser = FlvParser()
    assert parser.feed(flv_header() + unknown + audio[:-1]) == []
    assert parser.feed(audio[-1:]) == [FlvTag(AUDIO, 40, b"\xaf\x01abc")]


def test_enhanced_rtmp_video_tags_are_classified() -> None:
    sequence_start = FlvTag(VIDEO, 0, b"\x90hvc1config")  # ex-header, keyframe, packet type 0
    coded_frame = FlvTag(VIDEO, 40, b"\x91hvc1data")
    assert sequence_start.is_sequence_header and sequence_start.codec == "hevc"
    assert coded_frame.is_keyframe and not coded_frame.is_sequence_header


def test_amf0_round_trip_and_malformed_input() -> None:
    values = ["onStatus", 0.0, None, {"code": "x", "n": 1.5, "ok": True, "list": [1.0, "a"]}]
    assert amf0.decode_all(amf0.encode(*values)) == values
    long_text = "z" * 70_000
    assert amf0.decode_all(amf0.encode(long_text)) == [long_text]
    for bad in (b"\x02\x00\x10abc", b"\x0a\xff\xff\xff\xff", b"\x11", b"\x03" * 100):
        with pytest.raises(amf0.AmfError):
            amf0.decode_all(bad)
    assert parse_metadata(FlvTag(SCRIPT, 0, b"\x02\x00\x0aonMetaData\x08\x00")) is None


def test_metadata_numbers_must_be_finite() -> None:
    meta = {"width": 640.0, "height": float("nan"), "framerate": float("inf"), "audio": True, "name": "x"}
    assert metadata_number(meta, "width") == 640.0
    assert [metadata_number(meta, k) for k in ("height", "framerate", "audio", "name", "none")] == [None] * 5
