"""The RTMP chunk stream: messages split into chunks on interleaved chunk streams, and back.

:class:`ChunkParser` is sans-IO: ``feed`` it whatever the socket gave and it returns the messages those
bytes completed, handling all four chunk header formats, 2- and 3-byte chunk stream ids, extended
timestamps (also repeated on continuation chunks, as FFmpeg writes them), Set Chunk Size and Abort. Every
size the peer declares is checked before memory is spent on it: a message over ``max_message_size``, too
many chunk streams or too much half-assembled data raise :class:`ChunkError` (the caller closes that
connection). :class:`ChunkWriter` encodes our messages: a type-0 header, then type-3 continuations.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

SET_CHUNK_SIZE, ABORT, ACK, USER_CONTROL, WINDOW_ACK_SIZE, SET_PEER_BANDWIDTH = 1, 2, 3, 4, 5, 6
AUDIO, VIDEO, DATA_AMF3, COMMAND_AMF3, DATA_AMF0, COMMAND_AMF0 = 8, 9, 15, 17, 18, 20
_HEADER_SIZES = (11, 7, 3, 0)  # message header bytes of chunk formats 0..3
_EXTENDED = 0xFFFFFF  # a timestamp field with this value means "see the 4-byte extended timestamp"
_MAX_CHUNK_STREAMS = 64  # clients use a handful; thousands would only cost us memory


class ChunkError(ValueError):
    """The peer broke the chunk protocol or a limit; the connection must close."""


@dataclass(slots=True)
class Message:
    type_id: int
    stream_id: int
    timestamp: int
    payload: bytes


@dataclass(slots=True)
class _ChunkStream:
    """What a chunk stream remembers from its last header, for the shorter formats that follow."""

    timestamp: int = 0
    delta: int = 0  # applied by a type-3 header that starts a new message
    ts_field: int = 0  # the last 24-bit timestamp field: 0xFFFFFF means extended timestamps follow
    length: int = 0
    type_id: int = 0
    stream_id: int = 0
    partial: bytearray | None = None  # the message being assembled


class ChunkParser:
    def __init__(self, max_message_size: int) -> None:
        self.chunk_size = 128  # the peer's, until it sends Set Chunk Size
        self.bytes_received = 0
        self._max_message = max_message_size
        self._max_pending = 2 * max_message_size  # half-assembled bytes over all chunk streams
        self._pending = 0
        self._buf = bytearray()
        self._streams: dict[int, _ChunkStream] = {}

    def feed(self, data: bytes) -> list[Message]:
        """Consume ``data``; return the messages it completed (protocol control ones already applied)."""
        self.bytes_received += len(data)
        self._buf += data
        messages: list[Message] = []
        pos = 0
        while True:
            parsed = self._parse_chunk(pos)
            if parsed is None:
                break
            pos, message = parsed
            if message is not None and not self._apply_control(message):
                messages.append(message)
        del self._buf[:pos]
        return messages

    def _parse_chunk(self, pos: int) -> tuple[int, Message | None] | None:
        """Parse one chunk at ``pos``: (next position, the message it completed) or None if incomplete.
        State changes only once the whole chunk is there, so an incomplete chunk is re-parsed later."""
        buf, avail = self._buf, len(self._buf)
        if avail - pos < 1:
            return None
        fmt, csid, p = buf[pos] >> 6, buf[pos] & 0x3F, pos + 1
        if csid < 2:  # 0: one more byte of id, 1: two more (little endian)
            extra = 1 if csid == 0 else 2
            if avail - p < extra:
                return None
            csid = 64 + buf[p] + (buf[p + 1] << 8 if extra == 2 else 0)
            p += extra
        if avail - p < _HEADER_SIZES[fmt]:
            return None
        st = self._streams.get(csid)
        if st is None:
            if fmt > 1:
                raise ChunkError(f"chunk stream {csid} starts with a type-{fmt} header")
            if len(self._streams) >= _MAX_CHUNK_STREAMS:
                raise ChunkError("too many chunk streams")
            st = _ChunkStream()
        starting = st.partial is None
        if not starting and fmt != 3:
            raise ChunkError(f"type-{fmt} header in the middle of a message on chunk stream {csid}")
        ts_field, length, type_id, stream_id = st.ts_field, st.length, st.type_id, st.stream_id
        if fmt <= 2:
            ts_field = buf[p] << 16 | buf[p + 1] << 8 | buf[p + 2]
        if fmt <= 1:
            length = buf[p + 3] << 16 | buf[p + 4] << 8 | buf[p + 5]
            type_id = buf[p + 6]
        if fmt == 0:
            (stream_id,) = struct.unpack_from("<I", buf, p + 7)
        p += _HEADER_SIZES[fmt]
        ts_value = ts_field
        if ts_field == _EXTENDED:
            if avail - p < 4:
                return None
            (extended,) = struct.unpack_from(">I", buf, p)
            # Continuations may or may not repeat it (FFmpeg does, the spec is unclear): only skip
            # four bytes that really are the timestamp again.
            if starting or fmt != 3 or extended in (st.delta, st.timestamp):
                ts_value = extended
                p += 4
        if length > self._max_message:
            raise ChunkError(f"message of {length} bytes exceeds the {self._max_message}-byte limit")
        done = 0 if starting else len(st.partial or b"")
        size = min(self.chunk_size, length - done)
        if avail - p < size:
            return None
        # The whole chunk is here: commit the header state.
        self._streams[csid] = st
        st.ts_field, st.length, st.type_id, st.stream_id = ts_field, length, type_id, stream_id
        if starting:
            if fmt == 0:
                st.timestamp = st.delta = ts_value
            elif fmt in (1, 2):
                st.delta = ts_value
                st.timestamp = (st.timestamp + ts_value) & 0xFFFFFFFF
            else:
                st.timestamp = (st.timestamp + st.delta) & 0xFFFFFFFF
            st.partial = bytearray()
        partial = st.partial
        assert partial is not None
        partial += buf[p : p + size]
        self._pending += size
        if self._pending > self._max_pending:
            raise ChunkError("too much half-assembled data")
        p += size
        if len(partial) < length:
            return p, None
        st.partial = None
        self._pending -= length
        return p, Message(type_id, stream_id, st.timestamp, bytes(partial))

    def _apply_control(self, message: Message) -> bool:
        """Apply Set Chunk Size / Abort (they change how the following bytes parse); True if it was one."""
        if message.type_id == SET_CHUNK_SIZE:
            if len(message.payload) < 4:
                raise ChunkError("short Set Chunk Size")
            (size,) = struct.unpack_from(">I", message.payload)
            if not 1 <= size <= 0x7FFFFFFF:
                raise ChunkError(f"invalid chunk size {size}")
            self.chunk_size = size  # sizes over 16 MiB act like 16 MiB: no message is longer
            return True
        if message.type_id == ABORT:
            if len(message.payload) >= 4:
                (csid,) = struct.unpack_from(">I", message.payload)
                st = self._streams.get(csid)
                if st is not None and st.partial is not None:
                    self._pending -= len(st.partial)
                    st.partial = None
            return True
        return False


class ChunkWriter:
    """Encodes messages to chunks with our outgoing chunk size (change it only with a Set Chunk Size)."""

    def __init__(self) -> None:
        self.chunk_size = 128

    def encode(self, csid: int, message: Message) -> bytes:
        if not 2 <= csid < 64:
            raise ValueError("the server only uses chunk streams 2..63")
        ts = message.timestamp & 0xFFFFFFFF
        extended = ts >= _EXTENDED
        ts_bytes = struct.pack(">I", ts) if extended else b""
        length = len(message.payload)
        out = bytearray(bytes((csid,)))  # format 0
        out += (min(ts, _EXTENDED)).to_bytes(3, "big") + length.to_bytes(3, "big")
        out += bytes((message.type_id,)) + struct.pack("<I", message.stream_id) + ts_bytes
        continuation = bytes((0xC0 | csid,)) + ts_bytes
        payload = message.payload
        for start in range(0, max(length, 1), self.chunk_size):
            if start:
                out += continuation
            out += payload[start : start + self.chunk_size]
        return bytes(out)
