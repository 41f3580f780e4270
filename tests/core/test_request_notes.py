"""Notes on the request being handled: tasks in first-touched order without repeats, the fault, nothing
noted outside a request, and an inner request's notes kept apart from the outer one's."""

from __future__ import annotations

from emulator.core.request_notes import RequestNotes, note_fault, note_task, request_notes


def test_tasks_are_noted_once_in_order_and_the_first_is_the_task() -> None:
    with request_notes() as notes:
        assert notes.task is None and notes.fault is None
        note_task("zego:b")
        note_task("zego:a")
        note_task("zego:b")
        note_fault(3)
        note_fault(4)
    assert (notes.tasks, notes.task, notes.fault) == (["zego:b", "zego:a"], "zego:b", 4)


def test_nothing_is_noted_outside_a_request_and_inner_requests_are_apart() -> None:
    note_task("zego:lost")
    note_fault(9)
    with request_notes() as outer:
        with request_notes() as inner:
            note_task("zego:inner")
        note_task("zego:outer")
    note_task("zego:after")
    assert outer == RequestNotes(fault=None, tasks=["zego:outer"])
    assert inner == RequestNotes(fault=None, tasks=["zego:inner"])
