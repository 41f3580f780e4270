"""The server's log, read from a running ``mix-emulator serve --log-format json -v``: a line per provider
request (provider, action, native code, HTTP status, ms, task, fault), per task event (start, input state
with its error, stop with its reason) and per failed callback attempt, with redacted bodies."""

from __future__ import annotations

import json
import os
import queue
import secrets
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.control.support import stop_process, zego_mix
from tests.providers.zego.helpers import APP_ID, SECRET, sign

START_TIMEOUT_S = 20
INPUTS = {"a": (0, 0, 64, 36), "b": (64, 0, 128, 36)}


class Server:
    """``mix-emulator serve`` in a child process; its stderr (the log) read line by line."""

    def __init__(self, process: subprocess.Popen[str], url: str) -> None:
        self.process = process
        self.url = url
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[dict[str, Any]] = []
        self.signatures: list[str] = []  # of the provider requests sent: never to be logged
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.put(line)

    def wait_for(self, check: Callable[[dict[str, Any]], bool], timeout: float = 10.0) -> dict[str, Any]:
        """The first JSON log line (seen so far or to come) that passes ``check``."""
        for record in self.seen:
            if check(record):
                return record
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            record = json.loads(line)  # every line is one JSON object
            self.seen.append(record)
            if check(record):
                return record
        raise AssertionError(f"no such log line; seen: {json.dumps(self.seen, indent=1)[-4000:]}")

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def zego(self, action: str, body: dict[str, Any]) -> Any:
        nonce, timestamp = secrets.token_hex(8), int(time.time())
        self.signatures.append(sign(APP_ID, nonce, SECRET, timestamp))
        query = (
            f"Action={action}&AppId={APP_ID}&SignatureNonce={nonce}&Timestamp={timestamp}"
            f"&Signature={self.signatures[-1]}&SignatureVersion=2.0"
        )
        return self.call("POST", f"/?{query}", body)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    command = [sys.executable, "-m", "emulator", "serve", "--port", "0", "--rtmp-port", "off"]
    command += ["--data-dir", str(tmp_path), "--log-format", "json", "-v"]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        url = None
        deadline = time.monotonic() + START_TIMEOUT_S
        while url is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if "listening on " in line:
                url = line.rsplit("listening on ", 1)[1].strip()
        assert url, "the server did not say where it listens"
        threading.Thread(target=process.stdout.read, daemon=True).start()  # keep the pipe flowing
        yield Server(process, url)
    finally:
        stop_process(process)


def test_request_task_and_callback_lines(server: Server) -> None:
    server.call("POST", "/_emulator/streams", {"stream_id": "a", "source": "pattern:color?size=64x36"})
    server.call("POST", "/_emulator/streams", {"stream_id": "b", "source": "pattern:color?size=64x36"})
    server.call("POST", "/_emulator/zego/callback", {"url": "http://127.0.0.1:9/refused"})
    fault = server.call(
        "POST", "/_emulator/faults", {"provider": "zego", "action": "StartMix", "code": 110200194, "times": 1}
    )
    fault_id = fault["fault"]["id"]

    assert server.zego("StartMix", zego_mix("t1", INPUTS, (128, 36), fps=5))["Code"] == 110200194
    injected = server.wait_for(lambda r: r.get("event") == "request" and r.get("fault") == fault_id)
    assert (injected["provider"], injected["action"], injected["code"], injected["http"]) == (
        "zego",
        "StartMix",
        110200194,
        200,
    )
    assert injected["level"] == "warning" and isinstance(injected["ms"], float)  # an error under HTTP 200

    assert server.zego("StartMix", zego_mix("t1", INPUTS, (128, 36), fps=5))["Code"] == 0
    ok = server.wait_for(lambda r: r.get("event") == "request" and r.get("code") == 0)
    task = ok["task"]
    assert task == f"zego:{APP_ID}:t1" and ok["level"] == "info" and ok.get("fault") is None
    assert '"TaskId":"t1"' in ok["request"] and '"Code":0' in ok["response"]  # -v: the bodies
    started = server.wait_for(lambda r: r.get("event") == "task started")
    assert (started["task"], started["inputs"]) == (task, 2)

    server.wait_for(
        lambda r: r.get("event") == "task input" and r.get("input") == "b" and r["state"] == "live"
    )
    server.call("DELETE", "/_emulator/streams/b")
    lost = server.wait_for(lambda r: r.get("event") == "task input" and r.get("state") == "lost")
    assert lost["task"] == task and lost["input"].endswith("b") and "not published" in lost["error"]
    assert lost["level"] == "warning"

    failed = server.wait_for(lambda r: r.get("event") == "callback failed")
    assert failed["url"] == "http://127.0.0.1:9/refused" and failed["error"] and failed["task"] == task
    assert failed["next_attempt_at"] is not None

    server.call("DELETE", f"/_emulator/tasks/{task}")
    stopped = server.wait_for(lambda r: r.get("event") == "task stopped")
    assert (stopped["task"], stopped["reason"]) == (task, "stopped")
    logged = json.dumps(server.seen)
    assert server.signatures and not any(signature in logged for signature in server.signatures)


def test_text_format_is_one_readable_line(tmp_path: Path) -> None:
    from emulator.core.eventlog import log_request
    from emulator.core.journal import RequestJournal
    from emulator.logformat import configure_logging

    stream = _Capture()
    configure_logging("text", "info", bodies=False, stream=stream)  # type: ignore[arg-type]
    try:
        entry = RequestJournal().record(
            time=0.0,
            provider="tencent",
            action="CreateCommonMixStream",
            method="POST",
            path="/",
            query={},
            headers={"Authorization": "TC3-HMAC-SHA256 Credential=x, Signature=abc"},
            body=b'{"MixStreamSessionId": "s"}',
            status=200,
            response=b'{"Response": {"Error": {"Code": "InvalidParameter"}}}',
            duration_ms=3.25,
            task="tencent:s",
        )
        entry.code, entry.error = "InvalidParameter", True
        log_request(entry)
    finally:
        configure_logging("text", "warning")
    (line,) = stream.text.splitlines()
    assert " WARNING emulator.requests: request provider=tencent action=CreateCommonMixStream" in line
    assert "code=InvalidParameter http=200 ms=3.2 task=tencent:s" in line and "abc" not in line


class _Capture:
    def __init__(self) -> None:
        self.text = ""

    def write(self, text: str) -> None:
        self.text += text

    def flush(self) -> None:
        pass
