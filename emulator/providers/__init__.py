"""The provider adapters, and which one a request on the shared root path ``/`` belongs to."""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from aiohttp import web

if TYPE_CHECKING:
    from emulator.context import EmulatorContext
    from emulator.providers.base import Provider

log = logging.getLogger(__name__)
FORM = "application/x-www-form-urlencoded"

# Each module exposes ``create(ctx) -> Provider``; one not written yet is reported as not implemented.
PROVIDER_MODULES: dict[str, str] = {
    "tencent": "emulator.providers.tencent",
    "zego": "emulator.providers.zego",
    "volcengine": "emulator.providers.volcengine",
}

ZEGO_ACTIONS = frozenset({"StartMix", "StopMix", "StartAutoMix", "StopAutoMix", "GetMixTaskInfo"})
VOLCENGINE_ACTIONS = frozenset(
    {
        "CreateCloudMixTask",
        "UpdateCloudMixTask",
        "DeleteCloudMixTask",
        "ListCloudMixTask",
        "GetCloudMixTaskDetail",
    }
)
# Hosts the real services answer on: a client whose DNS points them here is routed by Host alone.
_HOSTS = {
    "rtc-api.zego.im": "zego",
    "open.volcengineapi.com": "volcengine",
    "live.tencentcloudapi.com": "tencent",
}


def load_providers(ctx: EmulatorContext) -> dict[str, Provider]:
    providers: dict[str, Provider] = {}
    for name, module_name in PROVIDER_MODULES.items():
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        providers[name] = module.create(ctx)
    return providers


async def identify_provider(request: web.Request) -> str | None:
    """Which provider a request to ``/`` is for; a form POST that the query does not settle is read too
    (Tencent's v1 signature puts every parameter in the form)."""
    name = detect_provider(request)
    if name is None and request.method == "POST" and request.content_type == FORM:
        try:
            fields = parse_qs((await request.read()).decode("utf-8", "replace"), keep_blank_values=True)
        except (web.HTTPRequestEntityTooLarge, ValueError):
            return None
        if "SecretId" in fields and "Signature" in fields:
            return "tencent"
    return name


def detect_provider(request: web.Request) -> str | None:
    """Which provider a request to ``/`` is for, from its signature scheme, action and host."""
    query = request.query
    action = query.get("Action", "")
    if "X-TC-Action" in request.headers or ("SecretId" in query and "Signature" in query):
        return "tencent"
    if (
        action in VOLCENGINE_ACTIONS
        or "Version" in query
        or request.headers.get("Authorization", "").startswith("HMAC-SHA256")
    ):
        return "volcengine"
    if action in ZEGO_ACTIONS or "AppId" in query or "SignatureNonce" in query:
        return "zego"
    return _HOSTS.get(request.host.split(":", 1)[0])
