"""The server's side of the media workers: a pool of long-lived processes, each hosting many tasks.

``WorkerPool.factory`` is a PipelineFactory (core/tasks.py): the TaskManager gets a :class:`RemotePipeline`
and talks to it exactly as to an in-process MixPipeline. What crosses the boundary (channel.py):

- to a worker: start (the job, its options and what its sources resolve to), update, stop, snapshot,
  source resolutions whenever they change, the emulator clock's offset, HLS requests (media/hls_demand.py),
  FLV of hub channels its ``live:`` inputs read;
- from a worker: events, each task's status about ten times a second (``status()`` answers from it without
  a round trip), the final status and frame of a stopped task, FLV of its live outputs (written into the
  LiveHub here, ``mix:<id>`` as before).

Placement: a task goes to the least loaded worker, preferring one that already reads one of its inputs (the
input is then decoded once for both, and forwarded from the hub once) unless that one is SHARE_BONUS tasks
busier. A worker that dies fails its tasks (their
providers see them end) and is replaced on the next start.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from emulator.core.clock import EmulatorClock
from emulator.core.job import MixJob, ResolvedSource, SourceResolver
from emulator.workers.channel import Channel

log = logging.getLogger(__name__)

SHARE_BONUS = 2  # placement: a worker already reading one of a task's inputs counts as this much less busy
REFRESH_S = 0.1  # how often source resolutions and the clock offset are checked for changes
REPLY_TIMEOUT_S = 2.0  # snapshots and stats (a snapshot is asked on the event loop: keep it short)
FORWARD_CHUNK = 1 << 16
EventCallback = Callable[[str, dict[str, Any]], None]


def job_specs(job: MixJob) -> list[str]:
    """The source specs a job's renderer resolves (each layer's and the canvas picture's)."""
    specs = [layer.source for layer in job.layers]
    return [*specs, job.canvas.image] if job.canvas.image else specs


class _Reply:
    """A value another thread will hand over (a snapshot, the final status)."""

    def __init__(self) -> None:
        self._event = threading.Event()
        self.value: Any = None

    def set(self, value: Any) -> None:
        self.value = value
        self._event.set()

    def wait(self, timeout: float) -> Any:
        self._event.wait(timeout)
        return self.value


class RemotePipeline:
    """A MixPipeline in a worker, as the TaskManager sees it (the Pipeline protocol of core/tasks.py)."""

    def __init__(
        self,
        worker: _Worker,
        task_id: str,
        job: MixJob,
        options: dict[str, Any],
        on_event: EventCallback | None,
    ) -> None:
        self.worker = worker
        self.task_id = task_id
        self.job = job
        self._options = options
        self._on_event = on_event
        self._status: dict[str, Any] = {"state": "starting", "inputs": {}, "outputs": {}}
        self._levels: dict[str, float] = {}
        self._resolved: dict[str, ResolvedSource | None] = {}
        self._final = _Reply()
        self._started = False

    # ----- the Pipeline protocol
    def start(self) -> None:
        self._started = True
        resolved = self.worker.pool.resolve_all(self.job)
        self._resolved = resolved
        # Which of its output ids an RTMP anchor publishes now (sinks/__init__.py asks the hub that).
        hub = self.worker.pool.hub
        published = {o.stream_id: hub.exists(o.stream_id) for o in self.job.outputs}
        options = {**self._options, "published": published}
        self.worker.send("start", self.task_id, self.job.to_dict(), options, resolved)

    def update(self, job: MixJob) -> None:
        self.job = job
        resolved = self.worker.pool.resolve_all(job)
        self._resolved.update(resolved)
        self.worker.send("update", self.task_id, job.to_dict(), resolved)

    def stop(self, timeout: float = 5.0) -> None:
        if self._started and self.worker.send("stop", self.task_id, timeout):
            self._final.wait(timeout + 2.0)
        self.worker.forget(self)
        self._on_event = None

    def status(self) -> dict[str, Any]:
        final = self._final.value
        return final[0] if final is not None else self._status

    def input_states(self) -> dict[str, dict[str, Any]]:
        return self.status().get("inputs", {})

    def snapshot_png(self) -> bytes | None:
        final = self._final.value
        if final is not None:
            return final[1]
        return self.worker.ask("snapshot", self.task_id)

    def sound_levels(self) -> dict[str, float]:
        return self._levels

    # ----- from the worker (its reading thread)
    def on_status(self, status: dict[str, Any], levels: dict[str, float]) -> None:
        if self._final.value is None:
            self._status, self._levels = status, levels

    def on_event(self, kind: str, data: dict[str, Any]) -> None:
        callback = self._on_event
        if callback is not None:
            callback(kind, data)

    def on_stopped(self, status: dict[str, Any], png: bytes | None) -> None:
        self._final.set((status, png))

    def refresh(self, resolver: SourceResolver) -> None:
        """Send the resolutions that changed since last time (an anchor published, gone, re-published)."""
        changed = {}
        for spec in job_specs(self.job):
            try:
                now = resolver(spec)
            except Exception:
                log.exception("resolving %s", spec)
                continue
            if spec not in self._resolved or self._resolved[spec] != now:
                changed[spec] = self._resolved[spec] = now
        if changed:
            self.worker.send("resolved", self.task_id, changed)


