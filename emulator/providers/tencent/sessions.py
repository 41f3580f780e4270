"""Mix sessions and the seed's session rules, on the emulator clock.

A session runs from a start to its cancel. Starts with the same ``mix_stream_session_id`` and
``output_stream_id`` update the running mix; another output id under a running session is -508. A cancel
needs the session to have run for 5 s, and the session id can start again 30 s after its cancel.

Codes the seed leaves open (docs/tencent.md): a cancel of a session never started is -31001; of a session
that was cancelled already or ended by itself, -30300 (the seed's FAQ 11); within 5 s of its start, -31002
(the service has not settled the session yet); a start reusing a cancelled session id within 30 s, -10031.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from emulator.core.clock import EmulatorClock
from emulator.core.shelf import Shelf
from emulator.core.tasks import Task, TaskState
from emulator.providers.tencent.errors import TencentError

CANCEL_AFTER_S = 5.0
REUSE_AFTER_S = 30.0
MAX_KEPT = 10_000  # sessions remembered (for -30300); the oldest finished ones are forgotten first


@dataclass
class Session:
    session_id: str
    output_id: str
    app_id: str
    started_at: float  # emulator clock, the first start (updates do not move it)
    task: Task | None  # None once its task has finished and the store settled it (see ``settle``)
    cancelled_at: float | None = None
    task_id: str = ""
    ended: tuple[str, int] | None = None  # the finished task's state and update count, once settled

    def __post_init__(self) -> None:
        self.task_id = self.task_id or (self.task.id if self.task is not None else "")

    @property
    def running(self) -> bool:
        return self.cancelled_at is None and self.task is not None and self.task.state.active

    def settle(self) -> bool:
        """Let go of a finished task, keeping what the session view shows of it. Finished sessions are
        remembered by the ten thousand (for -30300), far longer than the TaskManager keeps a task: a
        whole task each (its job, status and last frame) would be tens of MB."""
        task = self.task
        if task is None or task.state.active or task.state is TaskState.STOPPING:
            return task is None
        self.ended = (task.state.value, task.update_count)
        self.task = None
        return True

    def to_dict(self) -> dict[str, Any]:
        if self.task is not None:
            state, updates = self.task.state.value, self.task.update_count
        else:
            state, updates = self.ended or ("", 0)
        return {
            "session_id": self.session_id,
            "output_stream_id": self.output_id,
            "app_id": self.app_id,
            "started_at": self.started_at,
            "cancelled_at": self.cancelled_at,
            "running": self.running,
            "task_id": self.task_id,
            "task_state": state,
            "update_count": updates,
        }


class SessionStore:
    """Sessions by id, oldest first, on a shelf (core/shelf.py): live while they hold their task, packed
    once settled, so ten thousand of them held until a reset take one block each; ``get`` and ``list``
    hand out copies of those."""

    def __init__(self, clock: EmulatorClock) -> None:
        self._clock = clock
        self._sessions: Shelf[Session] = Shelf(MAX_KEPT)

    def get(self, session_id: str) -> Session | None:
        return self._sessions.get(session_id)

    def for_start(self, session_id: str, output_id: str) -> Session | None:
        """The running session a start updates, or None when it starts a new one."""
        session = self.get(session_id)
        if session is not None and session.running:
            if session.output_id != output_id:
                raise TencentError(
                    -508,
                    f"Output stream id error, session [{session_id}] outputs [{session.output_id}], "
                    f"not [{output_id}]!",
                )
            return session
        if session is not None and session.cancelled_at is not None:
            wait = session.cancelled_at + REUSE_AFTER_S - self._clock.now()
            if wait > 0:
                raise TencentError(
                    -10031,
                    f"Trigger mix stream failed, session [{session_id}] was cancelled less than 30 s ago, "
                    f"retry in {wait:.0f} s!",
                )
        return None

    def add(self, session_id: str, output_id: str, app_id: str, task: Task) -> Session:
        self._settle()
        session = Session(session_id, output_id, app_id, self._clock.now(), task)
        self._sessions.remove(session_id)
        self._sessions.put(session_id, session, live=True)
        return session

    def for_cancel(self, session_id: str, output_id: str) -> Session:
        """The running session a cancel stops; raises the seed's cancel codes."""
        session = self.get(session_id)
        if session is None:
            raise TencentError(-31001, f"Cancel mix stream failed, session id [{session_id}] no exist!")
        if not session.running:
            raise TencentError(-30300, f"Cancel mix stream failed, session id [{session_id}] already ended!")
        if session.output_id != output_id:
            raise TencentError(
                -31003,
                f"Cancel mix stream failed, output stream id [{output_id}] not match the session's "
                f"[{session.output_id}]!",
            )
        if self._clock.now() - session.started_at < CANCEL_AFTER_S:
            raise TencentError(
                -31002,
                f"Cancel mix stream failed, session id [{session_id}] not ready, cancel 5 s after start!",
            )
        return session

    def cancelled(self, session: Session) -> None:
        session.cancelled_at = self._clock.now()

    def list(self) -> list[Session]:
        return list(self.each())

    def each(self) -> Iterator[Session]:
        """As :meth:`list`, a settled session unpickled only when it is reached (core/shelf.py)."""
        return self._sessions.iterate()

    def clear(self) -> None:
        self._sessions.clear()

    def _settle(self) -> None:
        """Sessions whose task has finished let go of it (each start looks: what it holds stays bounded by
        the mixes that ran since the last start)."""
        for session in self._sessions.live():
            if session.settle():
                self._sessions.pack(session)
