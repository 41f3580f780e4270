"""``GET /_emulator/tasks/{id}/layout`` for each provider's layout rules (Tencent templates, shares and crop,
ZEGO's fit and fill render modes, Volcengine's limit boxes), checked against the decoded snapshot: each
drawn rect is exactly where its colour is."""

from __future__ import annotations

import io
import time
from typing import Any

import numpy as np
from PIL import Image

from emulator.client import ControlError
from emulator.testing import EmulatorFixture
from tests.control.support import zego_mix
from tests.providers.tencent.helpers import Tencent, start_para, stream
from tests.providers.zego.helpers import Zego

RED, GREEN, BLUE, WHITE, BLACK = (255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)
TOLERANCE = 48  # H.264 / yuv420p colour error on flat areas
EDGE_PX = 2  # chroma is shared by 2x2 pixels: an edge may blur by a pixel either side


def layout_of(emu: EmulatorFixture, task_id: str) -> dict[str, Any]:
    return emu.request("GET", f"/_emulator/tasks/{task_id}/layout")


def live_layout(emu: EmulatorFixture, task_id: str, timeout: float = 15.0) -> tuple[dict, np.ndarray]:
    """The layout once every input is live and drawn, and a snapshot taken after it."""
    deadline = time.monotonic() + timeout
    while True:
        layout = layout_of(emu, task_id)
        drawn = [layer for layer in layout["layers"] if layer["video"]]
        if drawn and all(layer["state"] == "live" and layer["drawn"] for layer in drawn):
            try:
                png = emu.snapshot(task_id)
            except ControlError:
                png = None
            if png is not None:
                time.sleep(0.3)  # a frame composed after the layout was read
                png = emu.snapshot(task_id)
                return layout, np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
        assert time.monotonic() < deadline, f"{task_id} not all live and drawn: {layout}"
        time.sleep(0.05)


def near(pixel: np.ndarray, colour: tuple[int, int, int]) -> bool:
    return bool(np.abs(pixel[:3] - np.array(colour)).max() <= TOLERANCE)


def assert_drawn_where_the_pixels_are(image: np.ndarray, layer: dict, colour: tuple[int, int, int]) -> None:
    """The layer's colour fills its drawn rect and stops at its edges (along the rect's middle lines)."""
    box = layer["drawn"]
    x, y, w, h = box["x"], box["y"], box["w"], box["h"]
    cx, cy = x + w // 2, y + h // 2
    assert near(image[cy, cx], colour), f"{layer['id']}: centre {image[cy, cx].tolist()} is not {colour}"
    row = [near(p, colour) for p in image[cy]]
    column = [near(p, colour) for p in image[:, cx]]
    for name, line, start, length, centre in (("x", row, x, w, cx), ("y", column, y, h, cy)):
        lo = centre
        while lo > 0 and line[lo - 1]:
            lo -= 1
        hi = centre
        while hi < len(line) - 1 and line[hi + 1]:
            hi += 1
        assert abs(lo - start) <= EDGE_PX, f"{layer['id']}: {name} starts at {lo}, layout says {start}"
        end = start + length - 1
        assert abs(hi - end) <= EDGE_PX, f"{layer['id']}: {name} ends at {hi}, layout says {end}"


def by_id(layout: dict) -> dict[str, dict]:
    return {layer["id"]: layer for layer in layout["layers"]}


