"""Bad StartMix / StopMix input: each of ZEGO's codes from its condition, always HTTP 200 with the native
envelope, never a traceback; the server and other tasks carry on."""

from __future__ import annotations

import copy
import json
import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from tests.providers.zego.helpers import APP_ID, RED, Zego

Body = dict[str, Any]


def valid() -> Body:
    return {
        "TaskId": "bad1",
        "UserId": "u1",
        "MixInput": [{"StreamId": "red", "RectInfo": {"Left": 0, "Top": 0, "Right": 80, "Bottom": 90}}],
        "MixOutput": [{"StreamId": "out1", "Width": 160, "Height": 90, "Fps": 10}],
    }


def _set(path: str, value: Any) -> Callable[[Body], None]:
    """A mutation setting ``a.b[0].c`` (value None deletes it)."""

    def apply(body: Body) -> None:
        keys = [int(k) if k.isdigit() else k for k in path.replace("[", ".").replace("]", "").split(".")]
        target: Any = body
        for key in keys[:-1]:
            target = target[key]
        if value is None:
            del target[keys[-1]]
        elif isinstance(target, list) and keys[-1] == len(target):
            target.append(value)
        else:
            target[keys[-1]] = value

    return apply


def _inputs(n: int) -> Callable[[Body], None]:
    return _set("MixInput", [{"StreamId": "red"} for _ in range(n)])


