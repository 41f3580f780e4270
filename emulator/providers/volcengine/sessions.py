"""The mixing tasks Volcengine knows of, per account: names, rules, operation indexes, status, times.

The media side of a task lives in the TaskManager; a session is the API's view of it and outlives it (List
shows finished tasks as ``done``). Status follows the task's state:

    (accepted) pending -> prepare (pipeline starting) -> runing (first frame out) -> prestop (stopping)
    -> done (stopped, ended by itself, or failed)

``pending`` ("scheduling blocked") never lasts: the emulator schedules a task at once.
"""

from __future__ import annotations

import enum
import secrets
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from emulator.core.packed import Packable, pack
from emulator.core.tasks import Task, TaskState
from emulator.providers.volcengine.schema import MixedRules

MAX_KEPT = 1000  # finished sessions beyond this are forgotten, oldest first
BEIJING = timezone(timedelta(hours=8))  # the service answers in UTC+8, as its examples show
ZERO_TIME = "0001-01-01T00:00:00Z"  # a Go zero time.Time: a time that has not happened yet


class Status(enum.StrEnum):
    PENDING = "pending"
    PREPARE = "prepare"
    RUNING = "runing"  # sic: the API spells it so
    PRESTOP = "prestop"
    DONE = "done"


_STATUS_OF_STATE = {
    TaskState.STARTING: Status.PREPARE,
    TaskState.RUNNING: Status.RUNING,
    TaskState.STOPPING: Status.PRESTOP,
    TaskState.STOPPED: Status.DONE,
    TaskState.ENDED: Status.DONE,
    TaskState.FAILED: Status.DONE,
}


def status_of(task: Task | None) -> Status:
    """A session whose task the TaskManager no longer keeps is done."""
    return Status.DONE if task is None else _STATUS_OF_STATE[task.state]


def rfc3339(timestamp: float | None) -> str:
    if timestamp is None:
        return ZERO_TIME
    return datetime.fromtimestamp(timestamp, BEIJING).isoformat(timespec="seconds")


@dataclass
class MixSession:
    task_id: str
    name: str
    account: str
    rules: MixedRules = Packable()  # noqa: RUF009 - a descriptor, no default: pickled once finished
    created_at: float
    updated_at: float
    mesos_id: str  # named in Delete's answer, as the real service does
    last_operation_index: int = 0  # Create is operation 0; each Update that reaches the task takes the next
    last_success_operation_index: int = 0
    stopped_at: float | None = None  # when the task began to stop (emulator clock)


class SessionStore:
    def __init__(self) -> None:
        self._sessions: OrderedDict[str, MixSession] = OrderedDict()

    def new_task_id(self) -> str:
        while True:
            task_id = secrets.token_hex(8)
            if task_id not in self._sessions:
                return task_id

    def add(self, session: MixSession, is_done: Callable[[MixSession], bool]) -> None:
        """Keep ``session``, forgetting the oldest finished ones beyond MAX_KEPT. The finished ones are
        counted before it joins: its task has not started yet, which ``is_done`` would take for done."""
        done = [s for s in self._sessions.values() if is_done(s)]
        for old in done[: max(0, len(done) - MAX_KEPT)]:
            del self._sessions[old.task_id]
        for finished in done:
            pack(finished, "rules")
        self._sessions[session.task_id] = session

    def get(self, account: str, task_id: str) -> MixSession | None:
        """Another account's task is as unknown as one that never existed."""
        session = self._sessions.get(task_id)
        return session if session is not None and session.account == account else None

    def find(self, task_id: str) -> MixSession | None:
        return self._sessions.get(task_id)

    def of_account(self, account: str) -> list[MixSession]:
        """Newest first."""
        return [s for s in reversed(self._sessions.values()) if s.account == account]

    def clear(self) -> None:
        self._sessions.clear()


def new_mesos_id() -> str:
    return f"live_emulator_{secrets.token_hex(4)}_{secrets.randbelow(10**15):015d}"
