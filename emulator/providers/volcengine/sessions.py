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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from emulator.core.shelf import Shelf
from emulator.core.tasks import Task, TaskState
from emulator.providers.volcengine.schema import MixedRules

MAX_KEPT = 1000  # sessions kept; beyond, the oldest finished ones are forgotten
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
    rules: MixedRules
    created_at: float
    updated_at: float
    mesos_id: str  # named in Delete's answer, as the real service does
    last_operation_index: int = 0  # Create is operation 0; each Update that reaches the task takes the next
    last_success_operation_index: int = 0
    stopped_at: float | None = None  # when the task began to stop (emulator clock)


class SessionStore:
    """Sessions by task id, oldest first, on a shelf (core/shelf.py): live while their task may change
    them, packed once it is done, so the thousands held until a reset take one block each; reads of those
    give copies."""

    def __init__(self) -> None:
        self._sessions: Shelf[MixSession] = Shelf(MAX_KEPT)

    def new_task_id(self) -> str:
        while True:
            task_id = secrets.token_hex(8)
            if self._sessions.get(task_id) is None:
                return task_id

    def add(self, session: MixSession, is_done: Callable[[MixSession], bool]) -> None:
        """Keep ``session``, forgetting the oldest finished ones beyond MAX_KEPT sessions. The finished ones
        are packed before it joins: its task has not started yet, which ``is_done`` would take for done."""
        for finished in [s for s in self._sessions.live() if is_done(s)]:
            self._sessions.pack(finished)
        self._sessions.put(session.task_id, session, (session.account,), live=True)

    def get(self, account: str, task_id: str) -> MixSession | None:
        """Another account's task is as unknown as one that never existed."""
        session = self._sessions.get(task_id)
        return session if session is not None and session.account == account else None

    def find(self, task_id: str) -> MixSession | None:
        return self._sessions.get(task_id)

    def of_account(self, account: str, first: int = 0, count: int | None = None) -> list[MixSession]:
        """Newest first, ``count`` of them from the ``first`` (all by default): unpickles only those."""
        # The same window counted from the oldest end: negative indices need no count of the total.
        window = slice(None if count is None else -(first + count), -first if first else None)
        return self._sessions.select(account, window=window)[::-1]

    def count(self, account: str) -> int:
        return self._sessions.count(account)

    def unfinished(self, account: str) -> list[MixSession]:
        """The sessions that may still run (the others are packed)."""
        return [s for s in self._sessions.live() if s.account == account]

    def clear(self) -> None:
        self._sessions.clear()


def new_mesos_id() -> str:
    return f"live_emulator_{secrets.token_hex(4)}_{secrets.randbelow(10**15):015d}"
