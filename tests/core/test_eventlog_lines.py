"""The log lines of emulator/core/eventlog.py, exactly: message text, level, structured fields, which events
make a line, and how values and bodies are written (tests/test_logs.py reads them from a running server)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from emulator.core.callbacks import Attempt, Delivery
from emulator.core.eventlog import MAX_LOGGED_BODY, log_failed_attempt, log_request, log_task_event
from emulator.core.job import Canvas, Layer, MixJob, Output
from emulator.core.journal import JournalEntry
from emulator.core.tasks import Task


def _lines(caplog: pytest.LogCaptureFixture, logger: str) -> list[tuple[int, str, dict[str, Any]]]:
    return [(r.levelno, r.getMessage(), r.fields) for r in caplog.records if r.name == logger]  # type: ignore[attr-defined]


def _entry(**fields: Any) -> JournalEntry:
    base: dict[str, Any] = {
        "id": 7,
        "time": 0.0,
        "provider": "zego",
        "action": "StartMix",
        "method": "POST",
        "path": "/",
        "query": {},
        "headers": {},
        "body": {"TaskId": "t 1", "N": [1, 2]},
        "status": 200,
        "response": {"Code": 0},
        "duration_ms": 12.345,
        "task": "zego:t1",
        "code": 0,
    }
    return JournalEntry(**{**base, **fields})


def _task() -> Task:
    job = MixJob(
        Canvas(64, 36), [Layer("a", "stream:a"), Layer("b", "stream:b")], [Output("o1"), Output("o2")]
    )
    return Task("zego", "t1", job, created_at=0.0, update_count=3)


def test_a_request_line_without_bodies(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "emulator.requests")
    caplog.set_level(logging.INFO, "emulator.bodies")
    log_request(_entry())
    log_request(_entry(error=True, code="InvalidParameter", status=400, task=None, fault=3, action=""))
    (ok, failed) = _lines(caplog, "emulator.requests")
    assert ok == (
        logging.INFO,
        "request provider=zego action=StartMix code=0 http=200 ms=12.3 task=zego:t1 journal_id=7",
        {
            "event": "request",
            "provider": "zego",
            "action": "StartMix",
            "code": 0,
            "http": 200,
            "ms": 12.3,
            "task": "zego:t1",
            "fault": None,
            "journal_id": 7,
        },
    )
    assert failed[0] == logging.WARNING
    assert (
        failed[1]
        == 'request provider=zego action="" code=InvalidParameter http=400 ms=12.3 fault=3 journal_id=7'
    )


def test_a_request_line_with_bodies_while_bodies_log_debug(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "emulator.requests")
    caplog.set_level(logging.DEBUG, "emulator.bodies")
    log_request(_entry(body={"Name": "é ü", "L": [1, 2]}, response="plain text answer"))
    log_request(_entry(body=None, response=None))
    (with_bodies, without) = _lines(caplog, "emulator.requests")
    assert with_bodies[2]["request"] == '{"Name":"é ü","L":[1,2]}'  # compact, not ASCII-escaped
    assert with_bodies[2]["response"] == "plain text answer"
    assert with_bodies[1].endswith(
        r' journal_id=7 request="{\"Name\":\"é ü\",\"L\":[1,2]}" response="plain text answer"'
    )  # a value with a space is written as a JSON string
    assert without[2]["request"] is None and without[2]["response"] is None
    assert "request=" not in without[1]


def test_a_body_is_cut_beyond_its_limit_and_says_how_long_it_was(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, "emulator.bodies")
    caplog.set_level(logging.INFO, "emulator.requests")
    exact = "x" * MAX_LOGGED_BODY
    log_request(_entry(body=exact, response="y" * (MAX_LOGGED_BODY + 1)))
    ((_, _, fields),) = _lines(caplog, "emulator.requests")
    assert fields["request"] == exact
    assert fields["response"] == "y" * MAX_LOGGED_BODY + f"...({MAX_LOGGED_BODY + 1} chars)"


def test_nothing_is_formatted_while_a_logger_is_off(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, "emulator.requests")
    log_request(_entry())
    assert _lines(caplog, "emulator.requests") == []


def test_task_lines_per_event(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "emulator.tasks")
    task = _task()
    log_task_event(task, "started", {})
    log_task_event(task, "updated", {})
    log_task_event(task, "running", {})
    log_task_event(task, "input_state", {"layer_id": "a", "state": "lost", "error": "gone away"})
    log_task_event(task, "input_state", {"layer_id": "a", "state": "error"})
    log_task_event(task, "input_state", {"layer_id": "a", "state": "live"})
    log_task_event(task, "stopping", {"reason": "stopped"})
    log_task_event(task, "stopped", {"reason": "stopped", "error": None})
    log_task_event(task, "ended", {"reason": "idle_timeout"})
    log_task_event(task, "failed", {"reason": "failed", "error": "boom"})
    log_task_event(task, "sound_levels", {"a": 1})  # not an event with a line
    assert [(level, message) for level, message, _ in _lines(caplog, "emulator.tasks")] == [
        (logging.INFO, "task started task=zego:t1 inputs=2 outputs=o1,o2"),
        (logging.INFO, "task updated task=zego:t1 update=3 inputs=2"),
        (logging.INFO, "task running task=zego:t1"),
        (logging.WARNING, 'task input task=zego:t1 input=a state=lost error="gone away"'),
        (logging.WARNING, "task input task=zego:t1 input=a state=error"),
        (logging.INFO, "task input task=zego:t1 input=a state=live"),
        (logging.INFO, "task stopping task=zego:t1 reason=stopped"),
        (logging.INFO, "task stopped task=zego:t1 reason=stopped"),
        (logging.INFO, "task ended task=zego:t1 reason=idle_timeout"),
        (logging.ERROR, "task failed task=zego:t1 reason=failed error=boom"),
    ]
    fields = [f for _, _, f in _lines(caplog, "emulator.tasks")]
    assert fields[0] == {"event": "task started", "task": "zego:t1", "inputs": 2, "outputs": "o1,o2"}
    assert fields[3] == {
        "event": "task input",
        "task": "zego:t1",
        "input": "a",
        "state": "lost",
        "error": "gone away",
    }


def test_a_failed_callback_attempt(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, "emulator.callbacks")
    attempt = Attempt(time=0.0, status=503)
    delivery = Delivery(
        id=1,
        provider="tencent",
        event="mix",
        url="http://127.0.0.1:9/cb",
        payload={},
        body_format="json",
        retry_delays=[2.0],
        task_id="tencent:s1",
        attempts=[attempt, attempt],
        next_attempt_at=1234.56,
    )
    log_failed_attempt(delivery, attempt)
    delivery.gave_up, delivery.next_attempt_at = True, None
    log_failed_attempt(delivery, Attempt(time=0.0, status=None, error="connection refused"))
    first, last = _lines(caplog, "emulator.callbacks")
    assert first[:2] == (
        logging.WARNING,
        "callback failed provider=tencent callback=mix url=http://127.0.0.1:9/cb task=tencent:s1 attempt=2 "
        "http=503 next_attempt_at=1234.6",
    )
    assert first[2]["gave_up"] is None and first[2]["next_attempt_at"] == 1234.56
    assert last[1].endswith('attempt=2 error="connection refused" gave_up=True')
