"""media/sei.py: SEI NAL units built, inserted into real encoded access units and read back, in both framings;
FFmpeg's own decoders must find the same messages (frame side data)."""

from __future__ import annotations

import os
from fractions import Fraction

import av
import pytest
from av.codec.context import Flags

from emulator.core.job import SeiSpec
from emulator.media.sei import SeiMessage, insert_sei, read_sei, sei_nal
from emulator.media.sei_feed import (
    SOUND_LEVEL_UUID,
    USER_DATA_UUID,
    frame_messages,
    parse_sound_levels,
    sei_of_frame,
)
from emulator.media.sources.frames import solid_frame

UUID = b"0123456789abcdef"


def _encode(encoder: str, frames: int = 6) -> list[av.Packet]:
    """Annex B access units of a tiny clip, and the opened stream (for decoding)."""
    holder = av.open(os.devnull, "w", format="null")
    stream = holder.add_stream(encoder, rate=10)
    ctx = stream.codec_context
    ctx.width, ctx.height, ctx.pix_fmt, ctx.time_base = 64, 32, "yuv420p", Fraction(1, 10)
    ctx.flags |= Flags.global_header
    ctx.options = {
        "preset": "ultrafast",
        **({"x265-params": "log-level=error"} if encoder == "libx265" else {}),
    }
    holder.start_encoding()
    packets = []
    for i in range(frames):
        frame = solid_frame(64, 32, (i * 40, 0, 0))
        frame.pts, frame.time_base = i, ctx.time_base
        packets += ctx.encode(frame)
    packets += ctx.encode(None)
    extradata = ctx.extradata
    holder.close()
    return packets, extradata  # type: ignore[return-value]


def _avcc(annexb: bytes) -> bytes:
    """Annex B -> 4-byte length-prefixed, as MP4 and FLV carry it."""
    out = bytearray()
    for unit in annexb.replace(b"\x00\x00\x00\x01", b"\x00\x00\x01").split(b"\x00\x00\x01")[1:]:
        out += len(unit).to_bytes(4, "big") + unit
    return bytes(out)


def test_emulation_prevention_keeps_start_codes_out_and_reads_back() -> None:
    payload = b"\x00\x00\x00\x01\x00\x00\x02\x00\x00\x03" + bytes(300)  # start codes, zeros, size > 255
    for codec in ("h264", "hevc"):
        nal = sei_nal([SeiMessage(UUID, payload)], codec)
        assert b"\x00\x00\x01" not in nal and b"\x00\x00\x00" not in nal
        unit = b"\x00\x00\x00\x01" + nal
        assert read_sei(unit, codec) == [SeiMessage(UUID, payload)]


@pytest.mark.parametrize(("encoder", "codec"), [("libx264", "h264"), ("libx265", "hevc")])
def test_inserted_sei_sits_before_the_first_slice_and_decoders_find_it(encoder: str, codec: str) -> None:
    packets, extradata = _encode(encoder)
    messages = [SeiMessage(UUID, b"hello"), SeiMessage(USER_DATA_UUID, b"\x00\x00\x01 two")]
    decoder = av.CodecContext.create(codec, "r")
    decoder.extradata = extradata
    found = []
    for packet in packets:
        data = insert_sei(bytes(packet), messages, codec)
        assert read_sei(data, codec) == messages  # the encoder's own banner is skipped
        assert read_sei(_avcc(data), codec, annexb=False) == messages
        nal = sei_nal(messages, codec)
        assert data.startswith(bytes(packet)[: data.find(nal) - 4])  # what precedes the first slice stays
        for frame in decoder.decode(av.Packet(data)):
            found.append(sei_of_frame(frame))
    for frame in decoder.decode(None):
        found.append(sei_of_frame(frame))
    assert len(found) == len(packets) and all(f == messages for f in found)


def test_insert_into_length_prefixed_units() -> None:
    packets, _ = _encode("libx264", frames=2)
    avcc = _avcc(bytes(packets[0]))
    data = insert_sei(avcc, [SeiMessage(UUID, b"x")], "h264", annexb=False)
    assert read_sei(data, "h264", annexb=False) == [SeiMessage(UUID, b"x")]
    assert len(data) == len(avcc) + 4 + len(sei_nal([SeiMessage(UUID, b"x")], "h264"))


def test_frame_messages_follow_the_spec() -> None:
    assert frame_messages(None, {}) == []
    spec = SeiSpec(user_data="aGk=", sound_levels={"a": 7, "b": 300})
    user, levels = frame_messages(spec, {"a": 55.4, "b": 120.0}, [SeiMessage(UUID, b"in")])
    assert user == SeiMessage(USER_DATA_UUID, b"hi")
    assert levels.uuid == SOUND_LEVEL_UUID and parse_sound_levels(levels.payload) == {7: 55, 300: 100}
    passed = frame_messages(SeiSpec(pass_input=True), {}, [SeiMessage(UUID, b"in")])
    assert passed == [SeiMessage(UUID, b"in")]
