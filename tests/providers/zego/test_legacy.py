"""The legacy web API of seed 001: access tokens, start-mix with the seed's Java, PHP and curl samples (as
they are), decimal background colours, the pure-audio 1x1 convention, stop-mix, and the short error codes."""

from __future__ import annotations

from typing import Any

from PIL import Image

from tests.providers.zego.helpers import APP_ID, BLUE, RED, SECRET, Zego, close, fixture_body


def test_token_shape_and_lifetime(zego: Zego) -> None:
    answer = zego.legacy_get("/cgi/token", appid=APP_ID, secret=SECRET, timestamp=1562052086000)
    assert answer["code"] == 0 and answer["message"] == "success"
    assert answer["data"]["expires_in"] == 7200
    assert len(answer["data"]["access_token"]) >= 32
    token = answer["data"]["access_token"]
    assert zego.legacy_post("/cgi/stop-mix", {"task_id": "none"}, token)["code"] == 9001  # the token works
    zego.emu.advance_clock(7200)
    answer = zego.legacy_post("/cgi/stop-mix", {"task_id": "none"}, token)
    assert answer == {"code": 42001, "message": "access_token expired"}


def test_new_token_invalidates_the_old(zego: Zego) -> None:
    old = zego.token()
    new = zego.token()
    assert zego.legacy_post("/cgi/stop-mix", {"task_id": "none"}, old) == {
        "code": 40001,
        "message": "access_token invalid",
    }
    assert zego.legacy_post("/cgi/stop-mix", {"task_id": "none"}, new)["code"] == 9001


def test_token_errors(zego: Zego) -> None:
    assert zego.legacy_get("/cgi/token", appid=APP_ID, secret="wrong") == {
        "code": 40005,
        "message": "appsecret error",
    }
    assert zego.legacy_get("/cgi/token", appid=777, secret=SECRET)["code"] == 40013
    assert zego.legacy_get("/cgi/token")["code"] == 40013
    assert zego.legacy_post("/cgi/start-mix", {}, None)["code"] == 40001


def test_java_sample(zego: Zego) -> None:
    zego.emu.publish("is1", RED)
    zego.emu.publish("is2", BLUE)
    answer = zego.legacy_post("/cgi/start-mix", fixture_body("java_sample.json"), zego.token())
    assert answer["code"] == 0 and answer["message"] == "success", answer
    play = zego.emu.ctx.play_urls("os")
    assert answer["data"] == {
        "id_name": "xxx",
        "seq": 0,
        "live_channel": "xxxx",
        "play": [
            {"hdl_url": play["flv"], "hls_url": play["hls"], "rtmp_url": play["rtmp"], "stream_alias": "os"}
        ],
    }
    frame = zego.snapshot("zego:12345:os")  # no task_id: the first output names the task
    assert frame.size == (480, 640)
    assert close(frame.getpixel((100, 100)), (255, 0, 0))
    assert close(frame.getpixel((400, 560)), (0, 0, 255))  # layer 1 over layer 0
    task = zego.emu.ctx.tasks.get("zego:12345:os")
    assert task is not None and task.job.outputs[0].push_urls == []  # stream_id given: mixurl is not used


def test_php_sample_is_a_pure_audio_mix(zego: Zego) -> None:
    zego.emu.publish("xxxxxxxx", "pattern:color?color=#ff0000&size=64x36&tone=440")
    answer = zego.legacy_post("/cgi/start-mix", fixture_body("php_sample.json"), zego.token())
    assert answer["code"] == 0, answer
    assert answer["data"]["play"][0]["stream_alias"] == "xxxxx"
    task = zego.emu.ctx.tasks.get("zego:12345:xxxxx")
    assert task is not None
    [output] = task.job.outputs
    assert output.video is None and output.audio is not None and output.audio.channels == 1
    assert [(layer.id, layer.video, layer.audio) for layer in task.job.layers] == [("xxxxxxxx", False, True)]


def test_curl_sample_with_avertp_urls_and_a_preset_background(zego: Zego) -> None:
    zego.emu.publish("mix-input-test-1000yanglei", RED)
    background = zego.emu.ctx.settings.data_dir / "media" / "liveme-bg.png"
    Image.new("RGB", (32, 32), (255, 255, 0)).save(background)
    zego.emu.map_url("preset-id://liveme-bg", str(background))
    answer = zego.legacy_post("/cgi/start-mix", fixture_body("curl_sample.json"), zego.token())
    assert answer["code"] == 0, answer
    assert answer["data"]["play"][0]["stream_alias"] == "mix-output-test-1000yanglei"
    frame = zego.snapshot("zego:12345:task1")
    assert frame.size == (840, 1024)
    assert close(frame.getpixel((270, 480)), (255, 0, 0))  # rect top 320 left 180 bottom 640 right 360
    assert close(frame.getpixel((600, 100)), (255, 255, 0))


def _legacy_body(**extra: Any) -> dict[str, Any]:
    return {
        "id_name": "anchor",
        "task_id": "lt1",
        "MixInput": [{"stream_id": "red", "rect": {"top": 0, "left": 0, "bottom": 36, "right": 32}}],
        "MixOutput": [{"stream_id": "lout", "bitrate": 200000, "fps": 10, "width": 64, "height": 36}],
        **extra,
    }


