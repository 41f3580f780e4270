"""The server's log lines about what it does: one per provider request, per task event and per failed
callback attempt. Each line carries its facts as fields (``record.fields``) for the JSON format
(emulator/logformat.py) and repeats them as ``key=value`` in its message for the text format.

Loggers: ``emulator.requests``, ``emulator.tasks``, ``emulator.callbacks``. Request and response bodies
(already redacted by the journal) are added to request lines while ``emulator.bodies`` logs DEBUG
(``serve -v``).
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.core.callbacks import Attempt, Delivery
    from emulator.core.journal import JournalEntry
    from emulator.core.tasks import Task

requests_log = logging.getLogger("emulator.requests")
tasks_log = logging.getLogger("emulator.tasks")
callbacks_log = logging.getLogger("emulator.callbacks")
bodies_log = logging.getLogger("emulator.bodies")

MAX_LOGGED_BODY = 4000  # characters of a body in one line
_INPUT_TROUBLE = ("lost", "error")


def _emit(logger: logging.Logger, level: int, what: str, fields: dict[str, Any]) -> None:
    if not logger.isEnabledFor(level):
        return
    shown = " ".join(f"{k}={_text(v)}" for k, v in fields.items() if v is not None)
    logger.log(level, "%s %s", what, shown, extra={"fields": {"event": what, **fields}})


def _text(value: Any) -> str:
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if (" " in value or not value) else value
    if isinstance(value, float):
        return f"{value:.1f}"
    if isinstance(value, (dict, list)):
        return _body(value)
    return str(value)


def _body(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text if len(text) <= MAX_LOGGED_BODY else text[:MAX_LOGGED_BODY] + f"...({len(text)} chars)"


def log_request(entry: JournalEntry) -> None:
    """One line per provider request, from its journal entry."""
    fields: dict[str, Any] = {
        "provider": entry.provider,
        "action": entry.action,
        "code": entry.code,
        "http": entry.status,
        "ms": round(entry.duration_ms, 1),
        "task": entry.task,
        "fault": entry.fault,
        "journal_id": entry.id,
    }
    if bodies_log.isEnabledFor(logging.DEBUG):
        fields["request"] = _body(entry.body) if entry.body is not None else None
        fields["response"] = _body(entry.response) if entry.response is not None else None
    level = logging.WARNING if entry.error else logging.INFO
    _emit(requests_log, level, "request", fields)


def log_task_event(task: Task, event: str, data: dict[str, Any]) -> None:
    """A TaskManager listener: start, update, running, input state changes, stop/end with the reason."""
    fields: dict[str, Any] = {"task": task.id}
    level = logging.INFO
    if event == "started":
        fields["inputs"] = len(task.job.layers)
        fields["outputs"] = ",".join(task.output_ids)
    elif event == "updated":
        fields["update"] = task.update_count
        fields["inputs"] = len(task.job.layers)
    elif event == "input_state":
        state = data.get("state")
        fields.update(input=data.get("layer_id"), state=state, error=data.get("error"))
        level = logging.WARNING if state in _INPUT_TROUBLE else logging.INFO
        event = "input"
    elif event in ("stopping", "stopped", "ended", "failed"):
        fields.update(reason=data.get("reason"), error=data.get("error"))
        if event == "failed":
            level = logging.ERROR
    elif event != "running":
        return
    _emit(tasks_log, level, f"task {event}", fields)


def log_failed_attempt(delivery: Delivery, attempt: Attempt) -> None:
    """One line per callback attempt that did not get a 2xx answer."""
    _emit(
        callbacks_log,
        logging.WARNING,
        "callback failed",
        {
            "provider": delivery.provider,
            "callback": delivery.event,
            "url": delivery.url,
            "task": delivery.task_id,
            "attempt": len(delivery.attempts),
            "http": attempt.status,
            "error": attempt.error,
            "next_attempt_at": delivery.next_attempt_at,
            "gave_up": delivery.gave_up or None,
        },
    )
