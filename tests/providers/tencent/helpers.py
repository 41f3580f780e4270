"""Helpers for the Tencent tests: the seed's request files, request builders and a signed CGI client."""

from __future__ import annotations

import copy
import hashlib
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.testing import EmulatorFixture

APPID = "1252500000"
KEY = "40328529ca4381a80c6ecf2e6aa57438"
FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "requests" / "tencent"
START = "mix_streamv2.start_mix_stream_advanced"
CANCEL = "mix_streamv2.cancel_mix_stream"


def load(name: str) -> dict[str, Any]:
    """One of the seed's request examples (fixtures/requests/tencent/<name>.json), a fresh copy."""
    return copy.deepcopy(json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8")))


def envelope(para: dict[str, Any], event_id: int | str = 1527240138) -> dict[str, Any]:
    return {
        "timestamp": 1490079362,
        "eventId": event_id,
        "interface": {"interfaceName": "Mix_StreamV2", "para": para},
    }


def layout(layer: int, **params: Any) -> dict[str, Any]:
    return {"image_layer": layer, **params}


def stream(stream_id: str, layer: int, crop: dict[str, int] | None = None, **params: Any) -> dict[str, Any]:
    item: dict[str, Any] = {"input_stream_id": stream_id, "layout_params": layout(layer, **params)}
    if crop is not None:
        item["crop_params"] = crop
    return item


def start_para(session: str, output: str, inputs: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "app_id": int(APPID),
        "interface": START,
        "mix_stream_session_id": session,
        "output_stream_id": output,
        "input_stream_list": inputs,
        **extra,
    }


def cancel_para(session: str, output: str) -> dict[str, Any]:
    return {
        "app_id": int(APPID),
        "interface": CANCEL,
        "mix_stream_session_id": session,
        "output_stream_id": output,
    }


def sign(key: str, t: int | str) -> str:
    return hashlib.md5(f"{key}{t}".encode()).hexdigest()


@dataclass
class Answer:
    status: int
    raw: bytes
    headers: dict[str, str]

    @property
    def body(self) -> dict[str, Any]:
        return json.loads(self.raw)

    @property
    def code(self) -> int:
        return self.body["code"]

    @property
    def message(self) -> str:
        return self.body["message"]


class Tencent:
    """Signs and sends legacy CGI requests the way the seed describes, against the test emulator."""

    def __init__(self, emu: EmulatorFixture) -> None:
        self.emu = emu

    def now(self) -> float:
        return float(self.emu.request("GET", "/_emulator/clock")["now"])

    def url(
        self,
        *,
        appid: str = APPID,
        key: str = KEY,
        t: int | None = None,
        interface: str = "Mix_StreamV2",
        signature: str | None = None,
    ) -> str:
        t = int(self.now()) + 60 if t is None else t
        signature = sign(key, t) if signature is None else signature
        return f"{self.emu.url}/common_access?appid={appid}&interface={interface}&t={t}&sign={signature}"

    def post(self, body: dict[str, Any] | bytes, *, method: str = "POST", url: str | None = None) -> Answer:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(
            url or self.url(), data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return Answer(response.status, response.read(), dict(response.headers))
        except urllib.error.HTTPError as exc:
            return Answer(exc.code, exc.read(), dict(exc.headers))

    def call(self, para: dict[str, Any], **kwargs: Any) -> Answer:
        return self.post(envelope(para), **kwargs)

    def publish(
        self, stream_id: str, color: str = "#ff0000", size: str = "320x180", *, settle: bool = True
    ) -> None:
        """Push a solid-colour stream; ``settle`` lets the emulator clock pass the seed's 5 s push rule."""
        self.emu.publish(stream_id, f"pattern:color?color={color}&size={size}")
        if settle:
            self.emu.advance_clock(6)

    def wait_live(self, task_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Wait until the task's pipeline reports every input live; returns its media status."""
        deadline = time.monotonic() + timeout
        while True:
            task = self.emu.ctx.tasks.get(task_id)
            status = task.media_status() if task is not None else {}
            inputs = status.get("inputs", {})
            if inputs and all(i.get("state") == "live" for i in inputs.values()):
                return status
            if time.monotonic() > deadline:
                raise AssertionError(f"{task_id} inputs not live: {status}")
            time.sleep(0.05)
