"""A small synchronous client of the control API (standard library only), for tests and scripts.

emu = ControlClient("http://127.0.0.1:8080")
emu.publish("anchor1", "pattern:bars?size=640x360")
emu.add_fault("tencent", "start_mix_stream_advanced", code=-505, times=1)
emu.advance_clock(900)
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any


class ControlError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class ControlClient:
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(self, method: str, path: str, body: dict[str, Any] | None = None, **query: Any) -> Any:
        url = self.base_url + path
        params = {k: v for k, v in query.items() if v is not None}
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(
            url, data=data, method=method, headers={"Content-Type": "application/json"}
        )
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
                is_json = resp.headers.get_content_type() == "application/json"
        except urllib.error.HTTPError as exc:
            raw = exc.read()
            try:
                detail: Any = json.loads(raw)
            except ValueError:
                detail = raw.decode("utf-8", "replace")
            raise ControlError(exc.code, detail) from None
        return json.loads(raw) if is_json else raw

    # ----- the control API, one method per endpoint
    def health(self) -> dict[str, Any]:
        return self.request("GET", "/_emulator/health")

    def reset(self) -> dict[str, Any]:
        return self.request("POST", "/_emulator/reset")

    def publish(self, stream_id: str, source: str, **options: Any) -> dict[str, Any]:
        """Options: loop, room_id, user_id."""
        return self.request(
            "POST", "/_emulator/streams", {"stream_id": stream_id, "source": source, **options}
        )["stream"]

    def unpublish(self, stream_id: str) -> dict[str, Any]:
        return self.request("DELETE", f"/_emulator/streams/{urllib.parse.quote(stream_id, safe='')}")

    def streams(self, room_id: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", "/_emulator/streams", room_id=room_id)["streams"]

    def map_url(self, url: str, source: str) -> dict[str, Any]:
        return self.request("POST", "/_emulator/urls", {"url": url, "source": source})

    def tasks(self, provider: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", "/_emulator/tasks", provider=provider)["tasks"]

    def task(self, task_id: str) -> dict[str, Any]:
        return self.request("GET", f"/_emulator/tasks/{urllib.parse.quote(task_id, safe=':')}")

    def snapshot(self, task_id: str) -> bytes:
        return self.request("GET", f"/_emulator/tasks/{urllib.parse.quote(task_id, safe=':')}/snapshot.png")

    def requests(
        self, provider: str | None = None, action: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return self.request("GET", "/_emulator/requests", provider=provider, action=action, limit=limit)[
            "requests"
        ]

    def add_fault(self, provider: str, action: str, **options: Any) -> dict[str, Any]:
        """Options: code, http_status, message, times, probability, delay_ms, seed."""
        return self.request("POST", "/_emulator/faults", {"provider": provider, "action": action, **options})[
            "fault"
        ]

    def faults(self) -> list[dict[str, Any]]:
        return self.request("GET", "/_emulator/faults")["faults"]

    def clear_faults(self) -> None:
        self.request("DELETE", "/_emulator/faults")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self.request("POST", "/_emulator/clock/advance", {"seconds": seconds})

    def callbacks(self, provider: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", "/_emulator/callbacks", provider=provider)["callbacks"]
