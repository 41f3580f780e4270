"""Task lifecycle on the real pipeline: statuses, the status callback (with retries), and the time rules
(all sources down for 1 minute, 3 days at most) on the emulator clock."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from volc_support import mix_body, service

from emulator.testing import EmulatorFixture

RED = "pattern:color?color=#ff0000&size=64x36"


class Receiver:
    """A callback endpoint: answers each POST with the next status of ``statuses`` (then 200)."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.bodies: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append(json.loads(raw))
                receiver.headers.append(dict(self.headers))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/volc/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver([])
    yield server
    server.close()


def _wait(condition: Callable[[], Any], what: str, timeout: float = 15.0) -> Any:
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)
    return result


def _statuses(receiver: Receiver) -> list[str]:
    return [b["Status"] for b in receiver.bodies if b["EventType"] == "TaskStatusChanged"]


def test_status_callbacks_follow_the_task(mix_emulator: EmulatorFixture, receiver: Receiver) -> None:
    emu = mix_emulator
    emu.publish("anchor", RED)
    svc = service(emu)
    body = mix_body(
        "cb",
        [("bg", 1, "pic", RED), ("cam", 2, "live", "rtmp://pull.example.com/live/anchor")],
        {1: (0, 0, 64, 36), 2: (32, 0, 32, 18)},
        size=(64, 36),
        callback=receiver.url,
    )
    task_id = svc.create_cloud_mix_task(body)["Result"]["Data"]["TaskID"]
    _wait(lambda: "runing" in _statuses(receiver), "the runing callback")
    live = _wait(
        lambda: [
            b
            for b in receiver.bodies
            if b["EventType"] == "SourceStatusChanged" and b["Source"]["ID"] == "cam"
        ],
        "a source callback of cam",
    )[0]
    assert live["Source"] == {
        "ID": "cam",
        "Type": "live",
        "Url": "rtmp://pull.example.com/live/anchor",
        "Status": "live",
        "Error": None,
    }
    assert [s["ID"] for s in live["Sources"]] == ["bg", "cam"]  # every source, logos never

    svc.delete_cloud_mix_task({"TaskID": task_id})
    _wait(lambda: "done" in _statuses(receiver), "the done callback")
    assert _statuses(receiver) == ["prepare", "runing", "prestop", "done"]
    done = next(b for b in receiver.bodies if b["Status"] == "done")
    assert {k: done[k] for k in ("EventType", "TaskID", "Name", "Reason", "Error", "OptID")} == {
        "EventType": "TaskStatusChanged",
        "TaskID": task_id,
        "Name": "cb",
        "Reason": "deleted",
        "Error": None,
        "OptID": 0,
    }
    assert isinstance(done["Timestamp"], int) and done["Time"].endswith("+08:00")
    assert all(h["Content-Type"] == "application/json" for h in receiver.headers)
    assert {d["event"] for d in emu.callbacks("volcengine")} == {"TaskStatusChanged", "SourceStatusChanged"}


def test_a_failed_callback_is_retried_on_the_emulator_clock(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    receiver = Receiver([500])
    try:
        body = mix_body(
            "retry", [("bg", 1, "pic", RED)], {1: (0, 0, 64, 36)}, size=(64, 36), callback=receiver.url
        )
        service(emu).create_cloud_mix_task(body)
        first = _wait(lambda: [d for d in emu.callbacks("volcengine") if d["attempts"]], "the first attempt")[
            0
        ]
        assert (first["payload"]["Status"], first["attempts"][0]["status"], first["delivered"]) == (
            "prepare",
            500,
            False,
        )
        assert first["retry_delays"] == [2, 4, 8, 16, 32]
        emu.advance_clock(2)
        retried = _wait(
            lambda: next(
                (d for d in emu.callbacks("volcengine") if d["id"] == first["id"] and d["delivered"]), None
            ),
            "the retry",
        )
        assert [a["status"] for a in retried["attempts"]] == [500, 200]
        assert _statuses(receiver).count("prepare") == 2
    finally:
        receiver.close()


def test_all_sources_down_for_a_minute_ends_the_task(
    mix_emulator: EmulatorFixture, receiver: Receiver
) -> None:
    emu = mix_emulator
    emu.publish("anchor", RED)
    svc = service(emu)
    body = mix_body(
        "idle", [("cam", 1, "live", "anchor")], {1: (0, 0, 64, 36)}, size=(64, 36), callback=receiver.url
    )
    task_id = svc.create_cloud_mix_task(body)["Result"]["Data"]["TaskID"]
    _wait(lambda: "runing" in _statuses(receiver), "running")
    emu.unpublish("anchor")
    emu.advance_clock(59)
    assert svc.get_cloud_mix_task_detail({"TaskID": task_id})["Result"]["Data"]["Status"] == "runing"
    emu.advance_clock(2)
    _wait(lambda: "done" in _statuses(receiver), "the task to end")
    done = next(b for b in receiver.bodies if b["Status"] == "done")
    assert (done["Reason"], done["Error"]) == (
        "all_sources_down",
        {"Code": "AllSourcesDown", "Message": "every input source was down for 60 seconds"},
    )
    assert emu.task(f"volcengine:{task_id}")["stop_reason"] == "idle_timeout"


def test_a_task_runs_three_days_at_most(mix_emulator: EmulatorFixture, receiver: Receiver) -> None:
    emu = mix_emulator
    body = mix_body(
        "long", [("bg", 1, "pic", RED)], {1: (0, 0, 64, 36)}, size=(64, 36), callback=receiver.url
    )
    task_id = service(emu).create_cloud_mix_task(body)["Result"]["Data"]["TaskID"]
    emu.advance_clock(3 * 86400)
    _wait(lambda: "done" in _statuses(receiver), "the task to end")
    done = next(b for b in receiver.bodies if b["Status"] == "done")
    assert (done["Reason"], done["Error"]["Code"]) == ("max_duration", "MaxDurationReached")
    assert emu.task(f"volcengine:{task_id}")["stop_reason"] == "max_duration"


def test_logos_do_not_keep_a_task_alive(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    emu.map_url("https://img.example.org/logo.png", "pattern:color?color=#00ff00&size=16x16")
    body = mix_body(
        "logo",
        [("cam", 1, "live", "anchor-never-published")],
        {1: (0, 0, 64, 36)},
        size=(64, 36),
        logos=[("https://img.example.org/logo.png", (0, 0, 16, 16))],
    )
    task_id = service(emu).create_cloud_mix_task(body)["Result"]["Data"]["TaskID"]

    def logo_state() -> str | None:
        return emu.task(f"volcengine:{task_id}")["inputs"].get("logo:1", {}).get("state")

    _wait(lambda: logo_state() == "live", "the logo to show")
    emu.advance_clock(61)
    _wait(
        lambda: emu.task(f"volcengine:{task_id}")["stop_reason"] == "idle_timeout", "the idle rule", timeout=3
    )
