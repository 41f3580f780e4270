"""The media worker process: hosts many tasks' MixPipelines, driven by the server over one Channel.

The pipelines are the same as in the server (``media/`` knows nothing of workers); what differs is what
they are given:

- a :class:`MirroredResolver`: what each task's sources resolve to, as the server last told (the server
  resolves against its stream registry and sends the changes, channel.py);
- a clock that follows the server's emulator clock (its offset arrives with every change);
- a :class:`HubProxy` in place of the LiveHub: a live output's FLV goes to the server as media frames (the
  server writes them into its hub), and a ``live:`` input reads FLV the server forwards from a hub channel.

Threads here: one that reads the channel, one that sends every task's status a few times a second, one
per stop while a task stops, and each pipeline's own (docs/internals.md).
"""

from __future__ import annotations

import faulthandler
import itertools
import logging
import os
import threading
import time
from collections import deque
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from emulator.core.clock import EmulatorClock
from emulator.core.job import MixJob, ResolvedSource
from emulator.core.memory import release_free_memory, tune_for_a_media_worker
from emulator.core.outbound import OutboundPolicy
from emulator.media.ffmpeg_threads import single_threaded_ffmpeg
from emulator.media.hls_demand import HlsDemand
from emulator.workers.channel import Channel

log = logging.getLogger(__name__)

STATUS_EVERY_S = 0.1  # each task's status (and sound levels) goes to the server this often
READER_MAX_BYTES = 8 << 20  # a live input this far behind is cut off, as the hub cuts off a slow consumer


class MirroredResolver:
    """A task's SourceResolver: the server's last answer for each spec (None = not available now)."""

    def __init__(self, resolutions: dict[str, ResolvedSource | None]) -> None:
        self._resolutions = dict(resolutions)

    def set(self, resolutions: dict[str, ResolvedSource | None]) -> None:
        self._resolutions = {**self._resolutions, **resolutions}

    def __call__(self, spec: str) -> ResolvedSource | None:
        return self._resolutions.get(spec)


class _RemoteOutput:
    """A LiveHub publisher on the server's side: FLV bytes sent as media frames of number ``number``."""

    def __init__(self, channel: Channel, number: int) -> None:
        self._channel = channel
        self._number = number

    def write(self, data: bytes) -> int:
        self._channel.send_data(self._number, data)
        return len(data)

    def write_chunks(self, chunks: list[bytes]) -> None:
        """A batch of FLV writes in one pipe message, copied once (sinks/network.py)."""
        self._channel.send_data(self._number, *chunks)

    def close(self) -> None:
        self._channel.send("close_publisher", self._number)


class _RemoteReader:
    """A blocking FLV file-like object of a hub channel the server forwards (a LiveReader's stand-in).
    Reads end (b"") when the server's reader ends, after ``timeout`` without data, or when it falls
    READER_MAX_BYTES behind."""

    def __init__(self, proxy: HubProxy, number: int, timeout: float) -> None:
        self._proxy = proxy
        self._number = number
        self._timeout = timeout
        self._cond = threading.Condition()
        self._chunks: deque[bytes] = deque()
        self._queued = 0
        self._ended = False
        self._pending = b""
        self._offset = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def feed(self, data: memoryview | None) -> None:
        with self._cond:
            if data is None or self._queued + len(data) > READER_MAX_BYTES:
                self._ended = True
            elif not self._ended:
                self._chunks.append(bytes(data))
                self._queued += len(data)
            self._cond.notify_all()

    def read(self, n: int = -1) -> bytes:
        if self._offset >= len(self._pending):
            deadline = time.monotonic() + self._timeout
            with self._cond:
                while not self._chunks and not self._ended and time.monotonic() < deadline:
                    self._cond.wait(max(0.0, deadline - time.monotonic()))
                if not self._chunks:
                    self._ended = True
                    return b""
                self._pending, self._offset = self._chunks.popleft(), 0
                self._queued -= len(self._pending)
        end = len(self._pending) if n is None or n < 0 else self._offset + n
        chunk = self._pending[self._offset : end]
        self._offset += len(chunk)
        return chunk

    def close(self) -> None:
        self.feed(None)
        self._proxy.forget_reader(self._number)


