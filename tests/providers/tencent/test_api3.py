"""Cloud API 3.0 CreateCommonMixStream / CancelCommonMixStream, driven by the official
tencentcloud-sdk-python-live SDK pointed at the emulator (only the endpoint changes)."""

from __future__ import annotations

import json
import time
import urllib.request
from typing import Any

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.live.v20180801 import live_client, models

from emulator.providers.tencent.tc3 import tc3_signature
from tests.providers.tencent.helpers import APPID, KEY, Tencent

pytestmark = pytest.mark.e2e


def client(tencent: Tencent, secret_id: str = APPID, secret_key: str = KEY) -> live_client.LiveClient:
    http = HttpProfile(endpoint=tencent.emu.host_port, protocol="http")
    return live_client.LiveClient(
        credential.Credential(secret_id, secret_key), "ap-guangzhou", ClientProfile(httpProfile=http)
    )


def create_request(session: str, output: str, inputs: list[dict[str, Any]], **output_params: Any) -> Any:
    request = models.CreateCommonMixStreamRequest()
    request.from_json_string(
        json.dumps(
            {
                "MixStreamSessionId": session,
                "InputStreamList": inputs,
                "OutputParams": {"OutputStreamName": output, **output_params},
            }
        )
    )
    return request


def cancel_request(session: str) -> Any:
    request = models.CancelCommonMixStreamRequest()
    request.MixStreamSessionId = session
    return request


LAYOUT = [
    {"InputStreamName": "anchor", "LayoutParams": {"ImageLayer": 1}},
    {
        "InputStreamName": "guest",
        "LayoutParams": {
            "ImageLayer": 2,
            "ImageWidth": 96,
            "ImageHeight": 54,
            "LocationX": 16,
            "LocationY": 16,
        },
        "CropParams": {"CropWidth": 80, "CropHeight": 45, "CropStartLocationX": 0, "CropStartLocationY": 0},
    },
]


def publish(tencent: Tencent) -> None:
    tencent.publish("anchor", "#ff0000", "320x180", settle=False)
    tencent.publish("guest", "#00ff00", "160x90")


def test_sdk_creates_updates_and_cancels_a_mix(tencent: Tencent) -> None:
    publish(tencent)
    live = client(tencent)
    created = live.CreateCommonMixStream(
        create_request(
            "sdk_room", "anchor", LAYOUT, OutputStreamBitRate=900, OutputStreamFrameRate=15, OutputStreamGop=1
        )
    )
    assert created.RequestId
    task = tencent.emu.ctx.tasks.get("tencent:sdk_room")
    assert task is not None and task.meta["api"] == "api3"
    guest = task.job.layers[1]
    assert (guest.rect.x, guest.rect.y, guest.rect.w, guest.rect.h) == (16, 16, 96, 54)  # type: ignore[union-attr]
    assert (guest.crop.w, guest.crop.h) == (80, 45)  # type: ignore[union-attr]
    video = task.job.outputs[0].video
    assert video is not None and (video.bitrate, video.fps, video.gop_seconds) == (900_000, 15, 1)
    live.CreateCommonMixStream(
        create_request("sdk_room", "anchor", [*LAYOUT[:1], {**LAYOUT[1], "CropParams": None}])
    )
    assert task.update_count == 1
    tencent.emu.advance_clock(5)
    assert live.CancelCommonMixStream(cancel_request("sdk_room")).RequestId
    assert not task.state.active
    entries = tencent.emu.requests(provider="tencent")
    assert [e["action"] for e in entries][-3:] == [
        "CreateCommonMixStream",
        "CreateCommonMixStream",
        "CancelCommonMixStream",
    ]


