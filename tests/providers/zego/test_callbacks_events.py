"""Which task events send which ZEGO callback (mix_start on start, mix_stop on each final event and only
after a mix_start), one per output, to which app's URL; and each payload field written out, with the
timestamp on the wall clock and the sha1 signature computed here."""

from __future__ import annotations

import dataclasses
import hashlib
import time
from typing import Any

import pytest

from emulator.core.callbacks import Delivery
from emulator.core.tasks import Task
from emulator.providers.zego import ZegoProvider
from tests.providers.zego.helpers import RED, Zego

DEAD_URL = "http://127.0.0.1:9/zego"  # nothing listens: each delivery fails and waits for its retry
TASK = "zego:12345:cb"


def provider(zego: Zego) -> ZegoProvider:
    found = zego.emu.ctx.providers["zego"]
    assert isinstance(found, ZegoProvider)
    return found


def deliveries(zego: Zego) -> list[Delivery]:
    return zego.emu.ctx.callbacks.list(provider="zego")


def events(zego: Zego) -> list[tuple[str, str]]:
    return [(d.event, d.payload["mix_stream_alias"]) for d in deliveries(zego)]


def start(zego: Zego, outputs: tuple[str, ...] = ("o1",), **extra: Any) -> Task:
    zego.emu.publish("red", RED)
    body = {
        "TaskId": "cb",
        "UserId": "host",
        "MixInput": [{"StreamId": "red", "RectInfo": {"Left": 0, "Top": 0, "Right": 32, "Bottom": 18}}],
        "MixOutput": [{"StreamId": s, "Width": 32, "Height": 18, "Fps": 5} for s in outputs],
        **extra,
    }
    assert zego.start_mix(body)["Code"] == 0
    task = zego.emu.ctx.tasks.get(TASK)
    assert task is not None
    return task


def on_loop(zego: Zego, task: Task, event: str) -> None:
    """Tell the notifier of a task event the way the TaskManager does: on the emulator's loop."""

    async def tell() -> None:
        provider(zego).notifier._on_task_event(task, event, {})

    zego.emu.thread.call(tell())


def test_one_mix_start_per_output_then_one_mix_stop_per_output(zego: Zego) -> None:
    zego.emu.request("POST", "/_emulator/zego/callback", {"url": DEAD_URL})
    start(zego, ("o1", "o2"))
    assert events(zego) == [("mix_start", "o1"), ("mix_start", "o2")]
    assert all(d.task_id == TASK and d.url == DEAD_URL for d in deliveries(zego))
    assert all(d.retry_delays == [2, 4, 8, 16, 32] and d.body_format == "json" for d in deliveries(zego))
    assert zego.call("StopMix", {"TaskId": "cb", "UserId": "host"})["Code"] == 0
    zego.wait_state(TASK, "stopped")
    assert events(zego)[2:] == [("mix_stop", "o1"), ("mix_stop", "o2")]


def test_an_update_sends_no_callback(zego: Zego) -> None:
    zego.emu.request("POST", "/_emulator/zego/callback", {"url": DEAD_URL})
    start(zego)
    start(zego, Sequence=2)
    assert events(zego) == [("mix_start", "o1")]


def test_no_mix_stop_without_a_mix_start(zego: Zego) -> None:
    """A task started before any callback URL was set ends without a mix_stop."""
    start(zego)
    zego.emu.request("POST", "/_emulator/zego/callback", {"url": DEAD_URL})
    assert zego.call("StopMix", {"TaskId": "cb", "UserId": "host"})["Code"] == 0
    zego.wait_state(TASK, "stopped")
    assert deliveries(zego) == []


@pytest.mark.parametrize("event", ["ended", "failed", "stopped"])
def test_each_final_event_sends_mix_stop(zego: Zego, event: str) -> None:
    zego.emu.request("POST", "/_emulator/zego/callback", {"url": DEAD_URL})
    task = start(zego)
    on_loop(zego, task, event)
    assert events(zego) == [("mix_start", "o1"), ("mix_stop", "o1")]


@pytest.mark.parametrize("event", ["stopping", "updated", "created", "idle"])
def test_other_events_send_nothing(zego: Zego, event: str) -> None:
    zego.emu.request("POST", "/_emulator/zego/callback", {"url": DEAD_URL})
    task = start(zego)
    on_loop(zego, task, event)
    assert events(zego) == [("mix_start", "o1")]


def test_an_ended_mix_calls_back(zego: Zego) -> None:
    zego.emu.request("POST", "/_emulator/zego/callback", {"url": DEAD_URL})
    start(zego)
    zego.wait_live(TASK, "red")
    zego.emu.unpublish("red")
    zego.emu.advance_clock(91)
    zego.wait_state(TASK, "ended")
    assert events(zego)[-1] == ("mix_stop", "o1")


def test_tasks_of_other_providers_are_not_zegos_to_call_back(zego: Zego) -> None:
    zego.emu.request("POST", "/_emulator/zego/callback", {"url": DEAD_URL})
    task = start(zego)
    task.provider = "tencent"
    try:
        on_loop(zego, task, "stopped")
        on_loop(zego, task, "started")
    finally:
        task.provider = "zego"
    assert events(zego) == [("mix_start", "o1")]


