"""The mixing service behind both ZEGO APIs: tasks by AppId and TaskId, the Sequence and owner rules, updates,
stops, durations; auto-mix tasks that follow their room as streams join and leave.

Task ids in the TaskManager read ``zego:{AppId}:{TaskId}`` (ZEGO's own ``appid:taskid`` of its callbacks) and
``zego:{AppId}:auto:{TaskId}`` for auto-mixes (TaskIds cannot hold ':', so the two never collide).
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Any

from emulator.context import EmulatorContext
from emulator.core.job import MixJob
from emulator.core.streams import MediaInfo, PublishedStream
from emulator.core.tasks import Task, TaskLimitReached
from emulator.providers.zego import checks, translate
from emulator.providers.zego.errors import (
    BAD_PARAM,
    INPUT_NOT_FOUND,
    MIX_OVERLOAD,
    NOT_OWNER,
    SERVICE_OVERLOAD,
    TASK_FAILED,
    TASK_NOT_FOUND,
    TOO_MANY_INPUTS,
    UPDATE_FAILED,
    ZegoError,
)
from emulator.providers.zego.options import ZegoOptions
from emulator.providers.zego.spec import AutoMixSpec, MixSpec, StopSpec
from emulator.providers.zego.validate import MAX_INPUTS

PROVIDER = "zego"
KIND_MIX, KIND_AUTO = "mix", "auto"


def native_id(app_id: int, task_id: str, *, auto: bool = False) -> str:
    return f"{app_id}:auto:{task_id}" if auto else f"{app_id}:{task_id}"


@dataclass
class Started:
    task: Task
    updated: bool


class MixService:
    def __init__(self, ctx: EmulatorContext, options: ZegoOptions) -> None:
        self.ctx = ctx
        self.options = options
        self._auto: dict[str, AutoMixSpec] = {}  # task id -> the request it follows
        self._loop: asyncio.AbstractEventLoop | None = None
        ctx.registry.subscribe(self._on_stream_event)
        ctx.tasks.subscribe(self._on_task_event)

    # ----- queries
    def find(self, app_id: int, task_id: str) -> Task | None:
        """A running mix or auto-mix of this app."""
        for auto in (False, True):
            task = self._active(native_id(app_id, task_id, auto=auto))
            if task is not None:
                return task
        return None

    def duration(self, task: Task) -> int:
        return max(
            0, int(self.ctx.clock.now() - task.created_at)
        )  # 0 before a start the clock went back past

    def stream_info(self, stream_id: str) -> MediaInfo | None:
        """What translate needs to know of a stream id: published (its info) or another mix's output."""
        stream = self.ctx.registry.get(stream_id)
        if stream is not None:
            return stream.info
        return MediaInfo() if self.ctx.registry.output_owner(stream_id) else None

    # ----- StartMix / legacy start-mix
    def start_mix(self, app_id: int, spec: MixSpec, *, is_test: bool, api: str) -> Started:
        nid = native_id(app_id, spec.task_id)
        task = self._active(nid)
        stream_ids = [i.stream_id for i in spec.inputs if i.stream_id is not None and i.stream_url is None]
        checks.check_inputs(self.ctx, stream_ids, app_id=app_id, is_test=is_test)
        checks.check_outputs(self.ctx, spec.outputs, task_id=_task_id(nid), app_id=app_id, is_test=is_test)
        images = [spec.background_image, spec.watermark.image if spec.watermark else None]
        checks.check_images(self.ctx, [u for u in [*images, *(i.image_url for i in spec.inputs)] if u])
        job = translate.mix_job(spec, self.stream_info, max_fps=self.options.limit("max_fps"))
        meta = {
            **_meta(app_id, spec, KIND_MIX, api, is_test),
            "audio_only": spec.audio_only,
            "sound_level": spec.sound_level,
            "sound_level_ids": {i.key: i.sound_level_id for i in spec.inputs if i.sound_level_id is not None},
            "user_data": _b64(spec.user_data),
            "ex_para": spec.extra,
        }
        if task is None:
            return Started(self._start(nid, job, meta, app_id), updated=False)
        self._check_update(task, spec.user_id, spec.sequence)
        if task.meta.get("audio_only") and not spec.audio_only:
            raise ZegoError(UPDATE_FAILED, "the task mixes audio only: stop it before mixing video")
        if _outputs(task.job) != _outputs(job):
            raise ZegoError(UPDATE_FAILED, "MixOutput cannot change while the task runs: stop it first")
        return Started(self._update(task, job, meta), updated=True)

    # ----- StartAutoMix
    def start_auto_mix(self, app_id: int, spec: AutoMixSpec, *, is_test: bool) -> Started:
        self._loop = asyncio.get_running_loop()
        nid = native_id(app_id, spec.task_id, auto=True)
        task = self._active(nid)
        added = [e.stream_id for e in spec.extra if not e.remove and e.stream_url is None and e.stream_id]
        checks.check_inputs(self.ctx, added, app_id=app_id, is_test=is_test)
        checks.check_outputs(self.ctx, spec.outputs, task_id=_task_id(nid), app_id=app_id, is_test=is_test)
        room = self._room_streams(spec)
        inputs = translate.auto_mix_inputs(spec, room)
        if len(inputs) > MAX_INPUTS:
            raise ZegoError(
                TOO_MANY_INPUTS, f"{len(inputs)} inputs with the room's streams, at most {MAX_INPUTS}"
            )
        if not inputs and not self.options.get("auto_mix_create_room"):
            raise ZegoError(
                INPUT_NOT_FOUND, f"room {spec.room_id!r} does not exist: no stream is published in it"
            )
        job = translate.auto_mix_job(spec, room, self.stream_info)
        meta = {
            **_meta(app_id, spec, KIND_AUTO, "rtc", is_test),
            "audio_only": True,
            "sound_level": spec.sound_level,
            "sound_level_ids": {e.key: e.sound_level_id for e in spec.extra if e.sound_level_id is not None},
            "user_data": _b64(spec.user_data),
        }
        if task is None:
            task = self._start(nid, job, meta, app_id)
            self._auto[task.id] = spec
            return Started(task, updated=False)
        self._check_update(task, spec.user_id, spec.sequence)
        if task.meta.get("room_id") != spec.room_id:
            raise ZegoError(UPDATE_FAILED, f"the task mixes room {task.meta.get('room_id')!r}: stop it first")
        if _outputs(task.job) != _outputs(job):
            raise ZegoError(UPDATE_FAILED, "MixOutput cannot change while the task runs: stop it first")
        self._auto[task.id] = spec
        return Started(self._update(task, job, meta), updated=True)

    # ----- StopMix / StopAutoMix / legacy stop-mix
    def stop(self, app_id: int, stop: StopSpec, *, auto: bool) -> Task:
        task = self._active(native_id(app_id, stop.task_id, auto=auto))
        if task is None:
            raise ZegoError(TASK_NOT_FOUND, f"TaskId {stop.task_id!r}")
        if auto and stop.room_id != task.meta.get("room_id"):
            raise ZegoError(BAD_PARAM, f"RoomId {stop.room_id!r} is not the room of task {stop.task_id!r}")
        if stop.user_id is None and not auto:  # ownership cannot be skipped by leaving the UserId out
            raise ZegoError(NOT_OWNER, f"a stop must name the UserId that started task {stop.task_id!r}")
        self._check_update(task, stop.user_id, stop.sequence)
        if stop.sequence is not None:
            task.meta["sequence"] = stop.sequence
        self.ctx.tasks.stop(task.id)
        return task

    def reset(self) -> None:
        self._auto.clear()

    # ----- internals
    def _active(self, nid: str) -> Task | None:
        task = self.ctx.tasks.find(PROVIDER, nid)
        return task if task is not None and task.state.active else None

    def _start(self, nid: str, job: MixJob, meta: dict[str, Any], app_id: int) -> Task:
        running = [t for t in self.ctx.tasks.active(PROVIDER) if t.meta.get("app_id") == app_id]
        limit = self.options.limit("max_tasks")
        if len(running) >= limit:
            raise ZegoError(MIX_OVERLOAD, f"{len(running)} mixes run for AppId {app_id} (limit {limit})")
        try:
            task = self.ctx.tasks.start(PROVIDER, nid, job, meta=meta)
        except TaskLimitReached as exc:  # the emulator's own capacity, all apps together
            raise ZegoError(SERVICE_OVERLOAD, str(exc)) from None
        if not task.state.active:  # the media pipeline could not start
            raise ZegoError(TASK_FAILED, task.error or "the media pipeline did not start")
        return task

    def _update(self, task: Task, job: MixJob, meta: dict[str, Any]) -> Task:
        if meta.get("sequence") is None:
            meta["sequence"] = task.meta.get("sequence")
        task.meta.update(meta)
        return self.ctx.tasks.update(task.id, job)

    @staticmethod
    def _check_update(task: Task, user_id: str | None, sequence: int | None) -> None:
        """Only the task's UserId may change or stop it; a Sequence must grow."""
        if user_id is not None and user_id != task.meta.get("user_id"):
            raise ZegoError(NOT_OWNER, f"UserId {user_id!r} did not start task {task.meta.get('task_id')!r}")
        last = task.meta.get("sequence")
        if sequence is not None and last is not None and sequence <= last:
            raise ZegoError(
                BAD_PARAM, f"Sequence {sequence} is not greater than the task's last Sequence {last}"
            )

    def _room_streams(self, spec: AutoMixSpec) -> list[str]:
        outputs = {o.stream_id for o in spec.outputs}
        return [
            s.stream_id for s in self.ctx.registry.list(room_id=spec.room_id) if s.stream_id not in outputs
        ]

    # ----- following rooms
    def _on_stream_event(self, kind: str, stream: PublishedStream) -> None:
        loop = self._loop
        if loop is None or loop.is_closed() or not self._auto:
            return
        try:
            on_loop = asyncio.get_running_loop() is loop
        except RuntimeError:
            on_loop = False
        if on_loop:
            self._follow_rooms()
        else:
            loop.call_soon_threadsafe(self._follow_rooms)

    def _follow_rooms(self) -> None:
        """Re-derive each auto-mix's inputs from its room; a mix whose last stream left keeps that stream as a
        lost input, so its 90 s without inputs count from the leave."""
        for task_id, spec in list(self._auto.items()):
            task = self.ctx.tasks.get(task_id)
            if task is None or not task.state.active:
                continue
            job = translate.auto_mix_job(spec, self._room_streams(spec), self.stream_info)
            if job.layers and _layer_ids(job) != _layer_ids(task.job):
                self.ctx.tasks.update(task.id, job)

    def _on_task_event(self, task: Task, event: str, data: dict[str, Any]) -> None:
        if event == "stopping":
            self._auto.pop(task.id, None)


def _meta(app_id: int, spec: MixSpec | AutoMixSpec, kind: str, api: str, is_test: bool) -> dict[str, Any]:
    return {
        "app_id": app_id,
        "task_id": spec.task_id,
        "user_id": spec.user_id,
        "room_id": spec.room_id,
        "sequence": spec.sequence,
        "kind": kind,
        "api": api,
        "is_test": is_test,
    }


def _task_id(nid: str) -> str:
    return f"{PROVIDER}:{nid}"


def _layer_ids(job: MixJob) -> list[str]:
    return [layer.id for layer in job.layers]


def _outputs(job: MixJob) -> list[str]:
    return [o.stream_id for o in job.outputs]


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode()
