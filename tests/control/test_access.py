"""Safe beyond loopback: the control API's token, and the outbound allow-list for URL sources, callbacks
and pushes. Real servers on 127.0.0.1 (tests never bind elsewhere), real HTTP, the official Volcengine SDK."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from emulator.client import ControlClient, ControlError
from emulator.config import Settings, SettingsError, load_settings
from emulator.control.access import ensure_control_token, is_loopback
from emulator.core.callbacks import CallbackDispatcher
from emulator.core.clock import EmulatorClock
from emulator.core.outbound import OutboundPolicy
from emulator.server import EmulatorThread
from emulator.testing import EmulatorFixture
from tests.process_output import wait_for_line
from tests.providers.volcengine.volc_support import service, small_body
from tests.providers.zego.helpers import Zego

TOKEN = "s3cret-control-token"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorFixture]:
    settings = Settings(
        port=0,
        rtmp_port=None,
        data_dir=tmp_path_factory.mktemp("guarded"),
        control_token=TOKEN,
        outbound_allow=["media.example.com", "*.cdn.example.org", "10.0.0.0/8"],
    )
    thread = EmulatorThread(settings).start()
    try:
        yield EmulatorFixture(thread)
    finally:
        thread.stop()


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def test_only_loopback_binds_go_without_a_token() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.5") and not is_loopback("example.org")
    exposed = Settings(host="0.0.0.0")
    assert ensure_control_token(exposed) and len(exposed.control_token or "") >= 24
    local = Settings(host="127.0.0.1")
    assert not ensure_control_token(local) and local.control_token is None
    chosen = Settings(host="0.0.0.0", control_token="mine")
    assert not ensure_control_token(chosen) and chosen.control_token == "mine"


def test_the_token_comes_from_config_or_env_and_must_be_usable(tmp_path: Path) -> None:
    assert load_settings(env={"MIXEMU_CONTROL_TOKEN": "abc"}).control_token == "abc"
    config = tmp_path / "emulator.toml"
    config.write_text(
        '[emulator]\ncontrol_token = "from-file"\noutbound_allow = ["a.example", "10.0.0.0/8"]\n'
    )
    settings = load_settings(config, env={})
    assert settings.control_token == "from-file" and settings.outbound_allow == ["a.example", "10.0.0.0/8"]
    assert load_settings(env={"MIXEMU_OUTBOUND_ALLOW": "a.example, b.example:1935"}).outbound_allow == [
        "a.example",
        "b.example:1935",
    ]
    for bad in ("", "   ", "a\x00b", "bad\udcff"):  # an env var with invalid UTF-8 holds a lone surrogate
        with pytest.raises(SettingsError, match="control_token"):
            load_settings(env={"MIXEMU_CONTROL_TOKEN": bad})
    with pytest.raises(SettingsError, match="outbound_allow"):
        load_settings(env={"MIXEMU_OUTBOUND_ALLOW": "host:notaport"})


def test_control_api_needs_the_token(guarded: EmulatorFixture) -> None:
    for path in ("/_emulator/health", "/_emulator/streams", "/_emulator/media/x.png", "/_emulator/"):
        status, headers, raw = _get(guarded.url + path)
        assert status == 401, path
        assert headers["Content-Type"].startswith("application/json")
        assert json.loads(raw)["error"]["code"] == "Unauthorized"
        assert headers["WWW-Authenticate"].startswith("Bearer")
    status, _, _ = _get(guarded.url + "/_emulator/health", {"Authorization": "Bearer wrong"})
    assert status == 401
    status, _, raw = _get(guarded.url + "/_emulator/health", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200 and json.loads(raw)["status"] == "ok"
    with pytest.raises(ControlError) as refused:
        ControlClient(guarded.url).health()
    assert refused.value.status == 401
    assert ControlClient(guarded.url, token=TOKEN).health()["status"] == "ok"


def test_the_dashboard_takes_the_token_once_then_its_cookie(guarded: EmulatorFixture) -> None:
    status, headers, raw = _get(f"{guarded.url}/_emulator/?token={TOKEN}")
    assert status == 200 and b"<html" in raw.lower()
    cookie = headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    status, _, _ = _get(guarded.url + "/_emulator/tasks", {"Cookie": cookie.split(";")[0]})
    assert status == 200  # the page's own calls carry the cookie
    assert _get(f"{guarded.url}/_emulator/tasks?token={TOKEN}")[0] == 401  # the query works on the page only


def test_provider_endpoints_keep_their_own_signatures(guarded: EmulatorFixture) -> None:
    answer = Zego(guarded).call("GetMixTaskInfo", {"TaskId": "none"})  # signed, no control token
    assert answer["Code"] == 110209001
    status, _, raw = _get(guarded.url + "/live/nothing.flv")
    assert status == 404 and b"Unauthorized" not in raw


def test_url_sources_outside_the_allow_list_are_refused(guarded: EmulatorFixture) -> None:
    guarded.reset()
    with pytest.raises(ControlError) as refused:
        guarded.publish("evil", "http://169.254.169.254/latest/meta-data")
    assert refused.value.status == 400 and "allow-list" in refused.value.body["error"]["message"]
    for allowed in (
        "http://media.example.com/live.flv",
        "rtmp://edge.cdn.example.org/live/a",
        "http://10.1.2.3/x.flv",
    ):
        assert guarded.publish("ok", allowed)["source"] == allowed
    with pytest.raises(ControlError) as refused:  # nor can a URL map lead there
        guarded.map_url("https://tos.example.net/obj/clip.mp4", "http://evil.example/clip.mp4")
    assert refused.value.status == 400 and "evil.example" in refused.value.body["error"]["message"]
    resolved = guarded.ctx.tasks.resolver("pull:rtmp://evil.example/live/nobody")  # a provider's pull URL
    assert resolved is not None and resolved.spec.startswith("invalid:") and "allow-list" in resolved.spec


def test_callbacks_outside_the_allow_list_are_never_sent() -> None:
    async def run() -> Any:
        dispatcher = CallbackDispatcher(EmulatorClock(), OutboundPolicy(["hooks.example.com"]))
        delivery = dispatcher.send("zego", "mix_start", "http://127.0.0.1:9/cb", {"a": 1})
        await dispatcher.close()
        return delivery

    delivery = asyncio.run(run())
    assert delivery.gave_up and not delivery.delivered
    assert len(delivery.attempts) == 1 and "allow-list" in (delivery.attempts[0].error or "")


def test_pushes_outside_the_allow_list_are_reported_not_tried(guarded: EmulatorFixture) -> None:
    guarded.reset()
    svc = service(guarded)
    push = "rtmp://127.0.0.1:1935/live/leak"
    svc.set_host(guarded.host_port)
    task_id = svc.create_cloud_mix_task(small_body("guarded", push=[push]))["Result"]["Data"]["TaskID"]
    deadline = time.monotonic() + 15
    while True:
        task = next(t for t in guarded.ctx.tasks.all() if t.native_id == task_id)
        outputs = task.media_status().get("outputs", {})
        pushes = [p for o in outputs.values() for p in o.get("push", [])]
        if pushes or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert pushes and pushes[0]["state"] == "failed", outputs
    assert "allow-list" in pushes[0]["error"] and pushes[0]["attempts"] == 0
    svc.delete_cloud_mix_task({"TaskID": task_id})


def test_outbound_policy_entries() -> None:
    policy = OutboundPolicy(["media.example.com", "*.cdn.example.org", "10.0.0.0/8", "push.example.net:1935"])
    allowed = [
        "http://media.example.com/a.mp4",
        "https://x.cdn.example.org/a.m3u8",
        "rtmp://10.9.8.7/live/a",
        "rtmp://push.example.net/live/a",  # rtmp's default port
    ]
    refused = [
        "http://cdn.example.org/a",  # the wildcard is for subdomains
        "http://media.example.com.evil.net/a",
        "rtmp://push.example.net:1936/live/a",
        "http://[::1]/a",
        "http://127.0.0.1:8080/_emulator/reset",
        "http:///nohost",
    ]
    assert [policy.refusal(u) for u in allowed] == [None] * len(allowed)
    assert all(policy.refusal(u) for u in refused)
    assert OutboundPolicy([]).refusal("http://anything/") is None
    assert OutboundPolicy(["*"]).refusal("http://anything/") is None


def test_serve_beyond_loopback_makes_and_prints_a_token(tmp_path: Path) -> None:
    """``serve --host 0.0.0.0`` without a configured token: one is made, printed on the console, and asked
    for; the log holds no token."""
    env = {**os.environ, "MIXEMU_DATA_DIR": str(tmp_path), "MIXEMU_PORT": "0", "MIXEMU_RTMP_PORT": "off"}
    env.pop("MIXEMU_CONTROL_TOKEN", None)
    command = [sys.executable, "-m", "emulator", "serve", "--host", "0.0.0.0"]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        port = int(wait_for_line(server, r"listening on http://[^:]+:(\d+)")[1])
        assert server.stdout is not None
        banner = "".join(server.stdout.readline() for _ in range(3))  # printed with the listening line
        token = re.search(r"control API token \(bound beyond loopback\): (\S+)", banner)[1]  # type: ignore[index]
        health = f"http://127.0.0.1:{port}/_emulator/health"
        assert _get(health)[0] == 401
        assert _get(health, {"Authorization": f"Bearer {token}"})[0] == 200
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=15)
    assert output.count(token) == 0  # printed once, read above; nothing after (the log) repeats it
