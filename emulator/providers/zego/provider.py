"""The ZEGO adapter: rtc-api requests on ``/`` (routed here by ``Action``/``AppId``), the legacy ``/cgi/...``
routes, the ``/_emulator/zego/...`` control routes, native error and fault answers, and reset."""

from __future__ import annotations

from functools import partial
from typing import Any

from aiohttp import web

from emulator.config import Credential
from emulator.context import EmulatorContext
from emulator.core.faults import FaultRule
from emulator.providers.base import BodyTooLarge, Provider
from emulator.providers.zego import control, legacy, rtc
from emulator.providers.zego.auth import TokenStore, check_gateway
from emulator.providers.zego.callbacks import CallbackNotifier
from emulator.providers.zego.errors import (
    FAILED,
    MIX_DISABLED,
    PARSE_FAILED,
    GatewayError,
    ZegoError,
    legacy_response,
    message_for,
    rtc_error,
    rtc_response,
)
from emulator.providers.zego.fields import decimal
from emulator.providers.zego.limits import RateLimiter, UserLocks
from emulator.providers.zego.options import ZegoOptions
from emulator.providers.zego.service import MixService

LEGACY_ACTIONS = frozenset({"token", "start-mix", "stop-mix"})


class ZegoProvider(Provider):
    name = "zego"

    def __init__(self, ctx: EmulatorContext) -> None:
        super().__init__(ctx)
        self.options = ZegoOptions(ctx.settings)
        self.service = MixService(ctx, self.options)
        self.notifier = CallbackNotifier(ctx, self.options)
        self.tokens = TokenStore()
        self.locks = UserLocks()
        self.rate = RateLimiter()

    def add_routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/cgi/token", partial(legacy.token, self))
        app.router.add_route("*", "/cgi/start-mix", partial(legacy.start_mix, self))
        app.router.add_route("*", "/cgi/stop-mix", partial(legacy.stop_mix, self))
        control.add_routes(self, app)

    async def handle_root(self, request: web.Request) -> web.StreamResponse:
        action = request.query.get("Action", "")
        self.mark(request, action or None)
        try:
            caller = check_gateway(
                request.query,
                request.headers.get("Host"),
                lookup=lambda app_id: self.ctx.credential(self.name, app_id),
                now=self.signature_time(action),
                strict=self.ctx.auth_strict,
                supported=frozenset(rtc.ACTIONS),
            )
            try:
                raw = await self.read_body(request)
            except BodyTooLarge:
                raise GatewayError(100000012, "the body is over the size limit") from None
            self.check_app(caller.app_id, caller.credential)
            return await rtc.ACTIONS[action](self, request, caller, raw)
        except (GatewayError, ZegoError) as error:
            return rtc_error(error)

    # ----- shared by both APIs
    def check_app(self, app_id: int, credential: Credential | None = None) -> None:
        """The per-app rules before any mixing: the request rate, and mixing enabled for the app."""
        self.rate.check(app_id, self.options.limit("rate_limit"), self.ctx.clock.now())
        credential = credential or self.ctx.credential(self.name, str(app_id))
        if credential is not None and credential.extra.get("mix_enabled", True) is False:
            raise ZegoError(MIX_DISABLED, f"AppId {app_id}")

    async def body(self, request: web.Request) -> bytes:
        try:
            return await self.read_body(request)
        except BodyTooLarge:
            raise ZegoError(PARSE_FAILED, "the body is over the size limit") from None

    # ----- native answers for the shared machinery
    def error_response(self, request: web.Request, *, status: int, message: str) -> web.Response:
        if request.path.startswith("/cgi/"):
            return legacy_response(PARSE_FAILED if status == 413 else FAILED, message)
        if status == 413:
            return rtc_error(GatewayError(100000012, message))
        return rtc_error(ZegoError(FAILED, message))

    def answer_code(self, response: Any) -> tuple[int | str | None, bool]:
        """``Code`` (RTC API) or ``code`` (legacy API); 0 = ok."""
        if not isinstance(response, dict):
            return None, False
        code = response.get("Code", response.get("code"))
        return code, code not in (0, None)

    def fault_response(self, request: web.Request, rule: FaultRule, action: str) -> web.Response:
        number = decimal(str(rule.code))
        code: int | str = str(rule.code) if number is None else number
        message = rule.message or (message_for(code) if isinstance(code, int) else "failed")
        status = rule.http_status or 200
        if action in LEGACY_ACTIONS:
            return legacy_response(code, message, status=status)
        return rtc_response(code, message, status=status)

    def reset(self) -> None:
        self.options.reset()
        self.service.reset()
        self.tokens.clear()
        self.rate.clear()