def test_decimal_background_colour_and_update_reports_duration(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    token = zego.token()
    answer = zego.legacy_post("/cgi/start-mix", _legacy_body(output_bg_color=4294967040, seq=1), token)
    assert answer["code"] == 0 and "mix_duration" not in answer["data"]
    assert close(zego.snapshot("zego:12345:lt1").getpixel((50, 18)), (255, 255, 255))  # 0xFFFFFF00 = white
    zego.wait_live("zego:12345:lt1", "red")
    zego.emu.advance_clock(30)
    answer = zego.legacy_post("/cgi/start-mix", _legacy_body(output_bg_color=0x0000FF00, seq=2), token)
    assert answer["data"]["mix_duration"] == 30
    task = zego.emu.ctx.tasks.get("zego:12345:lt1")
    assert task is not None and task.job.canvas.color == "#0000ff"


def test_legacy_errors_use_the_short_codes(zego: Zego) -> None:
    token = zego.token()
    odd = _legacy_body(
        watermark={"image": "preset-id://logo", "rect": {"top": 1, "left": 0, "bottom": 10, "right": 10}}
    )
    zego.emu.publish("red", RED)
    cases = [
        (_legacy_body(), 0),
        (
            {
                **_legacy_body(),
                "task_id": "lt2",
                "MixInput": [{"stream_id": "ghost", "rect": {"bottom": 2, "right": 2}}],
            },
            150,
        ),
        ({**_legacy_body(), "task_id": "lt3", "id_name": None}, 153),
        ({**odd, "task_id": "lt4"}, 170),
        ({**_legacy_body(), "task_id": "lt5", "watermark": {"rect": {"bottom": 2, "right": 2}}}, 171),
        ({**_legacy_body(), "task_id": "lt6", "extra_params": [{"key": 5}]}, 172),
        ({**_legacy_body(), "task_id": "lt7", "output_bg_image": "ftp://x"}, 141),
        (
            {
                **_legacy_body(),
                "task_id": "lt8",
                "MixOutput": [{"stream_id": "o", "width": 5000, "height": 2}],
            },
            161,
        ),
        ({**_legacy_body(), "task_id": "lt9", "output_bg_color": "blue"}, 184),
    ]
    for body, code in cases:
        assert zego.legacy_post("/cgi/start-mix", body, token)["code"] == code, body
    assert zego.legacy_post("/cgi/start-mix", None, token, raw=b"{oops")["code"] == 4


def test_stop_mix_by_task_id_stream_id_and_owner(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    token = zego.token()
    assert zego.legacy_post("/cgi/start-mix", _legacy_body(), token)["code"] == 0
    assert zego.legacy_post("/cgi/stop-mix", {"task_id": "lt1", "id_name": "other"}, token)["code"] == 160
    assert zego.legacy_post("/cgi/stop-mix", {"id_name": "anchor"}, token)["code"] == 2
    assert zego.legacy_post("/cgi/stop-mix", None, token, raw=b"stream_id=lout&id_name=anchor") == {
        "code": 0,
        "message": "success",
    }
    zego.wait_state("zego:12345:lt1", "stopped")
    assert zego.legacy_post("/cgi/stop-mix", {"task_id": "lt1"}, token)["code"] == 9001


def test_legacy_task_is_the_same_task_for_the_rtc_api(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    assert zego.legacy_post("/cgi/start-mix", _legacy_body(), zego.token())["code"] == 0
    assert zego.call("GetMixTaskInfo", TaskId="lt1")["Code"] == 0
    assert zego.call("StopMix", {"TaskId": "lt1", "UserId": "anchor"})["Code"] == 0


def test_test_env_flag_applies_the_prefix_rule(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    answer = zego.legacy_post("/cgi/start-mix", _legacy_body(testenv=1), zego.token())
    assert answer["code"] == 150 and "zegotest-12345-" in answer["message"]


def test_the_test_environment_host_applies_the_prefix_rule(zego: Zego) -> None:
    """A client pointed at testwebapi.zego.im (its DNS or Host header sent here) is in the test
    environment: unprefixed stream ids are refused there too (seed 001)."""
    zego.emu.publish("red", RED)
    zego.emu.publish("zegotest-12345-red", RED)
    url = f"{zego.emu.url}/cgi/start-mix"
    headers = {"Host": "testwebapi.zego.im"}
    params = {"access_token": zego.token()}
    answer = zego.http.post(url, params=params, headers=headers, json=_legacy_body()).json()
    assert answer["code"] == 150 and "zegotest-12345-" in answer["message"]
    prefixed = _legacy_body(
        MixInput=[
            {"stream_id": "zegotest-12345-red", "rect": {"top": 0, "left": 0, "bottom": 36, "right": 32}}
        ],
        MixOutput=[
            {"stream_id": "zegotest-12345-lout", "bitrate": 200000, "fps": 10, "width": 64, "height": 36}
        ],
    )
    assert zego.http.post(url, params=params, headers=headers, json=prefixed).json()["code"] == 0
    assert zego.legacy_post("/cgi/start-mix", _legacy_body(task_id="lt2"), zego.token())["code"] == 0


def test_fault_on_a_legacy_action(zego: Zego) -> None:
    zego.emu.add_fault("zego", "token", code=40005, times=1)
    assert zego.legacy_get("/cgi/token", appid=APP_ID, secret=SECRET) == {
        "code": 40005,
        "message": "appsecret error",
    }
