"""A small synchronous client of the control API (standard library only), for tests and scripts.

emu = ControlClient("http://127.0.0.1:8080")
emu.publish("anchor1", "pattern:bars?size=640x360")
emu.add_fault("tencent", "start_mix_stream_advanced", code=-505, times=1)
emu.advance_clock(900)

Every ``/_emulator`` route has one method here, marked with ``@route(METHOD, PATH)``; a test enumerates the
app's routes against these marks, so a route added without its method fails it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])


def route(method: str, path: str) -> Callable[[F], F]:
    """Marks the client method that wraps ``METHOD PATH`` (path as the app declares it, with {names})."""

    def mark(function: F) -> F:
        function.__routes__ = (*getattr(function, "__routes__", ()), (method, path))  # type: ignore[attr-defined]
        return function

    return mark


def _quote(part: str | int, safe: str = "") -> str:
    return urllib.parse.quote(str(part), safe=safe)


class ControlError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"HTTP {status}: {body}")
        self.status = status
        self.body = body


class ControlClient:
    """One method per control route. Keyword-only options are added at the end of the constructor, and
    every request's headers come from :meth:`headers`, so a subclass or a later option (a token) has one
    place to change."""

    def __init__(self, base_url: str, timeout: float = 30.0, *, token: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token = token  # the control token, when the emulator asks for one (control_token)

    def headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def request(self, method: str, path: str, body: dict[str, Any] | None = None, **query: Any) -> Any:
        url = self.base_url + path
        params = {k: v for k, v in query.items() if v is not None}
        if params:
            url += "?" + urllib.parse.urlencode(params)
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(url, data=data, method=method, headers=self.headers())
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

    # ----- health, reset, API description, dashboard
    @route("GET", "/_emulator/health")
    def health(self) -> dict[str, Any]:
        return self.request("GET", "/_emulator/health")

    @route("POST", "/_emulator/reset")
    def reset(self) -> dict[str, Any]:
        return self.request("POST", "/_emulator/reset")

    @route("GET", "/_emulator/openapi.json")
    def openapi(self) -> dict[str, Any]:
        """The OpenAPI 3 description of this API."""
        return self.request("GET", "/_emulator/openapi.json")

    @route("GET", "/_emulator")
    @route("GET", "/_emulator/")
    def dashboard(self) -> str:
        """The dashboard page's HTML."""
        return self.request("GET", "/_emulator/").decode()

    # ----- clock
    @route("GET", "/_emulator/clock")
    def clock(self) -> dict[str, Any]:
        """``{"now": emulator seconds, "offset": seconds ahead of the wall clock}``."""
        return self.request("GET", "/_emulator/clock")

    def now(self) -> float:
        return float(self.clock()["now"])

    @route("POST", "/_emulator/clock/advance")
    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self.request("POST", "/_emulator/clock/advance", {"seconds": seconds})

    @route("POST", "/_emulator/clock/reset")
    def reset_clock(self) -> dict[str, Any]:
        """Back to wall time, tasks kept (design.md, Contract additions)."""
        return self.request("POST", "/_emulator/clock/reset")

    # ----- streams
    @route("POST", "/_emulator/streams")
    def publish(self, stream_id: str, source: str, **options: Any) -> dict[str, Any]:
        """Options: loop, room_id, user_id."""
        return self.request(
            "POST", "/_emulator/streams", {"stream_id": stream_id, "source": source, **options}
        )["stream"]

    @route("DELETE", "/_emulator/streams/{stream_id}")
    def unpublish(self, stream_id: str) -> dict[str, Any]:
        return self.request("DELETE", f"/_emulator/streams/{_quote(stream_id)}")

    @route("GET", "/_emulator/streams")
    def streams(self, room_id: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", "/_emulator/streams", room_id=room_id)["streams"]

    @route("GET", "/_emulator/streams/{stream_id}")
    def stream(self, stream_id: str) -> dict[str, Any]:
        return self.request("GET", f"/_emulator/streams/{_quote(stream_id)}")["stream"]

    # ----- URL mapping, media files
    @route("POST", "/_emulator/urls")
    def map_url(self, url: str, source: str) -> dict[str, Any]:
        return self.request("POST", "/_emulator/urls", {"url": url, "source": source})

    @route("GET", "/_emulator/urls")
    def urls(self) -> list[dict[str, Any]]:
        return self.request("GET", "/_emulator/urls")["urls"]

    @route("DELETE", "/_emulator/urls")
    def unmap_url(self, url: str | None = None) -> dict[str, Any]:
        """Forget one mapping, or every one without ``url``."""
        return self.request("DELETE", "/_emulator/urls", url=url)

    @route("GET", "/_emulator/media/{path}")
    def media(self, path: str) -> bytes:
        """A file of the media roots, by its path relative to a root."""
        return self.request("GET", f"/_emulator/media/{_quote(path, safe='/')}")

    # ----- tasks
    @route("GET", "/_emulator/tasks")
    def tasks(self, provider: str | None = None, state: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", "/_emulator/tasks", provider=provider, state=state)["tasks"]

    @route("GET", "/_emulator/tasks/{task_id}")
    def task(self, task_id: str) -> dict[str, Any]:
        return self.request("GET", f"/_emulator/tasks/{_quote(task_id, safe=':')}")

    @route("DELETE", "/_emulator/tasks/{task_id}")
    def stop_task(self, task_id: str) -> dict[str, Any]:
        """Force-stop a task (as if its provider had ended it)."""
        return self.request("DELETE", f"/_emulator/tasks/{_quote(task_id, safe=':')}")

    @route("GET", "/_emulator/tasks/{task_id}/snapshot.png")
    def snapshot(self, task_id: str) -> bytes:
        return self.request("GET", f"/_emulator/tasks/{_quote(task_id, safe=':')}/snapshot.png")

    @route("GET", "/_emulator/tasks/{task_id}/layout")
    def layout(self, task_id: str) -> dict[str, Any]:
        """Canvas and layers with their requested and drawn rects (design.md, Contract additions)."""
        return self.request("GET", f"/_emulator/tasks/{_quote(task_id, safe=':')}/layout")

    @route("GET", "/_emulator/recordings/{path}")
    def recording_file(self, path: str) -> bytes:
        """A recording's bytes, by its path under recordings/ (the task view's ``recording_url``)."""
        return self.request("GET", f"/_emulator/recordings/{_quote(path, safe='/')}")

    @route("GET", "/_emulator/hls/{path}")
    def hls_file(self, path: str) -> bytes:
        """A live output's playlist or segment, by its path under hls/ (``<stream>/index.m3u8``)."""
        return self.request("GET", f"/_emulator/hls/{_quote(path, safe='/')}")

    # ----- journal, callbacks
    @route("GET", "/_emulator/requests")
    def requests(
        self, provider: str | None = None, action: str | None = None, limit: int | None = None
    ) -> list[dict[str, Any]]:
        return self.request("GET", "/_emulator/requests", provider=provider, action=action, limit=limit)[
            "requests"
        ]

    @route("GET", "/_emulator/callbacks")
    def callbacks(self, provider: str | None = None) -> list[dict[str, Any]]:
        return self.request("GET", "/_emulator/callbacks", provider=provider)["callbacks"]

    # ----- faults
    @route("POST", "/_emulator/faults")
    def add_fault(self, provider: str, action: str, **options: Any) -> dict[str, Any]:
        """Options: code, http_status, message, times, probability, delay_ms, seed."""
        return self.request("POST", "/_emulator/faults", {"provider": provider, "action": action, **options})[
            "fault"
        ]

    @route("GET", "/_emulator/faults")
    def faults(self) -> list[dict[str, Any]]:
        return self.request("GET", "/_emulator/faults")["faults"]

    @route("DELETE", "/_emulator/faults")
    def clear_faults(self) -> None:
        self.request("DELETE", "/_emulator/faults")

    @route("DELETE", "/_emulator/faults/{fault_id}")
    def delete_fault(self, fault_id: int) -> dict[str, Any]:
        return self.request("DELETE", f"/_emulator/faults/{_quote(fault_id)}")

    # ----- Tencent: watermark pictures, sessions
    @route("POST", "/_emulator/tencent/pictures")
    def add_tencent_picture(
        self, picture_id: int, source: str, width: int | None = None, height: int | None = None
    ) -> dict[str, Any]:
        body = {"picture_id": picture_id, "source": source, "width": width, "height": height}
        return self.request("POST", "/_emulator/tencent/pictures", _present(body))["picture"]

    @route("GET", "/_emulator/tencent/pictures")
    def tencent_pictures(self) -> list[dict[str, Any]]:
        return self.request("GET", "/_emulator/tencent/pictures")["pictures"]

    @route("DELETE", "/_emulator/tencent/pictures/{picture_id}")
    def delete_tencent_picture(self, picture_id: int) -> dict[str, Any]:
        return self.request("DELETE", f"/_emulator/tencent/pictures/{_quote(picture_id)}")

    @route("GET", "/_emulator/tencent/sessions")
    def tencent_sessions(self) -> list[dict[str, Any]]:
        return self.request("GET", "/_emulator/tencent/sessions")["sessions"]

    # ----- ZEGO: callback URL, limits, sound levels
    @route("POST", "/_emulator/zego/callback")
    def set_zego_callback(
        self, url: str, secret: str | None = None, app_id: str | None = None
    ) -> dict[str, Any]:
        body = {"url": url, "secret": secret, "app_id": app_id}
        return self.request("POST", "/_emulator/zego/callback", _present(body))["callbacks"]

    @route("GET", "/_emulator/zego/callback")
    def zego_callbacks(self) -> dict[str, Any]:
        return self.request("GET", "/_emulator/zego/callback")["callbacks"]

    @route("DELETE", "/_emulator/zego/callback")
    def clear_zego_callback(self) -> dict[str, Any]:
        return self.request("DELETE", "/_emulator/zego/callback")["callbacks"]

    @route("POST", "/_emulator/zego/limits")
    def set_zego_limits(self, **limits: int) -> dict[str, Any]:
        """Limits: max_fps, max_tasks, rate_limit."""
        return self.request("POST", "/_emulator/zego/limits", limits)["limits"]

    @route("GET", "/_emulator/zego/limits")
    def zego_limits(self) -> dict[str, Any]:
        return self.request("GET", "/_emulator/zego/limits")["limits"]

    @route("GET", "/_emulator/zego/sound-levels")
    def zego_sound_levels(self, app_id: int | str, task_id: str) -> dict[str, Any]:
        return self.request("GET", "/_emulator/zego/sound-levels", app_id=app_id, task_id=task_id)

    # ----- Volcengine: rate limit
    @route("POST", "/_emulator/volcengine/rate-limit")
    def set_volcengine_rate_limit(self, enabled: bool, limit: int | None = None) -> dict[str, Any]:
        return self.request(
            "POST", "/_emulator/volcengine/rate-limit", _present({"enabled": enabled, "limit": limit})
        )

    @route("GET", "/_emulator/volcengine/rate-limit")
    def volcengine_rate_limit(self) -> dict[str, Any]:
        return self.request("GET", "/_emulator/volcengine/rate-limit")


def _present(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def client_routes(client_class: type[ControlClient] = ControlClient) -> set[tuple[str, str]]:
    """Every ``(METHOD, PATH)`` a client class has a method for."""
    return {
        mark for name in dir(client_class) for mark in getattr(getattr(client_class, name), "__routes__", ())
    }
