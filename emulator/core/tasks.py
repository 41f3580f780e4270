"""The TaskManager: every running mix of every provider, its lifecycle and its emulator-clock rules.

Provider adapters call ``start`` / ``update`` / ``stop`` with a MixJob; the manager runs a media pipeline
per task, applies the job's time rules against the emulator clock (all inputs lost for ``idle_timeout`` ->
the task ends; ``max_duration``) and tells listeners (provider callbacks) about every state change, always
on the event loop thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import itertools
import logging
import pickle
import threading
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from emulator.core.clock import EmulatorClock
from emulator.core.job import MixJob, SourceResolver
from emulator.core.memory import release_free_memory
from emulator.core.packed import Packable, pack, stored
from emulator.core.request_notes import note_task
from emulator.core.retention import prune_recordings
from emulator.core.shelf import Shelf
from emulator.core.streams import PublishedStream, StreamRegistry

log = logging.getLogger(__name__)

FINISHED_KEPT = 500  # at most: the newest FINAL_SNAPSHOTS_KEPT holding their last frame, the rest packed
FINAL_SNAPSHOTS_KEPT = 50
RECORDINGS_DIR = "recordings"  # under the data dir (the media engine's layout, docs/internals.md)
STOP_TIMEOUT_S = 10.0


class TaskLimitReached(Exception):
    """A start refused because ``max_tasks`` mixes run already; each provider answers its overload code."""

    def __init__(self, running: int, limit: int) -> None:
        super().__init__(f"{running} mixes are running, the emulator's limit (max_tasks) is {limit}")
        self.running = running
        self.limit = limit


class TaskState(enum.StrEnum):
    STARTING = "starting"  # pipeline started, no frame out yet
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"  # stopped by a request
    ENDED = "ended"  # ended by itself: inputs finished (fast mode), idle timeout, max duration
    FAILED = "failed"

    @property
    def active(self) -> bool:
        return self in (TaskState.STARTING, TaskState.RUNNING)


class Pipeline(Protocol):
    """What the TaskManager needs of a media pipeline (emulator/media/pipeline.py: MixPipeline)."""

    def start(self) -> None: ...
    def update(self, job: MixJob) -> None: ...
    def stop(self, timeout: float = 5.0) -> None: ...
    def status(self) -> dict[str, Any]: ...
    def input_states(self) -> dict[str, dict[str, Any]]: ...
    def snapshot_png(self) -> bytes | None: ...
    def sound_levels(self) -> dict[str, float]: ...


PipelineFactory = Callable[..., Pipeline]
TaskListener = Callable[["Task", str, dict[str, Any]], None]


@dataclass
class Task:
    provider: str
    native_id: str
    job: MixJob = Packable()  # noqa: RUF009 - a descriptor, no default: pickled once finished (pack)
    created_at: float
    state: TaskState = TaskState.STARTING
    running_at: float | None = None
    updated_at: float | None = None
    stopped_at: float | None = None
    stop_reason: str | None = None
    error: str | None = None
    update_count: int = 0
    meta: dict[str, Any] = field(default_factory=dict)  # provider-specific (sessions, sequence, user...)
    pipeline: Pipeline | None = field(default=None, repr=False)  # None once stopped: all released
    final_snapshot: bytes | None = field(default=None, repr=False)  # its last frame (PNG), recent tasks only
    all_lost_since: float | None = None
    # The pipeline's last status (once stopped) and the job's view, pickled: read back on demand, never
    # parsed when the record is.
    _final_status: bytes = field(default=pickle.dumps({}), repr=False, compare=False)
    _job_view: tuple[object, bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str:
        return f"{self.provider}:{self.native_id}"

    @property
    def output_ids(self) -> list[str]:
        return [o.stream_id for o in self.job.outputs]

    def job_view(self) -> dict[str, Any]:
        """``job.to_dict()``, made once per job: the control API lists every task's job on every request."""
        job = stored(self, "job")
        if self._job_view is None or self._job_view[0] is not job:
            self._job_view = (job, pickle.dumps(self.job.to_dict(), pickle.HIGHEST_PROTOCOL))
        return pickle.loads(self._job_view[1])

    def pack(self) -> None:
        """Keep a finished task's job pickled (core/packed.py), its view cached: reading the record of a
        finished task, hundreds at a time, then leaves the job unparsed. ``job`` reads back as a copy."""
        self.job_view()
        assert self._job_view is not None
        pack(self, "job")
        self._job_view = (stored(self, "job"), self._job_view[1])

    @property
    def final_status(self) -> dict[str, Any]:
        """The pipeline's status when it stopped (empty while it runs)."""
        return pickle.loads(self._final_status)

    @final_status.setter
    def final_status(self, status: dict[str, Any]) -> None:
        self._final_status = pickle.dumps(status, pickle.HIGHEST_PROTOCOL)

    def snapshot_png(self) -> bytes | None:
        """The latest composed frame as PNG; once stopped, the last one (None when it had none, or when
        FINAL_SNAPSHOTS_KEPT tasks have stopped since)."""
        return self.final_snapshot if self.pipeline is None else self.pipeline.snapshot_png()

    def input_states(self) -> dict[str, dict[str, Any]]:
        """The media engine's view of each input (cheaper than the whole status: the ticker reads it)."""
        if self.pipeline is None:
            return self.final_status.get("inputs", {})
        try:
            return self.pipeline.input_states()
        except Exception:  # as media_status: a status read must never take the ticker down
            return {}

    def media_status(self) -> dict[str, Any]:
        if self.pipeline is None:
            return self.final_status
        try:
            return self.pipeline.status()
        except Exception as exc:  # a status read must never take the API down
            return {"error": f"status unavailable: {exc}"}


