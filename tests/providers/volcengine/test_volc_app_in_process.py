"""Volcengine's routes in an application each test builds itself (aiohttp's test server, in process): the
rate-limit control route (GET, POST, both ends of ``limit``, the config's values and reset back to them),
reset forgetting the tasks, and native errors for failures outside the actions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer, make_mocked_request

from emulator.app import create_app
from emulator.config import Credential, Settings
from emulator.control.routes import CTX
from emulator.core.faults import FaultRule
from emulator.providers.volcengine import ratelimit, sessions
from emulator.providers.volcengine.provider import VolcengineProvider

RATE = "/_emulator/volcengine/rate-limit"
LIST = "/?Action=ListCloudMixTask&Version=2023-01-01"
PAGE = {"Page": 1, "PageSize": 10}
Scenario = Callable[[TestClient, web.Application], Awaitable[None]]
WINDOW = 3600.0


def slow_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The limiter's window made an hour long, so a loaded machine's slow requests stay within it (the
    one-second edges are tested on a hand-moved clock in test_volc_state_rules.py)."""
    monkeypatch.setattr(ratelimit, "WINDOW_S", WINDOW)


def run(tmp_path: Path, scenario: Scenario, **settings: Any) -> None:
    """``scenario`` against a fresh application (auth off: unsigned requests run as the default account)."""

    async def main() -> None:
        app = create_app(Settings(data_dir=tmp_path, media_workers=0, auth="off", **settings))
        async with TestClient(TestServer(app)) as client:
            await scenario(client, app)

    asyncio.run(main())


