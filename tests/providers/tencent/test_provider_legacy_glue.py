"""The Tencent adapter's glue, on an app made by the test: the legacy CGI's order (body and eventId, auth,
fault, envelope errors, the action), its answers, the fault and error hooks in the shape of the API the
request used, the answer codes the journal records, and reset."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, make_mocked_request

from emulator.context import EmulatorContext
from emulator.core.faults import FaultRule
from emulator.providers.tencent.auth import legacy_sign
from emulator.providers.tencent.provider import TencentProvider
from tests.providers.tencent.helpers import APPID, KEY, cancel_para, envelope, start_para, stream
from tests.providers.tencent.inprocess import served


def signed_url(t: int | None = None, key: str = KEY) -> str:
    t = int(time.time()) + 60 if t is None else t  # the wall clock: what a client signs with
    return f"/common_access?appid={APPID}&interface=Mix_StreamV2&t={t}&sign={legacy_sign(key, t)}"


async def cgi(
    client: TestClient, body: Any, *, url: str | None = None, method: str = "POST"
) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await client.request(method, url or signed_url(), data=data)
    assert response.headers["Content-Type"] == "application/json"
    return response.status, json.loads(await response.read())


def answers(
    tmp_path: Path, *bodies: Any, url: str | None = None, method: str = "POST", **settings: Any
) -> Any:
    async def scenario(client: TestClient, provider: TencentProvider, ctx: EmulatorContext) -> Any:
        return [await cgi(client, body, url=url, method=method) for body in bodies]

    return served(tmp_path, scenario, **settings)


def test_other_methods_are_code_1_naming_the_method(tmp_path: Path) -> None:
    [(status, body)] = answers(tmp_path, b"", method="PUT")
    assert status == 200
    assert body["code"] == -1 and body["message"] == "Parse input params failed, use POST, not PUT!"
    assert body["event_id"].isdigit() and 8 <= len(body["event_id"]) <= 10


def test_an_answer_echoes_the_event_id_and_gives_the_wall_time(tmp_path: Path) -> None:
    async def scenario(client: TestClient, provider: TencentProvider, ctx: EmulatorContext) -> None:
        ctx.clock.advance(3600)  # the emulator clock an hour ahead: neither the sign nor the answer follow it
        before = int(time.time())
        status, body = await cgi(client, envelope(cancel_para("nobody", "out"), event_id=4242))
        assert status == 200
        assert body["code"] == -31001 and body["event_id"] == "4242"
        assert before <= body["timestamp"] <= int(time.time())

    served(tmp_path, scenario)


def test_a_request_that_fails_before_its_action_is_known_is_journaled_as_the_interface(
    tmp_path: Path,
) -> None:
    async def scenario(client: TestClient, provider: TencentProvider, ctx: EmulatorContext) -> None:
        await cgi(client, b"", method="GET")
        await cgi(client, b"[]")
        await cgi(client, envelope(cancel_para("x", "y")))
        journal = await (await client.get("/_emulator/requests", params={"provider": "tencent"})).json()
        actions = [entry["action"] for entry in journal["requests"]]
        assert actions == ["Mix_StreamV2", "Mix_StreamV2", "cancel_mix_stream"]

    served(tmp_path, scenario)


def test_auth_comes_before_the_envelope_and_still_echoes_the_event_id(tmp_path: Path) -> None:
    broken = {"timestamp": 1, "eventId": 77, "interface": "not an object"}
    [(_, expired)] = answers(tmp_path, broken, url=signed_url(t=int(time.time()) - 10))
    assert (expired["code"], expired["event_id"]) == (-1, "77")
    assert expired["message"].startswith("Sign check failed, t [") and expired["message"].endswith(
        "] expired!"
    )
    [(_, wrong)] = answers(tmp_path, broken, url=signed_url(key="another key"))
    assert (wrong["code"], wrong["message"], wrong["event_id"]) == (
        -1,
        "Sign check failed, sign error!",
        "77",
    )


def test_a_signed_request_with_a_broken_envelope_gets_the_envelope_error(tmp_path: Path) -> None:
    [(_, body)] = answers(tmp_path, b"{not json")
    assert body["code"] == -1 and body["message"] != "Sign check failed, sign error!"


def test_a_body_over_the_limit_is_code_1(tmp_path: Path) -> None:
    big = envelope(cancel_para("s" * 2000, "out"))
    [(_, body)] = answers(tmp_path, big, max_body_bytes=1024)
    assert (body["code"], body["message"]) == (-1, "Parse input params failed, the body is too large!")


def test_a_fault_answers_after_auth_and_before_envelope_errors(tmp_path: Path) -> None:
    async def scenario(client: TestClient, provider: TencentProvider, ctx: EmulatorContext) -> None:
        ctx.faults.add(FaultRule("tencent", "cancel_mix_stream", code=-10031, message="busy", times=1))
        # A wrong sign is refused before the fault is consulted: the fault stays for the next request.
        _, refused = await cgi(client, envelope(cancel_para("a", "b")), url=signed_url(key="wrong"))
        assert refused["code"] == -1
        status, faulted = await cgi(client, envelope(cancel_para("a", "b"), event_id=9))
        assert (status, faulted["code"], faulted["message"], faulted["event_id"]) == (
            200,
            -10031,
            "busy",
            "9",
        )
        # The envelope error (no timestamp) of a request the fault takes: the fault answers.
        ctx.faults.add(FaultRule("tencent", "*", code="InternalError", http_status=503, times=1))
        no_timestamp = envelope(cancel_para("a", "b"))
        del no_timestamp["timestamp"]
        status, faulted = await cgi(client, no_timestamp)
        assert (status, faulted["code"], faulted["message"]) == (503, -1, "Parse input params failed!")
        status, plain = await cgi(client, no_timestamp)
        assert status == 200 and plain["code"] == -1 and plain["message"] != "Parse input params failed!"

    served(tmp_path, scenario)


async def start_a_mix(client: TestClient, ctx: EmulatorContext, session: str = "room") -> None:
    for name in ("anchor", "guest"):
        response = await client.post(
            "/_emulator/streams", json={"stream_id": name, "source": "pattern:color?color=red&size=64x36"}
        )
        assert response.status == 201, await response.text()
    ctx.clock.advance(6)  # past the seed's 5 s after a push
    para = start_para(
        session, "anchor", [stream("anchor", 1), stream("guest", 2, image_width=32, image_height=18)]
    )
    status, body = await cgi(client, envelope(para))
    assert (status, body["code"], body["message"]) == (200, 0, "Success!"), body


def test_a_start_and_a_cancel_answer_success_and_are_journaled(tmp_path: Path) -> None:
    async def scenario(client: TestClient, provider: TencentProvider, ctx: EmulatorContext) -> None:
        await start_a_mix(client, ctx)
        listed = await (await client.get("/_emulator/tencent/sessions")).json()
        [session] = listed["sessions"]
        assert (session["session_id"], session["output_stream_id"], session["app_id"]) == (
            "room",
            "anchor",
            APPID,
        )
        assert (session["running"], session["cancelled_at"], session["task_id"]) == (
            True,
            None,
            "tencent:room",
        )
        assert session["update_count"] == 0 and session["task_state"] in ("starting", "running")
        assert session["started_at"] == pytest.approx(ctx.clock.now(), abs=1)
        task = ctx.tasks.get("tencent:room")
        assert task is not None and task.meta["api"] == "legacy"
        ctx.clock.advance(5)
        status, body = await cgi(client, envelope(cancel_para("room", "anchor")))
        assert (status, body["code"]) == (200, 0)
        listed = await (await client.get("/_emulator/tencent/sessions")).json()
        assert listed["sessions"][0]["running"] is False
        assert listed["sessions"][0]["cancelled_at"] == pytest.approx(ctx.clock.now(), abs=1)
        journal = await (await client.get("/_emulator/requests", params={"provider": "tencent"})).json()
        actions = [entry["action"] for entry in journal["requests"]]
        assert actions == ["start_mix_stream_advanced", "cancel_mix_stream"]

    served(tmp_path, scenario)


def test_the_mix_service_has_the_apps_pictures_and_auto_mix(tmp_path: Path) -> None:
    from PIL import Image

    from emulator.core.streams import MediaInfo

    (tmp_path / "media").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (16, 8), (255, 255, 0)).save(tmp_path / "media" / "logo.png")

    async def scenario(client: TestClient, provider: TencentProvider, ctx: EmulatorContext) -> None:
        picture = {"picture_id": 3, "source": "logo.png", "width": 16, "height": 8}
        assert (await client.post("/_emulator/tencent/pictures", json=picture)).status == 201
        response = await client.post(
            "/_emulator/streams", json={"stream_id": "anchor", "source": "pattern:color?color=red&size=64x36"}
        )
        assert response.status == 201
        ctx.clock.advance(6)
        inputs = [
            stream("anchor", 1),
            stream("logo", 2, input_type=2, picture_id=3, location_x=4, location_y=4),
        ]
        _, body = await cgi(client, envelope(start_para("pic", "anchor", inputs)))
        assert body["code"] == 0, body
        # Auto-mix: two pushes whose URLs name the same session mix once both are 5 s old.
        for name, layer in (("big", "b"), ("small", "s")):
            ctx.registry.publish(
                name,
                "pattern:color?color=blue&size=64x36",
                origin="rtmp",
                info=MediaInfo(width=64, height=36, fps=25),
                extra={"query": {"mixv2": f"t_id:1;session_id:auto_room;layer:{layer}"}},
            )
        ctx.clock.advance(5)
        task = ctx.tasks.find("tencent", "auto_room")
        assert task is not None and task.meta["api"] == "auto"

    served(tmp_path, scenario)


def test_reset_forgets_sessions_and_pictures(tmp_path: Path) -> None:
    async def scenario(client: TestClient, provider: TencentProvider, ctx: EmulatorContext) -> None:
        await start_a_mix(client, ctx)
        picture = {"picture_id": 8, "source": "x.png", "width": 2, "height": 2}
        assert (await client.post("/_emulator/tencent/pictures", json=picture)).status == 201
        assert (await client.post("/_emulator/reset")).status == 200
        assert await (await client.get("/_emulator/tencent/sessions")).json() == {"sessions": []}
        assert await (await client.get("/_emulator/tencent/pictures")).json() == {"pictures": []}

    served(tmp_path, scenario)


@pytest.mark.parametrize(
    ("answer", "expected"),
    [
        ({"code": 0, "message": "Success!"}, (0, False)),
        ({"code": -505}, (-505, True)),
        ({"message": "no code"}, (None, False)),
        ({"Response": {"RequestId": "r"}}, (None, False)),
        (
            {"Response": {"Error": {"Code": "AuthFailure.SignatureExpire"}}},
            ("AuthFailure.SignatureExpire", True),
        ),
        ({"Response": {"Error": "text"}}, (None, False)),
        ({"Response": "text", "code": -1}, (-1, True)),
        ([1, 2], (None, False)),
        (None, (None, False)),
    ],
)
def test_the_answer_code_the_journal_records(tmp_path: Path, answer: Any, expected: tuple[Any, bool]) -> None:
    from tests.providers.tencent.signing_context import signing_context

    provider = TencentProvider(signing_context(tmp_path))
    assert provider.answer_code(answer) == expected


def hook_answer(
    tmp_path: Path, path: str, rule: FaultRule | None = None, message: str = ""
) -> tuple[int, Any]:
    from tests.providers.tencent.signing_context import signing_context

    provider = TencentProvider(signing_context(tmp_path))
    request = make_mocked_request("POST", path)
    if rule is None:
        response = provider.error_response(request, status=500, message=message)
    else:
        response = provider.fault_response(request, rule, "CreateCommonMixStream")
    assert response.content_type == "application/json"
    return response.status, json.loads(response.body)  # type: ignore[arg-type]


def test_an_emulator_failure_is_other_error_in_each_apis_shape(tmp_path: Path) -> None:
    status, legacy = hook_answer(tmp_path, "/common_access", message="boom")
    assert (status, legacy["code"], legacy["message"]) == (200, -1, "Internal error: boom!")
    status, api3 = hook_answer(tmp_path, "/", message="boom")
    assert status == 200
    assert api3["Response"]["Error"] == {"Code": "InternalError", "Message": "Internal error: boom."}


@pytest.mark.parametrize(
    ("rule", "status", "legacy", "api3"),
    [
        (
            FaultRule("tencent", "*", code=-505),
            200,
            (-505, "Input stream no exist!"),
            ("FailedOperation.StreamNotExist", "Input stream no exist!"),
        ),
        (
            FaultRule("tencent", "*", code="-300", http_status=502),
            502,
            (-300, "Output stream id already in use!"),
            ("InvalidParameter.InvalidOutputStreamID", "Output stream id already in use!"),
        ),
        (
            FaultRule("tencent", "*", code=-4242, message="odd"),
            200,
            (-4242, "odd"),
            ("InvalidParameter.OtherError", "odd"),
        ),
        (
            FaultRule("tencent", "*", code=-4242),
            200,
            (-4242, "Mix stream failed!"),
            ("InvalidParameter.OtherError", "Mix stream failed!"),
        ),
        (
            FaultRule("tencent", "*", code="InternalError"),
            200,
            (-1, "Parse input params failed!"),
            ("InternalError", "InternalError (injected fault)."),
        ),
        (
            FaultRule("tencent", "*", code="LimitExceeded", message="slow down", http_status=429),
            429,
            (-1, "slow down"),
            ("LimitExceeded", "slow down"),
        ),
        (
            FaultRule("tencent", "*", code=None, delay_ms=5),
            200,
            (-1, "Parse input params failed!"),
            ("None", "None (injected fault)."),
        ),
    ],
)
def test_a_fault_answers_in_the_shape_of_the_api_used(
    tmp_path: Path, rule: FaultRule, status: int, legacy: tuple[int, str], api3: tuple[str, str]
) -> None:
    got_status, body = hook_answer(tmp_path, "/common_access", rule)
    assert (got_status, body["code"], body["message"]) == (status, *legacy)
    got_status, body = hook_answer(tmp_path, "/", rule)
    assert got_status == status
    assert (body["Response"]["Error"]["Code"], body["Response"]["Error"]["Message"]) == api3
