"""One RTMP connection: handshake, control messages, NetConnection/NetStream commands, publish and play.

A publisher's audio/video/data messages become FLV tags on hub channel ``<stream_id>`` and the stream is
published to the StreamRegistry (origin "rtmp", room/user from the stream key's query) until the client
unpublishes or goes away. A player gets hub channel ``mix:<stream_id>`` if that is live, else
``<stream_id>``, starting with the metadata, sequence headers and GOP cache. Any protocol error, limit or
timeout ends only this connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import struct
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from emulator.core.streams import EventKind, MediaInfo, PublishedStream, StreamRegistry
from emulator.media import flv
from emulator.media.live import LiveHub, Publisher
from emulator.media.live_follow import FollowedStream
from emulator.media.rtmp import amf0
from emulator.media.rtmp import chunks as ch
from emulator.media.rtmp.handshake import server_handshake

log = logging.getLogger(__name__)

_WINDOW = 2_500_000  # acknowledgement window and peer bandwidth we announce
_OUT_CHUNK_SIZE = 4096
_CSID_CONTROL, _CSID_COMMAND, _CSID_AUDIO, _CSID_STREAM, _CSID_VIDEO = 2, 3, 4, 5, 6
_STREAM_BEGIN, _STREAM_EOF, _PING_REQUEST, _PING_RESPONSE = 0, 1, 6, 7
_SET_DATA_FRAME = amf0.encode("@setDataFrame")
_BAD_KEY = re.compile(r"[\x00-\x20:/\\?#%]")


@dataclass(frozen=True)
class RtmpLimits:
    """Timeouts (seconds) and caps that keep one bad client from hurting the server."""

    handshake_timeout: float = 5.0
    # From accept to a started publish or play, however slowly the bytes come: a client trickling one byte
    # at a time stays under every per-read timeout, so this deadline is on the whole setup.
    setup_timeout: float = 10.0
    idle_timeout: float = 30.0  # a silent client, or a played stream without media this long, is closed
    write_timeout: float = 10.0  # a client not reading for this long is closed
    max_connections: int = 64
    max_per_peer: int = 32  # connections from one address
    max_message_size: int = 4 << 20
    play_wait: float = 3.0  # how long a play request waits for its stream to appear


class ProtocolError(ValueError):
    """The client did something this connection cannot continue after."""


def parse_stream_key(name: str) -> tuple[str, dict[str, str]]:
    """``"id?room_id=r1&user_id=u1"`` -> ("id", {"room_id": "r1", ...}); ProtocolError if unusable."""
    key, _, query = name.partition("?")
    if not key or len(key) > 256 or _BAD_KEY.search(key):
        raise ProtocolError(f"bad stream name {name[:80]!r}")
    return key, dict(urllib.parse.parse_qsl(query))


class RtmpSession:
    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        hub: LiveHub,
        registry: StreamRegistry,
        limits: RtmpLimits,
    ) -> None:
        self._reader, self._writer = reader, writer
        self._hub, self._registry, self._limits = hub, registry, limits
        self._parser = ch.ChunkParser(limits.max_message_size)
        self._out = ch.ChunkWriter()
        self._ack_window = _WINDOW
        self._acked = 0
        self._next_stream_id = 1
        self._stream_key = ""
        self._publisher: Publisher | None = None
        self._published: PublishedStream | None = None
        self._stop_listening: Callable[[], None] | None = None
        self._loop = asyncio.get_running_loop()
        self._play_task: asyncio.Task[None] | None = None
        peer = writer.get_extra_info("peername")
        self._peer = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
        self._setup_deadline: asyncio.TimerHandle | None = None
        self._connected_at = time.monotonic()
        self._handshake_bytes = 0

    @property
    def pace(self) -> float:
        """Bytes of protocol received per second since connecting: a client trickling a byte at a time
        stays near zero, a real one sends thousands in its first round trips."""
        received = self._handshake_bytes + self._parser.bytes_received
        return received / (time.monotonic() - self._connected_at + 0.01)

    def _count_handshake(self, size: int) -> None:
        self._handshake_bytes += size

    @property
    def established(self) -> bool:
        """Publishing or playing: past the setup that slow or idle clients are cut off in."""
        return self._publisher is not None or self._play_task is not None

    def close_now(self, reason: str) -> None:
        """Drop the connection at once (its run() then ends and cleans up)."""
        log.info("rtmp %s: closing: %s", self._peer, reason)
        self._writer.transport.abort()

    def _setup_expired(self) -> None:
        if not self.established:
            self.close_now(f"no publish or play within {self._limits.setup_timeout:g} s of connecting")

    async def run(self) -> None:
        """Serve the connection until it ends; never raises for anything the client does."""
        self._setup_deadline = self._loop.call_later(self._limits.setup_timeout, self._setup_expired)
        try:
            await server_handshake(
                self._reader, self._writer, self._limits.handshake_timeout, self._count_handshake
            )
            await self._serve()
        # ValueError covers every malformed-input error here (chunks, AMF0, FLV, handshake, ProtocolError).
        except (ValueError, TimeoutError, ConnectionError, asyncio.IncompleteReadError) as exc:
            log.info("rtmp %s: closing: %s", self._peer, exc or type(exc).__name__)
        finally:
            await self._cleanup()

    async def _serve(self) -> None:
        while True:
            try:
                data = await asyncio.wait_for(self._reader.read(65536), self._limits.idle_timeout)
            except TimeoutError:
                if self._play_task is not None and not self._play_task.done():
                    continue  # a player has nothing to say; its writes have their own timeout
                raise
            if not data:
                return
            for message in self._parser.feed(data):
                await self._handle(message)
            received = self._parser.bytes_received
            if received - self._acked >= self._ack_window:
                self._acked = received
                self._send(_CSID_CONTROL, ch.ACK, struct.pack(">I", received & 0xFFFFFFFF))
            await self._flush()
            if self._play_task is not None and self._play_task.done():
                return  # the stream played out (or the player fell behind)

    async def _cleanup(self) -> None:
        if self._setup_deadline is not None:
            self._setup_deadline.cancel()
        self._stop_publishing()
        if self._play_task is not None:
            self._play_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._play_task
        self._writer.close()  # sends what is buffered (a final onStatus), then closes
        try:
            await asyncio.wait_for(self._writer.wait_closed(), 1.0)
        except TimeoutError:
            self._writer.transport.abort()  # a peer that does not read would keep the socket forever
        except Exception:  # the peer reset the connection: it is closed either way
            pass

    # -- sending ------------------------------------------------------------------------------------
    def _send(
        self, csid: int, type_id: int, payload: bytes, *, stream_id: int = 0, timestamp: int = 0
    ) -> None:
        if not self._writer.is_closing():
            self._writer.write(self._out.encode(csid, ch.Message(type_id, stream_id, timestamp, payload)))

    async def _flush(self) -> None:
        await asyncio.wait_for(self._writer.drain(), self._limits.write_timeout)

    def _command(self, name: str, txn: float, *args: Any, stream_id: int = 0) -> None:
        csid = _CSID_STREAM if stream_id else _CSID_COMMAND
        self._send(csid, ch.COMMAND_AMF0, amf0.encode(name, txn, *args), stream_id=stream_id)

    def _status(self, stream_id: int, code: str, description: str, level: str = "status") -> None:
        info = {"level": level, "code": code, "description": description}
        self._command("onStatus", 0, None, info, stream_id=stream_id)

    def _user_control(self, event: int, data: bytes) -> None:
        self._send(_CSID_CONTROL, ch.USER_CONTROL, struct.pack(">H", event) + data)

    # -- receiving ----------------------------------------------------------------------------------
    async def _handle(self, message: ch.Message) -> None:
        kind, payload = message.type_id, message.payload
        if kind == ch.WINDOW_ACK_SIZE and len(payload) >= 4:
            self._ack_window = max(struct.unpack_from(">I", payload)[0], 4096)
        elif kind == ch.USER_CONTROL and len(payload) >= 2:
            if struct.unpack_from(">H", payload)[0] == _PING_REQUEST:
                self._user_control(_PING_RESPONSE, payload[2:6])
        elif kind in (ch.COMMAND_AMF0, ch.COMMAND_AMF3):
            values = amf0.decode_all(payload[1:] if kind == ch.COMMAND_AMF3 else payload)
            await self._on_command(message.stream_id, values)
        elif kind in (ch.AUDIO, ch.VIDEO, ch.DATA_AMF0, ch.DATA_AMF3):
            self._ingest(message)
        # Acknowledgements, Set Peer Bandwidth and anything unknown need no answer.

    async def _on_command(self, stream_id: int, values: list[Any]) -> None:
        if len(values) < 2 or not isinstance(values[0], str) or not isinstance(values[1], int | float):
            raise ProtocolError("malformed command")
        name, txn, args = values[0], values[1], values[3:]
        if name == "connect":
            self._on_connect(txn)
        elif name == "createStream":
            self._command("_result", txn, None, self._next_stream_id)
            self._next_stream_id += 1
        elif name in ("releaseStream", "FCPublish", "FCSubscribe"):
            self._command("_result", txn, None, None)
        elif name == "getStreamLength":
            self._command("_result", txn, None, 0)
        elif name == "publish":
            self._on_publish(stream_id, _first_string(args))
        elif name == "play":
            await self._on_play(stream_id, _first_string(args))
        elif name in ("FCUnpublish", "deleteStream", "closeStream"):
            self._stop_publishing()
            if self._play_task is not None:
                self._play_task.cancel()
        else:
            log.debug("rtmp %s: ignoring command %s", self._peer, name)

    def _on_connect(self, txn: float) -> None:
        self._send(_CSID_CONTROL, ch.WINDOW_ACK_SIZE, struct.pack(">I", _WINDOW))
        self._send(_CSID_CONTROL, ch.SET_PEER_BANDWIDTH, struct.pack(">IB", _WINDOW, 2))
        self._send(_CSID_CONTROL, ch.SET_CHUNK_SIZE, struct.pack(">I", _OUT_CHUNK_SIZE))
        self._out.chunk_size = _OUT_CHUNK_SIZE
        properties = {"fmsVer": "FMS/3,5,7,7009", "capabilities": 31, "mode": 1}
        info = {
            "level": "status",
            "code": "NetConnection.Connect.Success",
            "description": "Connection succeeded.",
            "objectEncoding": 0,
        }
        self._command("_result", txn, properties, info)

    # -- publish ------------------------------------------------------------------------------------
    def _on_publish(self, stream_id: int, name: str) -> None:
        if self._publisher is not None or self._play_task is not None:
            raise ProtocolError("this connection already publishes or plays")
        try:
            key, query = parse_stream_key(name)
        except ProtocolError:
            self._status(stream_id, "NetStream.Publish.BadName", f"bad stream name {name[:80]!r}", "error")
            raise
        self._stream_key = key
        self._publisher = self._hub.open_publisher(key)
        # The whole query is kept: providers read their own push parameters (Tencent's mixv2=...).
        self._published = self._registry.publish(
            key,
            f"live:{key}",
            origin="rtmp",
            room_id=query.get("room_id"),
            user_id=query.get("user_id"),
            extra={"query": dict(query)},
        )
        self._stop_listening = self._registry.subscribe(self._on_registry_event)
        log.info("rtmp %s: publishing %s", self._peer, key)
        self._user_control(_STREAM_BEGIN, struct.pack(">I", stream_id))
        self._status(stream_id, "NetStream.Publish.Start", f"{key} is now published.")

    def _ingest(self, message: ch.Message) -> None:
        publisher = self._publisher
        if publisher is None:
            return  # media before publish: nothing to attach it to
        if not publisher.active:
            raise ProtocolError(f"another client now publishes {self._stream_key}")
        payload = message.payload
        if message.type_id in (ch.DATA_AMF0, ch.DATA_AMF3):
            if message.type_id == ch.DATA_AMF3:
                payload = payload[1:]
            if payload.startswith(_SET_DATA_FRAME):  # the encoder's "store this metadata" wrapper
                payload = payload[len(_SET_DATA_FRAME) :]
            tag = flv.FlvTag(flv.SCRIPT, message.timestamp, payload)
            if tag.is_metadata:
                self._on_metadata(publisher, tag)
        else:
            tag = flv.FlvTag(message.type_id, message.timestamp, payload)
        publisher.write_tag(tag)

    def _on_metadata(self, publisher: Publisher, tag: flv.FlvTag) -> None:
        meta = flv.parse_metadata(tag) or {}
        has_video, has_audio = "videocodecid" in meta, "audiocodecid" in meta
        if not publisher.has_header and (has_video or has_audio):
            publisher.write(flv.flv_header(audio=has_audio, video=has_video))
        published = self._published
        if published is not None and self._registry.get(published.stream_id) is published:
            width, height = flv.metadata_number(meta, "width"), flv.metadata_number(meta, "height")
            info = MediaInfo(
                width=None if width is None else int(width),
                height=None if height is None else int(height),
                fps=flv.metadata_number(meta, "framerate"),
                has_video=has_video or not has_audio,
                has_audio=has_audio or not has_video,
            )
            self._registry.set_info(published.stream_id, info)

    def _on_registry_event(self, kind: EventKind, stream: PublishedStream) -> None:
        """Someone else unpublished our stream (control-API delete or reset): drop the anchor, as a
        cloud's "drop stream" does. Called on whichever thread made the change."""
        if kind == "unpublished" and stream is self._published:
            with contextlib.suppress(RuntimeError):  # the loop is already closed: nothing left to close
                self._loop.call_soon_threadsafe(self._writer.close)

    def _stop_publishing(self) -> None:
        if self._stop_listening is not None:
            self._stop_listening()  # our own unpublish below must not close this connection
            self._stop_listening = None
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None
            log.info("rtmp %s: unpublished %s", self._peer, self._stream_key)
        published, self._published = self._published, None
        if published is not None and self._registry.get(published.stream_id) is published:
            self._registry.unpublish(published.stream_id, origin="rtmp")

    # -- play ---------------------------------------------------------------------------------------
    async def _on_play(self, stream_id: int, name: str) -> None:
        if self._publisher is not None or self._play_task is not None:
            raise ProtocolError("this connection already publishes or plays")
        key, _ = parse_stream_key(name)
        channel = await self._hub.find_playable(key, self._limits.play_wait)
        if channel is None:
            self._status(stream_id, "NetStream.Play.StreamNotFound", f"{key} is not live.", "error")
            await self._flush()
            raise ProtocolError(f"play: {key} is not live")
        subscription = FollowedStream(self._hub, key, channel)  # hands over to a mix of this id
        self._user_control(_STREAM_BEGIN, struct.pack(">I", stream_id))
        self._status(stream_id, "NetStream.Play.Reset", f"Playing and resetting {key}.")
        self._status(stream_id, "NetStream.Play.Start", f"Started playing {key}.")
        access = amf0.encode("|RtmpSampleAccess", True, True)  # players may read the samples
        self._send(_CSID_STREAM, ch.DATA_AMF0, access, stream_id=stream_id)
        log.info("rtmp %s: playing %s from channel %s", self._peer, key, channel)
        self._play_task = asyncio.create_task(self._forward(subscription, stream_id))

    async def _forward(self, subscription: FollowedStream, stream_id: int) -> None:
        """Copy the channel's tags to the player until the channel ends, then say so and hang up."""
        try:
            # [] = nothing for idle_timeout: a stalled stream ends the play like an ended one
            while tags := await subscription.read_tags(self._limits.idle_timeout):
                for tag in tags:
                    csid = _CSID_VIDEO if tag.is_video else _CSID_AUDIO if tag.is_audio else _CSID_STREAM
                    self._send(csid, tag.type, tag.data, stream_id=stream_id, timestamp=tag.timestamp)
                await self._flush()
            if not subscription.dropped:
                self._user_control(_STREAM_EOF, struct.pack(">I", stream_id))
                self._status(stream_id, "NetStream.Play.Stop", "Stopped playing.")
                await self._flush()
        except (TimeoutError, ConnectionError) as exc:
            log.info("rtmp %s: player stopped reading: %s", self._peer, exc or type(exc).__name__)
        finally:
            subscription.close()
            self._writer.close()  # wakes the read loop, which ends the session


def _first_string(args: list[Any]) -> str:
    return args[0] if args and isinstance(args[0], str) else ""
