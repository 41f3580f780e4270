"""mix_start / mix_stop callbacks: ZEGO's fields, a receiver that verifies the sha1 signature, retries at
2, 4, 8, 16, 32 s of the emulator clock until a 2xx, and the deliveries in the control API."""

from __future__ import annotations

import hashlib
import json
import queue
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import pytest

from emulator.client import ControlError
from tests.providers.zego.helpers import RED, Zego, fixture_body


class Receiver:
    """A callback endpoint: answers each POST with the next status of ``statuses`` (then 200)."""

    def __init__(self) -> None:
        self.received: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                kind = self.headers["Content-Type"]
                body = json.loads(raw) if kind == "application/json" else dict(parse_qsl(raw.decode()))
                receiver.received.put((kind, body))
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/zego/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def next(self, timeout: float = 10.0) -> dict[str, Any]:
        return self.received.get(timeout=timeout)[1]


@pytest.fixture
def receiver(zego: Zego) -> Iterator[Receiver]:
    server = Receiver()
    zego.emu.request("POST", "/_emulator/zego/callback", {"url": server.url})
    yield server
    server.server.shutdown()


def verify(body: dict[str, Any], secret: str = "secret") -> bool:
    """What a ZEGO customer's server does: sha1 over the sorted secret, timestamp and nonce."""
    text = "".join(sorted([secret, body["timestamp"], body["nonce"]]))
    return hashlib.sha1(text.encode()).hexdigest() == body["signature"]


def _settled(zego: Zego, flag: str) -> dict[str, Any]:
    """The only delivery, once its last attempt was recorded (the receiver answers before that)."""
    deadline = time.monotonic() + 10
    while not (delivery := zego.emu.callbacks("zego")[0])[flag] and time.monotonic() < deadline:
        time.sleep(0.02)
    return delivery


def _attempted(zego: Zego, count: int) -> dict[str, Any]:
    """The only delivery once ``count`` attempts are recorded: the receiver sees a POST before the
    dispatcher records its answer and schedules the retry, so a test must wait before moving the clock."""
    deadline = time.monotonic() + 10
    while len((delivery := zego.emu.callbacks("zego")[0])["attempts"]) < count:
        assert time.monotonic() < deadline, delivery
        time.sleep(0.02)
    return delivery


def _start(zego: Zego, **extra: Any) -> None:
    zego.emu.publish("red", RED)
    body = {
        "TaskId": "cb1",
        "UserId": "host",
        "RoomId": "room7",
        "Sequence": 4,
        "MixInput": [{"StreamId": "red", "RectInfo": {"Left": 0, "Top": 0, "Right": 64, "Bottom": 36}}],
        "MixOutput": [{"StreamId": "cbout", "Width": 64, "Height": 36, "Fps": 5}],
        **extra,
    }
    assert zego.start_mix(body)["Code"] == 0


def test_mix_start_and_mix_stop_fields_and_signatures(zego: Zego, receiver: Receiver) -> None:
    _start(zego)
    start = receiver.next()
    play = zego.emu.ctx.play_urls("cbout")
    assert verify(start)
    assert {k: v for k, v in start.items() if k not in ("timestamp", "nonce", "signature")} == {
        "appid": "12345",
        "event": "mix_start",
        "seq": "4",
        "task_id": "12345:cb1",
        "channel_id": "room7",
        "publish_id": "host",
        "mix_url": play["rtmp"],
        "mix_stream_alias": "cbout",
        "stream_alias": "cbout",
        "rtmp_url": play["rtmp"],
        "hls_url": play["hls"],
        "hdl_url": play["flv"],
        "rtmp_urls": [play["rtmp"]],
        "hls_urls": [play["hls"]],
        "hdl_urls": [play["flv"]],
    }
    assert start["timestamp"] == str(int(float(start["timestamp"]))) and start["nonce"].isdigit()
    assert zego.call("StopMix", {"TaskId": "cb1", "Sequence": 5, "UserId": "host"})["Code"] == 0
    stop = receiver.next()
    assert verify(stop)
    assert {k: v for k, v in stop.items() if k not in ("timestamp", "nonce", "signature")} == {
        "appid": "12345",
        "event": "mix_stop",
        "seq": "5",
        "task_id": "12345:cb1",
        "channel_id": "room7",
        "publish_id": "host",
        "mix_url": play["rtmp"],
        "mix_stream_alias": "cbout",
    }
    tampered = {**stop, "nonce": stop["nonce"] + "1"}
    assert not verify(tampered) and not verify(stop, "other secret")


