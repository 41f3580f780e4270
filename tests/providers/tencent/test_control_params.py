"""Cloud API 3.0 ControlParams and OutputParams.MixSei through the official SDK, checked by pixels and by the
SEI in the played stream: UseMixCropCenter, UsePictureTransparent, AllowCopy, MixSei, PassInputSei (from an
anchor pushed over RTMP)."""

from __future__ import annotations

import base64
import io
import time
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
import requests
from PIL import Image
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

from emulator.core.job import AudioSpec, Canvas, Layer, MixJob, Output, SeiSpec, VideoSpec
from emulator.media.flv import FlvParser
from emulator.media.sei import read_sei
from emulator.media.sei_feed import USER_DATA_UUID
from emulator.render import MappingResolver, render
from emulator.testing import push_rtmp
from tests.providers.tencent.helpers import Tencent
from tests.providers.tencent.test_api3 import client, create_request

pytestmark = pytest.mark.e2e

GREEN_WINDOW = {"ImageLayer": 2, "ImageWidth": 60, "ImageHeight": 60, "LocationX": 20, "LocationY": 20}


def _create(
    tencent: Tencent, session: str, inputs: list[dict[str, Any]], control: dict[str, int], **out: Any
) -> None:
    request = create_request(session, out.pop("name", "anchor"), inputs, **out)
    request._deserialize({**request._serialize(), "ControlParams": control})
    client(tencent).CreateCommonMixStream(request)


def _picture(tencent: Tencent, session: str) -> np.ndarray:
    tencent.wait_live(f"tencent:{session}")
    time.sleep(0.3)  # a few frames composed after every input went live
    return np.asarray(tencent.emu.snapshot_image(f"tencent:{session}").convert("RGB")).astype(int)


def _near(pixel: np.ndarray, rgb: tuple[int, int, int]) -> bool:
    return bool(np.abs(pixel - rgb).max() <= 40)


@pytest.mark.parametrize("crop_center", [0, 1])
def test_use_mix_crop_center_crops_to_the_window_instead_of_bars(tencent: Tencent, crop_center: int) -> None:
    tencent.publish("anchor", "#ff0000", "320x180", settle=False)
    tencent.publish("guest", "#00ff00", "160x90")  # 16:9 into a square window
    inputs = [
        {"InputStreamName": "anchor", "LayoutParams": {"ImageLayer": 1}},
        {"InputStreamName": "guest", "LayoutParams": GREEN_WINDOW},
    ]
    _create(tencent, "crop", inputs, {"UseMixCropCenter": crop_center})
    frame = _picture(tencent, "crop")
    assert _near(frame[50, 50], (0, 255, 0))  # the window's centre is the guest either way
    top = frame[23, 50]  # near the window's top edge: a bar without crop-centre, the guest with it
    assert _near(top, (0, 255, 0)) if crop_center else _near(top, (0, 0, 0)), top
    assert _near(frame[100, 200], (255, 0, 0))


@pytest.mark.parametrize("transparent", [0, 1])
def test_picture_alpha_applies_only_with_use_picture_transparent(tencent: Tencent, transparent: int) -> None:
    logo = Image.new("RGBA", (40, 20), (0, 0, 255, 0))  # invisible blue ...
    logo.paste((255, 255, 0, 255), (0, 0, 20, 20))  # ... beside an opaque yellow half
    logo.save(tencent.emu.ctx.settings.data_dir / "media" / "half.png")
    tencent.emu.request("POST", "/_emulator/tencent/pictures", {"picture_id": 7, "source": "half.png"})
    tencent.publish("anchor", "#ff0000", "320x180")
    inputs = [
        {"InputStreamName": "anchor", "LayoutParams": {"ImageLayer": 1}},
        {
            "InputStreamName": "logo",
            "LayoutParams": {
                "ImageLayer": 2,
                "InputType": 2,
                "WatermarkId": 7,
                "LocationX": 100,
                "LocationY": 100,
            },
        },
    ]
    _create(tencent, "alpha", inputs, {"UsePictureTransparent": transparent})
    frame = _picture(tencent, "alpha")
    assert _near(frame[110, 110], (255, 255, 0))
    hidden = frame[110, 130]  # the transparent half: the anchor shows through only when alpha applies
    assert _near(hidden, (255, 0, 0)) if transparent else _near(hidden, (0, 0, 255)), hidden