CASES: list[tuple[str, Callable[[Body], None], int, str]] = [
    ("no TaskId", _set("TaskId", None), 110200002, "TaskId is required"),
    ("TaskId with ':'", _set("TaskId", "a:b"), 110200002, "TaskId may only hold"),
    ("huge TaskId", _set("TaskId", "t" * 10_000), 110200002, "TaskId is longer than 256"),
    ("no UserId", _set("UserId", None), 110200002, "UserId is required"),
    ("no inputs", _set("MixInput", []), 110200002, "MixInput is required"),
    ("no outputs", _set("MixOutput", []), 110200002, "MixOutput is required"),
    (
        "input without stream",
        _set("MixInput[0].StreamId", None),
        110200002,
        "StreamId or MixInput[0].StreamUrl",
    ),
    ("bad stream id", _set("MixInput[0].StreamId", "a b"), 110200002, "may only hold digits"),
    ("volume 300", _set("MixInput[0].Volume", 300), 110200002, "MixInput[0].Volume must be in [0, 200]"),
    ("content control 5", _set("MixInput[0].ContentControl", 5), 110200002, "ContentControl"),
    ("render mode 2", _set("MixInput[0].RenderMode", 2), 110200002, "RenderMode"),
    (
        "huge layer",
        _set("MixInput[0].RectInfo.Layer", 10**30),
        110200184,
        "Layer is out of the integer range",
    ),
    ("layer too big", _set("MixInput[0].RectInfo.Layer", 2**40), 110200002, "Layer must be in"),
    ("rect outside canvas", _set("MixInput[0].RectInfo.Right", 200), 110200002, "outside the 160x90 canvas"),
    ("right before left", _set("MixInput[0].RectInfo.Left", 90), 110200002, "Right > Left"),
    ("negative edge", _set("MixInput[0].RectInfo.Top", -4), 110200002, "Top must be in [0, 3000]"),
    ("odd width", _set("MixOutput[0].Width", 161), 110200002, "Width must be even"),
    ("colour words", _set("BackGroundColorHex", "red"), 110200002, "0xRRGGBBAA"),
    ("user data not base64", _set("UserData", "***"), 110200002, "UserData must be base64"),
    ("user data too long", _set("UserData", "QUFB" * 1400), 110200002, "UserData is 4200 bytes"),
    ("sound level without ids", _set("SoundLevel", 1), 110200002, "SoundLevelId"),
    ("bitrate too high", _set("MixOutput[0].VideoBitrate", 10**12), 110200002, "VideoBitrate"),
    ("TaskId a number", _set("TaskId", 5), 110200184, "TaskId must be a string"),
    ("MixInput an object", _set("MixInput", {"StreamId": "red"}), 110200184, "MixInput must be an array"),
    ("Width a string", _set("MixOutput[0].Width", "160"), 110200184, "Width must be an integer"),
    ("Volume a boolean", _set("MixInput[0].Volume", True), 110200184, "Volume must be an integer"),
    ("Volume a float", _set("MixInput[0].Volume", 50.5), 110200184, "Volume must be an integer"),
    ("RectInfo a list", _set("MixInput[0].RectInfo", [1, 2]), 110200184, "RectInfo must be a JSON object"),
    ("input is output", _set("MixOutput[0].StreamId", "red"), 110200140, "is also an output"),
    ("image over ftp", _set("BackgroundImage", "ftp://x/y.png"), 110200141, "ftp://x/y.png"),
    (
        "input image over file",
        _set("MixInput[0].Image", {"Url": "file:///etc/passwd"}),
        110200141,
        "Image.Url",
    ),
    ("not published", _set("MixInput[0].StreamId", "ghost"), 110200150, "'ghost' is not being published"),
    ("pull over ftp", _set("MixInput[0].StreamUrl", "ftp://x/y"), 110200155, "rtmp or http or https URL"),
    ("push over http", _set("MixOutput[0]", {"StreamUrl": "http://x/y"}), 110200156, "must be an rtmp URL"),
    ("ten inputs", _inputs(10), 110200158, "10 inputs, at most 9"),
    ("width 4000", _set("MixOutput[0].Width", 4000), 110200161, "MixOutput[0].Width is 4000"),
    ("huge height", _set("MixOutput[0].Height", 10**30), 110200184, "Height is out of the integer range"),
    ("negative height", _set("MixOutput[0].Height", -2), 110200161, "Height is -2"),
    (
        "watermark odd",
        _set("WaterMark", {"Image": "https://x/w.png", "RectInfo": {"Right": 11, "Bottom": 10}}),
        110200170,
        "even",
    ),
    (
        "watermark outside",
        _set("WaterMark", {"Image": "https://x/w.png", "RectInfo": {"Right": 400, "Bottom": 10}}),
        110200170,
        "outside",
    ),
    (
        "watermark empty rect",
        _set("WaterMark", {"Image": "https://x/w.png", "RectInfo": {}}),
        110200170,
        "empty",
    ),
    (
        "watermark no image",
        _set("WaterMark", {"RectInfo": {"Right": 10, "Bottom": 10}}),
        110200171,
        "WaterMark.Image",
    ),
    ("ExPara object", _set("ExPara", {"Key": "a"}), 110200172, "ExPara must be an array"),
    ("ExPara bad entry", _set("ExPara", [{"Key": 1, "Value": "x"}]), 110200172, "ExPara[0]"),
    ("duplicate input", _set("MixInput[1]", {"StreamId": "red"}), 110200175, "'red' appears twice"),
    (
        "duplicate output",
        _set("MixOutput[1]", {"StreamId": "out1", "Width": 160, "Height": 90}),
        110200176,
        "twice",
    ),
    (
        "four outputs",
        _set("MixOutput", [{"StreamId": f"o{i}"} for i in range(4)]),
        110200178,
        "4 outputs, at most 3",
    ),
]


@pytest.mark.parametrize(("mutate", "code", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_start_mix_refuses(zego: Zego, mutate: Callable[[Body], None], code: int, fragment: str) -> None:
    zego.emu.publish("red", RED)
    body = valid()
    mutate(body)
    answer = zego.start_mix(body)
    assert answer["Code"] == code, answer
    assert fragment in answer["Message"], answer["Message"]
    assert not zego.emu.ctx.tasks.active("zego")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        (b"", 110200004),
        (b"{not json", 110200004),
        (b"\xff\xfe\x00garbage", 110200004),
        (b"[" * 100_000 + b"]" * 100_000, 110200004),
        (b"[]", 110200184),
        (b'"TaskId"', 110200184),
        (b"null", 110200184),
        (b'{"TaskId": 1e999}', 110200184),
    ],
)
def test_unparseable_bodies(zego: Zego, raw: bytes, code: int) -> None:
    assert zego.call("StartMix", raw=raw)["Code"] == code