def test_tencent_template_shares_and_crop(mix_emulator: EmulatorFixture) -> None:
    tencent = Tencent(mix_emulator)
    tencent.publish("anchor", "#ff0000", "320x180", settle=False)
    tencent.publish("guest", "#00ff00", "160x90", settle=False)
    tencent.publish("guest2", "#0000ff", "160x90")
    # Template 310: window 1 top-left, window 2 bottom-right; the second in shares of the background
    # (0.25 x 0.25) and cropped to its left 80x90 before scaling.
    inputs = [
        stream("anchor", 1),
        stream("guest", 2),
        stream("guest2", 3, crop={"crop_width": 80, "crop_height": 90}, image_width=0.25, image_height=0.25),
    ]
    assert tencent.call(start_para("tpl", "anchor", inputs, mix_stream_template_id=310)).code == 0
    layout, image = live_layout(mix_emulator, "tencent:tpl")
    assert layout["canvas"] == {"width": 320, "height": 180, "color": layout["canvas"]["color"]}
    layers = by_id(layout)
    assert [layer["z"] for layer in layout["layers"]] == sorted(layer["z"] for layer in layout["layers"])
    background = next(layer for layer in layout["layers"] if layer["source_size"] == [320, 180])
    assert background["drawn"] == {"x": 0, "y": 0, "w": 320, "h": 180}
    green = next(layer for layer in layers.values() if layer["source"].endswith("guest"))
    blue = next(layer for layer in layers.values() if layer["source"].endswith("guest2"))
    # 80x45 asked (shares of 320x180); the 80x90 crop fits inside it at 40x45, centred, black bars beside
    assert blue["crop"]["w"] == 80 and (blue["requested"]["w"], blue["requested"]["h"]) == (80, 45)
    assert (blue["drawn"]["w"], blue["drawn"]["h"]) == (40, 45)
    assert blue["drawn"]["x"] == blue["requested"]["x"] + 20
    assert green["drawn"]["x"] < 160 and blue["drawn"]["x"] > 160  # top-left, bottom-right windows
    assert green["source_size"] == [160, 90] and green["state"] == "live" and green["error"] is None
    assert_drawn_where_the_pixels_are(image, green, GREEN)
    assert_drawn_where_the_pixels_are(image, blue, BLUE)


def test_zego_fit_and_fill(mix_emulator: EmulatorFixture) -> None:
    zego = Zego(mix_emulator)
    zego.emu.publish("red", "pattern:color?color=#ff0000&size=320x180")
    zego.emu.publish("square", "pattern:color?color=#0000ff&size=90x90")
    zego.emu.publish("wide", "pattern:color?color=#ffffff&size=160x40")
    # fit (RenderMode 1): the square scaled to 60x60, centred in 120x60, black bars beside it;
    # fill (RenderMode 0): 160x40 cover-scaled into 60x60, the overflow cropped: the whole box
    body = zego_mix(
        "lay",
        {"red": (0, 0, 320, 180), "square": (20, 20, 140, 80), "wide": (200, 100, 260, 160)},
        (320, 180),
        red={"Layer": 0},
        square={"RenderMode": 1, "Layer": 1},
        wide={"RenderMode": 0, "Layer": 2},
    )
    assert zego.start_mix(body)["Code"] == 0
    task = next(t["id"] for t in mix_emulator.tasks("zego") if t["native_id"].endswith("lay"))
    layout, image = live_layout(mix_emulator, task)
    layers = {layer["source"].rsplit(":", 1)[-1]: layer for layer in layout["layers"]}
    fit, fill = layers["square"], layers["wide"]
    assert (fit["fit"], fit["requested"]) == ("fit", {"x": 20, "y": 20, "w": 120, "h": 60})
    assert fit["drawn"] == {"x": 50, "y": 20, "w": 60, "h": 60}
    assert (fill["fit"], fill["drawn"]) == ("fill", {"x": 200, "y": 100, "w": 60, "h": 60})
    assert_drawn_where_the_pixels_are(image, fit, BLUE)
    assert_drawn_where_the_pixels_are(image, fill, WHITE)
    assert near(image[50, 30], BLACK)  # the fit's bars: inside the rect asked for, outside the one drawn


