"""The status callback to ``Output.Callback.Url``: the emulator's own design (no public document gives one).

A JSON POST on every status change of the task (``TaskStatusChanged``: prepare, runing, prestop, done) and
every state change of one of its input sources (``SourceStatusChanged``), retried on the emulator clock
after 2, 4, 8, 16 and 32 s until a 2xx answer. The payload (stable; docs/volcengine.md):

    {"EventType": "TaskStatusChanged" | "SourceStatusChanged",
     "TaskID", "Name", "Status": "prepare" | "runing" | "prestop" | "done",
     "Reason": null, or from prestop on "deleted" | "all_sources_down" | "max_duration" | "sources_ended"
               | "failed",
     "Error": null | {"Code", "Message"},
     "Source": {"ID", "Type", "Url", "Status", "Error"}        (SourceStatusChanged: the source that changed)
     "Sources": [{"ID", "Type", "Url", "Status", "Error"}...]  (every InputSource, in request order)
     "OptID": the last successful operation index, "Timestamp": unix seconds, "Time": RFC 3339 (UTC+8)}

Source Status is the media engine's: waiting, live, lost, ended, error.
"""

from __future__ import annotations

from typing import Any

from emulator.context import EmulatorContext
from emulator.core.tasks import Task
from emulator.providers.volcengine.gateway import PROVIDER
from emulator.providers.volcengine.sessions import MixSession, rfc3339, status_of

TASK_EVENTS = frozenset({"started", "running", "stopping", "stopped", "ended", "failed"})
RETRY_DELAYS_S = (2, 4, 8, 16, 32)

# TaskManager stop reasons -> the callback's Reason, and the Error of the ones that are failures.
_REASONS = {
    "stopped": "deleted",
    "idle_timeout": "all_sources_down",
    "max_duration": "max_duration",
    "inputs_ended": "sources_ended",
    "failed": "failed",
}
_ERRORS = {
    "all_sources_down": ("AllSourcesDown", "every input source was down for 60 seconds"),
    "max_duration": ("MaxDurationReached", "a cloud mix task runs at most 3 days"),
}
WAITING = "waiting"


def source_states(session: MixSession, task: Task) -> list[dict[str, Any]]:
    inputs = task.media_status().get("inputs", {})
    states = []
    for source in session.rules.sources:
        info = inputs.get(source.id) or {}
        states.append(
            {
                "ID": source.id,
                "Type": source.type,
                "Url": source.url,
                "Status": info.get("state") or WAITING,
                "Error": info.get("error"),
            }
        )
    return states


def payload(session: MixSession, task: Task, event: str, data: dict[str, Any], now: float) -> dict[str, Any]:
    reason = _REASONS.get(task.stop_reason or "")
    error = None
    if reason == "failed":
        error = {"Code": "TaskFailed", "Message": task.error or "the media pipeline failed"}
    elif reason in _ERRORS:
        code, message = _ERRORS[reason]
        error = {"Code": code, "Message": message}
    sources = source_states(session, task)
    body: dict[str, Any] = {
        "EventType": "SourceStatusChanged" if event == "input_state" else "TaskStatusChanged",
        "TaskID": session.task_id,
        "Name": session.name,
        "Status": status_of(task).value,
        "Reason": reason,
        "Error": error,
    }
    if event == "input_state":
        changed = next((s for s in sources if s["ID"] == data.get("layer_id")), None)
        if changed is not None:
            changed["Status"] = data.get("state") or changed["Status"]
        body["Source"] = changed
    body.update(
        {
            "Sources": sources,
            "OptID": session.last_success_operation_index,
            "Timestamp": int(now),
            "Time": rfc3339(now),
        }
    )
    return body


def notify(ctx: EmulatorContext, session: MixSession, task: Task, event: str, data: dict[str, Any]) -> None:
    """Send the callback this task event calls for, if the task has a callback URL."""
    url = session.rules.output.callback_url
    if url is None:
        return
    if event == "input_state":
        if data.get("layer_id") not in {s.id for s in session.rules.sources}:
            return  # a logo
    elif event not in TASK_EVENTS:
        return
    body = payload(session, task, event, data, ctx.clock.wall())  # receivers check Timestamp against theirs
    ctx.callbacks.send(PROVIDER, body["EventType"], url, body, retry_delays=RETRY_DELAYS_S, task_id=task.id)
