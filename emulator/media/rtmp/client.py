"""A blocking RTMP publisher written in Python: the FLV byte stream PyAV muxes goes out as RTMP messages.

Why not FFmpeg's own ``rtmp://`` output? PyAV 18 keeps the GIL while FFmpeg's RTMP client connects and
handshakes (``avio_open`` runs without releasing it), so every other Python thread stops meanwhile: the
whole emulator freezes for as long as a remote server takes to answer, and a push to the emulator's own RTMP
ingest deadlocks, since that server is Python too. Here the socket calls release the GIL and each one has a
timeout, so a server that accepts and never answers costs one :class:`RtmpPushError`, not a frozen process.

Use: ``av.open(publisher := RtmpPublisher("rtmp://host/app/key?query"), "w", format="flv")``, mux, close
the container (it writes the FLV trailer through us), then ``publisher.close()``: PyAV never closes a file
object it was given. Closing unpublishes (FCUnpublish, deleteStream) and hangs up.
"""

from __future__ import annotations

import os
import select
import socket
import struct
import urllib.parse
from collections import deque
from typing import Any

from emulator.media.flv import SCRIPT, FlvParser, FlvTag
from emulator.media.rtmp import amf0
from emulator.media.rtmp import chunks as ch
from emulator.media.rtmp.handshake import PACKET_SIZE, RTMP_VERSION

_OUT_CHUNK_SIZE = 4096
_CSID_CONTROL, _CSID_COMMAND, _CSID_AUDIO, _CSID_VIDEO, _CSID_DATA = 2, 3, 4, 6, 5
_MAX_MESSAGE = 1 << 20  # what a server may send a publisher: commands and control, never media


class RtmpPushError(ConnectionError):
    """The push could not start or was cut off; the message says by what."""


