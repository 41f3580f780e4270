"""HLS of RTMP pushes: while an anchor pushes ``<stream_id>``, its stream is also written as HLS, as a CDN
serves a pushed stream, at the same ``/live/<stream_id>/index.m3u8`` a mix output uses.

Each push gets a thread that reads the LiveHub as FLV and remuxes the packets, copied without re-encoding,
into ``<data>/hls/<stream_id>/``. It follows the id as players do (live_follow.py): while a mix output takes
the id over (``mix:<id>``, Tencent output_stream_type 0; that mix then writes no HLS of its own, see
``standard_sinks``) it writes the mix, and the push again when the mix ends. Each change of channel starts
a new part of the same playlist after an EXT-X-DISCONTINUITY (``HlsSink(continued=True)``): the playlist
goes on, its media sequence counting on. EXT-X-ENDLIST comes when nothing plays the id any more, or at
:meth:`IngestHls.stop_all`.
"""

from __future__ import annotations

import logging
import shutil
import threading
from pathlib import Path

import av

from emulator.media.encoder import EncodedPacket, Kind
from emulator.media.live import LiveHub, LiveReader
from emulator.media.sinks import HlsSink, end_playlist, hls_dir

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 10.0  # a channel silent this long is over for HLS too
QUEUE = 600
STOP_TIMEOUT_S = 3.0


class IngestHls:
    """Starts an HLS writer for each RTMP push (channels without a ``kind:`` prefix) that goes live."""

    def __init__(self, hub: LiveHub, data_dir: Path) -> None:
        self._hub = hub
        self._data_dir = data_dir
        self._lock = threading.Lock()
        self._writers: dict[str, _Writer] = {}
        self._closed = False
        self._unsubscribe = hub.on_change(self._changed)

    def stop_all(self) -> None:
        """Stop every writer (their playlists end) and stop watching the hub."""
        self._unsubscribe()
        with self._lock:
            self._closed = True
            writers = list(self._writers.values())
            self._writers.clear()
        for writer in writers:
            writer.stop()
        for writer in writers:
            writer.join(STOP_TIMEOUT_S)

    def _changed(self, channel: str, live: bool) -> None:
        kind, _, stream_id = channel.rpartition(":")
        with self._lock:
            writer = self._writers.get(stream_id)
            if writer is not None and writer.alive:
                writer.retarget()  # a mix took the id over or gave it back
                return
            if kind or not live or self._closed:
                return
            writer = self._writers[stream_id] = _Writer(
                self._hub, stream_id, hls_dir(self._data_dir, stream_id)
            )
        writer.start()


class _Writer:
    def __init__(self, hub: LiveHub, stream_id: str, folder: Path) -> None:
        self._hub = hub
        self._stream_id = stream_id
        self._folder = folder
        self._lock = threading.Lock()
        self._reader: LiveReader | None = None
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=f"push-hls {stream_id}", daemon=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stopped

    def start(self) -> None:
        self._thread.start()

    def retarget(self) -> None:
        """Leave the channel being read if another one should be written now (the next part follows)."""
        with self._lock:
            reader = self._reader
        if reader is not None and reader.channel != self._channel():
            reader.close()  # wakes a blocked read: the demuxer sees the end of this part

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            reader = self._reader
        if reader is not None:
            reader.close()

    def join(self, timeout: float) -> None:
        self._thread.join(timeout)

    def _channel(self) -> str | None:
        """What the id's playlist shows now: a mix that took the id over, else the push itself."""
        return next((c for c in (f"mix:{self._stream_id}", self._stream_id) if self._hub.exists(c)), None)

    def _run(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)  # an earlier push's playlist is not continued
        parts = 0
        try:
            while (channel := self._channel()) is not None:
                with self._lock:
                    if self._stopped:
                        break
                    self._reader = reader = self._hub.open_reader(channel, READ_TIMEOUT_S)
                try:
                    wrote = self._write_part(reader)
                finally:
                    reader.close()
                parts += wrote
                if not wrote and channel == self._channel():
                    break  # the channel is there but sends nothing: the playlist ends here
        finally:
            if parts:
                end_playlist(self._folder / "index.m3u8")

    def _write_part(self, reader: LiveReader) -> int:
        """Remux one channel until it ends (or is left); 1 if it wrote a part of the playlist."""
        try:
            with av.open(reader, format="flv", options={"analyzeduration": "500000"}) as container:
                streams: dict[Kind, av.stream.Stream] = {}
                if container.streams.video:
                    streams["video"] = container.streams.video[0]
                if container.streams.audio:
                    streams["audio"] = container.streams.audio[0]
                if not streams:
                    return 0
                sink = HlsSink(streams, self._folder, queue_size=QUEUE, continued=True)
                sink.start(f"hls {self._stream_id}")
                try:
                    self._remux(container, streams, sink)
                finally:
                    # Before the input closes: the sink copies its streams' parameters when it opens.
                    sink.request_stop(STOP_TIMEOUT_S / 2)
                    sink.join(STOP_TIMEOUT_S)
                return 1
        except (av.FFmpegError, OSError, ValueError) as exc:
            log.info("HLS of %s: %s ended: %s", self._stream_id, reader.channel, exc)
            return 0

    @staticmethod
    def _remux(
        container: av.container.InputContainer, streams: dict[Kind, av.stream.Stream], sink: HlsSink
    ) -> None:
        kinds = {stream.index: kind for kind, stream in streams.items()}
        try:
            for packet in container.demux(*streams.values()):
                kind = kinds.get(packet.stream.index)
                if kind is not None and packet.size and packet.time_base is not None:
                    sink.put(_detached(kind, packet))
        except (av.FFmpegError, OSError, ValueError):
            pass  # the channel broke off: what was written stays a part of the playlist


def _detached(kind: Kind, packet: av.Packet) -> EncodedPacket:
    return EncodedPacket(
        kind=kind,
        data=bytes(packet),
        pts=packet.pts,
        dts=packet.dts,
        duration=packet.duration or 0,
        time_base=packet.time_base,
        keyframe=packet.is_keyframe,
    )
