"""FLV: the container of every live stream inside the emulator (RTMP ingest, HTTP-FLV, mix outputs).

:class:`FlvParser` turns an FLV byte stream, cut into chunks anywhere, into :class:`FlvTag` objects;
:meth:`FlvTag.encode` and :func:`flv_header` write them back. RTMP audio/video/data messages carry
exactly an FLV tag's body, so the RTMP server converts with no re-muxing. The tag helpers classify what
the LiveHub must cache for late joiners (keyframes, sequence headers, metadata), covering legacy
AVC/AAC tags and Enhanced-RTMP video (HEVC/AV1 fourcc tags) and audio (Opus fourcc tags).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass, replace
from typing import Any

from emulator.media.rtmp import amf0

AUDIO, VIDEO, SCRIPT = 8, 9, 18
HEADER_SIZE = 9 + 4  # the FLV header plus PreviousTagSize0
MAX_TAG_SIZE = 8 << 20  # a bigger tag is garbage or an attack (24-bit sizes allow 16 MiB)

_VIDEO_CODECS = {2: "h263", 3: "screen", 4: "vp6", 5: "vp6a", 6: "screen2", 7: "h264", 12: "hevc"}
_VIDEO_FOURCCS = {b"avc1": "h264", b"hvc1": "hevc", b"av01": "av1", b"vp09": "vp9"}
_AUDIO_CODECS = {
    0: "pcm",
    1: "adpcm",
    2: "mp3",
    3: "pcm",
    7: "pcm_alaw",
    8: "pcm_mulaw",
    10: "aac",
    11: "speex",
}
_AUDIO_FOURCCS = {b"Opus": "opus", b"mp4a": "aac", b".mp3": "mp3", b"fLaC": "flac", b"ac-3": "ac3"}
_AVC, _AAC, _EX_AUDIO = 7, 10, 9  # 9: Enhanced RTMP audio (a fourcc follows the first byte)


class FlvError(ValueError):
    """The bytes are not FLV (bad signature, impossible tag size)."""


def flv_header(*, audio: bool = True, video: bool = True) -> bytes:
    """The 9-byte FLV file header plus the zero PreviousTagSize that precedes the first tag."""
    flags = (0x04 if audio else 0) | (0x01 if video else 0)
    return b"FLV\x01" + bytes((flags,)) + struct.pack(">II", 9, 0)


@dataclass(frozen=True, slots=True)
class FlvTag:
    """One FLV tag: ``type`` 8 (audio), 9 (video) or 18 (script data); ``timestamp`` in milliseconds."""

    type: int
    timestamp: int
    data: bytes

    @property
    def is_video(self) -> bool:
        return self.type == VIDEO

    @property
    def is_audio(self) -> bool:
        return self.type == AUDIO

    @property
    def is_keyframe(self) -> bool:
        """A coded video frame a decoder can start at (frame type 1), not a config or end-of-sequence tag."""
        if self.type != VIDEO or len(self.data) < 2 or (self.data[0] >> 4) & 0x07 != 1:
            return False
        first = self.data[0]
        if first & 0x80:  # Enhanced RTMP packet types 1 and 3 carry coded frames
            return first & 0x0F in (1, 3)
        return first & 0x0F != _AVC or self.data[1] == 1

    @property
    def is_sequence_header(self) -> bool:
        """AVC/AAC decoder configuration (or an Enhanced-RTMP SequenceStart): cached for late joiners."""
        if len(self.data) < 2:
            return False
        first = self.data[0]
        if self.type == VIDEO:
            if first & 0x80:  # Enhanced RTMP: the low nibble is the packet type, 0 = SequenceStart
                return first & 0x0F == 0
            return first & 0x0F == _AVC and self.data[1] == 0
        if self.type != AUDIO:
            return False
        if first >> 4 == _EX_AUDIO:  # Enhanced RTMP: the low nibble is the packet type, 0 = SequenceStart
            return first & 0x0F == 0
        return first >> 4 == _AAC and self.data[1] == 0

    @property
    def is_metadata(self) -> bool:
        return self.type == SCRIPT and self.data[:13] == b"\x02\x00\x0aonMetaData"

    @property
    def codec(self) -> str | None:
        """The codec name this audio/video tag declares, None for script tags or empty tags."""
        if not self.data or self.type == SCRIPT:
            return None
        first = self.data[0]
        if self.type == VIDEO:
            if first & 0x80:
                fourcc = self.data[1:5]
                return _VIDEO_FOURCCS.get(fourcc, fourcc.decode("latin-1"))
            return _VIDEO_CODECS.get(first & 0x0F, f"codec-{first & 0x0F}")
        if first >> 4 == _EX_AUDIO:
            fourcc = self.data[1:5]
            return _AUDIO_FOURCCS.get(fourcc, fourcc.decode("latin-1"))
        return _AUDIO_CODECS.get(first >> 4, f"codec-{first >> 4}")

    def with_timestamp(self, timestamp: int) -> FlvTag:
        return replace(self, timestamp=timestamp)

    def encode(self) -> bytes:
        """Tag header + body + PreviousTagSize, as it appears in an FLV file."""
        size = len(self.data)
        ts = self.timestamp & 0xFFFFFFFF
        # type + 24-bit size, then the low 24 timestamp bits, their high byte, and a zero stream id
        header = struct.pack(">II", (self.type << 24) | size, ((ts & 0xFFFFFF) << 8) | ts >> 24)
        return header + b"\x00\x00\x00" + self.data + struct.pack(">I", size + 11)


def parse_metadata(tag: FlvTag) -> dict[str, Any] | None:
    """The onMetaData properties of a script tag, None if it is not valid metadata."""
    if not tag.is_metadata:
        return None
    try:
        values = amf0.decode_all(tag.data)
    except amf0.AmfError:
        return None
    return values[1] if len(values) > 1 and isinstance(values[1], dict) else None


def metadata_number(meta: dict[str, Any], key: str) -> float | None:
    """A finite number from onMetaData (width, height, framerate ...); None if missing, NaN or no number."""
    value = meta.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


class FlvParser:
    """Incremental FLV reader: ``feed`` any slice of the stream, get back the tags it completed."""

    def __init__(self, max_tag_size: int = MAX_TAG_SIZE) -> None:
        self._buf = bytearray()
        self._header: bytes | None = None
        self._max_tag_size = max_tag_size

    @property
    def header(self) -> bytes | None:
        """The stream's FLV header (normalised to 13 bytes) once it has been read."""
        return self._header

    def feed(self, data: bytes) -> list[FlvTag]:
        """Consume ``data``; raises FlvError when the stream is not FLV (the caller drops the producer)."""
        self._buf += data
        pos = 0
        if self._header is None:
            pos = self._read_header()
            if self._header is None:
                return []
        tags: list[FlvTag] = []
        buf = self._buf
        while len(buf) - pos >= 11:
            (type_size,) = struct.unpack_from(">I", buf, pos)
            tag_type, size = type_size >> 24 & 0x1F, type_size & 0xFFFFFF
            if size > self._max_tag_size:
                raise FlvError(f"FLV tag of {size} bytes exceeds the {self._max_tag_size}-byte limit")
            end = pos + 11 + size + 4
            if len(buf) < end:
                break
            ts = buf[pos + 4] << 16 | buf[pos + 5] << 8 | buf[pos + 6] | buf[pos + 7] << 24
            if tag_type in (AUDIO, VIDEO, SCRIPT):  # other types (encrypted, unknown) are skipped
                tags.append(FlvTag(tag_type, ts, bytes(buf[pos + 11 : end - 4])))
            pos = end
        del buf[:pos]
        return tags

    def _read_header(self) -> int:
        """Parse the file header once 13+ bytes are there; returns the offset of the first tag."""
        buf = self._buf
        if len(buf) >= 3 and buf[:3] != b"FLV":
            raise FlvError("not an FLV stream (bad signature)")
        if len(buf) < 9:
            return 0
        (offset,) = struct.unpack_from(">I", buf, 5)
        if not 9 <= offset <= 1024:
            raise FlvError(f"FLV header size {offset} is invalid")
        if len(buf) < offset + 4:
            return 0
        flags = buf[4]
        self._header = flv_header(audio=bool(flags & 0x04), video=bool(flags & 0x01))
        return offset + 4
