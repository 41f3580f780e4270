"""StartAutoMix's service rules with their messages: the empty room, what an update may not change, which
ExtraMixInput must exist, and rooms followed whatever thread a stream joins from, one room per task."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.providers.zego.helpers import RED, Zego

TASK = "zego:12345:auto:am"


def auto(**extra: Any) -> dict[str, Any]:
    return {"TaskId": "am", "UserId": "u", "RoomId": "room1", "MixOutput": [{"StreamId": "amout"}], **extra}


def layer_ids(zego: Zego, task_id: str = TASK) -> list[str]:
    task = zego.emu.ctx.tasks.get(task_id)
    assert task is not None
    return [layer.id for layer in task.job.layers]


def code_message(answer: dict[str, Any]) -> tuple[int, str]:
    return answer["Code"], answer["Message"]


@pytest.fixture
def room1(zego: Zego) -> Zego:
    zego.emu.publish("a1", RED, room_id="room1")
    return zego


def test_an_empty_room(zego: Zego) -> None:
    zego.emu.publish("a1", RED, room_id="other")
    assert code_message(zego.call("StartAutoMix", auto())) == (
        110200150,
        "input stream does not exist: room 'room1' does not exist: no stream is published in it",
    )
    assert zego.emu.ctx.tasks.get(TASK) is None


def test_a_room_with_only_an_extra_input_is_not_empty(zego: Zego) -> None:
    zego.emu.publish("g1", RED, room_id="other")
    assert zego.call("StartAutoMix", auto(ExtraMixInput=[{"StreamId": "g1"}]))["Code"] == 0
    assert layer_ids(zego) == ["g1"]


def test_an_update_keeps_its_room(room1: Zego) -> None:
    room1.emu.publish("b1", RED, room_id="room2")
    assert room1.call("StartAutoMix", auto(Sequence=1))["Code"] == 0
    assert code_message(room1.call("StartAutoMix", auto(Sequence=2, RoomId="room2"))) == (
        110200007,
        "update mix task failed: the task mixes room 'room1': stop it first",
    )


def test_an_update_keeps_its_outputs(room1: Zego) -> None:
    assert room1.call("StartAutoMix", auto())["Code"] == 0
    assert code_message(room1.call("StartAutoMix", auto(MixOutput=[{"StreamId": "other"}]))) == (
        110200007,
        "update mix task failed: MixOutput cannot change while the task runs: stop it first",
    )
    answer = room1.call("StartAutoMix", auto(MixOutput=[{"StreamId": "amout", "AudioBitrate": 64000}]))
    assert answer["Code"] == 0  # the same output stream with other settings


def test_only_the_owner_updates_an_auto_mix(room1: Zego) -> None:
    assert room1.call("StartAutoMix", auto(Sequence=5))["Code"] == 0
    assert code_message(room1.call("StartAutoMix", {**auto(Sequence=6), "UserId": "x"})) == (
        110200160,
        "not the owner of the mix task: UserId 'x' did not start task 'am'",
    )
    assert room1.call("StartAutoMix", auto(Sequence=5))["Code"] == 110200002


def test_an_update_is_followed_from_then_on(room1: Zego) -> None:
    room1.emu.publish("g1", RED, room_id="other")
    assert room1.call("StartAutoMix", auto())["Code"] == 0
    assert room1.call("StartAutoMix", auto(ExtraMixInput=[{"StreamId": "g1"}]))["Code"] == 0
    room1.emu.publish("a2", RED, room_id="room1")
    assert layer_ids(room1) == ["a1", "a2", "g1"]  # the join re-derives the inputs from the updated request
    assert len(room1.emu.ctx.tasks.active("zego")) == 1


def test_which_extra_inputs_must_exist(room1: Zego) -> None:
    extras = [
        {"StreamId": "ghost", "ModifyType": 1},  # removing a stream that is not there: nothing to check
        {"StreamUrl": "rtmp://127.0.0.1:1/live/pulled"},  # a URL is pulled, not looked up
    ]
    assert room1.call("StartAutoMix", auto(ExtraMixInput=extras))["Code"] == 0
    assert layer_ids(room1) == ["a1", "rtmp://127.0.0.1:1/live/pulled"]
    answer = room1.call("StartAutoMix", auto(ExtraMixInput=[{"StreamId": "ghost"}]))
    assert answer["Code"] == 110200150 and "ghost" in answer["Message"]


def test_a_room_stream_named_as_the_output_is_not_an_input(room1: Zego) -> None:
    room1.emu.publish("a2", RED, room_id="room1")
    assert room1.call("StartAutoMix", auto(MixOutput=[{"StreamId": "a2"}]))["Code"] == 0
    assert layer_ids(room1) == ["a1"]
    room1.emu.publish("a3", RED, room_id="room1")
    assert layer_ids(room1) == ["a1", "a3"]


def test_a_stream_joining_from_another_thread_is_followed(room1: Zego) -> None:
    assert room1.call("StartAutoMix", auto())["Code"] == 0
    room1.emu.ctx.registry.publish("a2", RED, room_id="room1")  # as an RTMP publisher's thread does
    deadline = time.monotonic() + 10
    while layer_ids(room1) != ["a1", "a2"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert layer_ids(room1) == ["a1", "a2"]
    room1.emu.ctx.registry.unpublish("a1")
    deadline = time.monotonic() + 10
    while layer_ids(room1) != ["a2"] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert layer_ids(room1) == ["a2"]


def test_each_auto_mix_follows_its_own_room(room1: Zego) -> None:
    room1.emu.publish("b1", RED, room_id="room2")
    assert room1.call("StartAutoMix", auto())["Code"] == 0
    other = {**auto(), "TaskId": "bm", "UserId": "v", "RoomId": "room2", "MixOutput": [{"StreamId": "bmout"}]}
    assert room1.call("StartAutoMix", other)["Code"] == 0
    room1.emu.publish("b2", RED, room_id="room2")
    assert layer_ids(room1) == ["a1"]
    assert layer_ids(room1, "zego:12345:auto:bm") == ["b1", "b2"]


def test_a_manual_mix_does_not_follow_a_room(zego: Zego) -> None:
    zego.emu.publish("a1", RED, room_id="room1")
    body = {
        "TaskId": "m",
        "UserId": "u",
        "RoomId": "room1",
        "MixInput": [{"StreamId": "a1", "RectInfo": {"Left": 0, "Top": 0, "Right": 32, "Bottom": 18}}],
        "MixOutput": [{"StreamId": "mout", "Width": 32, "Height": 18}],
    }
    assert zego.start_mix(body)["Code"] == 0
    zego.emu.publish("a2", RED, room_id="room1")
    assert layer_ids(zego, "zego:12345:m") == ["a1"]


def test_a_join_keeps_the_pulled_extra_inputs(room1: Zego) -> None:
    url = "rtmp://127.0.0.1:1/live/pulled"
    assert room1.call("StartAutoMix", auto(ExtraMixInput=[{"StreamUrl": url}]))["Code"] == 0
    room1.emu.publish("a2", RED, room_id="room1")
    assert layer_ids(room1) == ["a1", "a2", url]


def test_the_test_environment_needs_prefixed_ids(zego: Zego) -> None:
    zego.emu.publish("zegotest-12345-a1", RED, room_id="room1")
    zego.emu.publish("g1", RED, room_id="other")
    zego.emu.publish("zegotest-12345-g1", RED, room_id="other")
    answer = zego.call("StartAutoMix", auto(ExtraMixInput=[{"StreamId": "g1"}]), IsTest="true")
    assert code_message(answer) == (
        110200150,
        "input stream does not exist: 'g1': test environment ids start with zegotest-12345-",
    )
    answer = zego.call("StartAutoMix", auto(), IsTest="true")
    assert code_message(answer) == (
        110200156,
        "output format error: 'amout': test environment ids start with zegotest-12345-",
    )
    prefixed = auto(
        ExtraMixInput=[{"StreamId": "zegotest-12345-g1"}], MixOutput=[{"StreamId": "zegotest-12345-amout"}]
    )
    assert zego.call("StartAutoMix", prefixed, IsTest="true")["Code"] == 0
    assert layer_ids(zego) == ["zegotest-12345-a1", "zegotest-12345-g1"]
