"""What the mixing service records of each task, as the control API shows it (``meta``): which API started
it, its kind, owner, room, Sequence, test environment, SoundLevel ids, UserData and ExPara; and what a
StreamUrl input reads (another mix's output, a published stream, or the URL itself)."""

from __future__ import annotations

import base64
from typing import Any

from tests.providers.zego.helpers import RED, Zego


def rtc_body(**extra: Any) -> dict[str, Any]:
    return {
        "TaskId": "m1",
        "UserId": "owner",
        "MixInput": [
            {
                "StreamId": "red",
                "SoundLevelId": 11,
                "RectInfo": {"Left": 0, "Top": 0, "Right": 32, "Bottom": 18},
            }
        ],
        "MixOutput": [{"StreamId": "o1", "Width": 32, "Height": 18, "Fps": 5}],
        **extra,
    }


def meta_of(zego: Zego, task_id: str) -> dict[str, Any]:
    meta = zego.emu.task(task_id)["meta"]
    meta.pop("callback_mix_start_sent", None)  # the notifier's, not the service's
    return meta


def test_a_start_mix_task(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    user_data = base64.b64encode(b"\x00hello").decode()
    body = rtc_body(
        Sequence=2,
        RoomId="r1",
        SoundLevel=1,
        UserData=user_data,
        ExPara=[{"Key": "video_encode", "Value": "x"}],
    )
    assert zego.start_mix(body)["Code"] == 0
    assert meta_of(zego, "zego:12345:m1") == {
        "app_id": 12345,
        "task_id": "m1",
        "user_id": "owner",
        "room_id": "r1",
        "sequence": 2,
        "kind": "mix",
        "api": "rtc",
        "is_test": False,
        "audio_only": False,
        "sound_level": True,
        "sound_level_ids": {"red": 11},
        "user_data": user_data,
        "ex_para": {"video_encode": "x"},
    }


def test_a_test_environment_task_without_options(zego: Zego) -> None:
    zego.emu.publish("zegotest-12345-red", RED)
    body = rtc_body(
        MixInput=[
            {"StreamId": "zegotest-12345-red", "RectInfo": {"Left": 0, "Top": 0, "Right": 32, "Bottom": 18}}
        ],
        MixOutput=[{"StreamId": "zegotest-12345-o1", "Width": 32, "Height": 18}],
    )
    assert zego.start_mix(body, IsTest="true")["Code"] == 0
    meta = meta_of(zego, "zego:12345:m1")
    assert (meta["is_test"], meta["sequence"], meta["room_id"], meta["user_data"]) == (True, None, "", None)
    assert (meta["sound_level"], meta["sound_level_ids"], meta["ex_para"]) == (False, {}, {})


def test_a_legacy_task(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    body = {
        "id_name": "anchor",
        "task_id": "lg",
        "seq": 4,
        "live_channel": "ch",
        "MixInput": [{"stream_id": "red", "rect": {"top": 0, "left": 0, "bottom": 18, "right": 32}}],
        "MixOutput": [{"stream_id": "lout", "width": 32, "height": 18}],
    }
    assert zego.legacy_post("/cgi/start-mix", body, zego.token())["code"] == 0
    meta = meta_of(zego, "zego:12345:lg")
    assert {k: meta[k] for k in ("api", "kind", "user_id", "room_id", "sequence", "is_test")} == {
        "api": "legacy",
        "kind": "mix",
        "user_id": "anchor",
        "room_id": "ch",
        "sequence": 4,
        "is_test": False,
    }


def test_an_auto_mix_task(zego: Zego) -> None:
    zego.emu.publish("a1", RED, room_id="room1")
    zego.emu.publish("g1", RED, room_id="elsewhere")
    body = {
        "TaskId": "am",
        "UserId": "u",
        "RoomId": "room1",
        "Sequence": 3,
        "SoundLevel": 1,
        "UserData": base64.b64encode(b"ud").decode(),
        "ExtraMixInput": [{"StreamId": "g1", "SoundLevelId": 5}],
        "MixOutput": [{"StreamId": "amout"}],
    }
    assert zego.call("StartAutoMix", body)["Code"] == 0
    assert meta_of(zego, "zego:12345:auto:am") == {
        "app_id": 12345,
        "task_id": "am",
        "user_id": "u",
        "room_id": "room1",
        "sequence": 3,
        "kind": "auto",
        "api": "rtc",
        "is_test": False,
        "audio_only": True,
        "sound_level": True,
        "sound_level_ids": {"g1": 5},
        "user_data": "dWQ=",
    }


def test_an_update_replaces_the_meta_but_keeps_the_sequence(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    assert zego.start_mix(rtc_body(Sequence=2, RoomId="r1"))["Code"] == 0
    assert zego.start_mix(rtc_body(RoomId="r2", SoundLevel=1))["Code"] == 0
    meta = meta_of(zego, "zego:12345:m1")
    assert (meta["sequence"], meta["room_id"], meta["sound_level"]) == (2, "r2", True)
    assert zego.emu.task("zego:12345:m1")["update_count"] == 1


# ----- StreamUrl inputs


def layer_sources(zego: Zego, task_id: str) -> list[str]:
    task = zego.emu.ctx.tasks.get(task_id)
    assert task is not None
    return [layer.source for layer in task.job.layers]


def test_a_stream_url_naming_another_mixs_output_reads_that_output(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    assert zego.start_mix(rtc_body())["Code"] == 0
    rtmp = f"rtmp://127.0.0.1:{zego.emu.ctx.rtmp_port}/live"
    inputs = [
        {"StreamUrl": f"{rtmp}/o1", "RectInfo": {"Left": 0, "Top": 0, "Right": 16, "Bottom": 18}},
        {"StreamUrl": f"{rtmp}/red", "RectInfo": {"Left": 16, "Top": 0, "Right": 32, "Bottom": 18}},
        {
            "StreamUrl": "rtmp://127.0.0.1:1/live/nowhere",
            "RectInfo": {"Left": 0, "Top": 0, "Right": 8, "Bottom": 8},
        },
    ]
    body = rtc_body(TaskId="m2", MixInput=inputs, MixOutput=[{"StreamId": "o2", "Width": 32, "Height": 18}])
    assert zego.start_mix(body)["Code"] == 0
    sources = layer_sources(zego, "zego:12345:m2")
    assert sources[:2] == ["stream:o1", "stream:red"]
    assert not sources[2].startswith("stream:") and "rtmp://127.0.0.1:1/live/nowhere" in sources[2]
