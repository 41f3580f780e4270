"""Starting, updating and cancelling mixes against the emulator's state: the part of a request that needs
streams, pictures, sessions and tasks. Both the legacy CGI and Cloud API 3.0 go through here.

State checks, in order: the session (-508, -10031), the output id (-300), the input streams (-28 for the
background, -505 for the others: not pushed, or pushed less than 5 s ago on the emulator clock), then the
layout (-34, -28, -507, -29). A stream looked up under another ``app_id`` than the URL's is not found
(the seed's FAQ 2: a wrong appid in the body gives -505).
"""

from __future__ import annotations

from typing import Any

from emulator.context import EmulatorContext
from emulator.core.tasks import Task, TaskLimitReached
from emulator.providers.tencent.errors import OVERLOAD_API3, TencentError
from emulator.providers.tencent.layout import SourceFacts, build_job
from emulator.providers.tencent.params import CancelRequest, InputSpec, InputType, StartRequest
from emulator.providers.tencent.pictures import PictureRegistry
from emulator.providers.tencent.sessions import SessionStore

PROVIDER = "tencent"
PUSH_SETTLE_S = 5.0  # a pushed stream can be mixed this long after its push


class MixService:
    def __init__(self, ctx: EmulatorContext, sessions: SessionStore, pictures: PictureRegistry) -> None:
        self.ctx = ctx
        self.sessions = sessions
        self.pictures = pictures

    def start(self, req: StartRequest, app_id: str, meta: dict[str, Any] | None = None) -> Task:
        """Start a mix, or update the running one of the session; raises TencentError."""
        session = self.sessions.for_start(req.session_id, req.output_id)
        own_task = session.task_id if session is not None else None
        if session is None:
            self._check_output_free(req)
        self._check_streams(req, same_app=str(req.app_id) == app_id, own_task=own_task)
        job = build_job(req, self._facts)
        info = {
            "app_id": str(req.app_id),
            "session_id": req.session_id,
            "output_stream_id": req.output_id,
            "output_stream_type": req.output_type,
            "template_id": req.template_id,
            **(meta or {}),
        }
        if session is not None:
            task = self.ctx.tasks.update(session.task_id, job)
            task.meta.update(info)
            return task
        try:
            task = self.ctx.tasks.start(PROVIDER, req.session_id, job, meta=info)
        except TaskLimitReached as exc:  # the emulator's capacity: API 3.0 answers ResourceInsufficient
            message = f"Trigger mix stream failed, {exc}!"
            raise TencentError(-10031, message, api3_code=OVERLOAD_API3) from None
        except ValueError as exc:  # a task of that id still runs outside any session (after a reset)
            raise TencentError(-10031, f"Trigger mix stream failed, {exc}!") from None
        if not task.state.active:  # the pipeline could not start
            raise TencentError(-10031, f"Trigger mix stream failed, {task.error}!")
        self.sessions.add(req.session_id, req.output_id, app_id, task)
        return task

    def cancel(self, req: CancelRequest) -> Task:
        session = self.sessions.for_cancel(req.session_id, req.output_id)
        task = session.task
        assert task is not None  # for_cancel gives a running session, which holds its task
        self.ctx.tasks.stop(task.id)
        self.sessions.cancelled(session)
        return task

    # ----- checks against the emulator's state
    def _check_output_free(self, req: StartRequest) -> None:
        owner = self.ctx.tasks.output_owner(req.output_id)
        if owner is not None:
            raise TencentError(
                -300, f"Output stream id [{req.output_id}] already in use, it is the output of another mix!"
            )
        if req.output_type == 1 and self.ctx.registry.get(req.output_id) is not None:
            raise TencentError(-300, f"Output stream id [{req.output_id}] already in use, the stream exists!")

    def _check_streams(self, req: StartRequest, *, same_app: bool, own_task: str | None) -> None:
        now = self.ctx.clock.now()
        for spec in req.inputs:
            if not spec.is_stream or (same_app and self._ready(spec.stream_id, now, own_task)):
                continue
            if spec.layer == 1:
                raise TencentError(-28, "Get background height and width failed, background stream no exist!")
            raise TencentError(-505, f"streamid: [{spec.stream_id}], no exist")

    def _ready(self, stream_id: str, now: float, own_task: str | None) -> bool:
        """Pushed at least 5 s ago, or the output of another running mix."""
        stream = self.ctx.registry.get(stream_id)
        if stream is not None:
            return now - stream.published_at >= PUSH_SETTLE_S
        owner = self.ctx.registry.output_owner(stream_id)
        return owner is not None and owner != own_task

    def _facts(self, spec: InputSpec) -> SourceFacts:
        if spec.input_type == InputType.PICTURE:
            assert spec.picture_id is not None
            picture = self.pictures.get(spec.picture_id)
            if picture is None:
                raise TencentError(-34, f"Get picture url failed, picture id [{spec.picture_id}] no exist!")
            return SourceFacts(picture.source, picture.width, picture.height)
        source = f"stream:{spec.stream_id}"
        stream = self.ctx.registry.get(spec.stream_id)
        if stream is not None:
            return SourceFacts(source, stream.info.width, stream.info.height, stream.info.fps)
        owner = self.ctx.tasks.output_owner(spec.stream_id)
        if owner is not None:  # another mix's output: its canvas
            return SourceFacts(source, owner.job.canvas.width, owner.job.canvas.height)
        return SourceFacts(source)
