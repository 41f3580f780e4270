"""StopMix and GetMixTaskInfo: durations on the emulator clock, the owner and Sequence rules of a stop, and
the 90-second end of a task whose inputs all vanished."""

from __future__ import annotations

from typing import Any

from tests.providers.zego.helpers import RED, Zego, fixture_body

TASK = "zego:12345:s1"


def _body(**extra: Any) -> dict[str, Any]:
    return {
        "TaskId": "s1",
        "UserId": "owner",
        "MixInput": [{"StreamId": "red", "RectInfo": {"Left": 0, "Top": 0, "Right": 64, "Bottom": 36}}],
        "MixOutput": [{"StreamId": "sout", "Width": 64, "Height": 36, "Fps": 5}],
        **extra,
    }


def test_mix_duration_follows_the_emulator_clock(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    assert zego.start_mix(_body())["Code"] == 0
    first = zego.call("GetMixTaskInfo", TaskId="s1")
    assert first["Data"] == {"TaskInfo": {"TaskId": "s1", "MixDuration": 0}}
    zego.wait_live(TASK, "red")
    zego.emu.advance_clock(213)
    assert zego.call("GetMixTaskInfo", TaskId="s1")["Data"]["TaskInfo"]["MixDuration"] == 213


def test_get_mix_task_info_needs_a_task_id_and_a_running_task(zego: Zego) -> None:
    assert zego.call("GetMixTaskInfo")["Code"] == 110200002
    answer = zego.call("GetMixTaskInfo", TaskId="nope")
    assert (answer["Code"], answer["Message"]) == (110209001, "mix task does not exist: TaskId 'nope'")


def test_stop_mix_stops_and_frees_the_task_id(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    assert zego.start_mix(_body(Sequence=1))["Code"] == 0
    answer = zego.call("StopMix", {"TaskId": "s1", "Sequence": 2, "UserId": "owner"})
    assert answer | {"RequestId": ""} == {"Code": 0, "Message": "success", "RequestId": ""}
    zego.wait_state(TASK, "stopped")
    assert zego.call("GetMixTaskInfo", TaskId="s1")["Code"] == 110209001
    assert zego.call("StopMix", {"TaskId": "s1"})["Code"] == 110209001
    assert zego.start_mix(_body(Sequence=1))["Code"] == 0  # a new task: its Sequence starts afresh


def test_only_the_owner_stops_with_a_newer_sequence(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    assert zego.start_mix(_body(Sequence=3))["Code"] == 0
    answer = zego.call("StopMix", {"TaskId": "s1", "UserId": "someone"})
    assert answer["Code"] == 110200160
    assert answer["Message"] == "not the owner of the mix task: UserId 'someone' did not start task 's1'"
    assert zego.call("StopMix", {"TaskId": "s1", "Sequence": 2, "UserId": "owner"})["Code"] == 110200002
    answer = zego.call("StopMix", {"TaskId": "s1"})  # ownership is not skipped by leaving UserId out
    assert answer["Code"] == 110200160 and "must name the UserId" in answer["Message"]
    assert zego.emu.ctx.tasks.get(TASK).state.active
    assert zego.call("StopMix", {"TaskId": "s1", "UserId": "owner"})["Code"] == 0  # Sequence is optional


def test_documented_stop_mix_example_reaches_its_task(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    body = {**_body(), "TaskId": "2213699902971205739", "UserId": "456"}
    assert zego.start_mix(body)["Code"] == 0
    assert zego.call("StopMix", fixture_body("stop_mix.json"))["Code"] == 0


def test_task_ends_90_seconds_after_its_inputs_vanished(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    assert zego.start_mix(_body())["Code"] == 0
    zego.wait_live(TASK, "red")
    zego.emu.unpublish("red")
    zego.emu.advance_clock(89)
    assert zego.call("GetMixTaskInfo", TaskId="s1")["Code"] == 0
    zego.emu.advance_clock(2)
    task = zego.emu.ctx.tasks.get(TASK)
    assert task is not None and task.stop_reason == "idle_timeout"
    assert zego.call("GetMixTaskInfo", TaskId="s1")["Code"] == 110209001


def test_an_input_coming_back_keeps_the_task(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    assert zego.start_mix(_body())["Code"] == 0
    zego.wait_live(TASK, "red")
    zego.emu.unpublish("red")
    zego.emu.advance_clock(60)
    zego.emu.publish("red", RED)
    zego.wait_live(TASK, "red")
    zego.emu.advance_clock(60)
    assert zego.call("GetMixTaskInfo", TaskId="s1")["Data"]["TaskInfo"]["MixDuration"] == 120