def test_an_app_no_longer_configured_gets_no_callback(zego: Zego) -> None:
    zego.emu.request("POST", "/_emulator/zego/callback", {"url": DEAD_URL})
    task = start(zego)
    task.meta["app_id"] = 999
    on_loop(zego, task, "started")
    assert events(zego) == [("mix_start", "o1")] and task.meta["callback_mix_start_sent"] is False
    task.meta["app_id"] = 12345


def test_the_apps_own_url_wins_over_the_url_for_all(zego: Zego) -> None:
    zego.emu.request("POST", "/_emulator/zego/callback", {"url": "http://127.0.0.1:9/all"})
    zego.emu.request("POST", "/_emulator/zego/callback", {"url": DEAD_URL, "app_id": "12345"})
    start(zego)
    assert [d.url for d in deliveries(zego)] == [DEAD_URL]


# ----- the payload, field by field


def sha1_signature(secret: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([secret, timestamp, nonce])).encode()).hexdigest()


def test_mix_start_payload_written_out(zego: Zego) -> None:
    task = start(zego, Sequence=6, RoomId="room7")
    zego.emu.advance_clock(3600)  # the timestamp is the wall clock's: receivers check it with theirs
    before = int(time.time())
    payload = provider(zego).notifier.payload(task, task.job.outputs[0], "mix_start", "k3y")
    after = int(time.time())
    host, rtmp = zego.emu.host_port, f"rtmp://127.0.0.1:{zego.emu.ctx.rtmp_port}/live/o1"
    stamp, nonce, signature = payload.pop("timestamp"), payload.pop("nonce"), payload.pop("signature")
    assert payload == {
        "appid": "12345",
        "event": "mix_start",
        "seq": "6",
        "task_id": "12345:cb",
        "channel_id": "room7",
        "publish_id": "host",
        "mix_url": rtmp,
        "mix_stream_alias": "o1",
        "stream_alias": "o1",
        "rtmp_url": rtmp,
        "hls_url": f"http://{host}/live/o1/index.m3u8",
        "hdl_url": f"http://{host}/live/o1.flv",
        "rtmp_urls": [rtmp],
        "hls_urls": [f"http://{host}/live/o1/index.m3u8"],
        "hdl_urls": [f"http://{host}/live/o1.flv"],
    }
    assert before <= int(stamp) <= after and stamp == str(int(stamp))
    assert nonce.isdigit() and 0 <= int(nonce) < 10**19
    assert signature == sha1_signature("k3y", stamp, nonce)


def test_mix_stop_payload_of_a_task_without_sequence_or_room(zego: Zego) -> None:
    task = start(zego)
    payload = provider(zego).notifier.payload(task, task.job.outputs[0], "mix_stop", "k3y")
    rtmp = f"rtmp://127.0.0.1:{zego.emu.ctx.rtmp_port}/live/o1"
    assert set(payload) == {
        "appid",
        "event",
        "seq",
        "task_id",
        "channel_id",
        "publish_id",
        "mix_url",
        "mix_stream_alias",
        "timestamp",
        "nonce",
        "signature",
    }
    assert (payload["event"], payload["seq"], payload["channel_id"], payload["mix_url"]) == (
        "mix_stop",
        "0",
        "",
        rtmp,
    )
    assert payload["signature"] == sha1_signature("k3y", payload["timestamp"], payload["nonce"])


def test_a_pushed_output_reports_its_push_url(zego: Zego) -> None:
    task = start(zego)
    pushed = dataclasses.replace(
        task.job.outputs[0], push_urls=["rtmp://cdn.example/live/a", "rtmp://b/live/a"]
    )
    payload = provider(zego).notifier.payload(task, pushed, "mix_start", "k3y")
    assert payload["mix_url"] == payload["rtmp_url"] == "rtmp://cdn.example/live/a"
    assert payload["rtmp_urls"] == ["rtmp://cdn.example/live/a"]


def test_nonces_differ(zego: Zego) -> None:
    task = start(zego)
    notifier = provider(zego).notifier
    nonces = {notifier.payload(task, task.job.outputs[0], "mix_stop", "k")["nonce"] for _ in range(50)}
    assert len(nonces) == 50
    assert max(len(n) for n in nonces) >= 17  # drawn below 10**19, not from a small range
    assert all(n.isdigit() and int(n) < 10**19 for n in nonces)


def test_without_rtmp_the_rtmp_fields_are_empty(zego: Zego, monkeypatch: pytest.MonkeyPatch) -> None:
    task = start(zego)
    monkeypatch.setattr(zego.emu.ctx, "rtmp_port", None)  # an emulator serving no RTMP
    payload = provider(zego).notifier.payload(task, task.job.outputs[0], "mix_start", "k3y")
    assert (payload["mix_url"], payload["rtmp_url"], payload["rtmp_urls"]) == ("", "", [])
    assert payload["hdl_urls"] == [f"http://{zego.emu.host_port}/live/o1.flv"]
