"""The session rules on an emulator clock the test moves: updates only under the same output, a cancel
5 s after the first start (not after an update), the session id free again 30 s after its cancel, the
cancel codes in the order docs/tencent.md gives, and finished sessions forgotten oldest first."""

from __future__ import annotations

import pytest

from emulator.core.clock import EmulatorClock
from emulator.core.job import Canvas, MixJob
from emulator.core.tasks import Task, TaskState
from emulator.providers.tencent import sessions
from emulator.providers.tencent.errors import TencentError
from emulator.providers.tencent.sessions import Session, SessionStore

T0 = 1_700_000_000.0
JOB = MixJob(Canvas(64, 36))


def task(native_id: str = "room", state: TaskState = TaskState.RUNNING) -> Task:
    return Task("tencent", native_id, JOB, T0, state=state)


@pytest.fixture
def clock() -> EmulatorClock:
    return EmulatorClock(wall=lambda: T0)


@pytest.fixture
def store(clock: EmulatorClock) -> SessionStore:
    return SessionStore(clock)


def refusal(call: object, *args: str) -> tuple[int, str]:
    with pytest.raises(TencentError) as info:
        call(*args)  # type: ignore[operator]
    return info.value.code, info.value.message


def test_a_new_session_id_starts_a_new_session(store: SessionStore) -> None:
    assert store.for_start("room", "out") is None
    assert store.get("room") is None


def test_a_session_records_its_start_on_the_emulator_clock(store: SessionStore, clock: EmulatorClock) -> None:
    clock.advance(12)
    session = store.add("room", "out", "1252500000", task())
    assert store.get("room") is session
    assert session.to_dict() == {
        "session_id": "room",
        "output_stream_id": "out",
        "app_id": "1252500000",
        "started_at": T0 + 12,
        "cancelled_at": None,
        "running": True,
        "task_id": "tencent:room",
        "task_state": "running",
        "update_count": 0,
    }


def test_the_same_output_updates_the_running_session(store: SessionStore) -> None:
    session = store.add("room", "out", "1", task())
    assert store.for_start("room", "out") is session


def test_another_output_under_a_running_session_is_508(store: SessionStore) -> None:
    store.add("room", "out", "1", task())
    assert refusal(store.for_start, "room", "other") == (
        -508,
        "Output stream id error, session [room] outputs [out], not [other]!",
    )


@pytest.mark.parametrize("state", [TaskState.STARTING, TaskState.RUNNING])
def test_a_starting_or_running_task_is_a_running_session(state: TaskState) -> None:
    assert Session("s", "o", "1", T0, task(state=state)).running


@pytest.mark.parametrize("state", [TaskState.STOPPING, TaskState.STOPPED, TaskState.ENDED, TaskState.FAILED])
def test_a_task_past_running_is_a_finished_session(store: SessionStore, state: TaskState) -> None:
    assert not Session("s", "o", "1", T0, task(state=state)).running
    store.add("room", "out", "1", task(state=state))
    # Ended by itself (not cancelled): another output may start under the id at once.
    assert store.for_start("room", "other") is None
    assert refusal(store.for_cancel, "room", "out") == (
        -30300,
        "Cancel mix stream failed, session id [room] already ended!",
    )


def test_a_cancel_of_an_unknown_session_is_31001(store: SessionStore) -> None:
    assert refusal(store.for_cancel, "nobody", "out") == (
        -31001,
        "Cancel mix stream failed, session id [nobody] no exist!",
    )


def test_a_cancel_needs_5_s_from_the_first_start(store: SessionStore, clock: EmulatorClock) -> None:
    clock.advance(100)  # the session starts well after the clock's origin
    session = store.add("room", "out", "1", task())
    clock.advance(4.999)
    assert refusal(store.for_cancel, "room", "out") == (
        -31002,
        "Cancel mix stream failed, session id [room] not ready, cancel 5 s after start!",
    )
    assert store.for_start("room", "out") is session  # an update does not move the start
    clock.advance(0.001)
    assert store.for_cancel("room", "out") is session


def test_a_cancel_naming_another_output_is_31003_even_early(
    store: SessionStore, clock: EmulatorClock
) -> None:
    store.add("room", "out", "1", task())
    assert refusal(store.for_cancel, "room", "other") == (
        -31003,
        "Cancel mix stream failed, output stream id [other] not match the session's [out]!",
    )
    clock.advance(60)
    assert refusal(store.for_cancel, "room", "other")[0] == -31003