def _launch_worker() -> tuple[subprocess.Popen, Connection]:
    """Start ``python -m emulator.workers`` with one end of a socket pair as its channel.

    A plain interpreter, not multiprocessing's spawn: spawn re-imports the parent's ``__main__``, so a
    script that starts the emulator without an ``if __name__ == "__main__":`` guard would start it again in
    every worker. The worker gets a session of its own, so a terminal's Ctrl-C reaches only the server,
    which stops the worker's tasks (finalising their recordings) before ending it; if the server dies
    instead, the worker reads the end of its channel and stops too.
    """
    ours, theirs = socket.socketpair()
    package_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.pathsep.join(filter(None, (package_root, os.environ.get("PYTHONPATH"))))
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "emulator.workers", str(theirs.fileno()), str(logging.getLogger().level)],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": path},
            start_new_session=True,
        )
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()
    return process, Connection(ours.detach())


class _Worker:
    """One worker process, its channel and the thread reading it."""

    def __init__(self, pool: WorkerPool, index: int) -> None:
        self.pool = pool
        self.index = index
        self.process, ours = _launch_worker()
        self.channel = Channel(ours)
        self.lock = threading.Lock()
        self.tasks: dict[str, RemotePipeline] = {}
        self._publishers: dict[int, Any] = {}
        self._readers: dict[int, Any] = {}
        self._replies: dict[int, _Reply] = {}
        self._numbers = itertools.count(1)
        self._reader = threading.Thread(target=self._read, name=f"media worker {index} reader", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return not self.channel.closed and self.process.poll() is None

    def send(self, kind: str, *args: Any) -> bool:
        return self.channel.send(kind, *args)

    def ask(self, kind: str, *args: Any) -> Any:
        """A request answered by a reply of the same kind (None if none comes in REPLY_TIMEOUT_S)."""
        number, reply = next(self._numbers), _Reply()
        with self.lock:
            self._replies[number] = reply
        try:
            if not self.send(kind, *args, number):
                return None
            return reply.wait(REPLY_TIMEOUT_S)
        finally:
            with self.lock:
                self._replies.pop(number, None)

    def host(self, pipeline: RemotePipeline) -> None:
        with self.lock:
            self.tasks[pipeline.task_id] = pipeline

    def forget(self, pipeline: RemotePipeline) -> None:
        with self.lock:
            if self.tasks.get(pipeline.task_id) is pipeline:
                del self.tasks[pipeline.task_id]

    def specs(self) -> set[str]:
        with self.lock:
            return {spec for p in self.tasks.values() for spec in job_specs(p.job)}

    # ----- the reading thread
    def _read(self) -> None:
        while (message := self.channel.receive()) is not None:
            self._handle(*message)
            del message  # not held while the next one is awaited (a stopped task's last status and frame)
        self._ended()

    def _handle(self, head: str | int, body: Any) -> None:
        try:
            if isinstance(head, int):
                publisher = self._publishers.get(head)
                if publisher is not None:
                    publisher.write(body)
            else:
                getattr(self, f"_on_{head}")(*body)
        except Exception:
            log.exception("media worker %d: handling %s", self.index, head)

    def _task(self, task_id: str) -> RemotePipeline | None:
        with self.lock:
            return self.tasks.get(task_id)

    def _on_event(self, task_id: str, kind: str, data: dict[str, Any]) -> None:
        if (pipeline := self._task(task_id)) is not None:
            pipeline.on_event(kind, data)

    def _on_statuses(self, statuses: list[tuple[str, dict[str, Any], dict[str, float]]]) -> None:
        for task_id, status, levels in statuses:
            if (pipeline := self._task(task_id)) is not None:
                pipeline.on_status(status, levels)

    def _on_stopped(self, task_id: str, status: dict[str, Any], png: bytes | None) -> None:
        if (pipeline := self._task(task_id)) is not None:
            pipeline.on_stopped(status, png)

    def _on_snapshot(self, number: int, png: bytes | None) -> None:
        self._answer(number, png)

    def _on_stats(self, number: int, stats: dict[str, Any]) -> None:
        self._answer(number, stats)

    def _answer(self, number: int, value: Any) -> None:
        with self.lock:
            reply = self._replies.get(number)
        if reply is not None:
            reply.set(value)

    def _on_open_publisher(self, number: int, name: str) -> None:
        self._publishers[number] = self.pool.hub.open_publisher(name)

    def _on_close_publisher(self, number: int) -> None:
        publisher = self._publishers.pop(number, None)
        if publisher is not None:
            publisher.close()

    def _on_open_reader(self, number: int, name: str, timeout: float) -> None:
        reader = self.pool.hub.open_reader(name, timeout=timeout)
        with self.lock:
            self._readers[number] = reader
        threading.Thread(
            target=self._forward, args=(number, reader), name=f"forward {name[:40]}", daemon=True
        ).start()

    def _on_close_reader(self, number: int) -> None:
        with self.lock:
            reader = self._readers.pop(number, None)
        if reader is not None:
            reader.close()  # wakes the forwarding thread, which ends

    def _forward(self, number: int, reader: Any) -> None:
        """A hub channel's FLV to the worker's live input, until either side ends it."""
        try:
            while data := reader.read(FORWARD_CHUNK):
                if not self.channel.send_data(number, data):
                    break
        finally:
            reader.close()
            with self.lock:
                self._readers.pop(number, None)
            self.send("reader_end", number)

    def _ended(self) -> None:
        """The worker is gone (or shut down): release its channels, fail the tasks it still ran."""
        for publisher in list(self._publishers.values()):
            publisher.close()
        self._publishers.clear()
        with self.lock:
            readers, self._readers = list(self._readers.values()), {}
            tasks = list(self.tasks.values())
            for reply in self._replies.values():
                reply.set(None)
        for reader in readers:
            reader.close()
        for pipeline in tasks:
            if pipeline._final.value is None:
                pipeline.on_event("failed", {"error": "the media worker running this task ended"})
                pipeline.on_stopped(pipeline._status, None)

    def stats(self) -> dict[str, Any] | None:
        return self.ask("stats")

    def close(self, timeout: float) -> None:
        """Ask the worker to end (it stops what it still runs), then wait; killed after ``timeout``."""
        self.send("shutdown")
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("media worker %d did not end in %.1f s: killed", self.index, timeout)
            self.process.kill()
            with contextlib.suppress(subprocess.TimeoutExpired):  # not reaped yet: the OS reaps it with us
                self.process.wait(1.0)
        self.channel.close()
        self._reader.join(timeout)


class WorkerPool:
    """``size`` long-lived media worker processes (started by :meth:`start`, ended by :meth:`close`)."""

    def __init__(
        self,
        size: int,
        hub: Any,
        resolver: SourceResolver,
        clock: EmulatorClock,
        *,
        jitter: float,
        outbound_allow: list[str],
    ) -> None:
        """``jitter``: the live inputs' jitter buffer (s); ``outbound_allow``: the hosts pushes may reach."""
        self.size = size
        self._jitter = jitter
        self._outbound_allow = outbound_allow
        self.hub = hub
        self._resolver = resolver
        self._clock = clock
        self._lock = threading.Lock()
        self._workers: list[_Worker | None] = [None] * size
        self._closed = threading.Event()
        self._refresher: threading.Thread | None = None

    def start(self) -> None:
        """Start the workers now (they take a second to import the media engine) and the refresher."""
        with self._lock:
            for index in range(self.size):
                self._worker(index)
            if self._refresher is None:
                self._refresher = threading.Thread(
                    target=self._refresh, name="media workers refresh", daemon=True
                )
                self._refresher.start()

    def factory(
        self,
        job: MixJob,
        *,
        task_id: str,
        data_dir: Any,
        mode: str = "realtime",
        on_event: EventCallback | None = None,
        keep_hls: bool = False,
        **_: Any,
    ) -> RemotePipeline:
        """A PipelineFactory (resolver and clock are the pool's: the server's own)."""
        self.start()
        options = {
            "data_dir": str(data_dir),
            "mode": mode,
            "keep_hls": keep_hls,
            "clock": self._clock.offset,
            "jitter": self._jitter,
            "outbound_allow": self._outbound_allow,
        }
        with self._lock:
            worker = self._place(set(job_specs(job)))
            pipeline = RemotePipeline(worker, task_id, job, options, on_event)
            worker.host(pipeline)
        return pipeline

    def hls_requested(self, stream_id: str, when: float) -> None:
        """A player asked for ``stream_id``'s HLS (media/hls_demand.py): every worker's sinks learn it (a
        worker not hosting that output ignores it)."""
        with self._lock:
            workers = [w for w in self._workers if w is not None]
        for worker in workers:
            worker.send("hls_demand", stream_id, when)

    def resolve_all(self, job: MixJob) -> dict[str, ResolvedSource | None]:
        resolved = {}
        for spec in job_specs(job):
            try:
                resolved[spec] = self._resolver(spec)
            except Exception:
                log.exception("resolving %s", spec)
                resolved[spec] = None
        return resolved

    def stats(self) -> list[dict[str, Any] | None]:
        """Each worker's pid, tasks, threads, fds and RSS (None: it did not answer)."""
        with self._lock:
            workers = [w for w in self._workers if w is not None]
        return [w.stats() for w in workers]

    def pids(self) -> list[int]:
        """The process ids of the workers started (the soak measures their memory)."""
        with self._lock:
            return [w.process.pid for w in self._workers if w is not None]

    def close(self, timeout: float = 10.0) -> None:
        """End every worker (blocking: call off the event loop, after the tasks were stopped)."""
        self._closed.set()
        with self._lock:
            workers, self._workers = [w for w in self._workers if w is not None], [None] * self.size
            refresher, self._refresher = self._refresher, None
        for worker in workers:  # all asked at once: they end side by side
            worker.send("shutdown")
        for worker in workers:
            worker.close(timeout)
        if refresher is not None:
            refresher.join(REFRESH_S * 10)

    # ----- inside
    def _worker(self, index: int) -> _Worker:
        worker = self._workers[index]
        if worker is None or not worker.alive:
            if worker is not None:
                with contextlib.suppress(Exception):
                    worker.close(1.0)
            worker = self._workers[index] = _Worker(self, index)
        return worker

    def _place(self, specs: set[str]) -> _Worker:
        """The least loaded worker, counting SHARE_BONUS tasks less on one that already reads an input of
        this task: tasks sharing inputs gather (each worker decodes an input once) without piling every
        one of them onto one core."""
        workers = [self._worker(i) for i in range(self.size)]
        return min(workers, key=lambda w: len(w.tasks) - (SHARE_BONUS if specs & w.specs() else 0))

    def _refresh(self) -> None:
        offset = 0.0
        while not self._closed.wait(REFRESH_S):
            offset = self._refresh_once(offset)

    def _refresh_once(self, offset: float) -> float:
        """Send the clock's offset if it moved and each task's changed resolutions; a function of its own
        so that nothing of the last task looked at is held while the refresher waits."""
        with self._lock:
            workers = [w for w in self._workers if w is not None]
        if self._clock.offset != offset:
            offset = self._clock.offset
            for worker in workers:
                worker.send("clock", offset)
        for worker in workers:
            with worker.lock:
                tasks = list(worker.tasks.values())
            for pipeline in tasks:
                pipeline.refresh(self._resolver)
        return offset
