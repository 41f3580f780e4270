"""``EmulatorHandle``: a running in-process emulator as a test sees it. The control client, its addresses,
signed callers of every provider API, the official SDKs configured for it, and waits and assertions."""

from __future__ import annotations

import io
import time
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from emulator.client import ControlClient, ControlError
from emulator.kit import layout_check, sdks
from emulator.kit.signed_tencent import TencentApi3, TencentLegacy
from emulator.kit.signed_volcengine import Volcengine
from emulator.kit.signed_zego import ZegoLegacy, ZegoRtc

if TYPE_CHECKING:
    from PIL import Image

    from emulator.context import EmulatorContext
    from emulator.server import EmulatorThread

WAIT_TIMEOUT_S = 10.0
POLL_S = 0.02
ENDED = ("stopped", "ended", "failed")
SOURCE_FRAME_WAIT_S = 2.0


class EmulatorHandle(ControlClient):
    """The control client of an emulator running in this process (``thread``)."""

    def __init__(self, thread: EmulatorThread, timeout: float = 30.0) -> None:
        super().__init__(thread.url, timeout, token=thread.settings.control_token)
        self.thread = thread

    # ----- addresses and internals
    @property
    def ctx(self) -> EmulatorContext:
        return self.thread.ctx

    @property
    def host(self) -> str:
        return self.ctx.settings.host

    @property
    def port(self) -> int:
        assert self.ctx.http_port is not None
        return self.ctx.http_port

    @property
    def host_port(self) -> str:
        """``127.0.0.1:PORT``, what SDK endpoint settings want."""
        return f"{self.host}:{self.port}"

    @property
    def url(self) -> str:
        return self.base_url

    @property
    def data_dir(self) -> Path:
        return self.ctx.settings.data_dir

    def rtmp_url(self, stream_id: str, **query: str) -> str:
        """Where an RTMP client publishes ``stream_id`` (query: room_id, user_id)."""
        assert self.ctx.rtmp_port, "the RTMP server is off"
        suffix = "?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else ""
        return f"rtmp://{self.host}:{self.ctx.rtmp_port}/live/{stream_id}{suffix}"

    # ----- signed callers (default credentials; build your own for other apps)
    @cached_property
    def tencent(self) -> TencentLegacy:
        """Tencent's legacy ``Mix_StreamV2``: ``start(session, output, inputs)``, ``cancel``, ``call``."""
        return TencentLegacy(self.url)

    @cached_property
    def tencent_api3(self) -> TencentApi3:
        """Tencent Cloud API 3.0: ``call("CreateCommonMixStream", body)``."""
        return TencentApi3(self.url, self.host_port)

    @cached_property
    def zego(self) -> ZegoRtc:
        """ZEGO's server API: ``call("StartMix", body)``."""
        return ZegoRtc(self.url)

    @cached_property
    def zego_legacy(self) -> ZegoLegacy:
        """ZEGO's legacy web API: ``start_mix(body)``, ``stop_mix(body)`` (the token is fetched for you)."""
        return ZegoLegacy(self.url)

    @cached_property
    def volcengine(self) -> Volcengine:
        """Volcengine cloud mix: ``create(body)``, ``update``, ``delete(task_id)``, ``detail``, ``list``."""
        return Volcengine(self.url, self.host_port)

    # ----- the official SDKs
    def tencent_sdk(self) -> Any:
        """tencentcloud-sdk-python-live's ``LiveClient``, pointed here."""
        return sdks.tencent_live_client(self.host_port)

    def volcengine_sdk(self) -> Any:
        """volcengine-python-sdk's ``LiveService`` (2023-01-01), pointed here."""
        return sdks.volcengine_live_service(self.host_port)

    # ----- waiting
    def wait_for(
        self,
        task: str | Mapping[str, Any],
        state: str | Iterable[str] | None = None,
        frames: int | None = None,
        timeout: float = WAIT_TIMEOUT_S,
    ) -> dict[str, Any]:
        """Poll a task until it is in ``state`` (one or any of several) and has composed ``frames``;
        returns its view. AssertionError on timeout, or when it ends in another state."""
        task_id = _task_id(task)
        states = {state} if isinstance(state, str) else None if state is None else set(state)
        deadline = time.monotonic() + timeout
        view: dict[str, Any] | None = None
        while True:
            try:
                view = self.task(task_id)
            except ControlError as exc:
                if exc.status != 404:
                    raise
                view = None
            if view is not None:
                state_ok = states is None or view["state"] in states
                if state_ok and (frames is None or view["frames"] >= frames):
                    return view
                if view["state"] in ENDED and not state_ok:
                    raise AssertionError(
                        f"task {task_id} {_summary(view)}, waiting for {_wanted(states, frames)}"
                    )
            if time.monotonic() >= deadline:
                found = "does not exist" if view is None else _summary(view)
                raise AssertionError(
                    f"task {task_id} {found} after {timeout:g} s, waiting for {_wanted(states, frames)}"
                )
            time.sleep(POLL_S)

    # ----- pictures and recordings
    def snapshot_image(self, task: str | Mapping[str, Any]) -> Image.Image:
        """The latest composed frame, decoded (RGB)."""
        from PIL import Image

        return Image.open(io.BytesIO(self.snapshot(_task_id(task)))).convert("RGB")

    def recording_path(self, task: str | Mapping[str, Any], stream_id: str | None = None) -> Path:
        """Where a task's output (the first, or ``stream_id``) is recorded."""
        view = self.task(_task_id(task))
        outputs = [o for o in view["outputs"] if stream_id in (None, o["stream_id"])]
        if not outputs or not outputs[0].get("recording"):
            raise AssertionError(f"task {view['id']} has no recording for output {stream_id or '(first)'}")
        return Path(outputs[0]["recording"])

    def recording_info(self, task: str | Mapping[str, Any], stream_id: str | None = None) -> dict[str, Any]:
        """The recording read back: codecs, size, fps, duration and frame counts (see kit/recording.py)."""
        from emulator.kit.recording import recording_info

        return recording_info(self.recording_path(task, stream_id))

    # ----- layout
    def assert_layout(
        self,
        task: str | Mapping[str, Any],
        expected: Mapping[str, tuple[int, int, int, int]],
        *,
        tolerance: int = 2,
        pixels: bool = True,
    ) -> None:
        """Each named input (a layer id or a stream id) is drawn at ``(x, y, w, h)`` (within ``tolerance``
        px) in the effective layout, and with ``pixels`` the composed frame there shows its picture."""
        task_id = _task_id(task)
        layout = self.layout(task_id)
        problems, found = layout_check.check_rects(layout, expected, tolerance)
        if not problems and pixels:
            image = self.snapshot_image(task_id)
            problems = layout_check.check_pixels(image, layout, found, expected, self._source_picture)
        if problems:
            raise AssertionError(f"layout of task {task_id}:\n  " + "\n  ".join(problems))

    def _source_picture(self, layer: dict[str, Any]) -> layout_check.SourcePicture | None:
        """The average colour of a layer's source picture (what the layer shows), or None if unreadable."""
        from emulator.media.sources import open_source

        resolved = self.ctx.tasks.resolver(layer["source"])
        if resolved is None or resolved.spec.startswith(("invalid:", "live:")):
            return None
        source = open_source(resolved.spec, hub=self.ctx.hub)
        try:
            frame = source.video_at(0.0, wait=SOURCE_FRAME_WAIT_S)
            if frame is None:
                return None
            rgb = frame.to_ndarray(format="rgb24")
        finally:
            source.close()
        values = rgb.reshape(-1, 3).astype(np.float32)
        mean = values.mean(axis=0)
        uniform = bool(values.std(axis=0).max() < layout_check.UNIFORM_SPREAD)
        return layout_check.SourcePicture((float(mean[0]), float(mean[1]), float(mean[2])), uniform)


def _task_id(task: str | Mapping[str, Any]) -> str:
    return task if isinstance(task, str) else str(task["id"])


def _summary(view: dict[str, Any]) -> str:
    error = f", last error: {view['last_error']}" if view.get("last_error") else ""
    return f"is {view['state']} with {view['frames']} frames{error}"


def _wanted(states: set[str] | None, frames: int | None) -> str:
    parts = [] if states is None else ["state " + " or ".join(sorted(states))]
    parts += [] if frames is None else [f"{frames} frames"]
    return " and ".join(parts) or "the task"
