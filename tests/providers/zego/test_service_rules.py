"""The mixing service's rules through the rtc-api: the start answer written out, the Sequence that must
grow (kept across updates that give none), the owner, what an update may not change, the per-AppId
and emulator-wide task limits from both sides, stops, GetMixTaskInfo, the UserId locks and the action
names faults and the journal use."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.config import Credential
from emulator.providers.zego.errors import START_LOCKED, STOP_LOCKED
from tests.providers.zego.helpers import RED, SECRET, Zego

TASK = "zego:12345:t1"
OTHER_APP = 54321


def body(task_id: str = "t1", output: str = "o1", **extra: Any) -> dict[str, Any]:
    return {
        "TaskId": task_id,
        "UserId": "owner",
        "MixInput": [{"StreamId": "red", "RectInfo": {"Left": 0, "Top": 0, "Right": 32, "Bottom": 18}}],
        "MixOutput": [{"StreamId": output, "Width": 32, "Height": 18, "Fps": 5}],
        **extra,
    }


def audio_body(**extra: Any) -> dict[str, Any]:
    """The 1x1 output: a pure-audio mix."""
    return body(
        MixInput=[{"StreamId": "red", "RectInfo": {"Left": 0, "Top": 0, "Right": 1, "Bottom": 1}}],
        MixOutput=[{"StreamId": "o1", "Width": 1, "Height": 1}],
        **extra,
    )


@pytest.fixture
def red(zego: Zego) -> Zego:
    zego.emu.publish("red", RED)
    return zego


@pytest.fixture
def other_app(zego: Zego) -> Iterator[int]:
    credential = Credential("zego", str(OTHER_APP), SECRET)
    zego.emu.ctx.settings.credentials.append(credential)
    yield OTHER_APP
    zego.emu.ctx.settings.credentials.remove(credential)


def code_message(answer: dict[str, Any]) -> tuple[int, str]:
    return answer["Code"], answer["Message"]


# ----- the start answer


def test_start_answer_with_its_play_urls_written_out(red: Zego) -> None:
    answer = red.start_mix(body(Sequence=3, RoomId="room9"))
    host, rtmp_port = red.emu.host_port, red.emu.ctx.rtmp_port
    assert code_message(answer) == (0, "success")
    assert answer["Data"] == {
        "UserId": "owner",
        "Sequence": 3,
        "RoomId": "room9",
        "PlayInfo": [
            {
                "StreamId": "o1",
                "RTMP": f"rtmp://127.0.0.1:{rtmp_port}/live/o1",
                "HLS": f"http://{host}/live/o1/index.m3u8",
                "FLV": f"http://{host}/live/o1.flv",
                "Status": 0,
                "UserName": "",
            }
        ],
    }


def test_start_answer_without_sequence_or_room(red: Zego) -> None:
    data = red.start_mix(body())["Data"]
    assert (data["UserId"], data["Sequence"], data["RoomId"]) == ("owner", 0, "")
    assert [info["StreamId"] for info in data["PlayInfo"]] == ["o1"]


def test_every_output_has_its_play_info(red: Zego) -> None:
    outputs = [{"StreamId": s, "Width": 32, "Height": 18, "Fps": 5} for s in ("o1", "o2")]
    data = red.start_mix(body(MixOutput=outputs))["Data"]
    assert [(i["StreamId"], i["FLV"].rsplit("/", 1)[1]) for i in data["PlayInfo"]] == [
        ("o1", "o1.flv"),
        ("o2", "o2.flv"),
    ]


# ----- updates: Sequence and owner


def test_sequence_must_grow_from_both_sides(red: Zego) -> None:
    assert red.start_mix(body(Sequence=3))["Code"] == 0
    for stale in (3, 2):
        assert code_message(red.start_mix(body(Sequence=stale))) == (
            110200002,
            f"input params error: Sequence {stale} is not greater than the task's last Sequence 3",
        )
    answer = red.start_mix(body(Sequence=4))
    assert answer["Code"] == 0 and answer["Data"]["Sequence"] == 4
    assert red.start_mix(body())["Code"] == 0  # an update without Sequence keeps the last one
    assert red.start_mix(body(Sequence=4))["Code"] == 110200002
    assert red.start_mix(body(Sequence=5))["Code"] == 0
    task = red.emu.ctx.tasks.get(TASK)
    assert task is not None and task.meta["sequence"] == 5


def test_a_task_started_without_sequence_takes_any(red: Zego) -> None:
    assert red.start_mix(body())["Code"] == 0
    assert red.start_mix(body(Sequence=1))["Code"] == 0
    assert red.start_mix(body(Sequence=1))["Code"] == 110200002


def test_only_the_owner_updates(red: Zego) -> None:
    assert red.start_mix(body(Sequence=1))["Code"] == 0
    answer = red.start_mix({**body(Sequence=2), "UserId": "intruder"})
    assert code_message(answer) == (
        110200160,
        "not the owner of the mix task: UserId 'intruder' did not start task 't1'",
    )
    assert red.start_mix(body(Sequence=2))["Code"] == 0


def test_an_update_changes_the_running_job(red: Zego) -> None:
    red.emu.publish("blue", "pattern:color?color=#0000ff&size=32x18")
    assert red.start_mix(body())["Code"] == 0
    moved = body(
        MixInput=[{"StreamId": "blue", "RectInfo": {"Left": 0, "Top": 0, "Right": 16, "Bottom": 18}}]
    )
    assert red.start_mix(moved)["Code"] == 0
    task = red.emu.ctx.tasks.get(TASK)
    assert task is not None and [layer.id for layer in task.job.layers] == ["blue"]
    assert len(red.emu.ctx.tasks.active("zego")) == 1


@pytest.mark.parametrize(
    "outputs",
    [
        [{"StreamId": "o2", "Width": 32, "Height": 18}],
        [{"StreamId": "o1", "Width": 32, "Height": 18}, {"StreamId": "o2", "Width": 32, "Height": 18}],
    ],
)
def test_outputs_cannot_change_while_the_task_runs(red: Zego, outputs: list[dict[str, Any]]) -> None:
    assert red.start_mix(body())["Code"] == 0
    assert code_message(red.start_mix(body(MixOutput=outputs))) == (
        110200007,
        "update mix task failed: MixOutput cannot change while the task runs: stop it first",
    )


def test_an_audio_only_task_cannot_turn_to_video(red: Zego) -> None:
    assert red.start_mix(audio_body())["Code"] == 0
    assert red.start_mix(audio_body(Sequence=2))["Code"] == 0
    assert code_message(red.start_mix(body())) == (
        110200007,
        "update mix task failed: the task mixes audio only: stop it before mixing video",
    )


def test_a_video_task_may_turn_to_audio_only(red: Zego) -> None:
    assert red.start_mix(body())["Code"] == 0
    assert red.start_mix(audio_body())["Code"] == 0
    task = red.emu.ctx.tasks.get(TASK)
    assert task is not None and task.job.outputs[0].video is None


# ----- limits


def test_max_tasks_per_app_from_both_sides(red: Zego, other_app: int) -> None:
    red.emu.request("POST", "/_emulator/zego/limits", {"max_tasks": 2})
    assert red.start_mix(body("t1", "o1"))["Code"] == 0
    assert red.start_mix(body("t2", "o2"))["Code"] == 0  # at the limit's value: accepted
    assert code_message(red.start_mix(body("t3", "o3"))) == (
        110200190,
        "mix service overload: 2 mixes run for AppId 12345 (limit 2)",
    )
    assert red.start_mix(body("t1", "o1", Sequence=9))["Code"] == 0  # updating a running task is no start
    assert red.start_mix(body("t9", "o9"), app_id=other_app)["Code"] == 0  # another app counts its own
    assert red.call("StopMix", {"TaskId": "t2", "UserId": "owner"})["Code"] == 0
    red.wait_state("zego:12345:t2", "stopped")
    assert red.start_mix(body("t3", "o3"))["Code"] == 0


def test_the_emulator_wide_limit_is_191(red: Zego) -> None:
    tasks = red.emu.ctx.tasks
    saved = tasks.max_tasks
    tasks.max_tasks = 1
    try:
        assert red.start_mix(body("t1", "o1"))["Code"] == 0
        answer = red.start_mix(body("t2", "o2"))
        assert code_message(answer) == (
            110200191,
            "mix service overload: 1 mixes are running, the emulator's limit (max_tasks) is 1",
        )
    finally:
        tasks.max_tasks = saved


# ----- stops


def test_stop_keeps_its_sequence_and_checks_it(red: Zego) -> None:
    assert red.start_mix(body(Sequence=4))["Code"] == 0
    assert red.call("StopMix", {"TaskId": "t1", "UserId": "owner", "Sequence": 4})["Code"] == 110200002
    assert red.call("StopMix", {"TaskId": "t1", "UserId": "owner", "Sequence": 7})["Code"] == 0
    task = red.emu.ctx.tasks.get(TASK)
    assert task is not None and task.meta["sequence"] == 7


def test_stop_without_sequence_keeps_the_last(red: Zego) -> None:
    assert red.start_mix(body(Sequence=4))["Code"] == 0
    assert red.call("StopMix", {"TaskId": "t1", "UserId": "owner"})["Code"] == 0
    task = red.emu.ctx.tasks.get(TASK)
    assert task is not None and task.meta["sequence"] == 4


def test_stop_auto_mix_names_its_room(zego: Zego) -> None:
    zego.emu.publish("a1", RED, room_id="room1")
    auto = {"TaskId": "am", "UserId": "u", "RoomId": "room1", "MixOutput": [{"StreamId": "amout"}]}
    assert zego.call("StartAutoMix", auto)["Code"] == 0
    assert zego.call("GetMixTaskInfo", TaskId="am")["Data"]["TaskInfo"] == {"TaskId": "am", "MixDuration": 0}
    assert code_message(zego.call("StopAutoMix", {"TaskId": "am", "RoomId": "room2", "UserId": "u"})) == (
        110200002,
        "input params error: RoomId 'room2' is not the room of task 'am'",
    )
    assert zego.call("StopAutoMix", {"TaskId": "am", "RoomId": "room1"})["Code"] == 0  # no UserId: allowed
    assert zego.call("GetMixTaskInfo", TaskId="am")["Code"] == 110209001


# ----- GetMixTaskInfo


def test_get_mix_task_info_by_post_body(red: Zego) -> None:
    assert red.start_mix(body())["Code"] == 0
    answer = red.call("GetMixTaskInfo", {"TaskId": "t1"})
    assert answer["Code"] == 0 and answer["Data"] == {"TaskInfo": {"TaskId": "t1", "MixDuration": 0}}
    answer = red.call("GetMixTaskInfo", {"TaskId": "other"}, TaskId="t1")  # the query's TaskId first
    assert answer["Data"]["TaskInfo"]["TaskId"] == "t1"
    assert red.call("GetMixTaskInfo", {"TaskId": "nope"})["Code"] == 110209001


@pytest.mark.parametrize("raw", [b'{"TaskId": 5}', b'{"TaskId": ""}', b'["t1"]', b"{}", b'"t1"', b"   "])
def test_get_mix_task_info_needs_a_string_task_id(red: Zego, raw: bytes) -> None:
    assert red.start_mix(body())["Code"] == 0
    assert code_message(red.call("GetMixTaskInfo", raw=raw, method="POST")) == (
        110200002,
        "input params error: TaskId is required",
    )


def test_get_mix_task_info_of_an_unparsable_body(red: Zego) -> None:
    assert red.call("GetMixTaskInfo", raw=b"{oops", method="POST")["Code"] == 110200004


def test_mix_duration_counts_whole_seconds(red: Zego, monkeypatch: pytest.MonkeyPatch) -> None:
    """On the emulator clock, with the wall clock under it held still: 1.9 s is 1, 2.1 s is 2."""
    wall = time.time()
    monkeypatch.setattr(red.emu.ctx.clock, "_wall", lambda: wall)
    assert red.start_mix(body())["Code"] == 0
    red.emu.advance_clock(1.9)
    assert red.call("GetMixTaskInfo", TaskId="t1")["Data"]["TaskInfo"]["MixDuration"] == 1
    red.emu.advance_clock(0.2)
    assert red.call("GetMixTaskInfo", TaskId="t1")["Data"]["TaskInfo"]["MixDuration"] == 2


# ----- locks: one request at a time per UserId


def test_a_busy_user_id_is_refused_not_queued(red: Zego) -> None:
    assert red.start_mix(body())["Code"] == 0
    locks = red.emu.ctx.providers["zego"].locks  # type: ignore[attr-defined]
    with locks.hold(12345, "owner", START_LOCKED):
        assert code_message(red.start_mix(body())) == (
            110200005,
            "start mix get distributed lock failed, requests of this UserId are too frequent: "
            "UserId 'owner' has a request in progress",
        )
        assert red.start_mix({**body("t2", "o2"), "UserId": "other"})["Code"] == 0
        answer = red.call("StopMix", {"TaskId": "t1", "UserId": "owner"})
        assert answer["Code"] == 110200006
    with locks.hold(12345, "task:t1", STOP_LOCKED):
        assert red.call("StopMix", {"TaskId": "t1"})["Code"] == 110200006  # no UserId: the task's lock
    with locks.hold(OTHER_APP, "owner", START_LOCKED):
        assert red.start_mix(body(Sequence=3))["Code"] == 0  # another app's user of the same name
    assert red.call("StopMix", {"TaskId": "t1", "UserId": "owner"})["Code"] == 0


def test_auto_mix_takes_the_user_lock_too(zego: Zego) -> None:
    zego.emu.publish("a1", RED, room_id="room1")
    auto = {"TaskId": "am", "UserId": "u", "RoomId": "room1", "MixOutput": [{"StreamId": "amout"}]}
    locks = zego.emu.ctx.providers["zego"].locks  # type: ignore[attr-defined]
    with locks.hold(12345, "u", START_LOCKED):
        assert zego.call("StartAutoMix", auto)["Code"] == 110200005
    assert zego.call("StartAutoMix", auto)["Code"] == 0
    with locks.hold(12345, "u", STOP_LOCKED):
        assert (
            zego.call("StopAutoMix", {"TaskId": "am", "RoomId": "room1", "UserId": "u"})["Code"] == 110200006
        )


# ----- action names: faults and the journal


@pytest.mark.parametrize("action", ["StartMix", "StopMix", "StartAutoMix", "StopAutoMix", "GetMixTaskInfo"])
def test_a_fault_names_each_action(red: Zego, action: str) -> None:
    red.emu.publish("a1", RED, room_id="room1")
    red.emu.add_fault("zego", action, code=110200194, times=1)
    bodies: dict[str, Any] = {
        "StartMix": body(),
        "StopMix": {"TaskId": "t1", "UserId": "owner"},
        "StartAutoMix": {"TaskId": "am", "UserId": "u", "RoomId": "room1", "MixOutput": [{"StreamId": "ao"}]},
        "StopAutoMix": {"TaskId": "am", "RoomId": "room1", "UserId": "u"},
        "GetMixTaskInfo": {"TaskId": "t1"},
    }
    answer = red.call(action, bodies[action])
    assert code_message(answer) == (110200194, "mix request overload")
    [entry] = red.emu.requests(provider="zego", action=action)
    assert entry["response"]["Code"] == 110200194
    assert red.emu.ctx.tasks.active("zego") == []  # the fault answered instead of the service


def test_without_rtmp_play_info_has_an_empty_rtmp_url(red: Zego, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(red.emu.ctx, "rtmp_port", None)  # an emulator serving no RTMP
    [info] = red.start_mix(body())["Data"]["PlayInfo"]
    assert (info["RTMP"], info["FLV"]) == ("", f"http://{red.emu.host_port}/live/o1.flv")


def test_stopping_an_unknown_task(red: Zego) -> None:
    assert code_message(red.call("StopMix", {"TaskId": "nope", "UserId": "owner"})) == (
        110209001,
        "mix task does not exist: TaskId 'nope'",
    )
    assert code_message(red.call("StopAutoMix", {"TaskId": "nope", "RoomId": "r", "UserId": "owner"})) == (
        110209001,
        "mix task does not exist: TaskId 'nope'",
    )


def test_the_max_fps_limit_caps_the_output(red: Zego) -> None:
    assert (
        red.start_mix(body(MixOutput=[{"StreamId": "o1", "Width": 32, "Height": 18, "Fps": 25}]))["Code"] == 0
    )
    task = red.emu.ctx.tasks.get(TASK)
    assert task is not None and task.job.outputs[0].video is not None
    assert task.job.outputs[0].video.fps == 20  # ZEGO's default cap
    red.emu.request("POST", "/_emulator/zego/limits", {"max_fps": 30})
    outputs = [{"StreamId": "o2", "Width": 32, "Height": 18, "Fps": 25}]
    assert red.start_mix(body("t2", "o2", MixOutput=outputs))["Code"] == 0
    task = red.emu.ctx.tasks.get("zego:12345:t2")
    assert task is not None and task.job.outputs[0].video is not None
    assert task.job.outputs[0].video.fps == 25


def test_get_mix_task_info_answers_success(red: Zego) -> None:
    assert red.start_mix(body())["Code"] == 0
    assert code_message(red.call("GetMixTaskInfo", TaskId="t1")) == (0, "success")


def test_stop_auto_mix_requires_its_room_id(zego: Zego) -> None:
    answer = zego.call("StopAutoMix", {"TaskId": "am", "UserId": "u"})
    assert code_message(answer) == (110200002, "input params error: RoomId is required")
