"""The Volcengine Live provider: ``POST /?Action=...&Version=2023-01-01`` for the five cloud-mix actions.

A request goes: journal mark -> body read -> gateway (action, signature) -> rate limit -> injected fault ->
JSON body -> the action. Every failure is a :class:`VolcError` rendered in the OpenAPI envelope.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulator.context import EmulatorContext
from emulator.core import jsonin
from emulator.core.faults import FaultRule
from emulator.core.tasks import Task
from emulator.providers.base import BodyTooLarge, Provider
from emulator.providers.volcengine import envelope
from emulator.providers.volcengine.actions import MixActions
from emulator.providers.volcengine.callbacks import notify
from emulator.providers.volcengine.control import add_control_routes
from emulator.providers.volcengine.errors import CODE_FOR_STATUS, VolcError
from emulator.providers.volcengine.gateway import PROVIDER, authenticate, check_action, region_of
from emulator.providers.volcengine.ratelimit import DEFAULT_LIMIT, RateLimiter
from emulator.providers.volcengine.sessions import SessionStore

INJECTED = "(injected fault)"


class VolcengineProvider(Provider):
    name = PROVIDER

    def __init__(self, ctx: EmulatorContext) -> None:
        super().__init__(ctx)
        self.sessions = SessionStore()
        self.limiter = RateLimiter(ctx.clock.now)
        self._configure_limiter()
        self.actions = MixActions(ctx, self.sessions)
        ctx.tasks.subscribe(self._on_task_event)

    def _configure_limiter(self) -> None:
        option = self.ctx.settings.provider_option
        self.limiter.configure(
            enabled=bool(option(self.name, "rate_limit", False)),
            limit=int(option(self.name, "rate_limit_per_s", DEFAULT_LIMIT)),
        )

    # ----- Provider
    def add_routes(self, app: web.Application) -> None:
        add_control_routes(app, self.limiter)

    def reset(self) -> None:
        self.sessions.clear()
        self._configure_limiter()

    async def handle_root(self, request: web.Request) -> web.StreamResponse:
        action = request.query.get("Action") or None
        self.mark(request, action)
        try:
            try:
                body = await self.read_body(request)
            except BodyTooLarge:
                raise VolcError(
                    "RequestEntityTooLarge", f"over {self.ctx.settings.max_body_bytes} bytes"
                ) from None
            action = check_action(request)
            caller = authenticate(self.ctx, request, body, now=self.signature_time(action))
            if not self.limiter.allow(caller.account):
                raise VolcError(
                    "FlowLimitExceeded", f"at most {self.limiter.limit} requests per second per account"
                )
            fault = await self.injected_fault(request, action)
            if fault is not None:
                return fault
            data = self.actions.run(action, caller, _json(body))
        except VolcError as exc:
            return envelope.failure(exc, action, region_of(request), self.ctx.clock.now())
        return envelope.success(action, caller.region, self.ctx.clock.now(), data)

    def error_response(self, request: web.Request, *, status: int, message: str) -> web.Response:
        code = CODE_FOR_STATUS.get(status, "InternalError" if status >= 500 else "InvalidParameter")
        error = VolcError(code, message, status=status)
        return envelope.failure(error, request.query.get("Action"), region_of(request), self.ctx.clock.now())

    def answer_code(self, response: Any) -> tuple[int | str | None, bool]:
        """Errors are ``ResponseMetadata.Error.Code``; a success has no Error."""
        metadata = response.get("ResponseMetadata") if isinstance(response, dict) else None
        error = metadata.get("Error") if isinstance(metadata, dict) else None
        return (error.get("Code"), True) if isinstance(error, dict) else (None, False)

    def fault_response(self, request: web.Request, rule: FaultRule, action: str) -> web.Response:
        code = str(rule.code)
        error = VolcError(code, INJECTED, INJECTED, message=rule.message, status=rule.http_status)
        return envelope.failure(error, action, region_of(request), self.ctx.clock.now())

    # ----- task events: stop times and status callbacks
    def _on_task_event(self, task: Task, event: str, data: dict[str, Any]) -> None:
        if task.provider != self.name:
            return
        session = self.sessions.find(task.native_id)
        if session is None:
            return
        if event == "stopping":
            session.stopped_at = task.stopped_at
        notify(self.ctx, session, task, event, data)


def _json(body: bytes) -> Any:
    """The body as JSON; an empty body is an empty object (its required fields are then missing)."""
    if not body.strip():
        return {}
    try:
        return jsonin.loads(body)
    except (ValueError, RecursionError):
        raise VolcError("InvalidParameter", "the request body is not valid JSON") from None