def _user_data_over_flv(url: str, size: tuple[int, int] | None = None) -> list[bytes]:
    """The mixemu.userdata. SEI payloads of a player's first frames of an HTTP-FLV stream."""
    flv, parser, frames = bytearray(), FlvParser(), 0
    with requests.get(url, stream=True, timeout=10) as response:
        for chunk in response.iter_content(1024):
            flv += chunk
            frames += sum(1 for tag in parser.feed(chunk) if tag.is_video and not tag.is_sequence_header)
            if frames >= 5:
                break
    with av.open(io.BytesIO(bytes(flv)), format="flv") as container:
        stream = container.streams.video[0]
        if size is not None:
            assert (stream.codec_context.width, stream.codec_context.height) == size
        return [
            m.payload
            for packet in container.demux(stream)
            if packet.size
            for m in read_sei(bytes(packet), "h264", annexb=False)
            if m.uuid == USER_DATA_UUID
        ]


def test_allow_copy_takes_one_input_and_mix_sei_reaches_players(tencent: Tencent) -> None:
    tencent.publish("anchor", "#ff0000", "320x180")
    inputs = [{"InputStreamName": "anchor", "LayoutParams": {"ImageLayer": 1}}]
    _create(tencent, "copy", inputs, {"AllowCopy": 1}, name="copied", OutputStreamType=1, MixSei="hello sei")
    tencent.wait_live("tencent:copy")
    payloads = _user_data_over_flv(f"{tencent.emu.url}/live/copied.flv", size=(320, 180))
    assert payloads and set(payloads) == {b"hello sei"}


@pytest.mark.parametrize(
    ("control", "code"),
    [({"UseMixCropCenter": 2}, "InvalidParameter"), ({}, "InvalidParameter.InvalidMixInputParam")],
)
def test_bad_switches_and_one_input_without_allow_copy_are_refused(
    tencent: Tencent, control: dict[str, int], code: str
) -> None:
    tencent.publish("anchor", "#ff0000", "320x180")
    inputs = [{"InputStreamName": "anchor", "LayoutParams": {"ImageLayer": 1}}]
    with pytest.raises(TencentCloudSDKException) as refused:
        _create(tencent, "bad", inputs, control, name="copied", OutputStreamType=1)
    assert refused.value.code == code


def test_pass_input_sei_copies_a_pushed_anchors_sei_next_to_mix_sei(tencent: Tencent, tmp_path: Path) -> None:
    # An anchor whose every frame carries SEI "from the anchor" (the emulator's own render made it), pushed
    # over RTMP with FFmpeg's client.
    anchor = MixJob(
        Canvas(320, 180),
        [Layer("a", "pattern:color?color=#ff0000&size=320x180&tone=440")],
        [Output("a", VideoSpec(fps=10, preset="ultrafast", gop_seconds=1), AudioSpec())],
        sei=SeiSpec(user_data=base64.b64encode(b"from the anchor").decode()),
    )
    clip = tmp_path / "anchor.mp4"
    render(anchor, clip, MappingResolver({}, {}), duration=2.0)
    with push_rtmp(clip, tencent.emu.rtmp_url("seianchor")):
        deadline = time.monotonic() + 15
        while not any(s["stream_id"] == "seianchor" and s["info"]["width"] for s in tencent.emu.streams()):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        tencent.publish("guest", "#00ff00", "160x90")  # settles the push too
        inputs = [
            {"InputStreamName": "seianchor", "LayoutParams": {"ImageLayer": 1}},
            {"InputStreamName": "guest", "LayoutParams": GREEN_WINDOW},
        ]
        _create(tencent, "sei", inputs, {"PassInputSei": 1}, name="seiout", OutputStreamType=1, MixSei="mix")
        tencent.wait_live("tencent:sei")
        payloads = _user_data_over_flv(f"{tencent.emu.url}/live/seiout.flv")
    assert {b"mix", b"from the anchor"} <= set(payloads)
