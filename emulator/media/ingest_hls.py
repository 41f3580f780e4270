"""HLS of RTMP pushes: while an anchor pushes ``<stream_id>``, its stream is also written as HLS, as a CDN
serves a pushed stream, at the same ``/live/<stream_id>/index.m3u8`` a mix output uses.

Each push gets a thread that reads the LiveHub channel ``<stream_id>`` (the ingest) as FLV and remuxes its
packets, copied without re-encoding, into an :class:`~emulator.media.sinks.HlsSink` under
``<data>/hls/<stream_id>/``. The thread ends with the push (the channel's end reaches it as end of file: the
playlist gets EXT-X-ENDLIST), or at :meth:`IngestHls.stop_all`. A mix output of the same id (Tencent
output_stream_type 0) takes the folder over: the push's writer stops when the mix starts.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import av

from emulator.media.encoder import EncodedPacket, Kind
from emulator.media.live import LiveHub, LiveReader
from emulator.media.sinks import HlsSink, hls_dir

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 10.0  # a push silent this long is over for HLS too
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
        if not live:
            return
        kind, _, stream_id = channel.rpartition(":")
        if kind == "mix":  # a mix output now writes this id's HLS: the push's writer gives way
            with self._lock:
                writer = self._writers.pop(stream_id, None)
            if writer is not None:
                writer.stop()
            return
        if kind:
            return
        with self._lock:
            if self._closed:
                return
            old = self._writers.get(channel)
            if old is not None and old.alive:
                return  # the same push reconnecting: the running writer reads on
            writer = _Writer(self._hub.open_reader(channel, READ_TIMEOUT_S), hls_dir(self._data_dir, channel))
            self._writers[channel] = writer
        writer.start(f"ingest-hls {channel}")


class _Writer:
    def __init__(self, reader: LiveReader, folder: Path) -> None:
        self._reader = reader
        self._folder = folder
        self._thread: threading.Thread | None = None

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, name: str) -> None:
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._reader.close()  # wakes a blocked read: the demuxer sees the end of the stream

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self) -> None:
        sink: HlsSink | None = None
        try:
            with av.open(self._reader, format="flv", options={"analyzeduration": "500000"}) as container:
                streams: dict[Kind, av.stream.Stream] = {}
                if container.streams.video:
                    streams["video"] = container.streams.video[0]
                if container.streams.audio:
                    streams["audio"] = container.streams.audio[0]
                if not streams:
                    return
                sink = HlsSink(streams, self._folder, queue_size=QUEUE)
                sink.start(f"hls {self._folder.name}")
                kinds = {stream.index: kind for kind, stream in streams.items()}
                for packet in container.demux(*streams.values()):
                    kind = kinds.get(packet.stream.index)
                    if kind is None or packet.size == 0 or packet.time_base is None:
                        continue
                    sink.put(_detached(kind, packet))
        except (av.FFmpegError, OSError, ValueError) as exc:
            log.info("HLS of push %s ended: %s", self._folder.name, exc)
        finally:
            if sink is not None:
                sink.request_stop(STOP_TIMEOUT_S / 2)
                sink.join(STOP_TIMEOUT_S)
            self._reader.close()


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