@pytest.mark.parametrize(
    ("prepare", "request_of", "code"),
    [
        (False, lambda: create_request("r", "anchor", LAYOUT), "InvalidParameter.InvalidBackgroudResolution"),
        (True, lambda: create_request("r", "x", LAYOUT), "InvalidParameter.InvalidOutputType"),
        (True, lambda: create_request("r", "anchor", LAYOUT[:1]), "InvalidParameter.InvalidMixInputParam"),
        (
            True,
            lambda: create_request("r", "anchor", LAYOUT, OutputStreamBitRate=20000),
            "InvalidParameter.InvalidBitrate",
        ),
        (
            True,
            lambda: create_request("r", "anchor", LAYOUT, OutputAudioChannels=3),
            "InvalidParameter.InvalidOutputParam",
        ),
        (
            True,
            lambda: create_request(
                "r", "anchor", [LAYOUT[0], {**LAYOUT[1], "LayoutParams": {"ImageLayer": 1}}]
            ),
            "InvalidParameter.InvalidLayerParam",
        ),
        (False, lambda: cancel_request("never_started"), "InvalidParameter.CancelSessionNotExist"),
    ],
)
def test_sdk_raises_the_mapped_error_codes(
    tencent: Tencent, prepare: bool, request_of: Any, code: str
) -> None:
    if prepare:
        publish(tencent)
    request = request_of()
    live = client(tencent)
    call = (
        live.CancelCommonMixStream
        if isinstance(request, models.CancelCommonMixStreamRequest)
        else live.CreateCommonMixStream
    )
    with pytest.raises(TencentCloudSDKException) as error:
        call(request)
    assert error.value.code == code
    assert error.value.requestId


def test_sdk_with_wrong_keys(tencent: Tencent) -> None:
    with pytest.raises(TencentCloudSDKException) as error:
        client(tencent, secret_key="wrong").CancelCommonMixStream(cancel_request("x"))
    assert error.value.code == "AuthFailure.SignatureFailure"
    with pytest.raises(TencentCloudSDKException) as error:
        client(tencent, secret_id="AKIDunknown").CancelCommonMixStream(cancel_request("x"))
    assert error.value.code == "AuthFailure.SecretIdNotFound"


def test_faults_reach_the_sdk(tencent: Tencent) -> None:
    tencent.emu.add_fault("tencent", "CreateCommonMixStream", code=-10031, times=1)
    with pytest.raises(TencentCloudSDKException) as error:
        client(tencent).CreateCommonMixStream(create_request("r", "anchor", LAYOUT))
    assert (error.value.code, error.value.message) == (
        "FailedOperation.ProcessMixError",
        "Trigger mix stream failed!",
    )
    tencent.emu.add_fault("tencent", "CancelCommonMixStream", code="InternalError", message="boom", times=1)
    with pytest.raises(TencentCloudSDKException) as error:
        client(tencent).CancelCommonMixStream(cancel_request("r"))
    assert (error.value.code, error.value.message) == ("InternalError", "boom")


def signed_post(tencent: Tencent, body: bytes, headers: dict[str, str], timestamp: int) -> dict[str, Any]:
    """A hand-made TC3 request (what the SDK does), to reach the gateway checks it never trips."""
    host = tencent.emu.host_port
    date = time.strftime("%Y-%m-%d", time.gmtime(timestamp))
    base = {"Content-Type": "application/json", "Host": host, "X-TC-Timestamp": str(timestamp), **headers}
    signature = tc3_signature(
        KEY,
        method="POST",
        query="",
        headers={"content-type": "application/json", "host": host},
        signed=["content-type", "host"],
        body=body,
        timestamp=str(timestamp),
        date=date,
    )
    base["Authorization"] = (
        f"TC3-HMAC-SHA256 Credential={APPID}/{date}/live/tc3_request, SignedHeaders=content-type;host, "
        f"Signature={signature}"
    )
    request = urllib.request.Request(f"{tencent.emu.url}/", data=body, headers=base, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200 and response.headers["Content-Type"] == "application/json"
        return json.loads(response.read())["Response"]


def test_gateway_checks(tencent: Tencent) -> None:
    now = int(tencent.now())
    good = {"X-TC-Action": "CancelCommonMixStream", "X-TC-Version": "2018-08-01"}
    answer = signed_post(tencent, b'{"MixStreamSessionId": "x"}', good, now)
    assert answer["Error"]["Code"] == "InvalidParameter.CancelSessionNotExist"
    answer = signed_post(tencent, b"{}", {**good, "X-TC-Version": "2017-01-01"}, now)
    assert answer["Error"]["Code"] == "NoSuchVersion"
    answer = signed_post(tencent, b"{}", {**good, "X-TC-Action": "DescribeLiveStreams"}, now)
    assert answer["Error"]["Code"] == "InvalidAction"
    answer = signed_post(tencent, b"{}", good, now - 301)
    assert answer["Error"]["Code"] == "AuthFailure.SignatureExpire"
    answer = signed_post(tencent, b"{}", good, now)
    assert answer["Error"] == {
        "Code": "MissingParameter",
        "Message": "The request is missing a required parameter `MixStreamSessionId`.",
    }
    answer = signed_post(tencent, b"[not json", good, now)
    assert answer["Error"]["Code"] == "InvalidParameter"
