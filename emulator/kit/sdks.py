"""The providers' official Python SDKs, configured for an emulator (imported only when asked for: they are
test extras, ``pip install 'mix-emulator[test]'``)."""

from __future__ import annotations

from typing import Any

from emulator.kit.signed_tencent import APPID, KEY
from emulator.kit.signed_volcengine import ACCESS_KEY, SECRET_KEY


def tencent_live_client(host_port: str, secret_id: str = APPID, secret_key: str = KEY) -> Any:
    """``tencentcloud.live.v20180801.live_client.LiveClient`` talking to the emulator over HTTP."""
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.live.v20180801 import live_client

    profile = ClientProfile(httpProfile=HttpProfile(endpoint=host_port, protocol="http"))
    return live_client.LiveClient(credential.Credential(secret_id, secret_key), "ap-guangzhou", profile)


def volcengine_live_service(
    host_port: str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY
) -> Any:
    """``volcengine.live.v20230101.live_service.LiveService`` talking to the emulator over HTTP. The SDK
    keeps one ServiceInfo for every LiveService of the process: each call here sets it all again."""
    from volcengine.live.v20230101.live_service import LiveService

    service = LiveService()
    service.set_host(host_port)
    service.set_scheme("http")
    service.set_ak(access_key)
    service.set_sk(secret_key)
    return service