def test_a_cancelled_session_id_is_free_30_s_after_the_cancel(
    store: SessionStore, clock: EmulatorClock
) -> None:
    session = store.add("room", "out", "1", task())
    clock.advance(40)  # the cancel comes long after the start: the 30 s count from it
    store.cancelled(session)
    assert session.cancelled_at == T0 + 40 and not session.running
    assert refusal(store.for_cancel, "room", "out")[0] == -30300
    clock.advance(20)
    assert refusal(store.for_start, "room", "out") == (
        -10031,
        "Trigger mix stream failed, session [room] was cancelled less than 30 s ago, retry in 10 s!",
    )
    clock.advance(9.5)
    assert refusal(store.for_start, "room", "another output")[0] == -10031
    clock.advance(0.5)
    assert store.for_start("room", "out") is None
    assert store.for_start("room", "another output") is None


def test_a_new_start_replaces_the_finished_session_and_moves_it_last(store: SessionStore) -> None:
    first = store.add("a", "out", "1", task("a", TaskState.ENDED))
    store.add("b", "out2", "1", task("b"))
    again = store.add("a", "out", "1", task("a"))
    assert again is not first and store.get("a") is again
    assert [s.session_id for s in store.list()] == ["b", "a"]
    store.clear()
    assert store.list() == [] and store.get("b") is None


def test_the_limit_is_ten_thousand_finished_sessions() -> None:
    assert sessions.MAX_KEPT == 10_000


@pytest.fixture
def small_store(clock: EmulatorClock, monkeypatch: pytest.MonkeyPatch) -> SessionStore:
    monkeypatch.setattr(sessions, "MAX_KEPT", 100)  # the rule of 10,000, at 100
    return SessionStore(clock)


def test_finished_sessions_are_forgotten_oldest_first_past_the_limit(small_store: SessionStore) -> None:
    store = small_store
    store.add("live", "o", "1", task("live"))  # the oldest, but running: never forgotten nor counted
    for i in range(101):  # each start settles the one before it
        store.add(f"s{i}", "o", "1", task(f"s{i}", TaskState.STOPPED))
    assert len(store.list()) == 102  # 100 settled, at the limit: all kept
    store.add("one more", "o", "1", task("one more", TaskState.STOPPED))
    kept = [s.session_id for s in store.list()]
    assert len(kept) == 102
    assert kept[:2] == ["live", "s1"] and "s0" not in kept and kept[-1] == "one more"


def test_when_every_session_runs_none_is_forgotten(small_store: SessionStore) -> None:
    for i in range(102):
        small_store.add(f"s{i}", "o", "1", task(f"s{i}"))
    assert len(small_store.list()) == 102


def test_a_finished_session_lets_go_of_its_task_at_the_next_start_and_keeps_its_view(
    store: SessionStore,
) -> None:
    ended, stopping, running = task("a"), task("b"), task("c")
    for name, each in (("a", ended), ("b", stopping), ("c", running)):
        store.add(name, f"out-{name}", "1252500000", each)
    ended.update_count = 3
    ended.state, stopping.state = TaskState.ENDED, TaskState.STOPPING
    before = store.get("a").to_dict()  # type: ignore[union-attr]
    store.add("d", "out-d", "1252500000", task("d"))  # a start settles what finished
    assert store.get("a").task is None  # type: ignore[union-attr]
    assert store.get("a").to_dict() == before == {**before, "task_state": "ended", "update_count": 3}  # type: ignore[union-attr]
    # A stopping task may still end otherwise (failed): held until it has finished; a running one is held.
    assert store.get("b").task is stopping and store.get("c").task is running  # type: ignore[union-attr]
    stopping.state = TaskState.FAILED
    store.add("e", "out-e", "1252500000", task("e"))
    assert store.get("b").task is None  # type: ignore[union-attr]
    assert store.get("b").to_dict()["task_state"] == "failed"  # type: ignore[union-attr]
    assert store.get("b").to_dict()["task_id"] == "tencent:b"  # type: ignore[union-attr]
    assert not store.get("b").running  # type: ignore[union-attr]