async def answer(client: TestClient, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    response = await client.request(method, path, json=body)
    return response.status, await response.json()


def test_the_rate_limit_route_switches_the_limit_and_reset_restores_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_window(monkeypatch)

    async def scenario(client: TestClient, app: web.Application) -> None:
        assert await answer(client, "GET", RATE) == (200, {"enabled": False, "limit": 10, "window_s": WINDOW})
        assert await answer(client, "POST", RATE, {"enabled": True, "limit": 2}) == (
            200,
            {"enabled": True, "limit": 2, "window_s": WINDOW},
        )
        statuses = [(await answer(client, "POST", LIST, PAGE))[0] for _ in range(3)]
        assert statuses == [200, 200, 429]
        status, body = await answer(client, "POST", LIST, PAGE)
        assert body["ResponseMetadata"]["Error"] == {
            "Code": "FlowLimitExceeded",
            "CodeN": 100018,
            "Message": "Request flow limit exceeded: at most 2 requests per second per account.",
        }
        # without a limit the current one stays
        assert (await answer(client, "POST", RATE, {"enabled": False}))[1]["limit"] == 2
        assert [(await answer(client, "POST", LIST, PAGE))[0] for _ in range(3)] == [200, 200, 200]
        assert (await answer(client, "POST", RATE, {"enabled": True, "limit": 1000}))[1]["limit"] == 1000
        assert (await answer(client, "POST", RATE, {"enabled": True, "limit": 1}))[1]["limit"] == 1
        assert (await answer(client, "GET", RATE))[1] == {"enabled": True, "limit": 1, "window_s": WINDOW}
        for wrong in ({"enabled": True, "limit": 0}, {"enabled": True, "limit": 1001}, {"limit": 5}):
            status, body = await answer(client, "POST", RATE, wrong)
            assert status == 400 and body["error"]["field"] == (
                "enabled" if "enabled" not in wrong else "limit"
            )
        assert (await answer(client, "GET", RATE))[1]["limit"] == 1  # refused changes change nothing
        assert (await answer(client, "POST", "/_emulator/reset"))[0] == 200
        assert (await answer(client, "GET", RATE))[1] == {"enabled": False, "limit": 10, "window_s": WINDOW}

    run(tmp_path, scenario)


def test_the_configured_limit_is_the_start_and_the_reset_value(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_window(monkeypatch)

    async def scenario(client: TestClient, app: web.Application) -> None:
        assert (await answer(client, "GET", RATE))[1] == {"enabled": True, "limit": 3, "window_s": WINDOW}
        assert [(await answer(client, "POST", LIST, PAGE))[0] for _ in range(4)] == [200, 200, 200, 429]
        await answer(client, "POST", RATE, {"enabled": False, "limit": 7})
        await answer(client, "POST", "/_emulator/reset")
        assert (await answer(client, "GET", RATE))[1] == {"enabled": True, "limit": 3, "window_s": WINDOW}

    run(tmp_path, scenario, providers={"volcengine": {"rate_limit": True, "rate_limit_per_s": 3}})


def task_body(name: str, sources: list[tuple[str, str]], callback: str | None = None) -> dict[str, Any]:
    """A 64x36 task; ``sources``: (Type, Url) pairs, on Layers 1, 2..."""
    output: dict[str, Any] = {
        "Video": {"BitRate": 1_000_000, "FrameRate": 15, "GOP": 2, "Codec": "h264"},
        "Audio": {"BitRate": 128_000, "SampleRate": 44100, "ChannelLayout": "stereo"},
        "Url": ["push.example.com"],
    }
    if callback is not None:
        output["Callback"] = {"Url": callback}
    layers = range(1, len(sources) + 1)
    return {
        "Name": name,
        "MixedRules": {
            "InputSource": [
                {"ID": str(i), "Layer": i, "Type": kind, "Url": url}
                for i, (kind, url) in enumerate(sources, start=1)
            ],
            "InputLayout": {
                "Scene": {
                    "Width": 64,
                    "Height": 36,
                    "Layout": [{"X": 0, "Y": 0, "W": 64 // i, "H": 36 // i, "Layer": i} for i in layers],
                }
            },
            "Output": output,
        },
    }


CREATE = "/?Action=CreateCloudMixTask&Version=2023-01-01"
DETAIL = "/?Action=GetCloudMixTaskDetail&Version=2023-01-01"


def test_reset_forgets_the_tasks(tmp_path: Path) -> None:
    body = task_body("kept?", [("pic", "pattern:color?size=64x36"), ("live", "anchor9")])

    async def scenario(client: TestClient, app: web.Application) -> None:
        status, created = await answer(client, "POST", CREATE, body)
        assert status == 200, created
        task_id = created["Result"]["Data"]["TaskID"]
        view = (await answer(client, "GET", f"/_emulator/tasks/volcengine:{task_id}"))[1]
        assert [layer["source"] for layer in view["job"]["layers"]] == [
            "pattern:color?size=64x36",
            "stream:anchor9",  # a live Url naming a bare id opens that stream
        ]
        listed = (await answer(client, "POST", LIST, PAGE))[1]["Result"]["Data"]
        assert (listed["Count"], listed["Result"][0]["TaskID"]) == (1, task_id)
        assert (await answer(client, "POST", "/_emulator/reset"))[0] == 200
        assert (await answer(client, "POST", LIST, PAGE))[1]["Result"]["Data"] == {"Count": 0, "Result": []}
        status, gone = await answer(client, "POST", DETAIL, {"TaskID": task_id})
        assert (status, gone["ResponseMetadata"]["Error"]["Code"]) == (404, "ResourceNotFound")

    run(tmp_path, scenario, media_mode="fast")


def test_errors_outside_the_actions_in_the_native_envelope(tmp_path: Path) -> None:
    async def scenario(client: TestClient, app: web.Application) -> None:
        provider = app[CTX].providers["volcengine"]
        assert isinstance(provider, VolcengineProvider)
        request = make_mocked_request("POST", "/?Action=ListCloudMixTask&Version=2023-01-01", headers={})
        expected = {
            400: ("InvalidParameter", None, "bad"),
            401: ("SignatureDoesNotMatch", 100010, None),
            403: ("AccessDenied", 100013, "User is not authorized to perform: bad."),
            404: ("InvalidActionOrVersion", 100008, None),
            405: ("MethodNotAllowed", None, "The HTTP method bad is not allowed; use POST."),
            413: ("RequestEntityTooLarge", None, "The request body is too large: bad."),
            429: ("FlowLimitExceeded", 100018, "Request flow limit exceeded: bad."),
            500: ("InternalError", 100014, "Service has some internal Error. Pls Contact With Admin."),
            502: ("InternalError", 100014, None),
            504: ("InternalServiceTimeout", 100016, "Internal Service is timeout. Pls Contact With Admin."),
            409: ("InvalidParameter", None, "bad"),
        }
        for status, (code, code_n, message) in expected.items():
            response = provider.error_response(request, status=status, message="bad")
            meta = json.loads(response.body)["ResponseMetadata"]
            assert response.status == status
            assert (meta["Action"], meta["Region"]) == ("ListCloudMixTask", "cn-north-1")
            assert meta["Error"]["Code"] == code and meta["Error"].get("CodeN") == code_n
            if message is not None:
                assert meta["Error"]["Message"] == message
        assert provider.answer_code({"ResponseMetadata": {"Error": {"Code": "X"}}}) == ("X", True)
        assert provider.answer_code({"ResponseMetadata": {"RequestId": "r"}, "Result": {}}) == (None, False)
        assert provider.answer_code({"ResponseMetadata": {"Error": "X"}}) == (None, False)
        assert provider.answer_code([1]) == (None, False)

    run(tmp_path, scenario)


def test_an_injected_fault_fills_the_codes_message_and_names_the_action(tmp_path: Path) -> None:
    async def scenario(client: TestClient, app: web.Application) -> None:
        faults = app[CTX].faults
        faults.add(FaultRule("volcengine", "ListCloudMixTask", code="InvalidActionOrVersion", times=1))
        status, body = await answer(client, "POST", LIST, PAGE)
        meta = body["ResponseMetadata"]
        assert (status, meta["Action"], meta["Region"]) == (404, "ListCloudMixTask", "cn-north-1")
        assert meta["Error"] == {
            "Code": "InvalidActionOrVersion",
            "CodeN": 100008,
            "Message": "Could not find operation (injected fault) for version (injected fault).",
        }
        faults.add(FaultRule("volcengine", "*", code="Busy", http_status=503, times=1))
        status, body = await answer(client, "POST", LIST, PAGE)
        assert (status, body["ResponseMetadata"]["Error"]) == (
            503,
            {"Code": "Busy", "Message": "(injected fault)"},
        )
        faults.add(FaultRule("volcengine", "*", code=4001, message="custom", times=1))
        status, body = await answer(client, "POST", LIST, PAGE)
        assert (status, body["ResponseMetadata"]["Error"]) == (400, {"Code": "4001", "Message": "custom"})
        assert (await answer(client, "POST", LIST, PAGE))[0] == 200

    run(tmp_path, scenario)


def _layers(view: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(layer["source"], layer["loop"]) for layer in view["job"]["layers"]]


async def _create(client: TestClient, body: dict[str, Any]) -> str:
    status, created = await answer(client, "POST", CREATE, body)
    assert status == 200, created
    return created["Result"]["Data"]["TaskID"]


def test_vods_play_once_unless_vod_loop_is_set(tmp_path: Path) -> None:
    body = task_body("vod", [("vod", "pattern:bars?size=64x36"), ("pic", "pattern:color?size=64x36")])

    async def once(client: TestClient, app: web.Application) -> None:
        task_id = await _create(client, body)
        view = (await answer(client, "GET", f"/_emulator/tasks/volcengine:{task_id}"))[1]
        assert _layers(view) == [("pattern:bars?size=64x36", False), ("pattern:color?size=64x36", False)]

    async def looped(client: TestClient, app: web.Application) -> None:
        task_id = await _create(client, body)
        view = (await answer(client, "GET", f"/_emulator/tasks/volcengine:{task_id}"))[1]
        assert _layers(view) == [("pattern:bars?size=64x36", True), ("pattern:color?size=64x36", False)]

    run(tmp_path / "once", once, media_mode="fast")
    run(tmp_path / "looped", looped, media_mode="fast", providers={"volcengine": {"vod_loop": True}})


def test_status_callbacks_are_filed_under_the_task_with_the_retry_schedule(tmp_path: Path) -> None:
    refused = "http://127.0.0.1:9/volc-callback"  # the discard port: nobody answers, so it is retried

    async def scenario(client: TestClient, app: web.Application) -> None:
        task_id = await _create(
            client, task_body("cb", [("pic", "pattern:color?size=64x36")], callback=refused)
        )
        deliveries = app[CTX].callbacks.list(provider="volcengine")
        assert deliveries, "the create made no callback"
        assert {(d.task_id, d.url, tuple(d.retry_delays)) for d in deliveries} == {
            (f"volcengine:{task_id}", refused, (2, 4, 8, 16, 32))
        }

    run(tmp_path, scenario, media_mode="fast")


def test_the_task_limit_answers_flow_limit_exceeded(tmp_path: Path) -> None:
    async def scenario(client: TestClient, app: web.Application) -> None:
        await _create(client, task_body("one", [("pic", "pattern:color?size=64x36")]))
        status, body = await answer(client, "POST", CREATE, task_body("two", [("pic", "pattern:color")]))
        error = body["ResponseMetadata"]["Error"]
        assert (status, error["Code"], error["CodeN"]) == (429, "FlowLimitExceeded", 100018)
        assert error["Message"].startswith("Request flow limit exceeded: ") and "1" in error["Message"]
        listed = (await answer(client, "POST", LIST, PAGE))[1]["Result"]["Data"]
        assert listed["Count"] == 1  # the refused create left nothing

    run(tmp_path, scenario, media_mode="fast", max_tasks=1)


def test_the_detail_rule_keeps_non_ascii_text(tmp_path: Path) -> None:
    async def scenario(client: TestClient, app: web.Application) -> None:
        task_id = await _create(client, task_body("名", [("pic", "pattern:color?size=64x36&text=混流")]))
        detail = (await answer(client, "POST", DETAIL, {"TaskID": task_id}))[1]["Result"]["Data"]
        assert "pattern:color?size=64x36&text=混流" in detail["Rule"]

    run(tmp_path, scenario, media_mode="fast")


def _signed_as(access_key: str, region: str) -> dict[str, str]:
    """With auth off only the access key (and the region) of the Authorization header are read."""
    credential = f"{access_key}/20260314/{region}/live/request"
    return {"Authorization": f"HMAC-SHA256 Credential={credential}, SignedHeaders=host, Signature=00"}


def test_the_rate_limit_counts_per_account_and_errors_echo_the_region(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    slow_window(monkeypatch)

    async def scenario(client: TestClient, app: web.Application) -> None:
        await answer(client, "POST", RATE, {"enabled": True, "limit": 1})
        first, second = _signed_as("AKLTemulator", "cn-x"), _signed_as("AKLTsecond", "cn-y")
        statuses = []
        for headers in (first, second, first, second):
            response = await client.post(LIST, json=PAGE, headers=headers)
            statuses.append(response.status)
            body = await response.json()
        assert statuses == [200, 200, 429, 429]
        assert body["ResponseMetadata"]["Region"] == "cn-y"
        response = await client.post(CREATE, data=b"{not json", headers=_signed_as("AKLTthird", "cn-z"))
        meta = (await response.json())["ResponseMetadata"]
        assert (response.status, meta["Region"], meta["Error"]["Code"]) == (400, "cn-z", "InvalidParameter")

    settings = Settings(data_dir=tmp_path, media_workers=0, auth="off")
    extra = [Credential("volcengine", key, "s", {"account_id": key}) for key in ("AKLTsecond", "AKLTthird")]
    run(tmp_path, scenario, credentials=[*settings.credentials, *extra])


def test_a_created_task_is_named_and_owned_and_its_times_start_equal(tmp_path: Path) -> None:
    async def scenario(client: TestClient, app: web.Application) -> None:
        task_id = await _create(client, task_body("owned", [("pic", "pattern:color?size=64x36")]))
        view = (await answer(client, "GET", f"/_emulator/tasks/volcengine:{task_id}"))[1]
        assert view["meta"] == {"name": "owned", "account": "2100000001"}
        listed = (await answer(client, "POST", LIST, PAGE))[1]["Result"]["Data"]["Result"][0]
        assert (
            listed["UpdatedAt"] == listed["CreatedAt"]
            and listed["CreatedAt"]["Time"] != "0001-01-01T00:00:00Z"
        )
        assert listed["StoppedAt"] == {"Time": "0001-01-01T00:00:00Z"}

    run(tmp_path, scenario, media_mode="fast")


def test_only_finished_tasks_are_forgotten_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sessions, "MAX_KEPT", 1)  # the rule of 1000, at 1

    async def listed(client: TestClient) -> list[str]:
        return [t["Name"] for t in (await answer(client, "POST", LIST, PAGE))[1]["Result"]["Data"]["Result"]]

    async def stop(client: TestClient, app: web.Application, task_id: str) -> None:
        delete = "/?Action=DeleteCloudMixTask&Version=2023-01-01"
        assert (await answer(client, "POST", delete, {"TaskID": task_id}))[0] == 200
        task = app[CTX].tasks.find("volcengine", task_id)
        for _ in range(500):
            if task is None or (not task.state.active and task.state.value != "stopping"):
                return
            await asyncio.sleep(0.02)
        raise AssertionError(f"{task_id} never stopped")

    async def scenario(client: TestClient, app: web.Application) -> None:
        pic = [("pic", "pattern:color?size=64x36")]
        a = await _create(client, task_body("a", pic))
        await _create(client, task_body("b", pic))
        assert await listed(client) == ["b", "a"]  # running tasks are all kept
        await stop(client, app, a)
        await _create(client, task_body("c", pic))
        assert await listed(client) == ["c", "b", "a"]  # one finished task: within the limit
        b = (await answer(client, "POST", LIST, PAGE))[1]["Result"]["Data"]["Result"][1]["TaskID"]
        await stop(client, app, b)
        await _create(client, task_body("d", pic))
        assert await listed(client) == ["d", "c", "b"]  # two finished: the oldest is forgotten

    run(tmp_path, scenario)  # realtime: a picture task runs until deleted