class TaskManager:
    def __init__(
        self,
        clock: EmulatorClock,
        registry: StreamRegistry,
        resolver: SourceResolver,
        pipeline_factory: PipelineFactory,
        data_dir: Path,
        media_mode: str = "realtime",
        *,
        max_tasks: int = 0,
        recordings_keep: int = 0,
        recordings_max_bytes: int = 0,
    ) -> None:
        """``max_tasks``: running tasks at once (0 = no limit); ``recordings_*``: retention of the recordings
        under ``data_dir`` (0 = no limit), applied whenever a task has finished its files."""
        self._clock = clock
        self._registry = registry
        self.resolver = resolver
        self._factory = pipeline_factory
        self._data_dir = data_dir
        self.media_mode = media_mode
        self.max_tasks = max_tasks
        self._retention = {"keep": recordings_keep, "max_bytes": recordings_max_bytes}
        self._active: dict[str, Task] = {}
        # Tagged (provider,); live while stopping and while holding a last frame, packed after.
        self._finished: Shelf[Task] = Shelf(FINISHED_KEPT - FINAL_SNAPSHOTS_KEPT)
        self._listeners: list[TaskListener] = []
        self._unpublished_at: dict[str, float] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._snapshots: deque[Task] = deque()  # stopped tasks holding their last frame, oldest first
        self._stopping: set[asyncio.Future[dict[str, Any]]] = set()
        registry.subscribe(self._on_stream_event)
        self._prune_recordings()

    # ----- queries
    def get(self, task_id: str) -> Task | None:
        task = self._active.get(task_id)
        if task is None:
            task = self._finished.get(task_id)
        return task

    def find(self, provider: str, native_id: str) -> Task | None:
        """The task, noted as touched by the provider request being handled (if any)."""
        task = self.get(f"{provider}:{native_id}")
        if task is not None:
            note_task(task.id)
        return task

    def active(self, provider: str | None = None) -> list[Task]:
        return [t for t in self._active.values() if provider is None or t.provider == provider]

    def all(self, provider: str | None = None) -> list[Task]:
        return list(self.each(provider))

    def each(self, provider: str | None = None) -> Iterator[Task]:
        """As :meth:`all`, a finished task unpickled only when it is reached (core/shelf.py)."""
        active = [t for t in self._active.values() if provider is None or t.provider == provider]
        return itertools.chain(self._finished.iterate(provider), active)

    def output_owner(self, stream_id: str) -> Task | None:
        """The running task that outputs ``stream_id``, if any."""
        task_id = self._registry.output_owner(stream_id)
        return None if task_id is None else self._active.get(task_id)

    def subscribe(self, listener: TaskListener) -> None:
        self._listeners.append(listener)

    # ----- lifecycle
    def start(
        self, provider: str, native_id: str, job: MixJob, *, meta: dict[str, Any] | None = None
    ) -> Task:
        """Start a task; returns at once. Raises ValueError if one with that id is active, TaskLimitReached
        when ``max_tasks`` run (before anything is created: providers check nothing else after)."""
        self._loop = asyncio.get_running_loop()
        task_id = f"{provider}:{native_id}"
        if task_id in self._active:
            raise ValueError(f"task {task_id} is already running")
        self.check_capacity()
        task = Task(provider, native_id, job, created_at=self._clock.now(), meta=dict(meta or {}))
        note_task(task_id)
        self._active[task_id] = task
        self._registry.claim_outputs(task_id, task.output_ids)
        try:
            task.pipeline = self._factory(
                job,
                task_id=task_id,
                resolver=self.resolver,
                clock=self._clock,
                data_dir=self._data_dir,
                mode=self.media_mode,
                on_event=lambda kind, data: self._from_pipeline_thread(task, kind, data),
            )
            task.pipeline.start()
        except Exception as exc:
            log.exception("task %s failed to start", task_id)
            self._finish(task, TaskState.FAILED, reason="failed", error=str(exc))
            return task
        self._emit(task, "started", {})
        return task

    def check_capacity(self) -> None:
        """Raises TaskLimitReached when no further task may start now."""
        if self.max_tasks and len(self._active) >= self.max_tasks:
            raise TaskLimitReached(len(self._active), self.max_tasks)

    def update(self, task_id: str, job: MixJob) -> Task:
        task = self._active.get(task_id)
        if task is None:
            raise KeyError(task_id)
        note_task(task_id)
        task.job = job
        task.update_count += 1
        task.updated_at = self._clock.now()
        self._registry.claim_outputs(task_id, task.output_ids)
        if task.pipeline is not None:
            task.pipeline.update(job)
        self._emit(task, "updated", {})
        return task

    def stop(self, task_id: str, reason: str = "stopped") -> Task | None:
        """Begin stopping a task; returns at once (files are finalised in a worker thread)."""
        task = self._active.get(task_id)
        if task is None:
            return None
        note_task(task_id)
        self._finish(task, TaskState.STOPPED if reason == "stopped" else TaskState.ENDED, reason=reason)
        return task

    async def stop_all(self) -> None:
        for task in list(self._active.values()):
            self.stop(task.id)
        await self.wait_idle()

    async def wait_idle(self, timeout: float = STOP_TIMEOUT_S + 2.0) -> None:
        """Wait until every pipeline that is being stopped has finished closing its files."""
        if self._stopping:
            await asyncio.wait(list(self._stopping), timeout=timeout)

    def forget_finished(self) -> None:
        self._finished.clear()
        self._snapshots.clear()

    # ----- rules on the emulator clock
    def tick(self) -> None:
        """Apply time rules (called by the server's ticker and after every clock advance)."""
        now = self._clock.now()
        for task in list(self._active.values()):
            job = task.job
            if job.max_duration is not None and now - task.created_at >= job.max_duration:
                self.stop(task.id, reason="max_duration")
                continue
            task.all_lost_since = self._all_lost_since(task)
            if (
                job.idle_timeout is not None
                and task.all_lost_since is not None
                and now - task.all_lost_since >= job.idle_timeout
            ):
                self.stop(task.id, reason="idle_timeout")

    def _all_lost_since(self, task: Task) -> float | None:
        """Since when (emulator clock) no input of the task has been live, or None if one is."""
        inputs = task.input_states()
        latest = task.created_at
        for layer in task.job.layers:
            if not layer.keeps_alive:
                continue
            stream_id = layer.source[len("stream:") :] if layer.source.startswith("stream:") else None
            if stream_id is not None and self._registry.get(stream_id) is None:
                # The registry knows of an unpublish at once; the pipeline notices a moment later.
                latest = max(latest, self._unpublished_at.get(stream_id, task.created_at))
                continue
            state = inputs.get(layer.id, {})
            if state.get("state") == "live":
                return None
            if stream_id is not None and state.get("state", "waiting") == "waiting":
                return None  # published and still being opened: an anchor that is there counts as up
            if state.get("state", "waiting") == "waiting" and not state.get("error"):
                return None  # still opening (a remote picture loading): not down, however the clock moves
            latest = max(latest, float(state.get("since") or task.created_at))
        return latest

    def _on_stream_event(self, kind: str, stream: PublishedStream) -> None:
        # Kept only while a running task reads the stream (the idle rule asks): a suite publishing a new
        # id per test must not grow this map.
        if kind == "published":
            self._unpublished_at.pop(stream.stream_id, None)
        elif kind == "unpublished" and any(
            layer.source == f"stream:{stream.stream_id}"
            for t in self._active.values()
            for layer in t.job.layers
        ):
            self._unpublished_at[stream.stream_id] = self._clock.now()

    # ----- events
    def _from_pipeline_thread(self, task: Task, kind: str, data: dict[str, Any]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._on_pipeline_event, task, kind, data)

    def _on_pipeline_event(self, task: Task, kind: str, data: dict[str, Any]) -> None:
        if kind == "running" and task.state == TaskState.STARTING:
            task.state = TaskState.RUNNING
            task.running_at = self._clock.now()
        elif kind == "ended" and task.state.active:
            self._finish(task, TaskState.ENDED, reason="inputs_ended")
            return
        elif kind == "failed" and task.state.active:
            self._finish(task, TaskState.FAILED, reason="failed", error=str(data.get("error")))
            return
        if kind in ("running", "input_state"):
            self._emit(task, kind, data)

    def _finish(self, task: Task, state: TaskState, *, reason: str, error: str | None = None) -> None:
        task.stopped_at = self._clock.now()
        task.stop_reason = reason
        task.error = error or task.error
        task.state = TaskState.STOPPING
        self._emit(task, "stopping", {"reason": reason})
        pipeline = task.pipeline
        loop = asyncio.get_running_loop()

        def close() -> tuple[dict[str, Any], bytes | None]:
            if pipeline is None:
                return {}, None
            try:
                pipeline.stop(timeout=STOP_TIMEOUT_S)
            except Exception:
                log.exception("stopping task %s", task.id)
            status, snapshot = task.media_status(), task.snapshot_png()
            release_free_memory()  # the pipeline freed its buffers: the allocator hands the pages back
            return status, snapshot

        # Out of the active set at once: the id and its outputs are free while the files are closed.
        if self._active.get(task.id) is task:
            del self._active[task.id]
            self._finished.put(task.id, task, (task.provider,), live=True)
            self._registry.release_outputs(task.id)
        # A thread per stop, not the loop's executor: stops run side by side (a reset or shutdown of many
        # tasks takes as long as the slowest one) and the thread ends with the stop.
        future: asyncio.Future[tuple[dict[str, Any], bytes | None]] = loop.create_future()

        def run() -> None:
            result = close()
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits any more
                loop.call_soon_threadsafe(_resolve, future, result)

        threading.Thread(target=run, name=f"stop {task.id}", daemon=True).start()
        self._stopping.add(future)

        def done(_: asyncio.Future[tuple[dict[str, Any], bytes | None]]) -> None:
            self._stopping.discard(future)
            # The record of a finished task keeps what it reported, not the pipeline: a stopped task holds
            # no encoder, frame or thread.
            task.final_status, task.final_snapshot = future.result() if not future.cancelled() else ({}, None)
            task.pipeline = None
            task.state = state
            self._emit(task, state.value, {"reason": reason, "error": task.error})
            self._prune_recordings()
            self._keep_snapshot(task)  # the listeners have seen it as it was; from here a compact record

        future.add_done_callback(done)

    def _keep_snapshot(self, task: Task) -> None:
        """Stopped tasks keep their last frame, the newest FINAL_SNAPSHOTS_KEPT of them only (bounded); a
        finished task without one is packed at once, one that had one when it lost it."""
        task.pack()
        if task.final_snapshot is None:
            self._finished.pack(task)
            return
        self._snapshots.append(task)
        if len(self._snapshots) > FINAL_SNAPSHOTS_KEPT:
            oldest = self._snapshots.popleft()
            oldest.final_snapshot = None
            self._finished.pack(oldest)

    def _prune_recordings(self) -> None:
        """Apply the recording retention; what running tasks write is kept."""
        writing = [
            Path(output["recording"])
            for task in self._active.values()
            for output in task.media_status().get("outputs", {}).values()
            if output.get("recording")
        ]
        try:
            prune_recordings(self._data_dir / RECORDINGS_DIR, protected=writing, **self._retention)
        except OSError:
            log.exception("applying the recording retention")

    def _emit(self, task: Task, event: str, data: dict[str, Any]) -> None:
        for listener in list(self._listeners):
            try:
                listener(task, event, data)
            except Exception:
                log.exception("task listener failed on %s %s", task.id, event)


def _resolve(future: asyncio.Future[Any], result: Any) -> None:
    if not future.done():
        future.set_result(result)