def test_failed_deliveries_are_retried_on_the_emulator_clock(zego: Zego, receiver: Receiver) -> None:
    receiver.statuses = [500, 503]
    _start(zego)
    assert receiver.next()["event"] == "mix_start"
    delivery = _attempted(zego, 1)
    assert len(zego.emu.callbacks("zego")) == 1
    assert not delivery["delivered"] and delivery["retry_delays"] == [2, 4, 8, 16, 32]
    first_at = delivery["attempts"][0]["time"]
    zego.emu.advance_clock(2)
    assert receiver.next()["event"] == "mix_start"
    _attempted(zego, 2)
    zego.emu.advance_clock(4)
    assert receiver.next()["event"] == "mix_start"
    delivery = _settled(zego, "delivered")
    assert delivery["delivered"] is True
    assert [a["status"] for a in delivery["attempts"]] == [500, 503, 200]
    assert [round(a["time"] - first_at) for a in delivery["attempts"]] == [0, 2, 6]


def test_delivery_gives_up_after_five_retries(zego: Zego, receiver: Receiver) -> None:
    receiver.statuses = [500] * 6
    _start(zego)
    receiver.next()
    for attempt, delay in enumerate((2, 4, 8, 16, 32), start=1):
        _attempted(zego, attempt)
        zego.emu.advance_clock(delay)
        receiver.next()
    delivery = _settled(zego, "gave_up")
    assert delivery["gave_up"] and len(delivery["attempts"]) == 6
    zego.emu.advance_clock(64)
    assert receiver.received.empty()


def test_callback_secret_and_per_app_url(zego: Zego, receiver: Receiver) -> None:
    zego.emu.request(
        "POST", "/_emulator/zego/callback", {"url": receiver.url, "secret": "s3cret", "app_id": "12345"}
    )
    _start(zego)
    body = receiver.next()
    assert verify(body, "s3cret") and not verify(body)
    with pytest.raises(ControlError) as error:
        zego.emu.request("POST", "/_emulator/zego/callback", {"url": receiver.url, "app_id": "999"})
    assert error.value.status == 404
    with pytest.raises(ControlError) as error:
        zego.emu.request("POST", "/_emulator/zego/callback", {"url": "ftp://x"})
    assert error.value.status == 400


def test_form_bodies_when_configured(zego: Zego, receiver: Receiver) -> None:
    options = zego.emu.ctx.settings.providers.setdefault("zego", {})
    options["callback_format"] = "form"
    try:
        _start(zego)
        kind, body = receiver.received.get(timeout=10)
    finally:
        del options["callback_format"]
    assert kind == "application/x-www-form-urlencoded"
    assert verify(body) and json.loads(body["hdl_urls"]) == [zego.emu.ctx.play_urls("cbout")["flv"]]


def test_auto_mix_and_legacy_mixes_call_back_too(zego: Zego, receiver: Receiver) -> None:
    zego.emu.publish("a1", RED, room_id="room123")
    assert zego.call("StartAutoMix", fixture_body("start_auto_mix.json"))["Code"] == 0
    body = receiver.next()
    assert (body["event"], body["channel_id"], body["task_id"]) == (
        "mix_start",
        "room123",
        "12345:2213699902971205739",
    )
    legacy = {
        "id_name": "anchor",
        "task_id": "leg",
        "MixInput": [{"stream_id": "a1", "rect": {"bottom": 36, "right": 64}}],
        "MixOutput": [{"stream_id": "legout", "width": 64, "height": 36, "fps": 5}],
    }
    assert zego.legacy_post("/cgi/start-mix", legacy, zego.token())["code"] == 0
    assert receiver.next()["task_id"] == "12345:leg"


def test_no_callback_without_a_url(zego: Zego) -> None:
    _start(zego)
    assert zego.emu.callbacks("zego") == []
