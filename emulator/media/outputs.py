"""The outputs of one mix: each output's encoder and sinks, fed by an encoding thread of their own.

The pipeline's tick thread composes frames and mixes audio; :class:`Outputs` takes each tick's canvas frame
and audio chunks through a short bounded queue and encodes them for every output on its own thread, so
composing the next frame overlaps encoding this one (x264's threads, the decoders' and the compositor then
share the cores). The queue bounds the lag: when encoding falls behind, the tick thread waits (realtime mode
then resyncs its pace) rather than buffering frames without end. Frames handed over must not be modified
afterwards (the renderer returns a fresh frame per tick, or the same untouched one while frozen).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Any

import av

from emulator.media.encoder import EncodedPacket, OutputEncoder
from emulator.media.sei import SeiMessage, codec_of, insert_sei
from emulator.media.sinks import Sink

log = logging.getLogger(__name__)

QUEUE_TICKS = 3  # ticks waiting to be encoded: enough to overlap, little added latency
POLL_S = 0.2


@dataclass
class OutputChain:
    """One output: its encoder and the sinks its packets go to."""

    encoder: OutputEncoder
    sinks: list[Sink]

    def __post_init__(self) -> None:
        self._sei_dialect = codec_of(self.encoder.codecs["video"] or "")
        # Frame index -> the SEI of that frame, until its packet leaves the encoder (x265's lookahead and
        # B-frames hold frames back; a packet's pts is its frame's index).
        self._sei: dict[int, list[SeiMessage]] = {}

    def encode_frame(self, frame: av.VideoFrame, sei: list[SeiMessage]) -> list[EncodedPacket]:
        """The packets of the frame's encoding (for :meth:`send`)."""
        if sei and self._sei_dialect is not None:
            self._sei[self.encoder.frames_encoded] = sei
        return self.encoder.encode_video(frame)

    def send(self, packets: list[EncodedPacket]) -> None:
        """Hand packets to every sink, in one batch (one wake-up of each sink's thread); a video packet
        first gets its frame's SEI inserted (it is Annex B)."""
        if self._sei:
            packets = [self._with_sei(packet) for packet in packets]
        for sink in self.sinks:
            sink.put_batch(packets)

    def _with_sei(self, packet: EncodedPacket) -> EncodedPacket:
        if packet.kind == "video" and packet.pts is not None:
            sei = self._sei.pop(packet.pts, None)
            if sei and self._sei_dialect is not None:
                return replace(packet, data=insert_sei(packet.data, sei, self._sei_dialect))
        return packet

    def status(self) -> dict[str, Any]:
        sinks = [sink.status() for sink in self.sinks]

        def first(kind: str, key: str) -> Any:
            return next((s.get(key) for s in sinks if s["kind"] == kind), None)

        size, fps = self.encoder.video_size, self.encoder.fps
        return {
            "width": size[0] if size else None,
            "height": size[1] if size else None,
            "fps": float(fps) if fps else None,
            "frames": self.encoder.frames_encoded,
            "codecs": self.encoder.codecs,
            "recording": first("recording", "path"),
            "hls": first("hls", "path"),
            "live": first("live", "channel"),
            "push": [s for s in sinks if s["kind"] == "push"],
            "sinks": sinks,
        }


@dataclass
class Tick:
    """What one tick rendered: the canvas at media time ``t`` (None: no video output), audio chunks and the
    SEI messages its video frames carry."""

    t: float
    frame: av.VideoFrame | None
    audio: list[av.AudioFrame] = field(default_factory=list)
    sei: list[SeiMessage] = field(default_factory=list)


class Outputs:
    """Every output of a pipeline and the thread that encodes for them."""

    def __init__(self, name: str) -> None:
        self.chains: list[OutputChain] = []
        self.video = self.audio = False  # whether any output has video, audio
        self._name = name
        self._queue: queue.Queue[Tick | None] = queue.Queue(maxsize=QUEUE_TICKS)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def add(self, encoder: OutputEncoder, sinks: list[Sink]) -> None:
        for sink in sinks:
            sink.start(f"{sink.kind} {encoder.output.stream_id}")
        self.chains.append(OutputChain(encoder, sinks))
        self.video = self.video or encoder.video_size is not None
        self.audio = self.audio or "audio" in encoder.templates

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name=f"encode {self._name}", daemon=True)
        self._thread.start()

    def submit(self, tick: Tick, stop: threading.Event) -> None:
        """Queue a tick for encoding; waits while the queue is full (gives up once ``stop`` is set).
        Raises what made the encoding thread fail."""
        while not stop.is_set():
            self._raise_failure()
            try:
                self._queue.put(tick, timeout=POLL_S)
                return
            except queue.Full:
                continue

    def close(self, timeout: float, drain_share: float) -> None:
        """Encode what is queued, flush the encoders, let every sink finish its file (muxing what it holds
        for up to ``drain_share`` of ``timeout``), close the encoders. Waits at most about ``timeout``."""
        deadline = time.monotonic() + timeout
        if self._thread is not None and self._thread.is_alive():
            try:
                self._queue.put(None, timeout=timeout)
            except queue.Full:
                log.warning("encoding thread %s is stuck", self._name)
            self._thread.join(max(0.0, deadline - time.monotonic()))
        if self._thread is None or not self._thread.is_alive():  # else the encoders are still in use
            for chain in self.chains:
                try:
                    chain.send(chain.encoder.flush())
                except Exception:
                    log.exception("flushing output %s", chain.encoder.output.stream_id)
        sinks = [sink for chain in self.chains for sink in chain.sinks]
        for sink in sinks:
            sink.request_stop(timeout * drain_share)
        for sink in sinks:
            sink.join(deadline - time.monotonic())
        if self._thread is None or not self._thread.is_alive():
            for chain in self.chains:
                chain.encoder.close()

    def release(self) -> None:
        """After :meth:`close`: drop the encoders and sinks, unless a thread that still uses them is stuck."""
        encoding = self._thread is not None and self._thread.is_alive()
        if encoding or any(sink.busy for chain in self.chains for sink in chain.sinks):
            log.warning("outputs of %s kept: a thread is still busy with them", self._name)
            return
        self.chains = []
        self._thread = None

    def status(self) -> dict[str, dict[str, Any]]:
        return {chain.encoder.output.stream_id: chain.status() for chain in list(self.chains)}

    def _run(self) -> None:
        try:
            while (tick := self._queue.get()) is not None:
                self._encode(tick)
        except BaseException as exc:  # reported to the tick thread, which fails the task
            self._error = exc
            self._drain()

    def _encode(self, tick: Tick) -> None:
        for chain in self.chains:
            encoder = chain.encoder
            packets: list[EncodedPacket] = []
            if tick.frame is not None:
                while encoder.video_due(tick.t):
                    packets += chain.encode_frame(tick.frame, tick.sei)
            for chunk in tick.audio:
                packets += encoder.encode_audio(chunk)
            chain.send(packets)  # the tick's packets in one hand-over to each sink

    def _drain(self) -> None:
        """After a failure: take what is queued (and the closing None) so no producer waits on us."""
        while True:
            try:
                if self._queue.get(timeout=POLL_S * 5) is None:
                    return
            except queue.Empty:
                return

    def _raise_failure(self) -> None:
        if self._error is not None:
            raise self._error