class RtmpPublisher:
    """Connects and starts publishing in the constructor (raising RtmpPushError); then ``write`` takes FLV."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        parts = urllib.parse.urlsplit(url)
        app, _, key = parts.path.lstrip("/").partition("/")
        if parts.scheme != "rtmp" or not parts.hostname or not app or not key:
            raise ValueError(f"expected rtmp://host[:port]/app/stream, got {url!r}")
        self._key = f"{key}?{parts.query}" if parts.query else key
        self._flv = FlvParser()
        self._parser = ch.ChunkParser(_MAX_MESSAGE)
        self._out = ch.ChunkWriter()
        self._stream_id = 0
        self._ack_window = 0
        self._acked = 0
        self._inbox: deque[list[Any]] = deque()  # commands received in one read, answered one by one
        try:
            self._sock = socket.create_connection((parts.hostname, parts.port or 1935), timeout=timeout)
        except OSError as exc:
            raise RtmpPushError(f"{parts.netloc}: cannot connect: {exc}") from None
        self._readable = select.poll()
        self._readable.register(self._sock, select.POLLIN)
        try:
            self._start(app, f"{parts.scheme}://{parts.netloc}/{app}")
        except (OSError, ValueError) as exc:
            self._sock.close()
            raise RtmpPushError(f"{parts.netloc}: {exc or type(exc).__name__}") from None

    # -- file-like side for PyAV ---------------------------------------------------------------------
    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, data: bytes) -> int:
        try:
            for tag in self._flv.feed(bytes(data)):
                self._send_tag(tag)
            self._poll()
        except (OSError, ValueError) as exc:
            raise RtmpPushError(f"push of {self._key} failed: {exc or type(exc).__name__}") from None
        return len(data)

    def close(self) -> None:
        """Unpublish and hang up; safe to call twice."""
        if self._sock.fileno() < 0:
            return
        try:
            self._command("FCUnpublish", 6, None, self._key)
            self._command("deleteStream", 7, None, self._stream_id)
        except OSError:
            pass  # the server is gone already
        finally:
            self._sock.close()

    # -- protocol ------------------------------------------------------------------------------------
    def _start(self, app: str, tc_url: str) -> None:
        self._sock.sendall(bytes((RTMP_VERSION,)) + bytes(8) + os.urandom(PACKET_SIZE - 8))
        reply = self._recv_exactly(1 + 2 * PACKET_SIZE)
        if reply[0] != RTMP_VERSION:
            raise ValueError(f"server answered the handshake with version {reply[0]}")
        self._sock.sendall(reply[1 : 1 + PACKET_SIZE])  # C2 echoes S1
        self._send(_CSID_CONTROL, ch.SET_CHUNK_SIZE, struct.pack(">I", _OUT_CHUNK_SIZE))
        self._out.chunk_size = _OUT_CHUNK_SIZE
        self._command(
            "connect", 1, {"app": app, "type": "nonprivate", "flashVer": "FMLE/3.0", "tcUrl": tc_url}
        )
        self._await_result(1)
        self._command("releaseStream", 2, None, self._key)
        self._command("FCPublish", 3, None, self._key)
        self._command("createStream", 4, None)
        result = self._await_result(4)
        self._stream_id = int(result[3]) if len(result) > 3 and isinstance(result[3], float) else 1
        self._command("publish", 5, None, self._key, "live", stream_id=self._stream_id)
        while (status := self._await_status()) != "NetStream.Publish.Start":
            if not status.startswith("NetStream.Publish"):
                continue  # other notices (NetStream.Play..., custom ones) do not decide anything
            raise ValueError(f"publish refused: {status}")

    def _send(
        self, csid: int, type_id: int, payload: bytes, *, stream_id: int = 0, timestamp: int = 0
    ) -> None:
        self._sock.sendall(self._out.encode(csid, ch.Message(type_id, stream_id, timestamp, payload)))

    def _command(self, name: str, txn: int, *args: Any, stream_id: int = 0) -> None:
        self._send(_CSID_COMMAND, ch.COMMAND_AMF0, amf0.encode(name, txn, *args), stream_id=stream_id)

    def _send_tag(self, tag: FlvTag) -> None:
        payload = tag.data
        if tag.type == SCRIPT:
            csid = _CSID_DATA
            if tag.is_metadata:  # servers keep metadata sent as "@setDataFrame" for their players
                payload = amf0.encode("@setDataFrame") + payload
        else:
            csid = _CSID_VIDEO if tag.is_video else _CSID_AUDIO
        self._send(csid, tag.type, payload, stream_id=self._stream_id, timestamp=tag.timestamp)

    def _recv_exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self._sock.recv(n - len(data))
            if not chunk:
                raise ValueError("the server closed the connection")
            data += chunk
        return data

    def _messages(self, data: bytes) -> list[ch.Message]:
        if not data:
            raise ValueError("the server closed the connection")
        messages = self._parser.feed(data)
        if self._ack_window and self._parser.bytes_received - self._acked >= self._ack_window:
            self._acked = self._parser.bytes_received
            self._send(_CSID_CONTROL, ch.ACK, struct.pack(">I", self._acked & 0xFFFFFFFF))
        for message in messages:
            self._on_control(message)
        return messages

    def _on_control(self, message: ch.Message) -> None:
        payload = message.payload
        if message.type_id == ch.WINDOW_ACK_SIZE and len(payload) >= 4:
            self._ack_window = struct.unpack_from(">I", payload)[0]
        elif message.type_id == ch.USER_CONTROL and payload[:2] == b"\x00\x06":  # ping request
            self._send(_CSID_CONTROL, ch.USER_CONTROL, b"\x00\x07" + payload[2:6])

    def _await_command(self) -> list[Any]:
        """The server's next AMF0 command, blocking (up to the socket timeout per read) until one comes."""
        while not self._inbox:
            for message in self._messages(self._sock.recv(65536)):
                if message.type_id == ch.COMMAND_AMF0:
                    self._inbox.append(amf0.decode_all(message.payload))
        return self._inbox.popleft()

    def _await_result(self, txn: int) -> list[Any]:
        while True:
            values = self._await_command()
            if len(values) > 1 and values[1] == txn and values[0] in ("_result", "_error"):
                if values[0] == "_error":
                    raise ValueError(f"server refused: {_describe(values)}")
                return values

    def _await_status(self) -> str:
        while True:
            values = self._await_command()
            if values and values[0] == "onStatus" and len(values) > 3 and isinstance(values[3], dict):
                if values[3].get("level") == "error":
                    raise ValueError(f"server refused: {_describe(values)}")
                return str(values[3].get("code", ""))

    def _poll(self) -> None:
        """Handle what the server sent meanwhile (acks, pings, an error status) without blocking."""
        # poll, not MSG_DONTWAIT: a socket with a timeout waits for data before any recv
        while self._readable.poll(0):
            data = self._sock.recv(65536)
            for message in self._messages(data):
                if message.type_id == ch.COMMAND_AMF0:
                    values = amf0.decode_all(message.payload)
                    info = values[3] if len(values) > 3 and isinstance(values[3], dict) else {}
                    if info.get("level") == "error":
                        raise ValueError(f"server says: {_describe(values)}")


def _describe(values: list[Any]) -> str:
    info = next((v for v in values[2:] if isinstance(v, dict) and "code" in v), None)
    if info is None:
        return str(values[:4])
    return f"{info.get('code')} {info.get('description', '')}".strip()
