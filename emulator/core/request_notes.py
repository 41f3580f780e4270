"""What one provider request did, noted while it is handled: the injected fault that answered it and the
tasks it created or touched. The journal entry and the request's log line read them.

A context variable holds the notes of the request being handled: the journal middleware opens them, the
fault injector's caller and the TaskManager add to them, with no request object passed down to either.
Outside a request (the ticker, callbacks, tests calling the TaskManager directly) noting does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class RequestNotes:
    fault: int | None = None  # id of the fault rule that answered (or delayed) the request
    tasks: list[str] = field(default_factory=list)  # task ids created or touched, first one first

    @property
    def task(self) -> str | None:
        return self.tasks[0] if self.tasks else None


_current: ContextVar[RequestNotes | None] = ContextVar("mixemu_request_notes", default=None)


@contextmanager
def request_notes() -> Iterator[RequestNotes]:
    """Collect notes for the request handled inside the ``with`` block."""
    notes = RequestNotes()
    token = _current.set(notes)
    try:
        yield notes
    finally:
        _current.reset(token)


def note_task(task_id: str) -> None:
    notes = _current.get()
    if notes is not None and task_id not in notes.tasks:
        notes.tasks.append(task_id)


def note_fault(fault_id: int) -> None:
    notes = _current.get()
    if notes is not None:
        notes.fault = fault_id
