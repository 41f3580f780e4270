"""StartAutoMix / StopAutoMix: an audio-only mix of a room that follows streams joining and leaving (control
API and RTMP publishers), ExtraMixInput added from other rooms or removed, the 9-input limit; and the decoded
output whose sound follows the room."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from emulator.media.clips import write_clip
from emulator.testing import push_rtmp
from tests.providers.zego.helpers import Zego, fixture_body

TASK = "zego:12345:auto:2213699902971205739"


def _tone(hz: int) -> str:
    return f"pattern:color?color=#ff0000&size=32x18&fps=5&tone={hz}"


def _layers(zego: Zego, task_id: str = TASK) -> list[tuple[str, int]]:
    task = zego.emu.ctx.tasks.get(task_id)
    assert task is not None
    return [(layer.id, layer.volume) for layer in task.job.layers]


def test_documented_example_mixes_the_room_as_audio(zego: Zego) -> None:
    zego.emu.publish("a1", _tone(440), room_id="room123")
    zego.emu.publish("a2", _tone(660), room_id="room123")
    zego.emu.publish("elsewhere", _tone(880), room_id="room999")
    answer = zego.call("StartAutoMix", fixture_body("start_auto_mix.json"))
    assert answer["Code"] == 0, answer
    play = zego.emu.ctx.play_urls("stream3")
    assert answer["Data"] == {
        "UserId": "123",
        "Sequence": 0,
        "RoomId": "room123",
        "PlayInfo": [
            {
                "StreamId": "stream3",
                "RTMP": play["rtmp"],
                "HLS": play["hls"],
                "FLV": play["flv"],
                "Status": 0,
                "UserName": "",
            }
        ],
    }
    assert _layers(zego) == [("a1", 100), ("a2", 100)]
    task = zego.emu.ctx.tasks.get(TASK)
    assert task is not None
    assert all(not layer.video and layer.audio for layer in task.job.layers)
    [output] = task.job.outputs
    assert output.video is None and output.audio is not None
    assert zego.call("GetMixTaskInfo", TaskId="2213699902971205739")["Code"] == 0
    assert zego.call("StopAutoMix", fixture_body("stop_auto_mix.json"))["Code"] == 0
    zego.wait_state(TASK, "stopped")


def test_joins_and_leaves_change_the_mix_without_requests(zego: Zego) -> None:
    zego.emu.publish("a1", _tone(440), room_id="room123")
    assert zego.call("StartAutoMix", fixture_body("start_auto_mix.json"))["Code"] == 0
    zego.emu.publish("a2", _tone(660), room_id="room123")
    assert _layers(zego) == [("a1", 100), ("a2", 100)]
    zego.emu.unpublish("a1")
    assert _layers(zego) == [("a2", 100)]
    zego.emu.publish("a1", _tone(440), room_id="room123")
    assert _layers(zego) == [("a2", 100), ("a1", 100)]
    assert len(zego.emu.requests(provider="zego")) == 1


def test_extra_inputs_add_and_remove(zego: Zego) -> None:
    zego.emu.publish("a1", _tone(440), room_id="room123")
    zego.emu.publish("a2", _tone(660), room_id="room123")
    zego.emu.publish("guest", _tone(880), room_id="other")
    body = {
        **fixture_body("start_auto_mix.json"),
        "ExtraMixInput": [
            {"StreamId": "guest", "Volume": 150},
            {"StreamId": "a2", "ModifyType": 1},
        ],
    }
    assert zego.call("StartAutoMix", body)["Code"] == 0
    assert _layers(zego) == [("a1", 100), ("guest", 150)]
    zego.emu.publish("a3", _tone(550), room_id="room123")
    assert _layers(zego) == [("a1", 100), ("a3", 100), ("guest", 150)]


def test_auto_mix_update_and_limits(zego: Zego) -> None:
    for i in range(8):
        zego.emu.publish(f"s{i}", _tone(300 + 50 * i), room_id="room123")
    zego.emu.publish("g1", _tone(900), room_id="x")
    zego.emu.publish("g2", _tone(950), room_id="x")
    base = fixture_body("start_auto_mix.json")
    too_many = {**base, "ExtraMixInput": [{"StreamId": "g1"}, {"StreamId": "g2"}]}
    answer = zego.call("StartAutoMix", too_many)
    assert (answer["Code"], answer["Message"]) == (
        110200158,
        "too many input streams: 10 inputs with the room's streams, at most 9",
    )
    assert zego.call("StartAutoMix", {**base, "Sequence": 1})["Code"] == 0
    assert (
        zego.call("StartAutoMix", {**base, "Sequence": 2, "ExtraMixInput": [{"StreamId": "g1"}]})["Code"] == 0
    )
    assert _layers(zego)[-1] == ("g1", 100)
    assert zego.call("StartAutoMix", {**base, "Sequence": 2})["Code"] == 110200002
    assert zego.call("StartAutoMix", {**base, "Sequence": 3, "RoomId": "x"})["Code"] == 110200007
    zego.emu.publish("late", _tone(990), room_id="room123")  # a tenth stream joining is not mixed
    assert len(_layers(zego)) == 9


def _auto(**fields: Any) -> dict[str, Any]:
    """A StartAutoMix body with ``fields`` replaced (None removes one)."""
    body = {"TaskId": "t", "UserId": "u", "RoomId": "room123", "MixOutput": [{"StreamId": "o"}], **fields}
    return {k: v for k, v in body.items() if v is not None}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (_auto(TaskId=None), 110200002),
        (_auto(RoomId=None), 110200002),
        (_auto(MixOutput=[]), 110200002),
        (_auto(MixOutput=[{"StreamId": f"o{i}"} for i in range(4)]), 110200178),
        (_auto(MixOutput=[{"StreamId": "o"}, {"StreamId": "o"}]), 110200176),
        (_auto(MixOutput=[{"StreamId": "o", "AudioCodec": 9}]), 110200002),
        (_auto(ExtraMixInput=[{"ModifyType": 1}]), 110200002),
        (_auto(ExtraMixInput=[{"StreamId": "ghost"}]), 110200150),
        (_auto(RoomId="empty"), 110200150),
        (_auto(SoundLevel=1, ExtraMixInput=[{"StreamId": "a1"}]), 110200002),
        (_auto(TaskId=7), 110200184),
    ],
)
def test_start_auto_mix_refuses(zego: Zego, body: dict[str, Any], code: int) -> None:
    zego.emu.publish("a1", _tone(440), room_id="room123")
    assert zego.call("StartAutoMix", body)["Code"] == code


def test_empty_room_starts_when_configured(zego: Zego) -> None:
    options = zego.emu.ctx.settings.providers.setdefault("zego", {})
    options["auto_mix_create_room"] = True
    try:
        body = {**fixture_body("start_auto_mix.json"), "RoomId": "later"}
        assert zego.call("StartAutoMix", body)["Code"] == 0
        zego.emu.publish("a1", _tone(440), room_id="later")
        assert _layers(zego) == [("a1", 100)]
    finally:
        del options["auto_mix_create_room"]


def test_stop_auto_mix_rules(zego: Zego) -> None:
    zego.emu.publish("a1", _tone(440), room_id="room123")
    assert zego.call("StartAutoMix", fixture_body("start_auto_mix.json"))["Code"] == 0
    task_id = "2213699902971205739"
    assert zego.call("StopAutoMix", {"TaskId": task_id})["Code"] == 110200002  # RoomId is required
    assert zego.call("StopAutoMix", {"TaskId": task_id, "RoomId": "nope"})["Code"] == 110200002
    assert (
        zego.call("StopAutoMix", {"TaskId": task_id, "RoomId": "room123", "UserId": "x"})["Code"] == 110200160
    )
    assert zego.call("StopMix", {"TaskId": task_id})["Code"] == 110209001  # StopMix stops manual mixes only
    assert zego.call("StopAutoMix", {"TaskId": task_id, "RoomId": "room123", "UserId": "123"})["Code"] == 0
    assert zego.call("StopAutoMix", {"TaskId": task_id, "RoomId": "room123"})["Code"] == 110209001


def test_room_left_empty_ends_the_mix_90_seconds_later(zego: Zego) -> None:
    zego.emu.publish("a1", _tone(440), room_id="room123")
    assert zego.call("StartAutoMix", fixture_body("start_auto_mix.json"))["Code"] == 0
    zego.wait_live(TASK, "a1")
    zego.emu.unpublish("a1")
    assert _layers(zego) == [("a1", 100)]  # the last stream stays, lost, so the 90 s count from its leave
    zego.emu.advance_clock(85)
    assert zego.call("GetMixTaskInfo", TaskId="2213699902971205739")["Code"] == 0
    zego.emu.advance_clock(10)
    assert zego.call("GetMixTaskInfo", TaskId="2213699902971205739")["Code"] == 110209001


def test_an_rtmp_publisher_joins_the_room(zego: Zego, tmp_path: Path) -> None:
    zego.emu.publish("a1", _tone(440), room_id="room123")
    assert zego.call("StartAutoMix", fixture_body("start_auto_mix.json"))["Code"] == 0
    clip = write_clip(tmp_path / "anchor.flv", size=(64, 36), fps=10, duration=1.0, tone_hz=660)
    url = zego.emu.rtmp_url("rtmp_anchor", room_id="room123", user_id="anchor")
    with push_rtmp(clip, url):
        deadline = time.monotonic() + 15
        while ("rtmp_anchor", 100) not in _layers(zego) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _layers(zego) == [("a1", 100), ("rtmp_anchor", 100)]
    deadline = time.monotonic() + 15
    while len(_layers(zego)) > 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _layers(zego) == [("a1", 100)]


def _band_levels(samples: np.ndarray, rate: int, freqs: tuple[int, ...]) -> list[float]:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    bins = np.fft.rfftfreq(len(samples), 1 / rate)
    return [float(spectrum[(bins > f - 15) & (bins < f + 15)].max()) for f in freqs]


def test_decoded_output_follows_the_room(zego: Zego) -> None:
    """440 Hz alone, then 440 + 1000 Hz after a join, then 1000 Hz alone after the leave: in the recording."""
    zego.emu.publish("low", _tone(440), room_id="room123")
    assert zego.call("StartAutoMix", fixture_body("start_auto_mix.json"))["Code"] == 0
    zego.wait_live(TASK, "low")
    task = zego.emu.ctx.tasks.get(TASK)
    assert task is not None
    marks = [task.media_status()["media_time"]]
    time.sleep(1.2)
    zego.emu.publish("high", _tone(1000), room_id="room123")
    zego.wait_live(TASK, "high")
    marks.append(task.media_status()["media_time"])
    time.sleep(1.2)
    levels = zego.emu.request(
        "GET", "/_emulator/zego/sound-levels", app_id=12345, task_id="2213699902971205739"
    )
    assert {entry["input"] for entry in levels["levels"]} >= {"low", "high"}
    zego.emu.unpublish("low")
    marks.append(task.media_status()["media_time"])
    time.sleep(1.2)
    marks.append(task.media_status()["media_time"])
    assert zego.call("StopAutoMix", fixture_body("stop_auto_mix.json"))["Code"] == 0
    zego.wait_state(TASK, "stopped")
    recording = task.media_status()["outputs"]["stream3"]["recording"]
    with av.open(recording) as container:
        assert not container.streams.video
        chunks = [(f.time, f.to_ndarray().mean(axis=0), f.sample_rate) for f in container.decode(audio=0)]
    rate = chunks[0][2]

    def phase(start: float, end: float) -> list[float]:
        samples = np.concatenate([c for t, c, _ in chunks if t is not None and start + 0.3 <= t <= end - 0.1])
        return _band_levels(samples, rate, (440, 1000))

    alone, both, high_only = (phase(marks[i], marks[i + 1]) for i in range(3))
    assert alone[0] > 20 * alone[1], alone
    assert both[0] > 0.2 * both[1] and both[1] > 0.2 * both[0], both
    assert high_only[1] > 20 * high_only[0], high_only
