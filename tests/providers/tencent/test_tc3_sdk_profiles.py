"""The Python SDK's TC3 profiles the gateway must verify over HTTP: a payload left unsigned
(``ClientProfile(unsignedPayload=True)``), and the wall clock as the only reference for the window."""

from __future__ import annotations

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.live.v20180801 import live_client, models

from tests.providers.tencent.helpers import APPID, KEY, Tencent


def client(tencent: Tencent, *, unsigned: bool = False, key: str = KEY) -> live_client.LiveClient:
    http = HttpProfile(endpoint=tencent.emu.host_port, protocol="http")
    profile = ClientProfile(httpProfile=http)
    profile.unsignedPayload = unsigned
    return live_client.LiveClient(credential.Credential(APPID, key), "ap-guangzhou", profile)


def cancel_error(live: live_client.LiveClient, session: str = "nobody") -> str:
    request = models.CancelCommonMixStreamRequest()
    request.MixStreamSessionId = session
    with pytest.raises(TencentCloudSDKException) as info:
        live.CancelCommonMixStream(request)
    return str(info.value.code)


def test_an_unsigned_payload_verifies(tencent: Tencent) -> None:
    # Past the signature check, the request reaches the mixing rules: no such session.
    assert cancel_error(client(tencent, unsigned=True)) == "InvalidParameter.CancelSessionNotExist"
    assert cancel_error(client(tencent, unsigned=True, key="wrong")) == "AuthFailure.SignatureFailure"


def test_moving_the_emulator_clock_never_expires_a_signature(tencent: Tencent) -> None:
    tencent.emu.advance_clock(3600)  # an hour ahead of the wall clock the SDK signs with
    assert cancel_error(client(tencent)) == "InvalidParameter.CancelSessionNotExist"
