"""Each provider API through the kit's signed callers and the official SDKs it configures, in strict auth."""

from __future__ import annotations

import json

import pytest

from emulator.kit import EmulatorHandle
from tests.control.support import zego_mix

pytestmark = pytest.mark.e2e
RED, GREEN = "pattern:color?color=#ff0000&size=160x90", "pattern:color?color=#00ff00&size=160x90"


def test_tencent_legacy_start_and_cancel(mix_emulator: EmulatorHandle) -> None:
    mix_emulator.publish("host", RED)
    mix_emulator.publish("guest", GREEN)
    mix_emulator.advance_clock(5)  # Tencent mixes streams pushed at least 5 s ago
    inputs = [
        {"input_stream_id": "host", "layout_params": {"image_layer": 1}},
        {
            "input_stream_id": "guest",
            "layout_params": {
                "image_layer": 2,
                "image_width": 64,
                "image_height": 36,
                "location_x": 8,
                "location_y": 8,
            },
        },
    ]
    answer = mix_emulator.tencent.start("room1", "host", inputs)
    assert answer["code"] == 0, answer
    task = mix_emulator.wait_for("tencent:room1", state="running", frames=1)
    mix_emulator.assert_layout(task, {"host": (0, 0, 160, 90), "guest": (8, 8, 64, 36)})
    mix_emulator.advance_clock(5)  # a session can be cancelled once it has run 5 s
    assert mix_emulator.tencent.cancel("room1", "host")["code"] == 0


def test_tencent_api3_raw_call_and_sdk(mix_emulator: EmulatorHandle) -> None:
    from tencentcloud.live.v20180801 import models

    mix_emulator.publish("host", RED)
    mix_emulator.publish("guest", GREEN)
    mix_emulator.advance_clock(5)
    body = {
        "MixStreamSessionId": "api3room",
        "InputStreamList": [
            {"InputStreamName": "host", "LayoutParams": {"ImageLayer": 1}},
            {
                "InputStreamName": "guest",
                "LayoutParams": {"ImageLayer": 2, "ImageWidth": 80, "ImageHeight": 45},
            },
        ],
        "OutputParams": {"OutputStreamName": "host"},
    }
    answer = mix_emulator.tencent_api3.call("CreateCommonMixStream", body)
    assert "Error" not in answer["Response"], answer
    mix_emulator.wait_for("tencent:api3room", state="running", frames=1)
    request = models.CancelCommonMixStreamRequest()
    request.MixStreamSessionId = "api3room"
    mix_emulator.advance_clock(5)
    assert mix_emulator.tencent_sdk().CancelCommonMixStream(request).RequestId


def test_zego_rtc_and_legacy(mix_emulator: EmulatorHandle) -> None:
    mix_emulator.publish("s1", RED)
    body = zego_mix("rtc1", {"s1": (0, 0, 160, 90)}, (160, 90))
    assert mix_emulator.zego.call("StartMix", body)["Code"] == 0
    mix_emulator.wait_for(mix_emulator.zego.task_id("rtc1"), frames=1)
    assert mix_emulator.zego.call("StopMix", {"TaskId": "rtc1", "UserId": "u1"})["Code"] == 0

    legacy = {
        "id_name": "u1",
        "seq": 1,
        "mixinput": [
            {"stream_id": "s1", "rect": {"layer": 1, "top": 0, "left": 0, "bottom": 90, "right": 160}}
        ],
        "mixoutput": [
            {"stream_id": "mixed2", "mixurl": "", "bitrate": 200000, "fps": 15, "width": 160, "height": 90}
        ],
    }
    answer = mix_emulator.zego_legacy.start_mix(legacy)
    assert answer["code"] == 0, answer
    legacy_task = next(t for t in mix_emulator.tasks(provider="zego") if t["id"] != "zego:12345:rtc1")
    assert mix_emulator.wait_for(legacy_task, state="running")["job"]["outputs"][0]["stream_id"] == "mixed2"


def test_volcengine_raw_call_and_sdk(mix_emulator: EmulatorHandle) -> None:
    mix_emulator.map_url("https://tos.example.org/obj/test.mp4", RED)
    body = {
        "Name": "kit",
        "MixedRules": {
            "InputLayout": {
                "Scene": {
                    "Width": 320,
                    "Height": 180,
                    "Layout": [{"X": 0, "Y": 0, "W": 160, "H": 90, "Layer": 1}],
                }
            },
            "Output": {
                "Url": ["push.example.com"],
                "Video": {"FrameRate": 15, "BitRate": 1000000, "GOP": 2, "Codec": "h264"},
                "Audio": {"BitRate": 128000, "SampleRate": 44100, "ChannelLayout": "mono"},
            },
            "InputSource": [
                {"ID": "1", "Layer": 1, "Type": "vod", "Url": "https://tos.example.org/obj/test.mp4"}
            ],
        },
    }
    created = mix_emulator.volcengine.create(body)
    assert "Error" not in created["ResponseMetadata"], created
    task_id = created["Result"]["Data"]["TaskID"]
    listed = mix_emulator.volcengine_sdk().list_cloud_mix_task({"Page": 1, "PageSize": 10})
    assert task_id in json.dumps(listed)
    assert "Error" not in mix_emulator.volcengine.delete(task_id)["ResponseMetadata"]


def test_a_wrong_secret_is_refused_in_the_providers_own_shape(mix_emulator: EmulatorHandle) -> None:
    from emulator.kit.signed_zego import ZegoRtc

    answer = ZegoRtc(mix_emulator.url, secret="0" * 32).call("DescribeMixTask")
    assert answer["Code"] != 0 and "RequestId" in answer
