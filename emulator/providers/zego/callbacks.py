"""ZEGO's mix_start and mix_stop callbacks, one per output stream, sent through the shared dispatcher
(retried at 2, 4, 8, 16 and 32 s on the emulator clock until a 2xx).

mix_start goes out when the TaskManager starts the task ("started": the request was accepted and the media
pipeline launched), mix_stop when it has finished (stopped by a request, ended by itself, or failed). Every
field is a string except the ``*_urls`` arrays, as in ZEGO's examples; signature = sha1 of the sorted
[callback secret, timestamp, nonce].
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from emulator.context import EmulatorContext
from emulator.core.job import Output
from emulator.core.tasks import Task
from emulator.providers.zego.auth import callback_signature
from emulator.providers.zego.options import ZegoOptions

PROVIDER = "zego"
RETRY_DELAYS = (2, 4, 8, 16, 32)
_FINAL_EVENTS = frozenset({"stopped", "ended", "failed"})
_SENT_START = "callback_mix_start_sent"


class CallbackNotifier:
    def __init__(self, ctx: EmulatorContext, options: ZegoOptions) -> None:
        self.ctx = ctx
        self.options = options
        ctx.tasks.subscribe(self._on_task_event)

    def _on_task_event(self, task: Task, event: str, data: dict[str, Any]) -> None:
        if task.provider != PROVIDER:
            return
        if event == "started":
            task.meta[_SENT_START] = self._send(task, "mix_start")
        elif event in _FINAL_EVENTS and task.meta.get(_SENT_START):
            self._send(task, "mix_stop")

    def _send(self, task: Task, event: str) -> bool:
        app_id = str(task.meta.get("app_id", ""))
        credential = self.ctx.credential(PROVIDER, app_id)
        target = None if credential is None else self.options.callback_target(credential)
        if target is None:
            return False
        for output in task.job.outputs:
            payload = self.payload(task, output, event, target.secret)
            if target.body_format == "form":  # a form has no arrays: they travel as JSON text
                payload = {k: json.dumps(v) if isinstance(v, list) else v for k, v in payload.items()}
            self.ctx.callbacks.send(
                PROVIDER,
                event,
                target.url,
                payload,
                body_format=target.body_format,
                retry_delays=RETRY_DELAYS,
                task_id=task.id,
            )
        return True

    def payload(self, task: Task, output: Output, event: str, secret: str) -> dict[str, Any]:
        meta = task.meta
        play = self.ctx.play_urls(output.stream_id)
        rtmp = output.push_urls[0] if output.push_urls else play.get("rtmp", "")
        timestamp = str(int(self.ctx.clock.wall()))  # receivers check it against their own clock
        nonce = str(secrets.randbelow(10**19))
        body: dict[str, Any] = {
            "appid": str(meta.get("app_id", "")),
            "event": event,
            "seq": str(meta.get("sequence") or 0),
            "task_id": f"{meta.get('app_id')}:{meta.get('task_id')}",
            "channel_id": str(meta.get("room_id") or ""),
            "publish_id": str(meta.get("user_id") or ""),
            "mix_url": rtmp,
            "mix_stream_alias": output.stream_id,
        }
        if event == "mix_start":
            body.update(
                {
                    "stream_alias": output.stream_id,
                    "rtmp_url": rtmp,
                    "hls_url": play["hls"],
                    "hdl_url": play["flv"],
                    "rtmp_urls": [rtmp] if rtmp else [],
                    "hls_urls": [play["hls"]],
                    "hdl_urls": [play["flv"]],
                }
            )
        body.update(timestamp=timestamp, nonce=nonce, signature=callback_signature(secret, timestamp, nonce))
        return body