def test_body_over_the_size_limit_is_100000012(zego: Zego) -> None:
    raw = b'{"TaskId": "' + b"x" * (zego.emu.ctx.settings.max_body_bytes + 10) + b'"}'
    assert zego.call("StartMix", raw=raw)["Code"] == 100000012


def test_stop_mix_type_errors_are_185(zego: Zego) -> None:
    assert zego.call("StopMix", {"TaskId": ["t"]})["Code"] == 110200185
    assert zego.call("StopMix", {"UserId": "u"})["Code"] == 110200002
    assert zego.call("StopMix", {"TaskId": "nope"})["Code"] == 110209001


def test_image_mapped_to_a_big_or_missing_file_is_142(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    big = zego.emu.ctx.settings.data_dir / "media" / "big.bmp"
    Image.effect_noise((640, 640), 60).convert("RGB").save(big)  # ~1.2 MB uncompressed
    assert big.stat().st_size > 1024 * 1024
    zego.emu.map_url("https://img.example.org/big.bmp", str(big))
    gone = zego.emu.ctx.settings.data_dir / "media" / "gone.png"
    Image.new("RGB", (16, 16)).save(gone)
    zego.emu.map_url("https://img.example.org/gone.png", "gone.png")  # mapping checks the file exists ...
    gone.unlink()  # ... and it goes away before the request uses it
    for url, fragment in [("big.bmp", "more than 1 MB"), ("gone.png", "file not found")]:
        answer = zego.start_mix({**valid(), "BackgroundImage": f"https://img.example.org/{url}"})
        assert answer["Code"] == 110200142 and fragment in answer["Message"], answer


def test_output_of_another_running_task_is_176(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    assert zego.start_mix(valid())["Code"] == 0
    answer = zego.start_mix({**valid(), "TaskId": "other", "UserId": "u2"})
    assert answer["Code"] == 110200176
    assert answer["Message"].endswith("'out1' is already the output of task zego:12345:bad1")


def test_update_cannot_change_outputs_or_turn_audio_into_video(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    assert zego.start_mix(valid())["Code"] == 0
    changed = valid()
    changed["MixOutput"][0]["StreamId"] = "out2"
    assert zego.start_mix(changed)["Code"] == 110200007
    audio = {**valid(), "TaskId": "audio1", "MixOutput": [{"StreamId": "aout"}]}
    assert zego.start_mix(audio)["Code"] == 0
    video = {**valid(), "TaskId": "audio1", "MixOutput": [{"StreamId": "aout", "Width": 160, "Height": 90}]}
    answer = zego.start_mix(video)
    assert answer["Code"] == 110200007 and "audio only" in answer["Message"]


def test_mixing_disabled_for_the_app_is_157(zego: Zego) -> None:
    credential = zego.emu.ctx.credential("zego", str(APP_ID))
    assert credential is not None
    credential.extra["mix_enabled"] = False
    try:
        assert zego.start_mix(valid())["Code"] == 110200157
    finally:
        credential.extra.pop("mix_enabled")


def test_test_environment_needs_the_stream_prefix(zego: Zego) -> None:
    prefix = f"zegotest-{APP_ID}-"
    zego.emu.publish("red", RED)
    zego.emu.publish(f"{prefix}red", RED)
    answer = zego.start_mix(valid(), IsTest="true")
    assert answer["Code"] == 110200150 and prefix in answer["Message"]
    body = valid()
    body["MixInput"][0]["StreamId"] = f"{prefix}red"
    answer = zego.start_mix(body, IsTest="true")
    assert answer["Code"] == 110200156 and "'out1'" in answer["Message"]
    body["MixOutput"][0]["StreamId"] = f"{prefix}out1"
    assert zego.start_mix(body, IsTest="true")["Code"] == 0


def test_too_many_tasks_is_190_and_too_many_requests_194(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    zego.emu.request("POST", "/_emulator/zego/limits", {"max_tasks": 1})
    audio = {**valid(), "MixOutput": [{"StreamId": "a1"}]}
    assert zego.start_mix(audio)["Code"] == 0
    answer = zego.start_mix({**audio, "TaskId": "bad2", "MixOutput": [{"StreamId": "a2"}]})
    assert answer["Code"] == 110200190
    assert answer["Message"] == "mix service overload: 1 mixes run for AppId 12345 (limit 1)"
    limits = zego.emu.request("POST", "/_emulator/zego/limits", {"rate_limit": 2})["limits"]
    assert limits == {"max_fps": 20, "max_tasks": 1, "rate_limit": 2}
    zego.emu.advance_clock(1.5)  # earlier requests leave the one-second window
    codes = [zego.call("GetMixTaskInfo", TaskId="bad1")["Code"] for _ in range(3)]
    assert codes == [0, 0, 110200194]
    zego.emu.advance_clock(1.5)
    assert zego.call("GetMixTaskInfo", TaskId="bad1")["Code"] == 0


def test_concurrent_requests_of_one_user_hit_the_lock(zego: Zego) -> None:
    """A start still being processed (slowed by a fault's delay) holds the UserId: 110200005 / 006."""
    zego.emu.publish("red", RED)
    zego.emu.add_fault("zego", "StartMix", delay_ms=1500, times=1)
    first: list[dict[str, Any]] = []
    slow = threading.Thread(target=lambda: first.append(zego.start_mix(valid())))
    slow.start()
    deadline = time.monotonic() + 10
    while (
        not any(f["hits"] for f in zego.emu.faults()) and time.monotonic() < deadline
    ):  # the slow request consumed it: it holds the lock
        time.sleep(0.01)
    other = Zego(zego.emu)
    assert other.start_mix({**valid(), "TaskId": "bad2"})["Code"] == 110200005
    assert other.call("StopMix", {"TaskId": "bad1", "UserId": "u1"})["Code"] == 110200006
    slow.join()
    assert first[0]["Code"] == 0


def test_injected_fault_with_a_mixing_code(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    zego.emu.add_fault("zego", "StartMix", code=110200151, times=1)
    assert zego.start_mix(valid()) | {"RequestId": ""} == {
        "Code": 110200151,
        "Message": "mix task failed",
        "RequestId": "",
    }
    assert zego.start_mix(valid())["Code"] == 0


def test_random_garbage_never_breaks_the_server(zego: Zego) -> None:
    """Mutations of a valid body with values of every JSON type: always a native non-zero or zero code."""
    zego.emu.publish("red", RED)
    rng = random.Random(20240501)
    junk: list[Any] = [None, True, -1, 0, 2**63, 1.5, "", "x" * 300, [], {}, [{}], {"a": [1]}]
    paths = [
        "TaskId",
        "UserId",
        "Sequence",
        "MixInput",
        "MixInput[0]",
        "MixInput[0].RectInfo",
        "MixInput[0].RectInfo.Left",
        "MixInput[0].Label",
        "MixInput[0].Image",
        "MixOutput",
        "MixOutput[0]",
        "MixOutput[0].Fps",
        "MixOutput[0].AudioCodec",
        "WaterMark",
        "BackGroundColorHex",
        "ExPara",
        "UserData",
        "SoundChannel",
        "RoomId",
    ]
    for _ in range(60):
        body = copy.deepcopy(valid())
        for path in rng.sample(paths, 2):
            value = rng.choice(junk)
            try:
                _set(path, value if value is not None else "")(body)
            except (KeyError, IndexError, TypeError):
                continue
        answer = zego.call("StartMix", raw=json.dumps(body).encode())
        assert isinstance(answer["Code"], int)
        if answer["Code"] == 0:
            zego.call("StopMix", {"TaskId": body["TaskId"]})
    assert zego.emu.health()["status"] == "ok"
