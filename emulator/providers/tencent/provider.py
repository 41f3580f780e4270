"""The Tencent adapter: the legacy CGI ``POST /common_access`` (Mix_StreamV2), Cloud API 3.0 on ``/``
(api3.py), auto-mix by push URL (automix.py) and the control routes.

A legacy request goes: body and envelope read (every answer echoes its eventId) -> journal mark -> auth
(query sign) -> injected fault -> envelope errors -> the action's validation (params.py) -> state checks
and the task (mixing.py). Every failure is a TencentError
rendered in the CGI's own shape (wire.py); nothing a client sends reaches the generic error handler.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from emulator.context import EmulatorContext
from emulator.core.faults import FaultRule
from emulator.providers.base import BodyTooLarge, Provider
from emulator.providers.tencent import api3, params
from emulator.providers.tencent.auth import authenticate
from emulator.providers.tencent.automix import AutoMixer
from emulator.providers.tencent.control import add_control_routes
from emulator.providers.tencent.errors import API3_CODES, API3_GENERIC_CODE, TencentError, default_message
from emulator.providers.tencent.mixing import MixService
from emulator.providers.tencent.params import INTERFACE_NAME
from emulator.providers.tencent.pictures import PictureRegistry
from emulator.providers.tencent.sessions import SessionStore
from emulator.providers.tencent.wire import legacy_response, new_event_id

LEGACY_PATH = "/common_access"
EVENT_ID_KEY = web.RequestKey("tencent.event_id", str)  # the eventId the answer echoes


class TencentProvider(Provider):
    name = "tencent"

    def __init__(self, ctx: EmulatorContext) -> None:
        super().__init__(ctx)
        self.sessions = SessionStore(ctx.clock)
        self.pictures = PictureRegistry(ctx.settings.provider_option("tencent", "pictures", {}))
        self.service = MixService(ctx, self.sessions, self.pictures)
        self.api3 = api3.Api3Handler(self, self.service)
        self.automix = AutoMixer(ctx, self.service)

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", LEGACY_PATH, self.common_access)
        add_control_routes(app, self.ctx, self.pictures, self.sessions)

    def reset(self) -> None:
        self.sessions.clear()
        self.pictures.reset()
        self.automix.reset()

    # ----- the legacy CGI
    async def common_access(self, request: web.Request) -> web.Response:
        self.mark(request, INTERFACE_NAME)
        try:
            return await self._common_access(request)
        except TencentError as exc:
            return self._legacy(request, exc.code, exc.message)

    async def _common_access(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            raise TencentError(-1, f"Parse input params failed, use POST, not {request.method}!")
        # The body is read first: every answer, an auth failure's too, echoes its eventId.
        action, para, envelope_error = INTERFACE_NAME, {}, None
        try:
            body = params.decode_body(await self.read_body(request))
            event_id = params.event_id_of(body)
            if event_id is not None:
                request[EVENT_ID_KEY] = event_id
            action, para = params.parse_envelope(body)
            params.check_event_id(body)
            params.check_timestamp(body)
        except BodyTooLarge:
            envelope_error = TencentError(-1, "Parse input params failed, the body is too large!")
        except TencentError as exc:
            envelope_error = exc
        self.mark(request, action)
        app_id = authenticate(request.query, self.ctx, now=self.signature_time(action))
        fault = await self.injected_fault(request, action)
        if fault is not None:
            return fault
        if envelope_error is not None:
            raise envelope_error
        if action == params.ACTIONS[params.START]:
            self.service.start(params.parse_start(para), app_id, {"api": "legacy"})
        else:
            self.service.cancel(params.parse_cancel(para))
        return self._legacy(request, 0)

    def _legacy(
        self, request: web.Request, code: int, message: str | None = None, status: int = 200
    ) -> web.Response:
        event_id = request.get(EVENT_ID_KEY) or new_event_id()
        return legacy_response(  # the server's time as clients read it: the wall clock
            code, event_id=event_id, timestamp=self.ctx.clock.wall(), message=message, status=status
        )

    # ----- Cloud API 3.0 (``/`` with an X-TC-Action header)
    async def handle_root(self, request: web.Request) -> web.StreamResponse:
        return await self.api3.handle(request)

    # ----- the Provider hooks: answers in the shape of the API the request used
    def error_response(self, request: web.Request, *, status: int, message: str) -> web.Response:
        # Both APIs answer failures with HTTP 200 and an error code; an emulator failure is "other error".
        if request.path != LEGACY_PATH:
            return api3.response(request, ("InternalError", f"Internal error: {message}."))
        return self._legacy(request, -1, f"Internal error: {message}!")

    def answer_code(self, response: Any) -> tuple[int | str | None, bool]:
        """API 3.0 names an error in ``Response.Error.Code``; the legacy API answers ``code`` (0 = ok)."""
        if not isinstance(response, dict):
            return None, False
        inner = response.get("Response")
        if isinstance(inner, dict):
            error = inner.get("Error")
            return (error.get("Code"), True) if isinstance(error, dict) else (None, False)
        code = response.get("code")
        return code, code not in (0, None)

    def fault_response(self, request: web.Request, rule: FaultRule, action: str) -> web.Response:
        status = rule.http_status or 200
        legacy = _legacy_code(rule.code)
        if request.path != LEGACY_PATH:
            code = str(rule.code) if legacy is None else API3_CODES.get(legacy, API3_GENERIC_CODE)
            message = rule.message or (
                f"{code} (injected fault)." if legacy is None else default_message(legacy)
            )
            return api3.response(request, (code, message), status)
        return self._legacy(request, -1 if legacy is None else legacy, rule.message, status=status)


def _legacy_code(code: Any) -> int | None:
    """A fault rule's code as a legacy numeric code; None for an API 3.0 code such as "InternalError"."""
    try:
        return int(code)
    except (TypeError, ValueError):
        return None
