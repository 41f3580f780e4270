"""The control API contract of shared/design.md, over real HTTP against the in-process emulator."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest

from emulator.client import ControlError
from emulator.testing import EmulatorFixture


def _raw(emu: EmulatorFixture, method: str, path: str, body: bytes | None = None) -> tuple[int, dict]:
    req = urllib.request.Request(
        emu.url + path, data=body, method=method, headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        assert exc.headers.get_content_type() == "application/json"
        return exc.code, json.loads(exc.read())


def test_health_names_version_and_providers(mix_emulator: EmulatorFixture) -> None:
    health = mix_emulator.health()
    assert health["status"] == "ok"
    assert health["version"]
    assert isinstance(health["providers"], list)
    assert health["http"] == mix_emulator.url


def test_round_trip_publish_fault_journal_reset(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    stream = emu.publish(
        "anchor1", "pattern:bars?size=320x180&fps=25&tone=440", room_id="room1", user_id="u1"
    )
    assert stream["stream_id"] == "anchor1" and stream["origin"] == "control"
    assert (stream["info"]["width"], stream["info"]["height"]) == (320, 180)
    assert set(stream["play"]) == {"flv", "rtmp"}  # relayed to players on demand (test_relay.py)
    assert [s["stream_id"] for s in emu.streams()] == ["anchor1"]
    assert [s["stream_id"] for s in emu.streams(room_id="room1")] == ["anchor1"]
    assert emu.streams(room_id="other") == []

    fault = emu.add_fault("zego", "StartMix", code=110200194, times=1)
    assert fault["id"] >= 1 and [f["id"] for f in emu.faults()] == [fault["id"]]

    # Any provider-path request is journaled, whatever answers it.
    _raw(emu, "POST", "/?Action=StartMix&AppId=12345&Signature=secret-sig", b'{"TaskId": "t"}')
    entries = emu.requests(action="StartMix") or emu.requests()
    assert entries, "the request was journaled"
    assert entries[-1]["query"]["Signature"] == "***"

    emu.reset()
    assert emu.streams() == [] and emu.faults() == [] and emu.requests() == []


def test_unpublish_and_get(mix_emulator: EmulatorFixture) -> None:
    mix_emulator.publish("s1", "pattern:color?color=#ff0000&size=64x64")
    assert mix_emulator.request("GET", "/_emulator/streams/s1")["stream"]["source"].startswith(
        "pattern:color"
    )
    assert mix_emulator.unpublish("s1")["stream"]["stream_id"] == "s1"
    with pytest.raises(ControlError) as err:
        mix_emulator.unpublish("s1")
    assert err.value.status == 404 and err.value.body["error"]["code"] == "StreamNotFound"


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        (b"{not json", 400, "body"),
        (b"[]", 400, "body"),
        (b"", 400, "body"),
        (b'{"stream_id": 5, "source": "pattern:bars"}', 400, "stream_id"),
        (b'{"stream_id": "a", "source": "pattern:bars", "colour": 1}', 400, "colour"),
        (b'{"source": "pattern:bars"}', 400, "stream_id"),
        (b'{"stream_id": "a/b", "source": "pattern:bars"}', 400, "stream_id"),
        (b'{"stream_id": "a", "source": "pattern:bars", "loop": "yes"}', 400, "loop"),
        (b'{"stream_id": "a", "source": "/etc/passwd"}', 400, "source"),
        (b'{"stream_id": "a", "source": "pattern:nonsense"}', 400, "source"),
        (b'{"stream_id": "' + b"x" * 300 + b'", "source": "pattern:bars"}', 400, "stream_id"),
    ],
)
def test_bad_publish_bodies_name_the_field(
    mix_emulator: EmulatorFixture, body: bytes, status: int, field: str
) -> None:
    code, answer = _raw(mix_emulator, "POST", "/_emulator/streams", body)
    assert code == status
    assert answer["error"]["field"] == field


def test_oversized_body_is_refused_with_json(mix_emulator: EmulatorFixture) -> None:
    limit = mix_emulator.ctx.settings.max_body_bytes
    code, answer = _raw(mix_emulator, "POST", "/_emulator/streams", b'{"stream_id": "' + b"x" * limit + b'"}')
    assert code == 413 and answer["error"]["code"] == "BodyTooLarge"


def test_url_mapping_round_trip(mix_emulator: EmulatorFixture) -> None:
    url = "https://tos.example.org/obj/test.mp4"
    mix_emulator.map_url(url, "pattern:bars?size=320x180")
    assert mix_emulator.request("GET", "/_emulator/urls")["urls"] == [
        {"url": url, "source": "pattern:bars?size=320x180"}
    ]
    mix_emulator.request("DELETE", "/_emulator/urls", url=url)
    assert mix_emulator.request("GET", "/_emulator/urls")["urls"] == []
    with pytest.raises(ControlError) as err:
        mix_emulator.request("DELETE", "/_emulator/urls", url=url)
    assert err.value.status == 404


def test_media_roots_are_served_without_traversal(mix_emulator: EmulatorFixture) -> None:
    media = mix_emulator.ctx.settings.data_dir / "media"
    (media / "hello.txt").write_text("hi")
    assert mix_emulator.request("GET", "/_emulator/media/hello.txt") == b"hi"
    for path in (
        "/_emulator/media/../../etc/passwd",
        "/_emulator/media/%2e%2e/%2e%2e/etc/passwd",
        "/_emulator/media/nope",
    ):
        code, answer = _raw(mix_emulator, "GET", path)
        assert code == 404 and "error" in answer


def test_faults_validation_and_delete(mix_emulator: EmulatorFixture) -> None:
    for body, field in [
        ({"provider": "aws", "action": "x", "code": 1}, "provider"),
        ({"provider": "zego", "action": "StartMix"}, "code"),
        ({"provider": "zego", "action": "StartMix", "code": 1, "probability": 2}, "probability"),
        ({"provider": "zego", "action": "StartMix", "code": 1, "times": 0}, "times"),
        ({"provider": "zego", "action": "StartMix", "code": [1]}, "code"),
    ]:
        code, answer = _raw(mix_emulator, "POST", "/_emulator/faults", json.dumps(body).encode())
        assert (code, answer["error"]["field"]) == (400, field)
    fault = mix_emulator.add_fault("tencent", "*", delay_ms=10)
    assert mix_emulator.request("DELETE", f"/_emulator/faults/{fault['id']}") == {"deleted": fault["id"]}
    code, _ = _raw(mix_emulator, "DELETE", f"/_emulator/faults/{fault['id']}")
    assert code == 404


def test_clock_advance(mix_emulator: EmulatorFixture) -> None:
    before = mix_emulator.request("GET", "/_emulator/clock")
    after = mix_emulator.advance_clock(900)
    assert after["offset"] == pytest.approx(900)
    assert after["now"] - before["now"] >= 900
    code, answer = _raw(mix_emulator, "POST", "/_emulator/clock/advance", b'{"seconds": -1}')
    assert (code, answer["error"]["field"]) == (400, "seconds")
    mix_emulator.reset()
    assert mix_emulator.request("GET", "/_emulator/clock")["offset"] == 0


def test_clock_reset_returns_to_wall_time_and_stops_nothing(mix_emulator: EmulatorFixture) -> None:
    mix_emulator.publish("steady", "pattern:color?size=64x36")
    mix_emulator.advance_clock(3 * 86400)
    answer = mix_emulator.request("POST", "/_emulator/clock/reset")
    assert answer["offset"] == 0 and answer["moved_back"] == pytest.approx(3 * 86400)
    assert abs(answer["now"] - time.time()) < 5
    assert [s["stream_id"] for s in mix_emulator.streams()] == ["steady"]  # nothing was forgotten


def test_clock_skew_faults(mix_emulator: EmulatorFixture) -> None:
    fault = mix_emulator.add_fault("zego", "*", clock_skew_s=-700, times=2)
    assert (fault["clock_skew_s"], fault["code"], fault["times"]) == (-700, None, 2)
    for bad in (
        {"provider": "zego", "action": "*", "clock_skew_s": 5, "code": 1},
        {"provider": "zego", "action": "*", "clock_skew_s": 1e12},
        {"provider": "zego", "action": "*", "clock_skew_s": "soon"},
    ):
        code, answer = _raw(mix_emulator, "POST", "/_emulator/faults", json.dumps(bad).encode())
        assert (code, answer["error"]["field"]) == (400, "clock_skew_s"), bad


def test_tasks_and_unknown_paths_answer_json(mix_emulator: EmulatorFixture) -> None:
    assert mix_emulator.tasks() == []
    for method, path, status in [
        ("GET", "/_emulator/tasks/tencent:nope", 404),
        ("GET", "/_emulator/tasks/tencent:nope/snapshot.png", 404),
        ("GET", "/no/such/path", 404),
        ("PUT", "/_emulator/health", 405),
        ("GET", "/_emulator/requests?limit=zero", 400),
    ]:
        code, answer = _raw(mix_emulator, method, path)
        assert code == status and "error" in answer, (method, path)


def test_requests_to_root_without_a_provider_get_json(mix_emulator: EmulatorFixture) -> None:
    code, answer = _raw(mix_emulator, "GET", "/")
    assert code == 404 and answer["error"]["code"] == "UnknownRequest"


def test_a_running_task_is_listed_with_outputs_and_snapshot(mix_emulator: EmulatorFixture) -> None:
    """A MixJob started straight on the TaskManager shows up in the control API with its outputs."""
    import time

    from emulator.core.job import Canvas, Layer, MixJob, Output, Rect, VideoSpec

    mix_emulator.publish("red", "pattern:color?color=#ff0000&size=64x64")
    job = MixJob(
        canvas=Canvas(128, 96, color="#0000ff"),
        layers=[Layer("red", "stream:red", rect=Rect(0, 0, 64, 48))],
        outputs=[Output("ctl_out", video=VideoSpec(fps=10, bitrate=200_000))],
    )

    async def start() -> None:
        mix_emulator.ctx.tasks.start("test", "t1", job)

    mix_emulator.thread.call(start())
    deadline = time.monotonic() + 10
    while (task := mix_emulator.task("test:t1"))["state"] != "running" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert task["state"] == "running"
    assert task["outputs"][0]["stream_id"] == "ctl_out"
    assert task["outputs"][0]["play"]["flv"].endswith("/live/ctl_out.flv")
    assert task["job"]["canvas"]["width"] == 128
    png = mix_emulator.snapshot("test:t1")
    assert png.startswith(b"\x89PNG")
    assert [t["id"] for t in mix_emulator.tasks()] == ["test:t1"]
    mix_emulator.request("DELETE", "/_emulator/tasks/test:t1")


def test_dashboard_page_is_served(mix_emulator: EmulatorFixture) -> None:
    for path in ("/_emulator", "/_emulator/"):
        with urllib.request.urlopen(mix_emulator.url + path, timeout=10) as resp:
            assert resp.headers.get_content_type() == "text/html"
            page = resp.read().decode()
        assert "<title>mix-emulator</title>" in page
        for endpoint in (
            "/_emulator/health",
            "/_emulator/tasks",
            "/_emulator/streams",
            "/_emulator/requests",
        ):
            assert endpoint in page  # the page reads the JSON API, nothing else


def test_a_provider_that_is_not_mounted_gets_a_clear_json_error(mix_emulator: EmulatorFixture) -> None:
    providers = mix_emulator.ctx.providers
    volcengine = providers.pop("volcengine")
    try:
        code, answer = _raw(mix_emulator, "POST", "/?Action=CreateCloudMixTask&Version=2023-01-01", b"{}")
    finally:
        providers["volcengine"] = volcengine
    assert code == 501
    assert answer["error"]["code"] == "ProviderNotImplemented"
    assert "volcengine" in answer["error"]["message"]
