"""The TaskManager's lifecycle and emulator-clock rules, in process, with a scripted stand-in for the media
pipeline (the manager only needs the Pipeline protocol; the media engine has its own tests): what a start
hands the pipeline, state changes and events, limits, the idle and max-duration rules from both sides of
their boundaries, and what a stopped task keeps."""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from emulator.core.clock import EmulatorClock
from emulator.core.job import Canvas, Layer, MixJob, Output, ResolvedSource
from emulator.core.request_notes import request_notes
from emulator.core.streams import StreamRegistry
from emulator.core.tasks import (
    FINAL_SNAPSHOTS_KEPT,
    FINISHED_KEPT,
    Task,
    TaskLimitReached,
    TaskManager,
    TaskState,
)

T0 = 1_700_000_000.0


class Wall:
    """A wall clock that moves only when told."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


class ScriptedPipeline:
    """Answers what the test sets; records what the manager asked of it."""

    def __init__(self, job: MixJob, **kwargs: Any) -> None:
        self.job = job
        self.kwargs = kwargs
        self.inputs: dict[str, dict[str, Any]] = {}
        self.outputs: dict[str, dict[str, Any]] = {}
        self.png: bytes | None = b"png:" + kwargs["task_id"].encode()
        self.updates: list[MixJob] = []
        self.stop_timeouts: list[float] = []
        self.started = False
        self.fail_status = False

    def start(self) -> None:
        self.started = True

    def update(self, job: MixJob) -> None:
        self.updates.append(job)

    def stop(self, timeout: float = 5.0) -> None:
        self.stop_timeouts.append(timeout)

    def status(self) -> dict[str, Any]:
        if self.fail_status:
            raise RuntimeError("decoder gone")
        return {"inputs": self.inputs, "outputs": self.outputs}

    def input_states(self) -> dict[str, dict[str, Any]]:
        if self.fail_status:
            raise RuntimeError("decoder gone")
        return self.inputs

    def snapshot_png(self) -> bytes | None:
        return self.png

    def sound_levels(self) -> dict[str, float]:
        return {}

    def event(self, kind: str, data: dict[str, Any] | None = None) -> None:
        self.kwargs["on_event"](kind, data or {})


class Rig:
    def __init__(self, tmp_path: Path, **options: Any) -> None:
        self.wall = Wall()
        self.clock = EmulatorClock(self.wall)
        self.registry = StreamRegistry(self.clock)
        self.pipelines: dict[str, ScriptedPipeline] = {}
        self.refuse: set[str] = set()
        self.events: list[tuple[str, str, dict[str, Any]]] = []
        self.data_dir = tmp_path
        self.manager = TaskManager(self.clock, self.registry, self.resolve, self.factory, tmp_path, **options)
        self.manager.subscribe(lambda task, event, data: self.events.append((task.id, event, dict(data))))

    @staticmethod
    def resolve(spec: str) -> ResolvedSource | None:
        return ResolvedSource(spec)

    def factory(self, job: MixJob, **kwargs: Any) -> ScriptedPipeline:
        if kwargs["task_id"] in self.refuse:
            raise RuntimeError("no encoder")
        pipeline = ScriptedPipeline(job, **kwargs)
        self.pipelines[kwargs["task_id"]] = pipeline
        return pipeline

    def start(self, native_id: str, job: MixJob | None = None, **kwargs: Any) -> Task:
        return self.manager.start("zego", native_id, job or mix(), **kwargs)

    def events_of(self, task_id: str) -> list[str]:
        return [event for tid, event, _ in self.events if tid == task_id]


def mix(*layers: Layer, outputs: tuple[str, ...] = ("out",), **rules: Any) -> MixJob:
    return MixJob(Canvas(64, 36), list(layers), [Output(o) for o in outputs], **rules)


def run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(body())


async def settle(rig: Rig) -> None:
    """Let pipeline events posted from other threads and finished stops be handled."""
    for _ in range(3):
        await asyncio.sleep(0)
    await rig.manager.wait_idle(timeout=5.0)  # a stop here takes milliseconds: a hung one fails fast
    await asyncio.sleep(0)


def test_a_start_hands_the_pipeline_its_job_and_the_managers_parts(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        job = mix(outputs=("o1", "o2"))
        meta = {"user": "u1"}
        task = rig.start("t1", job, meta=meta)
        meta["user"] = "changed"
        pipeline = rig.pipelines["zego:t1"]
        assert pipeline.job is job and pipeline.started
        assert pipeline.kwargs["task_id"] == "zego:t1"
        assert pipeline.kwargs["resolver"] is rig.resolve
        assert pipeline.kwargs["clock"] is rig.clock
        assert pipeline.kwargs["data_dir"] == tmp_path
        assert pipeline.kwargs["mode"] == "realtime"  # the default
        assert (task.id, task.provider, task.native_id, task.state) == (
            "zego:t1",
            "zego",
            "t1",
            TaskState.STARTING,
        )
        assert task.created_at == T0 and task.meta == {"user": "u1"}
        assert task.output_ids == ["o1", "o2"]
        assert rig.manager.output_owner("o2") is task and rig.manager.output_owner("t1") is None
        assert rig.events == [("zego:t1", "started", {})]
        with pytest.raises(ValueError, match="zego:t1 is already running"):
            rig.start("t1")
        assert (
            TaskManager(rig.clock, rig.registry, rig.resolve, rig.factory, tmp_path, "fast").media_mode
            == "fast"
        )

    run(body)


def test_a_start_notes_the_task_for_the_request_being_handled(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        with request_notes() as notes:
            rig.start("t1")
            rig.manager.find("zego", "t2")
        assert notes.tasks == ["zego:t1"]
        with request_notes() as notes:
            assert rig.manager.find("zego", "t1") is rig.manager.get("zego:t1")
        assert notes.tasks == ["zego:t1"]
        rig.start("t3")
        with request_notes() as notes:
            rig.manager.update("zego:t3", mix())
            rig.manager.stop("zego:t1")
        assert notes.tasks == ["zego:t3", "zego:t1"]
        await settle(rig)

    run(body)


def test_no_task_limit_by_default_and_the_limit_counts_running_tasks_only(tmp_path: Path) -> None:
    async def body() -> None:
        free = Rig(tmp_path / "free")
        for n in range(5):
            free.start(f"t{n}")
        assert len(free.manager.active()) == 5
        rig = Rig(tmp_path / "limited", max_tasks=2)
        rig.start("a")
        rig.start("b")
        with pytest.raises(TaskLimitReached) as refused:
            rig.start("c")
        assert (refused.value.running, refused.value.limit) == (2, 2)
        assert str(refused.value) == "2 mixes are running, the emulator's limit (max_tasks) is 2"
        assert rig.manager.get("zego:c") is None and "zego:c" not in rig.pipelines
        rig.manager.stop("zego:a")
        rig.manager.check_capacity()  # a stopping task no longer counts
        rig.start("c")

    run(body)


def test_a_pipeline_that_fails_to_start_leaves_a_failed_task(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        rig.refuse.add("zego:bad")
        task = rig.start("bad")
        await settle(rig)
        assert (task.state, task.stop_reason, task.error) == (TaskState.FAILED, "failed", "no encoder")
        assert rig.events_of("zego:bad") == ["stopping", "failed"]
        assert rig.manager.active() == [] and rig.manager.output_owner("out") is None

    run(body)


def test_an_update_replaces_the_job_and_tells_the_pipeline(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        task = rig.start("t1")
        rig.wall.now = T0 + 7
        new_job = mix(outputs=("other",))
        assert rig.manager.update("zego:t1", new_job) is task
        assert task.job is new_job and task.update_count == 1 and task.updated_at == T0 + 7
        assert rig.pipelines["zego:t1"].updates == [new_job]
        assert rig.manager.output_owner("other") is task and rig.manager.output_owner("out") is None
        assert rig.events_of("zego:t1") == ["started", "updated"]
        rig.manager.update("zego:t1", new_job)
        assert task.update_count == 2
        with pytest.raises(KeyError) as unknown:
            rig.manager.update("zego:none", new_job)
        assert unknown.value.args == ("zego:none",)

    run(body)


def test_pipeline_events_move_the_state_from_any_thread(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        task = rig.start("t1")
        rig.wall.now = T0 + 3
        pipeline = rig.pipelines["zego:t1"]
        thread = threading.Thread(target=pipeline.event, args=("running",))
        thread.start()
        thread.join()
        await settle(rig)
        assert (task.state, task.running_at) == (TaskState.RUNNING, T0 + 3)
        rig.wall.now = T0 + 9
        pipeline.event("running")  # a second one changes nothing
        pipeline.event("input_state", {"id": "a", "state": "lost"})
        await settle(rig)
        assert task.running_at == T0 + 3
        assert [(e, d) for tid, e, d in rig.events] == [
            ("started", {}),
            ("running", {}),
            ("running", {}),
            ("input_state", {"id": "a", "state": "lost"}),
        ]
        pipeline.event("other")  # not passed on
        pipeline.event("ended")
        await settle(rig)
        assert (task.state, task.stop_reason, task.error) == (TaskState.ENDED, "inputs_ended", None)
        pipeline.event("failed", {"error": "late"})  # after the end: ignored
        await settle(rig)
        assert task.state == TaskState.ENDED and task.error is None

        failing = rig.start("t2")
        rig.pipelines["zego:t2"].event("failed", {"error": "decoder crashed"})
        await settle(rig)
        assert (failing.state, failing.stop_reason, failing.error) == (
            TaskState.FAILED,
            "failed",
            "decoder crashed",
        )
        assert rig.events_of("zego:t2") == ["started", "stopping", "failed"]
        assert rig.events[-1][2] == {"reason": "failed", "error": "decoder crashed"}

        starting = rig.start("t3")
        rig.pipelines["zego:t3"].event("ended")  # before running: still ends
        await settle(rig)
        assert starting.state == TaskState.ENDED

    run(body)


def test_a_stop_frees_the_id_at_once_and_keeps_what_the_pipeline_reported(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        task = rig.start("t1")
        pipeline = rig.pipelines["zego:t1"]
        pipeline.outputs = {"out": {"frames": 12}}
        rig.wall.now = T0 + 5
        assert rig.manager.stop("zego:t1") is task
        assert (task.state, task.stopped_at, task.stop_reason) == (TaskState.STOPPING, T0 + 5, "stopped")
        assert rig.manager.active() == [] and rig.manager.output_owner("out") is None
        rig.start("t1")  # the id is free while the files are closed
        await settle(rig)
        assert task.state == TaskState.STOPPED and task.pipeline is None
        assert pipeline.stop_timeouts == [10.0]
        assert task.final_status == {"inputs": {}, "outputs": {"out": {"frames": 12}}}
        assert task.media_status() == task.final_status and task.snapshot_png() == b"png:zego:t1"
        assert rig.events_of("zego:t1") == ["started", "stopping", "started", "stopped"]
        stopping, stopped = [d for tid, e, d in rig.events if e in ("stopping", "stopped")]
        assert stopping == {"reason": "stopped"} and stopped == {"reason": "stopped", "error": None}
        assert rig.manager.stop("zego:none") is None
        other = rig.start("t2")
        rig.manager.stop("zego:t2", reason="max_duration")
        await settle(rig)
        assert (other.state, other.stop_reason) == (TaskState.ENDED, "max_duration")

    run(body)


def test_queries_find_running_and_finished_tasks_newest_first(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        first = rig.start("t1")
        rig.manager.stop("zego:t1")
        await settle(rig)
        second = rig.start("t1")
        rig.manager.stop("zego:t1")
        await settle(rig)
        assert rig.manager.get("zego:t1") is second
        third = rig.start("t1")
        assert rig.manager.get("zego:t1") is third
        volc = rig.manager.start("volcengine", "v1", mix(outputs=("v",)))
        assert rig.manager.all() == [first, second, third, volc]
        assert rig.manager.all("volcengine") == [volc] and rig.manager.active("zego") == [third]
        assert rig.manager.active() == [third, volc]
        rig.manager.forget_finished()
        assert rig.manager.all() == [third, volc] and first.final_snapshot is not None
        assert second.snapshot_png() == b"png:zego:t1"
        await rig.manager.stop_all()
        assert third.state == TaskState.STOPPED and volc.state == TaskState.STOPPED

    run(body)


def test_the_finished_list_and_their_last_frames_are_bounded(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        tasks = []
        for n in range(FINISHED_KEPT + 1):
            tasks.append(rig.start(f"t{n}"))
            rig.manager.stop(f"zego:t{n}")
            await settle(rig)  # one at a time: the frames are kept in the order the stops end
        assert len(rig.manager.all()) == FINISHED_KEPT and rig.manager.get("zego:t0") is None
        with_frames = [t for t in tasks if t.final_snapshot is not None]
        assert with_frames == tasks[-FINAL_SNAPSHOTS_KEPT:]
        blank = rig.start("blank")
        rig.pipelines["zego:blank"].png = None
        rig.manager.stop("zego:blank")
        await settle(rig)
        assert blank.snapshot_png() is None and tasks[-FINAL_SNAPSHOTS_KEPT].final_snapshot is not None

    run(body)


def _recording(tmp_path: Path, name: str, age_s: float) -> Path:
    path = tmp_path / "recordings" / name / "out.mp4"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * 10)
    stamp = T0 - age_s
    os.utime(path, (stamp, stamp))
    return path


def test_recordings_are_pruned_when_a_task_finishes_sparing_those_being_written(tmp_path: Path) -> None:
    async def body() -> None:
        old, older = _recording(tmp_path, "old", 10), _recording(tmp_path, "older", 20)
        rig = Rig(tmp_path, recordings_keep=1)
        assert old.exists() and not older.exists()  # applied at once
        writing = _recording(tmp_path, "writing", 30)
        rig.start("w")
        rig.pipelines["zego:w"].outputs = {"out": {"recording": str(writing)}, "hls": {}}
        rig.start("t")
        _recording(tmp_path, "new", 1)
        rig.manager.stop("zego:t")
        await settle(rig)
        assert (
            writing.exists() and not old.exists() and (tmp_path / "recordings" / "new" / "out.mp4").exists()
        )

    run(body)


def test_no_retention_limits_by_default(tmp_path: Path) -> None:
    async def body() -> None:
        paths = [_recording(tmp_path, f"r{n}", n) for n in range(3)]
        rig = Rig(tmp_path)
        rig.start("t")
        rig.manager.stop("zego:t")
        await settle(rig)
        assert all(path.exists() for path in paths)
        sized = Rig(tmp_path, recordings_max_bytes=25)
        assert [path.exists() for path in paths] == [True, True, False]
        del sized

    run(body)


def test_a_failing_listener_does_not_keep_the_others_from_hearing(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        heard: list[str] = []

        def broken(task: Task, event: str, data: dict[str, Any]) -> None:
            raise RuntimeError("listener bug")

        rig.manager._listeners.insert(0, broken)
        rig.manager.subscribe(lambda task, event, data: heard.append(event))
        rig.start("t1")
        assert heard == ["started"] and rig.events_of("zego:t1") == ["started"]

    run(body)


def test_status_reads_never_raise(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        task = rig.start("t1")
        rig.pipelines["zego:t1"].inputs = {"a": {"state": "live"}}
        assert task.input_states() == {"a": {"state": "live"}}
        assert task.snapshot_png() == b"png:zego:t1"
        rig.pipelines["zego:t1"].fail_status = True
        assert task.input_states() == {}
        assert task.media_status() == {"error": "status unavailable: decoder gone"}

    run(body)


def test_the_job_view_is_the_current_jobs_and_a_copy(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        task = rig.start("t1")
        view = task.job_view()
        assert view == task.job.to_dict()
        view["outputs"].clear()  # a caller's change stays its own
        assert task.job_view()["outputs"][0]["stream_id"] == "out"
        rig.manager.update("zego:t1", mix(outputs=("b",)))
        assert task.job_view()["outputs"][0]["stream_id"] == "b"

    run(body)


def test_task_states_that_are_active() -> None:
    assert [state.value for state in TaskState if state.active] == ["starting", "running"]


# ----- the emulator-clock rules


def test_max_duration_ends_the_task_at_its_length_not_before(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        task = rig.start("t1", mix(max_duration=60))
        rig.wall.now = T0 + 59.9
        rig.manager.tick()
        assert task.state == TaskState.STARTING
        rig.wall.now = T0 + 60
        rig.manager.tick()
        assert (task.state, task.stop_reason) == (TaskState.STOPPING, "max_duration")
        await settle(rig)
        assert task.state == TaskState.ENDED

    run(body)


def test_idle_timeout_counts_from_when_the_last_input_was_lost(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        job = mix(Layer("a", "file:a.mp4"), Layer("b", "file:b.mp4"), idle_timeout=30)
        task = rig.start("t1", job)
        pipeline = rig.pipelines["zego:t1"]
        pipeline.inputs = {"a": {"state": "live"}, "b": {"state": "lost", "since": T0 + 5}}
        rig.wall.now = T0 + 100
        rig.manager.tick()
        assert task.all_lost_since is None and task.state == TaskState.STARTING
        pipeline.inputs = {"a": {"state": "lost", "since": T0 + 80}, "b": {"state": "lost", "since": T0 + 5}}
        rig.wall.now = T0 + 109.9
        rig.manager.tick()
        assert task.all_lost_since == T0 + 80 and task.state == TaskState.STARTING
        rig.wall.now = T0 + 110
        rig.manager.tick()
        assert (task.state, task.stop_reason) == (TaskState.STOPPING, "idle_timeout")
        await settle(rig)
        assert task.state == TaskState.ENDED

    run(body)


def test_inputs_lost_without_a_time_count_from_the_tasks_start(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        task = rig.start("t1", mix(Layer("a", "file:a.mp4"), idle_timeout=30))
        rig.pipelines["zego:t1"].inputs = {"a": {"state": "ended"}}
        rig.wall.now = T0 + 29
        rig.manager.tick()
        assert task.all_lost_since == T0 and task.state == TaskState.STARTING
        rig.wall.now = T0 + 30
        rig.manager.tick()
        assert task.stop_reason == "idle_timeout"
        await settle(rig)

    run(body)


def test_decorations_and_inputs_still_opening_keep_a_task_from_idling(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        logo = Layer("logo", "file:logo.png", keeps_alive=False)
        job = mix(logo, Layer("pic", "https://example.com/p.png"), Layer("s", "stream:s"), idle_timeout=10)
        rig.registry.publish("s", "pattern:color")
        task = rig.start("t1", job)
        pipeline = rig.pipelines["zego:t1"]
        pipeline.inputs = {"logo": {"state": "live"}, "s": {"state": "lost", "since": T0 + 1}}
        rig.wall.now = T0 + 50
        rig.manager.tick()  # the picture has no state yet: still opening
        assert task.all_lost_since is None
        pipeline.inputs["pic"] = {"state": "waiting", "error": "404"}  # it failed to open: down
        rig.manager.tick()
        assert (
            task.all_lost_since == T0 + 1 and task.stop_reason == "idle_timeout"
        )  # the live logo does not count
        await settle(rig)

    run(body)


def test_a_published_stream_being_opened_counts_as_up_and_an_unpublished_one_as_down(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        rig.registry.publish("s", "pattern:color")
        task = rig.start("t1", mix(Layer("s", "stream:s"), idle_timeout=10))
        pipeline = rig.pipelines["zego:t1"]
        pipeline.inputs = {"s": {"state": "waiting", "error": "not yet"}}
        rig.wall.now = T0 + 40
        rig.manager.tick()
        assert task.all_lost_since is None
        rig.wall.now = T0 + 42
        rig.registry.unpublish("s")  # the pipeline has not noticed yet: it still says waiting
        rig.wall.now = T0 + 51.9
        rig.manager.tick()
        assert task.all_lost_since == T0 + 42 and task.state == TaskState.STARTING
        rig.wall.now = T0 + 52
        rig.manager.tick()
        assert task.stop_reason == "idle_timeout"
        await settle(rig)
        never = rig.start("t2", mix(Layer("gone", "stream:gone"), idle_timeout=10))
        rig.manager.tick()  # never published: down since the task started
        assert never.all_lost_since == T0 + 52

    run(body)


def test_the_clock_advance_rechecks_the_rules_through_tick(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        rig.clock.on_advance(rig.manager.tick)
        task = rig.start("t1", mix(max_duration=600))
        rig.clock.advance(600)
        assert task.stop_reason == "max_duration"
        await settle(rig)

    run(body)


def test_an_unpublished_input_does_not_hide_a_live_one_after_it(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        job = mix(Layer("gone", "stream:gone"), Layer("up", "file:up.mp4"), idle_timeout=10)
        task = rig.start("t1", job)
        rig.pipelines["zego:t1"].inputs = {"up": {"state": "live"}}
        rig.wall.now = T0 + 60
        rig.manager.tick()
        assert task.all_lost_since is None and task.state == TaskState.STARTING

    run(body)


def test_a_failing_pipeline_stop_is_logged_and_the_task_still_ends(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        task = rig.start("t1")

        def broken_stop(timeout: float = 5.0) -> None:
            raise RuntimeError("encoder stuck")

        rig.pipelines["zego:t1"].stop = broken_stop  # type: ignore[method-assign]
        rig.manager.stop("zego:t1")
        await settle(rig)
        assert task.state == TaskState.STOPPED

    with caplog.at_level(logging.ERROR, "emulator.core.tasks"):
        run(body)
    (record,) = [r for r in caplog.records if r.name == "emulator.core.tasks"]
    assert record.getMessage() == "stopping task zego:t1" and record.exc_info is not None


def test_a_stop_runs_on_its_own_named_daemon_thread_that_outlives_a_closed_loop_quietly(
    tmp_path: Path,
) -> None:
    release = threading.Event()
    seen: list[tuple[str, bool]] = []
    failures: list[BaseException | None] = []
    previous_hook = threading.excepthook
    threading.excepthook = lambda args: failures.append(args.exc_value)

    async def body() -> None:
        rig = Rig(tmp_path)
        rig.start("t1")

        def slow_stop(timeout: float = 5.0) -> None:
            thread = threading.current_thread()
            seen.append((thread.name, thread.daemon))
            release.wait(10)

        rig.pipelines["zego:t1"].stop = slow_stop  # type: ignore[method-assign]
        rig.manager.stop("zego:t1")
        for _ in range(200):
            if seen:
                break
            await asyncio.sleep(0.01)

    try:
        run(body)  # returns while the stop still runs: its loop is closed when the stop ends
        release.set()
        (stopper,) = [t for t in threading.enumerate() if t.name == "stop zego:t1"]
        stopper.join(10)
    finally:
        threading.excepthook = previous_hook
    assert seen == [("stop zego:t1", True)]
    assert failures == []
