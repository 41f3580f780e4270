"""A signed ZEGO client for tests: the rtc-api with real signatures, the legacy API with real tokens."""

from __future__ import annotations

import hashlib
import io
import json
import secrets
import time
from pathlib import Path
from typing import Any

import requests
from PIL import Image

from emulator.testing import EmulatorFixture

APP_ID = 12345
SECRET = "9193cc662a4c0ec135ec71fb57194b38"
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "requests" / "zego"
RED = "pattern:color?color=#ff0000&size=160x90"
BLUE = "pattern:color?color=#0000ff&size=160x90"


def fixture_body(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text())


def sign(app_id: int | str, nonce: str, secret: str, timestamp: int | str) -> str:
    return hashlib.md5(f"{app_id}{nonce}{secret}{timestamp}".encode()).hexdigest()


class Zego:
    def __init__(self, emu: EmulatorFixture) -> None:
        self.emu = emu
        self.http = requests.Session()

    # ----- rtc-api
    def query(
        self, action: str | None, *, app_id: int | str = APP_ID, secret: str = SECRET, **override: Any
    ) -> dict[str, str]:
        """The public parameters of a correctly signed request; ``override`` replaces or (None) drops one."""
        nonce = secrets.token_hex(8)
        timestamp = int(time.time())  # a client signs with its own (wall) clock
        params: dict[str, Any] = {
            "Action": action,
            "AppId": app_id,
            "SignatureNonce": nonce,
            "Timestamp": timestamp,
            "Signature": sign(app_id, nonce, secret, timestamp),
            "SignatureVersion": "2.0",
            "IsTest": "false",
        }
        params.update(override)
        return {k: str(v) for k, v in params.items() if v is not None}

    def call(
        self,
        action: str,
        body: Any = None,
        *,
        raw: bytes | None = None,
        method: str | None = None,
        **query: Any,
    ) -> dict[str, Any]:
        """One rtc-api request; asserts ZEGO's transport (HTTP 200, JSON) and returns the body."""
        extra = {k: query.pop(k) for k in list(query) if k[0].isupper() and k not in _PUBLIC}
        params = {**self.query(action, **query), **{k: str(v) for k, v in extra.items()}}
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        response = self.http.request(
            method or ("GET" if data is None else "POST"),
            f"{self.emu.url}/",
            params=params,
            data=data,
            headers={"Content-Type": "application/json"},
        )
        return check_native(response, rtc=True)

    def start_mix(self, body: dict[str, Any], **query: Any) -> dict[str, Any]:
        return self.call("StartMix", body, **query)

    # ----- legacy web API
    def token(self, app_id: int | str = APP_ID, secret: str = SECRET) -> str:
        answer = self.legacy_get("/cgi/token", appid=app_id, secret=secret, timestamp=int(time.time() * 1000))
        assert answer["code"] == 0, answer
        return answer["data"]["access_token"]

    def legacy_get(self, path: str, **params: Any) -> dict[str, Any]:
        return check_native(self.http.get(f"{self.emu.url}{path}", params=params), rtc=False)

    def legacy_post(
        self, path: str, body: Any, token: str | None, *, raw: bytes | None = None
    ) -> dict[str, Any]:
        params = {} if token is None else {"access_token": token}
        data = raw if raw is not None else json.dumps(body).encode()
        return check_native(self.http.post(f"{self.emu.url}{path}", params=params, data=data), rtc=False)

    # ----- media
    def wait_frames(self, task_id: str, frames: int = 2, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.emu.ctx.tasks.get(task_id)
            if task is not None and task.media_status().get("frames", 0) >= frames:
                return
            time.sleep(0.05)
        raise AssertionError(f"{task_id} rendered no frames: {task and task.media_status()}")

    def wait_live(self, task_id: str, input_id: str, timeout: float = 15.0) -> None:
        """Until the media engine reads the input (time rules count a not-yet-read input as lost)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.emu.ctx.tasks.get(task_id)
            inputs = {} if task is None else task.media_status().get("inputs", {})
            if inputs.get(input_id, {}).get("state") == "live":
                return
            time.sleep(0.05)
        raise AssertionError(f"input {input_id} of {task_id} is not live")

    def snapshot(self, task_id: str) -> Image.Image:
        self.wait_frames(task_id)
        return Image.open(io.BytesIO(self.emu.snapshot(task_id))).convert("RGB")

    def wait_state(self, task_id: str, state: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            task = self.emu.ctx.tasks.get(task_id)
            if task is not None and task.state.value == state:
                return
            time.sleep(0.05)
        raise AssertionError(f"{task_id} did not reach {state}")


_PUBLIC = {"Action", "AppId", "SignatureNonce", "Timestamp", "Signature", "SignatureVersion", "IsTest"}


def check_native(response: requests.Response, *, rtc: bool) -> dict[str, Any]:
    """Every ZEGO answer is HTTP 200 JSON in the native envelope."""
    assert response.status_code == 200, (response.status_code, response.text)
    assert response.headers["Content-Type"].startswith("application/json"), response.headers
    body = response.json()
    keys = {"Code", "Message", "RequestId"} if rtc else {"code", "message"}
    assert keys <= set(body), body
    return body


def close(color: tuple[int, int, int], expected: tuple[int, int, int], tolerance: int = 12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(color, expected, strict=True))
