"""Who may use the control API (``/_emulator``): anyone on loopback, only token holders beyond it.

Bound to a loopback address the control API is open, unless a token is configured. Bound to anything else
(a container's 0.0.0.0, a shared CI host) it always needs a token: the configured ``control_token``
(``MIXEMU_CONTROL_TOKEN``), else one made at start and printed. Without it the API could publish any file of
the media roots and make the emulator fetch any URL. The token goes as ``Authorization: Bearer <token>``;
the dashboard page also takes ``?token=<token>`` and then keeps it in a same-site cookie for its own calls.
Provider endpoints keep their own signatures and ``/live/`` playback stays open, as a CDN's is.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets

from aiohttp import web

from emulator.config import Settings
from emulator.control.context_key import context_of
from emulator.control.validation import json_error

CONTROL_PREFIX = "/_emulator"
COOKIE = "mixemu_control_token"
DASHBOARD_PATHS = ("/_emulator", "/_emulator/")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def ensure_control_token(settings: Settings) -> bool:
    """Make a token when the emulator is bound beyond loopback without one; True if one was made."""
    if settings.control_token is None and not is_loopback(settings.host):
        settings.control_token = secrets.token_urlsafe(24)
        return True
    return False


def _same(given: str, token: str) -> bool:
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), token.encode())


@web.middleware
async def control_access(request: web.Request, handler):  # type: ignore[no-untyped-def]
    """Lets only holders of the configured ``control_token`` reach ``/_emulator`` (all, if none is set)."""
    return await _guard(request, handler)


async def _guard(request: web.Request, handler):  # type: ignore[no-untyped-def]
    # The middleware's body, undecorated: mutation testing (make mutation) skips decorated functions.
    token, path = context_of(request).settings.control_token, request.path
    if token is None or (path != CONTROL_PREFIX and not path.startswith(CONTROL_PREFIX + "/")):
        return await handler(request)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and _same(given.strip(), token):
        return await handler(request)
    if request.cookies.get(COOKIE) and _same(request.cookies[COOKIE], token):
        return await handler(request)
    if path in DASHBOARD_PATHS and _same(request.query.get("token", ""), token):
        response = await handler(request)
        response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path=CONTROL_PREFIX)
        return response
    answer = json_error(
        401,
        "Unauthorized",
        "the control API needs its token: send 'Authorization: Bearer <token>' (control_token, "
        "MIXEMU_CONTROL_TOKEN; the dashboard page takes ?token=<token>)",
    )
    answer.headers["WWW-Authenticate"] = 'Bearer realm="mix-emulator control API"'
    return answer
