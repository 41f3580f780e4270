"""Watermark pictures (input_type 2): registered through ``/_emulator/tencent/pictures``, mixed by
``picture_id``."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from PIL import Image

from emulator.client import ControlError
from tests.providers.tencent.helpers import Tencent, start_para, stream

PICTURES = "/_emulator/tencent/pictures"


def write_logo(tencent: Tencent, name: str = "logo.png") -> str:
    """A 40x20 yellow PNG inside the emulator's media root."""
    Image.new("RGB", (40, 20), (255, 255, 0)).save(tencent.emu.ctx.settings.data_dir / "media" / name)
    return name


def test_register_list_and_delete(tencent: Tencent) -> None:
    source = write_logo(tencent)
    added = tencent.emu.request(
        "POST", PICTURES, {"picture_id": 10, "source": source, "width": 40, "height": 20}
    )
    assert added == {"picture": {"picture_id": 10, "source": source, "width": 40, "height": 20}}
    assert tencent.emu.request("GET", PICTURES)["pictures"] == [added["picture"]]
    assert tencent.emu.request("DELETE", f"{PICTURES}/10") == {"deleted": 10}
    assert tencent.emu.request("GET", PICTURES)["pictures"] == []
    with pytest.raises(ControlError) as missing:
        tencent.emu.request("DELETE", f"{PICTURES}/10")
    assert missing.value.status == 404


def test_the_size_is_probed_when_not_given(tencent: Tencent) -> None:
    source = write_logo(tencent, "probed.png")
    added = tencent.emu.request("POST", PICTURES, {"picture_id": 11, "source": source})
    assert (added["picture"]["width"], added["picture"]["height"]) == (40, 20)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source": "logo.png"}, "picture_id"),
        ({"picture_id": 0, "source": "logo.png"}, "picture_id"),
        ({"picture_id": 3, "source": "no-such-file.png"}, "source"),
        ({"picture_id": 3}, "source"),
    ],
)
def test_bad_registrations_get_control_api_errors(
    tencent: Tencent, body: dict[str, object], field: str
) -> None:
    write_logo(tencent)
    with pytest.raises(ControlError) as error:
        tencent.emu.request("POST", PICTURES, body)
    assert error.value.status == 400
    assert error.value.body["error"]["field"] == field


def test_a_registered_picture_is_mixed_where_the_request_puts_it(tencent: Tencent) -> None:
    tencent.emu.request(
        "POST", PICTURES, {"picture_id": 10, "source": write_logo(tencent), "width": 40, "height": 20}
    )
    tencent.publish("anchor", "#0000ff", "320x180")
    # demo_stream_and_picture.py: the picture at (50, 100), its own size.
    inputs = [
        stream("anchor", 1),
        stream("picture", 2, input_type=2, picture_id=10, location_x=50, location_y=100),
    ]
    assert tencent.call(start_para("logo", "anchor", inputs)).code == 0
    task = tencent.emu.ctx.tasks.get("tencent:logo")
    assert task is not None and task.job.layers[1].rect is not None
    assert (task.job.layers[1].rect.w, task.job.layers[1].rect.h) == (40, 20)
    frame = None
    deadline = time.monotonic() + 10
    while frame is None:
        try:
            frame = np.asarray(Image.open(io.BytesIO(tencent.emu.snapshot("tencent:logo"))).convert("RGB"))
        except ControlError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    assert np.abs(frame[110, 70].astype(int) - [255, 255, 0]).max() <= 48  # inside the picture
    assert np.abs(frame[130, 70].astype(int) - [0, 0, 255]).max() <= 48  # below it: the anchor


def test_reset_forgets_registered_pictures(tencent: Tencent) -> None:
    tencent.emu.request(
        "POST", PICTURES, {"picture_id": 12, "source": write_logo(tencent), "width": 1, "height": 1}
    )
    tencent.emu.reset()
    assert tencent.emu.request("GET", PICTURES)["pictures"] == []
