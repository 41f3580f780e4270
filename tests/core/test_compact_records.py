"""Long-lived records are kept compact (core/packed.py): a finished task's job, a finished Volcengine
session's rules and a settled Tencent session are pickled, so the hundreds of records held until a reset
are a few memory blocks each, not dozens of small objects whose arenas a reset could not hand back (the
RSS bench/soak.py measures)."""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from emulator.core.clock import EmulatorClock
from emulator.core.job import Layer, Rect
from emulator.core.packed import Packable, pack, stored
from emulator.core.tasks import Task, TaskState
from emulator.providers.tencent.sessions import SessionStore as TencentSessions
from emulator.providers.volcengine import schema
from emulator.providers.volcengine.sessions import MixSession, SessionStore
from tests.core.test_task_manager import Rig, mix, run, settle

TASKS = 200
# Blocks Python allocated for each finished task's record and gave back when the records were forgotten:
# measured 10 with the job packed, 35 with the job kept as parsed (two layers, one output).
BLOCKS_PER_FINISHED_TASK = 20


@dataclass
class Record:
    name: str
    body: dict = Packable()  # noqa: RUF009 - a descriptor, as the records declare it
    extra: list = field(default_factory=list)


def test_a_packable_field_is_required_and_reads_back_an_equal_copy_once_packed() -> None:
    with pytest.raises(TypeError):
        Record("r")  # type: ignore[call-arg]
    body = {"layers": [1, 2], "name": "x"}
    record = Record("r", body)
    assert record.body is body  # as it was, until packed
    pack(record, "body")
    pack(record, "body")  # once is enough: packing again changes nothing
    assert isinstance(stored(record, "body"), object) and stored(record, "body") is not body
    assert record.body == body and record.body is not record.body
    record.body = {"new": 1}  # set again: kept as it is given
    assert record.body == {"new": 1} and stored(record, "body") == {"new": 1}
    assert record == Record("r", {"new": 1})


def _traced_blocks() -> int:
    gc.collect()  # also empties the interpreter's free lists, whose objects count as allocated
    return len(tracemalloc.take_snapshot().traces)


def test_finished_tasks_keep_their_job_packed_and_as_few_blocks(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        for i in range(TASKS):
            job = mix(
                Layer(f"in{i}", f"stream:in{i}", Rect(0, 0, 32, 36)),
                Layer(f"bg{i}", f"stream:bg{i}", Rect(32, 0, 32, 36)),
                outputs=(f"out{i}",),
            )
            rig.start(f"t{i}", job)
            rig.manager.stop(f"zego:t{i}")
        await settle(rig)
        rig.pipelines.clear()  # the stand-in pipelines keep their jobs; a stopped real one is dropped
        rig.events.clear()
        task = rig.manager.get("zego:t7")
        assert task is not None and task.state == TaskState.STOPPED
        assert task.job.outputs[0].stream_id == "out7" and task.output_ids == ["out7"]
        assert task.job_view()["layers"][0]["source"] == "stream:in7"
        packed = stored(task, "job") is not task.job  # kept packed: each read is a copy
        del task
        held = _traced_blocks()
        rig.manager.forget_finished()
        per_task = (held - _traced_blocks()) / TASKS
        assert per_task < BLOCKS_PER_FINISHED_TASK, f"{per_task:.1f} blocks held per finished task"
        assert packed

    tracemalloc.start()
    try:
        run(body)
    finally:
        tracemalloc.stop()


def test_a_running_tasks_job_is_the_job_it_was_given(tmp_path: Path) -> None:
    async def body() -> None:
        rig = Rig(tmp_path)
        job = mix()
        task = rig.start("t1", job)
        assert task.job is job and stored(task, "job") is job  # read on every tick: never unpickled
        rig.manager.stop(task.id)
        await settle(rig)
        assert task.job == job and task.job is not job

    run(body)


def test_finished_volcengine_sessions_keep_their_rules_packed() -> None:
    store = SessionStore()
    sources = [{"ID": s, "Layer": i + 1, "Type": "live", "Url": s} for i, s in enumerate(("a", "b"))]
    boxes = [{"X": 0, "Y": 0, "W": 64, "H": 36, "Layer": 1}, {"X": 0, "Y": 0, "W": 32, "H": 36, "Layer": 2}]
    rules = schema.parse_rules(
        {
            "MixedRules": {
                "InputSource": sources,
                "InputLayout": {"Scene": {"Width": 64, "Height": 36, "Layout": boxes}},
                "Output": {
                    "Video": {"BitRate": 300_000, "FrameRate": 10, "GOP": 2, "Codec": "h264"},
                    "Audio": {"BitRate": 128_000, "SampleRate": 44100, "ChannelLayout": "stereo"},
                    "Url": ["push.example.com"],
                },
            }
        }
    )
    finished = {"a"}
    for task_id in ("a", "b"):
        store.add(MixSession(task_id, task_id, "acc", rules, 0.0, 0.0, "m"), lambda s: s.task_id in finished)
    first, second = store.find("a"), store.find("b")
    assert first is not None and second is not None
    assert stored(first, "rules") is not rules and first.rules == rules  # finished: packed
    assert stored(second, "rules") is rules  # still running: as it was given


SESSIONS = 500
# Blocks a settled Tencent session holds: measured 2.4 pickled, 7 as a Session object.
BLOCKS_PER_SETTLED_SESSION = 4.5


def test_settled_tencent_sessions_are_kept_as_few_blocks_and_read_back_the_same() -> None:
    clock = EmulatorClock(wall=lambda: 1_700_000_000.0)
    store = TencentSessions(clock)
    job = mix()
    tracemalloc.start()
    try:
        for i in range(SESSIONS):
            store.add(f"session{i}", f"out{i}", "1252500000", Task("tencent", f"session{i}", job, 0.0))
        running = Task("tencent", "last", job, 0.0)
        first_view = store.get("session0").to_dict()  # type: ignore[union-attr]
        for i in range(SESSIONS):
            store.get(f"session{i}").task.state = TaskState.STOPPED  # type: ignore[union-attr]
        store.add("last", "out", "1252500000", running)  # a start settles the finished ones
        held = _traced_blocks()
        settled = store.get("session0")
        assert settled is not None and settled.task is None and settled is not store.get("session0")
        assert settled.to_dict() == {**first_view, "running": False, "task_state": "stopped"}
        assert store.get("last").task is running  # type: ignore[union-attr]
        assert [s.session_id for s in store.list()][-2:] == [f"session{SESSIONS - 1}", "last"]
        del settled
        store.clear()
        per_session = (held - _traced_blocks()) / SESSIONS
    finally:
        tracemalloc.stop()
    assert per_session < BLOCKS_PER_SETTLED_SESSION, f"{per_session:.1f} blocks held per settled session"
