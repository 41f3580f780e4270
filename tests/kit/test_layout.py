"""``assert_layout``: passes on a real mix, and fails naming the input with both rects, or the colours."""

from __future__ import annotations

import pytest
from PIL import Image

from emulator.kit import EmulatorHandle
from emulator.kit.layout_check import check_pixels, layout_from_task

RED, BLUE = "pattern:color?color=#ff0000&size=160x90", "pattern:color?color=#0000ff&size=160x90"


def start_two_up(emu: EmulatorHandle) -> dict:
    emu.publish("host", RED)
    emu.publish("guest", BLUE)
    rect = {"Top": 10, "Left": 150, "Bottom": 100, "Right": 310}
    body = {
        "TaskId": "two",
        "Sequence": 1,
        "UserId": "u1",
        "MixInput": [
            {"StreamId": "host", "RectInfo": {"Top": 0, "Left": 0, "Bottom": 180, "Right": 320}, "Layer": 1},
            {"StreamId": "guest", "RectInfo": rect, "Layer": 2},
        ],
        "MixOutput": [
            {"StreamId": "two_out", "Width": 320, "Height": 180, "VideoBitrate": 300000, "Fps": 15}
        ],
    }
    assert emu.zego.call("StartMix", body)["Code"] == 0
    return emu.wait_for(emu.zego.task_id("two"), state="running", frames=2)


def test_assert_layout_passes_on_the_drawn_layout(mix_emulator: EmulatorHandle) -> None:
    task = start_two_up(mix_emulator)
    mix_emulator.assert_layout(task, {"host": (0, 0, 320, 180), "guest": (150, 10, 160, 90)})


def test_a_wrong_rect_names_the_input_and_shows_both_rects(mix_emulator: EmulatorHandle) -> None:
    task = start_two_up(mix_emulator)
    with pytest.raises(AssertionError) as failure:
        mix_emulator.assert_layout(task, {"guest": (0, 0, 160, 90)})
    message = str(failure.value)
    assert "input 'guest'" in message
    assert "expected (x=0, y=0, w=160, h=90), drawn (x=150, y=10, w=160, h=90)" in message


def test_an_unknown_input_lists_the_layers(mix_emulator: EmulatorHandle) -> None:
    task = start_two_up(mix_emulator)
    with pytest.raises(AssertionError, match=r"input 'gust': no layer .* \(layers: 'host', 'guest'\)"):
        mix_emulator.assert_layout(task, {"gust": (0, 0, 10, 10)})


def test_the_fallback_layout_matches_the_task_view(mix_emulator: EmulatorHandle) -> None:
    task = start_two_up(mix_emulator)
    layout = layout_from_task(mix_emulator.task(task["id"]))
    assert layout["canvas"]["width"] == 320
    guest = next(layer for layer in layout["layers"] if layer["id"] == "guest")
    assert guest["source_size"] == [160, 90] and guest["drawn"] == {"x": 150, "y": 10, "w": 160, "h": 90}


def test_pixels_that_are_not_the_inputs_fail_with_both_colours() -> None:
    layout = {
        "canvas": {"width": 64, "height": 36, "color": "#000000"},
        "layers": [
            {"id": "a", "source": "stream:a", "z": 0, "drawn": {"x": 0, "y": 0, "w": 32, "h": 36}},
            {"id": "b", "source": "stream:b", "z": 1, "drawn": {"x": 16, "y": 0, "w": 48, "h": 36}},
        ],
    }
    image = Image.new("RGB", (64, 36), (0, 0, 0))
    image.paste((255, 0, 0), (0, 0, 16, 36))  # a is red where b does not cover it
    image.paste((0, 0, 255), (16, 0, 64, 36))
    found = {"a": layout["layers"][0], "b": layout["layers"][1]}
    colours = {"stream:a": (255.0, 0.0, 0.0), "stream:b": (0.0, 255.0, 0.0)}  # b should be green
    problems = check_pixels(
        image,
        layout,
        found,
        {"a": (0, 0, 32, 36), "b": (16, 0, 48, 36)},
        lambda layer: colours[layer["source"]],
    )
    assert problems == [
        "input 'b' (layer 'b', stream:b): the frame inside (x=16, y=0, w=48, h=36) averages rgb(0, 0, 255), "
        "the input's picture rgb(0, 255, 0)"
    ]
