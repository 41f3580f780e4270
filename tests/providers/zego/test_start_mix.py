"""StartMix: the composed picture (rects, layers, render modes, content control, background colour and
image, Image inputs, watermark), updates by TaskId with the Sequence rule, several outputs, PlayInfo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PIL import Image

from tests.providers.zego.helpers import BLUE, RED, Zego, close

TASK = "zego:12345:t1"


def _body(inputs: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "TaskId": "t1",
        "UserId": "u1",
        "MixInput": inputs,
        "MixOutput": [{"StreamId": "out1", "Width": 160, "Height": 90, "Fps": 10, "VideoBitrate": 300000}],
        **extra,
    }


def _rect(left: int, top: int, right: int, bottom: int, **extra: int) -> dict[str, int]:
    return {"Left": left, "Top": top, "Right": right, "Bottom": bottom, **extra}


def _png(zego: Zego, name: str, color: tuple[int, int, int], size: tuple[int, int] = (32, 32)) -> Path:
    """A picture inside the emulator's media root."""
    path = zego.emu.ctx.settings.data_dir / "media" / name
    Image.new("RGB", size, color).save(path)
    return path


def test_start_mix_composes_rects_layers_and_background(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    zego.emu.publish("blue", BLUE)
    body = _body(
        [
            {"StreamId": "red", "RectInfo": _rect(0, 0, 100, 90, Layer=1)},
            {"StreamId": "blue", "RectInfo": _rect(60, 0, 160, 45, Layer=2)},
        ],
        Sequence=1,
        RoomId="room1",
        BackGroundColorHex="0x00FF0000",
    )
    answer = zego.start_mix(body)
    assert (answer["Code"], answer["Message"]) == (0, "success")
    play = zego.emu.ctx.play_urls("out1")
    assert answer["Data"] == {
        "UserId": "u1",
        "Sequence": 1,
        "RoomId": "room1",
        "PlayInfo": [
            {
                "StreamId": "out1",
                "RTMP": play["rtmp"],
                "HLS": play["hls"],
                "FLV": play["flv"],
                "Status": 0,
                "UserName": "",
            }
        ],
    }
    frame = zego.snapshot(TASK)
    assert frame.size == (160, 90)
    assert close(frame.getpixel((30, 60)), (255, 0, 0))  # red alone
    assert close(frame.getpixel((80, 20)), (0, 0, 255))  # blue above red (higher Layer)
    assert close(frame.getpixel((130, 70)), (0, 255, 0))  # background 0x00FF00
    zego.emu.unpublish("red")


def test_lower_layer_is_drawn_below(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    zego.emu.publish("blue", BLUE)
    body = _body(
        [
            {"StreamId": "red", "RectInfo": _rect(0, 0, 100, 90, Layer=5)},
            {"StreamId": "blue", "RectInfo": _rect(60, 0, 160, 45, Layer=2)},
        ]
    )
    assert zego.start_mix(body)["Code"] == 0
    assert close(zego.snapshot(TASK).getpixel((80, 20)), (255, 0, 0))


def test_same_task_id_updates_the_running_mix(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    assert (
        zego.start_mix(_body([{"StreamId": "red", "RectInfo": _rect(0, 0, 80, 90)}], Sequence=1))["Code"] == 0
    )
    task = zego.emu.ctx.tasks.get(TASK)
    assert task is not None
    assert close(zego.snapshot(TASK).getpixel((120, 45)), (0, 0, 0))
    assert (
        zego.start_mix(_body([{"StreamId": "red", "RectInfo": _rect(80, 0, 160, 90)}], Sequence=2))["Code"]
        == 0
    )
    assert zego.emu.ctx.tasks.get(TASK) is task and task.update_count == 1
    assert task.job.layers[0].rect is not None and task.job.layers[0].rect.x == 80
    assert len(zego.emu.ctx.tasks.active("zego")) == 1


def test_older_or_equal_sequence_is_refused(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    inputs = [{"StreamId": "red", "RectInfo": _rect(0, 0, 80, 90)}]
    assert zego.start_mix(_body(inputs, Sequence=5))["Code"] == 0
    for sequence in (4, 5):
        answer = zego.start_mix(
            _body([{"StreamId": "red", "RectInfo": _rect(80, 0, 160, 90)}], Sequence=sequence)
        )
        assert answer["Code"] == 110200002
        assert (
            answer["Message"]
            == f"input params error: Sequence {sequence} is not greater than the task's last Sequence 5"
        )
    task = zego.emu.ctx.tasks.get(TASK)
    assert task is not None and task.update_count == 0 and task.meta["sequence"] == 5
    assert zego.start_mix(_body(inputs, Sequence=6))["Code"] == 0


def test_another_user_cannot_update_the_task(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    inputs = [{"StreamId": "red", "RectInfo": _rect(0, 0, 80, 90)}]
    assert zego.start_mix(_body(inputs))["Code"] == 0
    answer = zego.start_mix({**_body(inputs), "UserId": "intruder"})
    assert answer["Code"] == 110200160


def test_render_modes_crop_and_fit(zego: Zego) -> None:
    """A 16:9 source in a square: crop (0) fills it; fit (1) leaves black bars above and below."""
    zego.emu.publish("red", RED)
    zego.emu.publish("blue", BLUE)
    body = _body(
        [
            {"StreamId": "red", "RectInfo": _rect(0, 0, 80, 80), "RenderMode": 0},
            {"StreamId": "blue", "RectInfo": _rect(80, 0, 160, 80), "RenderMode": 1},
        ],
        BackGroundColorHex="0xFFFFFF00",
    )
    assert zego.start_mix(body)["Code"] == 0
    frame = zego.snapshot(TASK)
    assert close(frame.getpixel((40, 3)), (255, 0, 0))  # crop: the square is all red
    assert close(frame.getpixel((120, 3)), (0, 0, 0))  # fit: a black bar above
    assert close(frame.getpixel((120, 40)), (0, 0, 255))
    assert close(frame.getpixel((40, 85)), (255, 255, 255))  # background below both


def test_audio_only_inputs_are_not_drawn(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    zego.emu.publish("blue", BLUE)
    body = _body(
        [
            {"StreamId": "red", "RectInfo": _rect(0, 0, 80, 90), "ContentControl": 1},
            {"StreamId": "blue"},  # no RectInfo: audio only
        ]
    )
    assert zego.start_mix(body)["Code"] == 0
    frame = zego.snapshot(TASK)
    assert close(frame.getpixel((40, 45)), (0, 0, 0))
    task = zego.emu.ctx.tasks.get(TASK)
    assert task is not None
    assert [(layer.video, layer.audio) for layer in task.job.layers] == [(False, True), (False, True)]


def test_image_input_watermark_and_background_image(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    zego.emu.map_url("https://img.example.org/green.png", str(_png(zego, "green.png", (0, 255, 0))))
    zego.emu.map_url("https://img.example.org/white.png", str(_png(zego, "white.png", (255, 255, 255))))
    zego.emu.map_url("preset-id://yellow-bg", str(_png(zego, "yellow.png", (255, 255, 0))))
    body = _body(
        [
            {
                "StreamId": "red",
                "RectInfo": _rect(0, 0, 80, 90),
                "Image": {"Url": "https://img.example.org/green.png"},
            }
        ],
        BackgroundImage="preset-id://yellow-bg",
        WaterMark={"Image": "https://img.example.org/white.png", "RectInfo": _rect(140, 70, 160, 90)},
    )
    assert zego.start_mix(body)["Code"] == 0
    frame = zego.snapshot(TASK)
    assert close(frame.getpixel((40, 45)), (0, 255, 0))  # Image (DisplayMode 0) covers the stream's picture
    assert close(frame.getpixel((120, 20)), (255, 255, 0))  # background image
    assert close(frame.getpixel((150, 80)), (255, 255, 255))  # watermark
    task = zego.emu.ctx.tasks.get(TASK)
    assert task is not None
    red = next(layer for layer in task.job.layers if layer.id == "red")
    assert (red.video, red.audio) == (False, True)  # the stream is still heard


def test_label_volume_corner_radius_reach_the_job(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    body = _body(
        [
            {
                "StreamId": "red",
                "RectInfo": _rect(0, 0, 80, 90, CornerRadius=8),
                "Volume": 150,
                "Label": {
                    "Text": "Anchor",
                    "Left": 4,
                    "Top": 6,
                    "Font": {"FontSize": 18, "FontColor": 0x00FF00},
                },
            }
        ]
    )
    assert zego.start_mix(body)["Code"] == 0
    task = zego.emu.ctx.tasks.get(TASK)
    assert task is not None
    [layer] = task.job.layers
    assert (layer.volume, layer.corner_radius) == (150, 8)
    assert layer.label is not None
    assert (layer.label.text, layer.label.font_size, layer.label.color, layer.label.x, layer.label.y) == (
        "Anchor",
        18,
        "#00ff00",
        4,
        6,
    )


def test_three_outputs_each_with_play_info(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    outputs = [
        {"StreamId": "big", "Width": 160, "Height": 90, "Fps": 10},
        {"StreamId": "small", "Width": 80, "Height": 46, "Fps": 10},
        {"StreamUrl": "rtmp://cdn.example.org/live/cdn_out", "Width": 160, "Height": 90, "Fps": 10},
    ]
    body = {**_body([{"StreamId": "red", "RectInfo": _rect(0, 0, 160, 90)}]), "MixOutput": outputs}
    answer = zego.start_mix(body)
    assert answer["Code"] == 0, answer
    assert [p["StreamId"] for p in answer["Data"]["PlayInfo"]] == ["big", "small", "cdn_out"]
    task = zego.emu.ctx.tasks.get(TASK)
    assert task is not None
    small = task.job.outputs[1]
    assert small.video is not None and (small.video.width, small.video.height) == (80, 46)
    assert task.job.outputs[2].push_urls == ["rtmp://cdn.example.org/live/cdn_out"]


def test_fps_is_capped_at_20(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    body = _body([{"StreamId": "red", "RectInfo": _rect(0, 0, 160, 90)}])
    body["MixOutput"][0]["Fps"] = 30
    assert zego.start_mix(body)["Code"] == 0
    task = zego.emu.ctx.tasks.get(TASK)
    assert task is not None and task.job.outputs[0].video is not None
    assert task.job.outputs[0].video.fps == 20


def test_stream_url_naming_a_published_stream_reads_it(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    body = _body([{"StreamUrl": "rtmp://pull.example.org/live/red", "RectInfo": _rect(0, 0, 160, 90)}])
    assert zego.start_mix(body)["Code"] == 0
    assert close(zego.snapshot(TASK).getpixel((80, 45)), (255, 0, 0))


def test_documented_start_mix_example(zego: Zego) -> None:
    from tests.providers.zego.helpers import fixture_body

    zego.emu.publish("stream1", RED)
    zego.emu.publish("stream2", BLUE)
    answer = zego.start_mix(fixture_body("start_mix.json"))
    assert answer["Code"] == 0, answer
    assert answer["Data"]["Sequence"] == 123
    frame = zego.snapshot("zego:12345:123")
    assert frame.size == (360, 360)
    assert close(frame.getpixel((180, 115)), (255, 0, 0))
    assert close(frame.getpixel((180, 245)), (0, 0, 255))


def test_sequence_zero_is_no_sequence(zego: Zego) -> None:
    """The PHP sample always sends seq 0: it is the decoded zero value, not a Sequence to compare."""
    zego.emu.publish("red", RED)
    inputs = [{"StreamId": "red", "RectInfo": _rect(0, 0, 80, 90)}]
    for _ in range(2):
        answer = zego.start_mix(_body(inputs, Sequence=0))
        assert answer["Code"] == 0 and answer["Data"]["Sequence"] == 0
