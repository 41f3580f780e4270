"""Authentication of the legacy CGI: ``?appid=&interface=Mix_StreamV2&t=&sign=`` with
``sign = md5(key + t)`` (hex, lowercase) and ``t`` the request's expiry, compared with the *wall* clock
(clients compute it from theirs; a fault's ``clock_skew_s`` moves it), never the emulator clock.

The seed gives the formula but no codes for failed checks; the emulator's choice (docs/tencent.md): query
parameters missing or malformed, or the wrong interface: -1 (parameters could not be parsed); an appid the
emulator does not know: -2 (the seed's "check the appid"); an expired ``t`` or a wrong sign: -1 with a message
saying which.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping

from emulator.context import EmulatorContext
from emulator.providers.tencent.errors import TencentError
from emulator.providers.tencent.params import INTERFACE_NAME


def legacy_sign(key: str, t: str | int) -> str:
    return hashlib.md5(f"{key}{t}".encode()).hexdigest()


def authenticate(query: Mapping[str, str], ctx: EmulatorContext, *, now: float) -> str:
    """Check the query of a ``/common_access`` request at the time ``now``; returns the appid or raises
    TencentError."""
    missing = [name for name in ("appid", "interface", "t", "sign") if not query.get(name)]
    if missing:
        raise TencentError(-1, f"Parse query params failed, {', '.join(missing)} required!")
    interface = query["interface"]
    if interface != INTERFACE_NAME:
        raise TencentError(-1, f"Interface [{interface[:80]}] not supported, use {INTERFACE_NAME}!")
    appid = query["appid"]
    if not _digits(appid) or int(appid) == 0:
        raise TencentError(-2, f"Input params error, appid [{appid[:80]}] invalid!")
    credential = ctx.credential("tencent", appid)
    if credential is None:
        raise TencentError(-2, f"Input params error, appid [{appid}] no exist!")
    t = query["t"]
    if not _digits(t):
        raise TencentError(-1, f"Parse query params failed, t [{t[:80]}] is not a unix time!")
    if not ctx.auth_strict:
        return appid
    if int(t) < now:
        raise TencentError(-1, f"Sign check failed, t [{t}] expired!")
    if not hmac.compare_digest(query["sign"].lower().encode(), legacy_sign(credential.secret, t).encode()):
        raise TencentError(-1, "Sign check failed, sign error!")
    return appid


def _digits(text: str) -> bool:
    return text.isascii() and text.isdigit() and len(text) <= 20
