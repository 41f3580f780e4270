"""Long-lived records hold no memory block of their own (core/shelf.py): finished tasks, journal entries
and the providers' finished sessions are packed into one buffer per store, so the thousands held until a
reset leave nothing pinned after it (the RSS bench/soak.py measures). A finished task's job is packed
within (core/packed.py), so reading the record does not parse the job."""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from emulator.core import tasks as tasks_module
from emulator.core.clock import EmulatorClock
from emulator.core.job import Layer, Rect
from emulator.core.journal import RequestJournal
from emulator.core.packed import Packable, pack, stored
from emulator.core.tasks import Task, TaskState
from emulator.providers.tencent.sessions import SessionStore as TencentSessions
from emulator.providers.volcengine import schema
from emulator.providers.volcengine.sessions import MixSession, SessionStore
from tests.core.test_task_manager import Rig, mix, run, settle

TASKS = 200
SESSIONS = 500
# Memory blocks a record holds, at most: measured 0.0 for every kind on a shelf; 10 for a finished task
# with its job packed and 35 parsed, 2.4 for a settled Tencent session pickled in a dict and 7 as an
# object, 3 for a journal entry pickled under a tuple of tags. The margin is for what other threads of the
# test process (an emulator of an earlier test) allocate meanwhile: 60 blocks were seen.
BLOCKS_PER_RECORD = 0.2


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


def _blocks() -> int:
    gc.collect()  # also empties the interpreter's free lists, whose objects count as allocated
    return len(tracemalloc.take_snapshot().traces)


def test_finished_tasks_hold_no_small_object_once_packed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tasks_module, "FINAL_SNAPSHOTS_KEPT", 1)  # the newest stays as it is, with its frame

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
        assert task is not None and task.state == TaskState.STOPPED and task.final_snapshot is None
        assert task is not rig.manager.get("zego:t7")  # packed: each read is a copy
        assert task.job.outputs[0].stream_id == "out7" and task.output_ids == ["out7"]
        assert task.job_view()["layers"][0]["source"] == "stream:in7"
        newest = rig.manager.get(f"zego:t{TASKS - 1}")
        assert newest is rig.manager.get(f"zego:t{TASKS - 1}") and newest.snapshot_png() is not None
        assert len(rig.manager.all("zego")) == TASKS and rig.manager.all("tencent") == []
        del task, newest
        held = _blocks()
        rig.manager.forget_finished()
        per_task = (held - _blocks()) / TASKS
        assert per_task < BLOCKS_PER_RECORD + 0.2, f"{per_task:.2f} blocks per finished task"

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


def test_finished_volcengine_sessions_are_packed_and_running_ones_stay_as_they_are() -> None:
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
    tracemalloc.start()
    try:
        for task_id in ("a", "b"):
            session = MixSession(task_id, task_id, "acc", rules, 0.0, 0.0, "m")
            store.add(session, lambda s: s.task_id in finished)
        before = 0
        for i in range(SESSIONS + 1):
            store.add(MixSession(f"s{i}", "n", "acc", rules, 0.0, 0.0, "m"), lambda s: s.task_id != "b")
            if i == 0:  # "a" was packed: the classes pickle caches of its own are made
                before = _blocks()
        held = _blocks() - before
        first, second = store.find("a"), store.find("b")
        assert first is not None and first is not store.find("a") and first.rules == rules  # packed
        assert second is not None and second.rules is rules and second is store.find("b")  # running
        assert [s.task_id for s in store.of_account("acc", 1, 2)] == [f"s{SESSIONS - 1}", f"s{SESSIONS - 2}"]
        assert store.count("acc") == SESSIONS + 3 and store.of_account("other") == []
    finally:
        tracemalloc.stop()
    assert held / SESSIONS < BLOCKS_PER_RECORD, f"{held / SESSIONS:.2f} blocks per session"


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
        held = _blocks()
        settled = store.get("session0")
        assert settled is not None and settled.task is None and settled is not store.get("session0")
        assert settled.to_dict() == {**first_view, "running": False, "task_state": "stopped"}
        assert store.get("last").task is running  # type: ignore[union-attr]
        assert [s.session_id for s in store.list()][-2:] == [f"session{SESSIONS - 1}", "last"]
        del settled
        store.clear()
        per_session = (held - _blocks()) / SESSIONS
    finally:
        tracemalloc.stop()
    assert per_session < BLOCKS_PER_RECORD, f"{per_session:.2f} blocks per settled session"


def test_journal_entries_hold_no_small_object() -> None:
    journal = RequestJournal(size=SESSIONS)
    tracemalloc.start()
    try:
        before = 0
        for i in range(SESSIONS):
            if i == 1:  # the first entry made pickle's caches for its classes
                before = _blocks()
            journal.record(
                time=float(i),
                provider="zego",
                action=f"Start{i}",
                method="POST",
                path="/",
                query={"Action": f"Start{i}", "Signature": "s"},
                headers={},
                body=b'{"TaskId": "t"}',
                status=200,
                response=b'{"Code": 0}',
                duration_ms=1.0,
                task=f"zego:t{i}",
            )
        held = _blocks() - before
        entries = journal.query(action="Start7")
        assert [e.task for e in entries] == ["zego:t7"] and entries[0].query["Signature"] == "***"
        assert [e.action for e in journal.query(provider="zego", limit=2)] == ["Start498", "Start499"]
    finally:
        tracemalloc.stop()
    assert held / SESSIONS < BLOCKS_PER_RECORD, f"{held / SESSIONS:.2f} blocks per entry"
