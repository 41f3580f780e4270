"""``assert_layout``: passes on a real mix, and fails naming the input with both rects, or the colours."""

from __future__ import annotations

import pytest
from PIL import Image

from emulator.kit import EmulatorHandle
from emulator.kit.layout_check import SourcePicture, check_pixels
from tests.control.support import zego_mix

RED, BLUE = "pattern:color?color=#ff0000&size=160x90", "pattern:color?color=#0000ff&size=160x90"


def start_two_up(emu: EmulatorHandle) -> dict:
    emu.publish("host", RED)
    emu.publish("guest", BLUE)
    body = zego_mix("two", {"host": (0, 0, 320, 180), "guest": (150, 10, 310, 100)}, (320, 180))
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
    pictures = {source: SourcePicture(colour, uniform=True) for source, colour in colours.items()}
    problems = check_pixels(
        image,
        layout,
        found,
        {"a": (0, 0, 32, 36), "b": (16, 0, 48, 36)},
        lambda layer: pictures[layer["source"]],
    )
    assert problems == [
        "input 'b' (layer 'b', stream:b): the frame inside (x=16, y=0, w=48, h=36) averages rgb(0, 0, 255), "
        "the input's picture rgb(0, 255, 0)"
    ]


def test_a_busy_picture_is_checked_only_when_all_of_it_shows() -> None:
    layout = {
        "canvas": {"width": 64, "height": 36, "color": "#000000"},
        "layers": [
            {"id": "a", "source": "stream:a", "z": 0, "drawn": {"x": 0, "y": 0, "w": 64, "h": 36}},
            {"id": "b", "source": "stream:b", "z": 1, "drawn": {"x": 32, "y": 0, "w": 32, "h": 36}},
        ],
    }
    image = Image.new("RGB", (64, 36), (0, 0, 255))
    busy = SourcePicture((128.0, 128.0, 128.0), uniform=False)  # its average over the whole picture only
    rects = {"a": (0, 0, 64, 36)}
    covered = check_pixels(image, layout, {"a": layout["layers"][0]}, rects, lambda layer: busy)
    assert covered == []  # b covers half of a: a's visible half need not average like all of a
    alone = {"canvas": layout["canvas"], "layers": layout["layers"][:1]}
    problems = check_pixels(image, alone, {"a": alone["layers"][0]}, rects, lambda layer: busy)
    assert problems and "averages rgb(0, 0, 255), the input's picture rgb(128, 128, 128)" in problems[0]


def test_moving_bars_under_a_guest_pass(mix_emulator: EmulatorHandle) -> None:
    mix_emulator.publish("host", "pattern:bars?size=320x180")
    mix_emulator.publish("guest", BLUE)
    body = zego_mix("bars", {"host": (0, 0, 320, 180), "guest": (150, 10, 310, 100)}, (320, 180))
    assert mix_emulator.zego.call("StartMix", body)["Code"] == 0
    task = mix_emulator.wait_for(mix_emulator.zego.task_id("bars"), frames=2)
    mix_emulator.assert_layout(task, {"host": (0, 0, 320, 180), "guest": (150, 10, 160, 90)})


def test_a_cropped_or_overfilled_layer_does_not_show_its_whole_picture() -> None:
    from emulator.kit.layout_check import shows_whole_picture

    drawn = {"x": 0, "y": 0, "w": 160, "h": 90}
    assert shows_whole_picture({"fit": "fill", "crop": None, "source_size": [320, 180], "drawn": drawn})
    assert not shows_whole_picture({"fit": "fill", "crop": None, "source_size": [180, 180], "drawn": drawn})
    assert shows_whole_picture({"fit": "fit", "crop": None, "source_size": [180, 180], "drawn": drawn})
    cropped = {"fit": "stretch", "crop": {"x": 0, "y": 0, "w": 10, "h": 10}, "source_size": [180, 180]}
    assert not shows_whole_picture({**cropped, "drawn": drawn})
