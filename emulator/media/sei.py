"""SEI user_data_unregistered messages in H.264 / H.265 access units: built, inserted and read back.

Pure bitstream work, no FFmpeg: the pipeline inserts the messages of a frame into each encoded video packet
after encoding (no re-encode), so every sink muxing that packet (MP4, HLS, FLV, RTMP) carries them; readers
take them out of any packet again.

A user_data_unregistered message (payloadType 5) is a 16-byte UUID followed by free bytes. Several messages
share one SEI NAL unit (H.264 type 6, H.265 prefix SEI type 39), inserted just before the access unit's first
slice, as the standards require. The NAL payload gets emulation prevention bytes (``00 00 03``), so any
payload is safe, zeros included.

Packets come in two framings: Annex B (start codes, what libx264/libx265 give) and length-prefixed (AVCC /
HVCC, 4-byte big-endian sizes, what MP4 and FLV demuxers give).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

Codec = Literal["h264", "hevc"]
USER_DATA_UNREGISTERED = 5
UUID_SIZE = 16
_START = b"\x00\x00\x00\x01"
_H264_SEI, _HEVC_PREFIX_SEI = 6, 39
# x264 and x265 describe their own settings in a user_data_unregistered message of their own: not media
# SEI, so readers skip it (it would otherwise be "passed through" from an input to an output).
ENCODER_INFO_UUIDS = frozenset(
    {
        bytes.fromhex("dc45e9bde6d948b7962cd820d923eeef"),  # x264
        bytes.fromhex("2ca2de09b51747dbbb55a4fe7fc2fc4e"),  # x265
    }
)


@dataclass(frozen=True, slots=True)
class SeiMessage:
    """One user_data_unregistered message."""

    uuid: bytes
    payload: bytes

    def __post_init__(self) -> None:
        if len(self.uuid) != UUID_SIZE:
            raise ValueError(f"an SEI UUID has 16 bytes, got {len(self.uuid)}")


def codec_of(name: str) -> Codec | None:
    """The SEI dialect of a codec name (h264, hevc/h265), None for codecs without SEI."""
    if name == "h264":
        return "h264"
    if name in ("hevc", "h265"):
        return "hevc"
    return None


# ----- building
def sei_nal(messages: Sequence[SeiMessage], codec: Codec) -> bytes:
    """One SEI NAL unit (header included, no start code or length) carrying ``messages``."""
    rbsp = bytearray()
    for message in messages:
        rbsp += _sei_number(USER_DATA_UNREGISTERED)
        rbsp += _sei_number(UUID_SIZE + len(message.payload))
        rbsp += message.uuid + message.payload
    rbsp.append(0x80)  # rbsp_trailing_bits
    header = bytes((_H264_SEI,)) if codec == "h264" else bytes((_HEVC_PREFIX_SEI << 1, 0x01))
    return header + _add_emulation_prevention(bytes(rbsp))


def insert_sei(data: bytes, messages: Sequence[SeiMessage], codec: Codec, *, annexb: bool = True) -> bytes:
    """``data`` (one access unit) with an SEI NAL of ``messages`` before its first slice."""
    if not messages:
        return data
    nal = sei_nal(messages, codec)
    units = list(_units(data, annexb))
    at = next((start for start, body in units if _is_slice(body, codec)), None)
    if at is None:  # no slice (a parameter-set-only packet): append, still inside the access unit
        at = len(data)
    framed = _START + nal if annexb else len(nal).to_bytes(4, "big") + nal
    return data[:at] + framed + data[at:]


# ----- reading
def read_sei(
    data: bytes, codec: Codec, *, annexb: bool = True, skip_encoder_info: bool = True
) -> list[SeiMessage]:
    """Every user_data_unregistered message in an access unit (Annex B or 4-byte length-prefixed)."""
    found: list[SeiMessage] = []
    for _, body in _units(data, annexb):
        if not _is_sei(body, codec):
            continue
        rbsp = _remove_emulation_prevention(body[1 if codec == "h264" else 2 :])
        for kind, payload in _sei_payloads(rbsp):
            if kind != USER_DATA_UNREGISTERED or len(payload) < UUID_SIZE:
                continue
            message = SeiMessage(payload[:UUID_SIZE], payload[UUID_SIZE:])
            if not (skip_encoder_info and message.uuid in ENCODER_INFO_UUIDS):
                found.append(message)
    return found


# ----- NAL units
def _units(data: bytes, annexb: bool) -> Iterator[tuple[int, bytes]]:
    """(offset of the unit's framing, unit body) for each NAL unit of a packet."""
    if not annexb:
        pos = 0
        while pos + 4 <= len(data):
            size = int.from_bytes(data[pos : pos + 4], "big")
            if size == 0 or pos + 4 + size > len(data):
                return
            yield pos, data[pos + 4 : pos + 4 + size]
            pos += 4 + size
        return
    starts: list[tuple[int, int]] = []  # (framing offset, body offset)
    pos = data.find(b"\x00\x00\x01")
    while pos >= 0:
        framing = pos - 1 if pos > 0 and data[pos - 1] == 0 else pos
        starts.append((framing, pos + 3))
        pos = data.find(b"\x00\x00\x01", pos + 3)
    for i, (framing, body) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(data)
        yield framing, data[body:end]


def _nal_type(body: bytes, codec: Codec) -> int:
    if not body:
        return -1
    return body[0] & 0x1F if codec == "h264" else (body[0] >> 1) & 0x3F


def _is_slice(body: bytes, codec: Codec) -> bool:
    kind = _nal_type(body, codec)
    return 1 <= kind <= 5 if codec == "h264" else 0 <= kind <= 31


def _is_sei(body: bytes, codec: Codec) -> bool:
    return _nal_type(body, codec) == (_H264_SEI if codec == "h264" else _HEVC_PREFIX_SEI)


def _sei_number(value: int) -> bytes:
    """payloadType / payloadSize coding: 0xFF per 255, then the rest."""
    return b"\xff" * (value // 255) + bytes((value % 255,))


def _sei_payloads(rbsp: bytes) -> Iterator[tuple[int, bytes]]:
    pos = 0
    while pos < len(rbsp) and rbsp[pos] != 0x80:  # 0x80 alone: the trailing bits
        kind, pos = _read_number(rbsp, pos)
        size, pos = _read_number(rbsp, pos)
        if pos + size > len(rbsp):
            return
        yield kind, rbsp[pos : pos + size]
        pos += size


def _read_number(rbsp: bytes, pos: int) -> tuple[int, int]:
    value = 0
    while pos < len(rbsp) and rbsp[pos] == 0xFF:
        value += 255
        pos += 1
    if pos < len(rbsp):
        value += rbsp[pos]
    return value, pos + 1


def _add_emulation_prevention(rbsp: bytes) -> bytes:
    out = bytearray()
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _remove_emulation_prevention(body: bytes) -> bytes:
    if b"\x00\x00\x03" not in body:
        return body
    out = bytearray()
    zeros = 0
    for byte in body:
        if zeros >= 2 and byte == 3:
            zeros = 0
            continue
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)
