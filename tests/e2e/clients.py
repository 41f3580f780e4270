"""The official clients as their docs build them, pointed at the emulator by host only, and a callback
receiver that checks what real receivers check (freshness of the timestamp against its own clock)."""

from __future__ import annotations

import hashlib
import json
import queue
import secrets
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from emulator.testing import EmulatorFixture
from tests.providers.volcengine.volc_support import SK as VOLC_SK
from tests.providers.volcengine.volc_support import mix_body
from tests.providers.volcengine.volc_support import service as volc_service

RED = "pattern:color?color=#ff0000&size=64x36"
ZEGO_APP_ID, ZEGO_SECRET = 12345, "9193cc662a4c0ec135ec71fb57194b38"
FRESH_S = 300  # how far a receiver lets a callback's timestamp be from its own clock


def volc_one_source(
    name: str, kind: str = "pic", url: str = RED, *, source_id: str = "1", callback: str | None = None
) -> dict[str, Any]:
    """A small CreateCloudMixTask body: one source filling a 64x36 canvas."""
    return mix_body(name, [(source_id, 1, kind, url)], {1: (0, 0, 64, 36)}, size=(64, 36), callback=callback)


def volc_presigned(emu: EmulatorFixture, action: str, body: dict[str, Any], sk: str = VOLC_SK) -> Any:
    """A query-string signed request: the URL from the SDK's ``get_sign_url``, the JSON body POSTed to it.
    Returns (HTTP status, parsed body)."""
    query = volc_service(emu, sk=sk).get_sign_url(action, {})
    request = urllib.request.Request(
        f"{emu.url}/?{query}", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def zego_call(emu: EmulatorFixture, action: str, body: dict[str, Any] | None = None, **query: str) -> Any:
    """ZEGO's server API exactly as its docs describe the call: public parameters signed with
    md5(AppId + SignatureNonce + ServerSecret + Timestamp), the Timestamp from the caller's clock."""
    nonce, timestamp = secrets.token_hex(8), int(time.time())
    signature = hashlib.md5(f"{ZEGO_APP_ID}{nonce}{ZEGO_SECRET}{timestamp}".encode()).hexdigest()
    params = {
        "Action": action,
        "AppId": ZEGO_APP_ID,
        "SignatureNonce": nonce,
        "Timestamp": timestamp,
        "Signature": signature,
        "SignatureVersion": "2.0",
        "IsTest": "false",
        **query,
    }
    url = f"{emu.url}/?{urllib.parse.urlencode(params)}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


class CallbackReceiver:
    """Accepts a callback (2xx) only when its timestamp is within FRESH_S of this machine's clock, as
    receivers that guard against replays do; a stale one is answered 401 and kept aside."""

    def __init__(self) -> None:
        self.accepted: queue.Queue[dict[str, Any]] = queue.Queue()
        self.stale: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                stamp = body.get("timestamp", body.get("Timestamp"))
                fresh = stamp is not None and abs(float(stamp) - time.time()) <= FRESH_S
                (receiver.accepted.put if fresh else receiver.stale.append)(body)
                self.send_response(200 if fresh else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/callback"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> dict[str, Any]:
        """The first accepted callback that satisfies ``predicate`` (others are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            assert remaining > 0, f"no such callback; stale ones: {self.stale}"
            body = self.accepted.get(timeout=remaining)
            if predicate(body):
                return body

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