class HubProxy:
    """The LiveHub as the pipelines of a worker see it (``open_publisher``, ``open_reader``)."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()
        self._readers: dict[int, _RemoteReader] = {}
        self._published: dict[str, bool] = {}

    def exists(self, name: str) -> bool:
        """Whether the channel had a publisher when the server said, at the start of the task whose sinks ask
        (once each: the answer is let go)."""
        return self._published.pop(name, False)

    def learn(self, published: dict[str, bool]) -> None:
        self._published.update(published)

    def open_publisher(self, name: str) -> _RemoteOutput:
        number = next(self._numbers)
        self._channel.send("open_publisher", number, name)
        return _RemoteOutput(self._channel, number)

    def open_reader(self, name: str, timeout: float = 5.0) -> _RemoteReader:
        number = next(self._numbers)
        reader = _RemoteReader(self, number, timeout)
        with self._lock:
            self._readers[number] = reader
        self._channel.send("open_reader", number, name, timeout)
        return reader

    def forget_reader(self, number: int) -> None:
        with self._lock:
            known = self._readers.pop(number, None) is not None
        if known:
            self._channel.send("close_reader", number)

    def feed(self, number: int, data: memoryview | None) -> None:
        with self._lock:
            reader = self._readers.get(number)
        if reader is not None:
            reader.feed(data)

    def end_all(self) -> None:
        with self._lock:
            readers = list(self._readers.values())
        for reader in readers:
            reader.feed(None)


class WorkerHost:
    """One worker's tasks and the handling of the server's messages (all on the reading thread)."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel
        self._clock = EmulatorClock()
        self._hub = HubProxy(channel)
        self._hls_demand = HlsDemand(self._clock)  # the server's HLS requests, passed on (pool.py)
        self._lock = threading.Lock()
        self._pipelines: dict[str, Any] = {}
        self._resolvers: dict[str, MirroredResolver] = {}
        self._stopping: list[threading.Thread] = []
        self._done = threading.Event()

    def serve(self) -> None:
        status = threading.Thread(target=self._send_status, name="worker status", daemon=True)
        status.start()
        while (message := self._channel.receive()) is not None and message[0] != "shutdown":
            self._handle(*message)
            del message  # not held while the next one is awaited
        self._shutdown()
        status.join(STATUS_EVERY_S * 10)

    def _handle(self, head: str | int, body: Any) -> None:
        if isinstance(head, int):
            self._hub.feed(head, body)
            return
        try:
            getattr(self, f"_on_{head}")(*body)
        except Exception:
            log.exception("media worker: handling %s", head)

    # ----- messages from the server
    def _on_start(self, task_id: str, job: dict[str, Any], options: dict[str, Any], resolved: dict) -> None:
        from emulator.media.pipeline import MixPipeline  # imported here: the worker starts quickly

        single_threaded_ffmpeg()  # many tasks per worker: no FFmpeg thread pools (media/ffmpeg_threads.py)
        self._on_clock(options["clock"])
        self._hub.learn(options["published"])
        resolver = MirroredResolver(resolved)
        pipeline = MixPipeline(
            MixJob.from_dict(job),
            task_id=task_id,
            resolver=resolver,
            clock=self._clock,
            hub=self._hub,
            data_dir=Path(options["data_dir"]),
            mode=options["mode"],
            keep_hls=options["keep_hls"],
            jitter=options["jitter"],
            hls_demand=self._hls_demand,
            push_check=OutboundPolicy(options["outbound_allow"]).refusal,
            on_event=lambda kind, data: self._channel.send("event", task_id, kind, data),
        )
        with self._lock:
            self._pipelines[task_id] = pipeline
            self._resolvers[task_id] = resolver
        try:
            pipeline.start()
        except Exception as exc:
            self._channel.send("event", task_id, "failed", {"error": str(exc)})

    def _on_update(self, task_id: str, job: dict[str, Any], resolved: dict) -> None:
        with self._lock:
            pipeline, resolver = self._pipelines.get(task_id), self._resolvers.get(task_id)
        if pipeline is not None and resolver is not None:
            resolver.set(resolved)
            pipeline.update(MixJob.from_dict(job))

    def _on_resolved(self, task_id: str, resolved: dict) -> None:
        resolver = self._resolvers.get(task_id)
        if resolver is not None:
            resolver.set(resolved)

    def _on_hls_demand(self, stream_id: str, when: float) -> None:
        self._hls_demand.request(stream_id, when)

    def _on_clock(self, offset: float) -> None:
        self._clock.return_to_wall()
        if offset > 0:
            self._clock.advance(offset)

    def _on_snapshot(self, task_id: str, number: int) -> None:
        pipeline = self._pipelines.get(task_id)
        threading.Thread(  # PNG conversion off the reading thread: media frames keep flowing
            target=lambda: self._channel.send(
                "snapshot", number, None if pipeline is None else pipeline.snapshot_png()
            ),
            name="worker snapshot",
            daemon=True,
        ).start()

    def _on_stop(self, task_id: str, timeout: float) -> None:
        thread = threading.Thread(
            target=self._stop, args=(task_id, timeout), name=f"stop {task_id}", daemon=True
        )
        self._stopping = [t for t in self._stopping if t.is_alive()] + [thread]
        thread.start()

    def _on_reader_end(self, number: int) -> None:
        self._hub.feed(number, None)

    def _on_stats(self, number: int) -> None:
        """Threads, fds and RSS of this worker (tests check a stopped task left nothing behind)."""
        from emulator.media.sources.file import files_opened
        from emulator.media.sources.network import connections_opened

        stats = {
            **_process_stats(len(self._pipelines)),
            "connections": connections_opened(),
            "files": files_opened(),
        }
        self._channel.send("stats", number, stats)

    # ----- work
    def _stop(self, task_id: str, timeout: float) -> None:
        pipeline = self._pipelines.get(task_id)
        final: dict[str, Any] = {}
        png = None
        if pipeline is not None:
            try:
                pipeline.stop(timeout)
            except Exception:
                log.exception("media worker: stopping %s", task_id)
            final, png = pipeline.status(), pipeline.snapshot_png()
        with self._lock:
            self._pipelines.pop(task_id, None)
            self._resolvers.pop(task_id, None)
        release_free_memory()
        self._channel.send("stopped", task_id, final, png)

    def _send_status(self) -> None:
        while not self._done.wait(STATUS_EVERY_S):
            self._send_statuses()

    def _send_statuses(self) -> None:
        """Every task's status, once, in one message: one pickle, one write, one wake-up of the server (a
        function of its own: no stopped pipeline is held while waiting)."""
        with self._lock:
            pipelines = list(self._pipelines.items())
        statuses = []
        for task_id, pipeline in pipelines:
            try:
                statuses.append((task_id, pipeline.status(), pipeline.sound_levels()))
            except Exception:  # a status read must never end the worker's reports
                log.exception("media worker: status of %s", task_id)
        if statuses:
            self._channel.send("statuses", statuses)

    def _shutdown(self) -> None:
        self._done.set()
        with self._lock:
            task_ids = list(self._pipelines)
        for task_id in task_ids:
            self._on_stop(task_id, 5.0)
        for thread in self._stopping:
            thread.join(7.0)
        self._hub.end_all()


def _process_stats(tasks: int) -> dict[str, Any]:
    rss = 0
    try:
        with open("/proc/self/statm") as statm:
            rss = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        pass
    try:
        fds = len(os.listdir("/proc/self/fd"))
    except OSError:
        fds = -1
    return {"pid": os.getpid(), "tasks": tasks, "threads": threading.active_count(), "fds": fds, "rss": rss}


def worker_main(conn: Connection, log_level: int) -> None:
    """The worker process's entry point (``python -m emulator.workers``, started by pool.py)."""
    tune_for_a_media_worker()
    logging.basicConfig(level=log_level, format="%(asctime)s worker %(process)d %(levelname)s %(message)s")
    faulthandler.enable()  # a native crash leaves every thread's stack in the server's log, not just an exit
    channel = Channel(conn)
    try:
        WorkerHost(channel).serve()
    finally:
        channel.close()