def test_volcengine_limit_boxes(mix_emulator: EmulatorFixture) -> None:
    from tests.providers.volcengine.volc_support import mix_body, service

    emu = mix_emulator
    emu.map_url("https://img.example.org/bg.png", "pattern:color?color=#ff0000&size=320x180")
    emu.map_url("https://img.example.org/sq.png", "pattern:color?color=#0000ff&size=160x160")
    body = mix_body(
        "layout",
        [
            ("bg", 1, "pic", "https://img.example.org/bg.png"),
            ("sq", 5, "pic", "https://img.example.org/sq.png"),
        ],
        {1: (0, 0, 320, 180), 5: (200, 20, 100, 60)},
    )
    task_id = service(emu).create_cloud_mix_task(body)["Result"]["Data"]["TaskID"]
    layout, image = live_layout(emu, f"volcengine:{task_id}")
    square = next(layer for layer in layout["layers"] if layer["source_size"] == [160, 160])
    assert square["requested"] == {"x": 200, "y": 20, "w": 100, "h": 60}
    assert square["drawn"] == {"x": 220, "y": 20, "w": 60, "h": 60}  # aspect kept, centred in its box
    assert_drawn_where_the_pixels_are(image, square, BLUE)
    assert near(image[50, 205], RED)  # the rest of the box is transparent


def wait_dropped(emu: EmulatorFixture, task: str, stream_id: str) -> dict:
    """Unpublish a live input; its layer once it is no longer live."""
    emu.unpublish(stream_id)
    deadline = time.monotonic() + 10
    while (layer := by_source(layout_of(emu, task), stream_id))["state"] == "live":
        assert time.monotonic() < deadline, "the dropped input stayed live"
        time.sleep(0.05)
    return layer


def test_a_dropped_zego_input_is_lost_with_its_error(mix_emulator: EmulatorFixture) -> None:
    zego = Zego(mix_emulator)
    zego.emu.publish("a", "pattern:color?color=#00ff00&size=160x90")
    zego.emu.publish("b", "pattern:color?color=#0000ff&size=160x90")
    assert (
        zego.start_mix(zego_mix("drop", {"a": (0, 0, 80, 90), "b": (80, 0, 160, 90)}, (160, 90)))["Code"] == 0
    )
    task = next(t["id"] for t in mix_emulator.tasks("zego") if t["native_id"].endswith("drop"))
    live_layout(mix_emulator, task)
    dropped = wait_dropped(mix_emulator, task, "b")
    # ZEGO shows nothing where a dropped input was: lost, nothing drawn, the reason given
    assert (dropped["state"], dropped["drawn"]) == ("lost", None)
    assert dropped["error"] == "stream:b is not published"
    assert by_source(layout_of(mix_emulator, task), "a")["state"] == "live"


def test_a_dropped_tencent_window_is_frozen(mix_emulator: EmulatorFixture) -> None:
    tencent = Tencent(mix_emulator)
    tencent.publish("anchor", "#ff0000", "320x180", settle=False)
    tencent.publish("guest", "#00ff00", "160x90")
    inputs = [stream("anchor", 1), stream("guest", 2, image_width=80, image_height=45)]
    assert tencent.call(start_para("frz", "anchor", inputs)).code == 0
    live_layout(mix_emulator, "tencent:frz")
    dropped = wait_dropped(mix_emulator, "tencent:frz", "guest")
    # Tencent keeps a dropped window's last frame (for up to 15 minutes): frozen, still drawn
    assert dropped["state"] == "frozen" and dropped["drawn"] == {"x": 0, "y": 0, "w": 80, "h": 45}
    assert "not published" in dropped["error"]
    time.sleep(0.3)
    image = np.asarray(Image.open(io.BytesIO(mix_emulator.snapshot("tencent:frz"))).convert("RGB")).astype(
        int
    )
    assert_drawn_where_the_pixels_are(image, dropped, GREEN)


def by_source(layout: dict, stream_id: str) -> dict:
    return next(layer for layer in layout["layers"] if layer["source"].rsplit(":", 1)[-1] == stream_id)


def test_unknown_task_is_a_404(mix_emulator: EmulatorFixture) -> None:
    try:
        layout_of(mix_emulator, "zego:nope")
    except ControlError as exc:
        assert exc.status == 404 and exc.body["error"]["code"] == "TaskNotFound"
    else:
        raise AssertionError("a layout for a task that does not exist")
