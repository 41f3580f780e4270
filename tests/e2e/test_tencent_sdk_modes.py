"""tencentcloud-sdk-python-live in every signing mode it has: TC3 over POST JSON and GET, v1 HmacSHA1 and
HmacSHA256 over a form POST and a GET. Each mode starts and cancels a real mix, and gets the API's own
errors (a refused request, a wrong key, an expired signature through a clock-skew fault)."""

from __future__ import annotations

import json

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.live.v20180801 import live_client, models

from emulator.testing import EmulatorFixture
from tests.providers.tencent.helpers import APPID, KEY, Tencent

pytestmark = pytest.mark.e2e

MODES = [
    ("POST", "TC3-HMAC-SHA256"),
    ("GET", "TC3-HMAC-SHA256"),
    ("POST", "HmacSHA1"),
    ("GET", "HmacSHA1"),
    ("POST", "HmacSHA256"),
    ("GET", "HmacSHA256"),
]


def sdk(emu: EmulatorFixture, method: str, sign_method: str, secret_key: str = KEY) -> live_client.LiveClient:
    """The SDK as its docs build it; only the endpoint (and the mode under test) differ."""
    http = HttpProfile(endpoint=emu.host_port, protocol="http", reqMethod=method)
    profile = ClientProfile(httpProfile=http, signMethod=sign_method)
    return live_client.LiveClient(credential.Credential(APPID, secret_key), "ap-guangzhou", profile)


def create(session: str, output: str | None = None) -> models.CreateCommonMixStreamRequest:
    request = models.CreateCommonMixStreamRequest()
    request.from_json_string(
        json.dumps(
            {
                "MixStreamSessionId": session,
                "InputStreamList": [
                    {"InputStreamName": "m_anchor", "LayoutParams": {"ImageLayer": 1}},
                    {
                        "InputStreamName": "m_guest",
                        "LayoutParams": {
                            "ImageLayer": 2,
                            "ImageWidth": 0.25,
                            "ImageHeight": 80,
                            "LocationX": 10,
                            "LocationY": 10,
                        },
                        "CropParams": {"CropWidth": 80, "CropHeight": 45},
                    },
                ],
                "OutputParams": {
                    "OutputStreamName": output or f"out_{session}",
                    "OutputStreamType": 1,
                    "OutputStreamFrameRate": 15,
                },
            }
        )
    )
    return request


def cancel(session: str) -> models.CancelCommonMixStreamRequest:
    request = models.CancelCommonMixStreamRequest()
    request.MixStreamSessionId = session
    return request


def sdk_error(call: object, request: object) -> tuple[str, str]:
    with pytest.raises(TencentCloudSDKException) as error:
        call(request)  # type: ignore[operator]
    return error.value.code, error.value.message


@pytest.mark.parametrize(("method", "sign_method"), MODES)
def test_every_signing_mode_mixes_and_gets_native_errors(
    mix_emulator: EmulatorFixture, method: str, sign_method: str
) -> None:
    tencent = Tencent(mix_emulator)
    tencent.publish("m_anchor", "#ff0000", "320x180", settle=False)
    tencent.publish("m_guest", "#00ff00", "160x90")
    live = sdk(mix_emulator, method, sign_method)
    session = f"{method}_{sign_method.replace('-', '_')}"
    assert live.CreateCommonMixStream(create(session)).RequestId
    task = mix_emulator.ctx.tasks.get(f"tencent:{session}")
    assert task is not None and task.state.active
    guest = task.job.layers[1]
    assert (guest.rect.x, guest.rect.y, guest.rect.w, guest.rect.h) == (10, 10, 80, 80)  # type: ignore[union-attr]
    assert task.job.outputs[0].video is not None and task.job.outputs[0].video.fps == 15
    # Refusals in the API's own shape, whatever the mode.
    taken = create("other", output=f"out_{session}")  # another session, the same output
    assert sdk_error(live.CreateCommonMixStream, taken)[0] == "InvalidParameter.InvalidOutputStreamID"
    assert (
        sdk_error(live.CancelCommonMixStream, cancel("never"))[0] == "InvalidParameter.CancelSessionNotExist"
    )
    wrong = sdk(mix_emulator, method, sign_method, secret_key="0" * 32)
    assert sdk_error(wrong.CancelCommonMixStream, cancel(session))[0] == "AuthFailure.SignatureFailure"
    mix_emulator.add_fault("tencent", "CancelCommonMixStream", clock_skew_s=301, times=1)
    assert sdk_error(live.CancelCommonMixStream, cancel(session))[0] == "AuthFailure.SignatureExpire"
    mix_emulator.advance_clock(5)
    assert live.CancelCommonMixStream(cancel(session)).RequestId
    assert not task.state.active


def test_api3_layout_and_crop_are_limited_to_2000_pixels(mix_emulator: EmulatorFixture) -> None:
    tencent = Tencent(mix_emulator)
    tencent.publish("m_anchor", "#ff0000", "320x180", settle=False)
    tencent.publish("m_guest", "#00ff00", "160x90")
    live = sdk(mix_emulator, "POST", "TC3-HMAC-SHA256")
    cases = [
        ("LayoutParams", "LocationX", "InvalidParameter"),
        ("LayoutParams", "ImageWidth", "InvalidParameter.InvalidMixInputParam"),
        ("CropParams", "CropStartLocationY", "InvalidParameter.InvalidCropParam"),
    ]
    for group, name, code in cases:
        request = create("range")
        params = getattr(request.InputStreamList[1], group)
        setattr(params, name, 2001)
        error = sdk_error(live.CreateCommonMixStream, request)
        assert error[0] == code and "[0, 2000]" in error[1], (name, error)
    assert mix_emulator.ctx.tasks.get("tencent:range") is None
