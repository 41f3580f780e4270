"""translate(): the saved request bodies of ZEGO's samples become MixJobs (for ``mix-emulator render``), bad
bodies a ValueError naming ZEGO's code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import av
import pytest

from emulator.core.job import FitMode, MixJob
from emulator.core.streams import MediaInfo
from emulator.providers.zego import translate
from tests.providers.zego.helpers import FIXTURES, fixture_body


def test_start_mix_example() -> None:
    job = translate(fixture_body("start_mix.json"), lambda _: None)
    assert (job.canvas.width, job.canvas.height, job.canvas.color) == (360, 360, "#000000")
    assert [(layer.id, layer.source) for layer in job.layers] == [
        ("stream1", "stream:stream1"),
        ("stream2", "stream:stream2"),
    ]
    rect = job.layers[1].rect
    assert rect is not None and (rect.x, rect.y, rect.w, rect.h) == (100, 200, 160, 90)
    assert job.layers[0].fit == FitMode.FILL
    [output] = job.outputs
    assert output.stream_id == "stream3" and output.video is not None
    assert (output.video.fps, output.video.bitrate, output.video.width) == (15, 12000, None)
    assert (job.idle_timeout, job.input_loss_timeout) == (90.0, 0.0)
    assert MixJob.from_dict(json.loads(json.dumps(job.to_dict()))) == job


def test_legacy_samples() -> None:
    java = translate(fixture_body("java_sample.json"))
    assert (java.canvas.width, java.canvas.height) == (480, 640)
    assert [layer.z for layer in java.layers] == [0, 1]
    php = translate(fixture_body("php_sample.json"))
    assert php.outputs[0].video is None and not php.layers[0].video
    curl = translate(fixture_body("curl_sample.json"))
    assert curl.canvas.image == "preset-id://liveme-bg"
    # Not published: pulled as is until a stream of that name is (core/resolver.py).
    assert curl.layers[0].source == "pull:avertp://39.108.212.3/miniapp/mix-input-test-1000yanglei"
    known = translate(
        fixture_body("curl_sample.json"), lambda s: MediaInfo() if s.startswith("mix-input") else None
    )
    assert known.layers[0].source == "stream:mix-input-test-1000yanglei"
    assert curl.outputs[0].stream_id == "mix-output-test-1000yanglei" and curl.outputs[0].push_urls == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"TaskId": "t"}, "ZEGO 110200002: input params error: UserId is required"),
        ({"TaskId": "t", "UserId": "u", "MixInput": "x"}, "ZEGO 110200184"),
        (
            {"id_name": "x", "MixInput": [{"stream_id": "a", "rect": {}}], "MixOutput": []},
            "MixOutput is required",
        ),
        ([], "body must be a JSON object"),
    ],
)
def test_bad_bodies_raise_value_error(body: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        translate(body, lambda _: None)  # type: ignore[arg-type]


def test_render_command_renders_the_sample(tmp_path: Path) -> None:
    out = tmp_path / "zego.mp4"
    streams = [
        "stream1=pattern:color?color=#ff0000&size=160x90",
        "stream2=pattern:color?color=#0000ff&size=160x90",
    ]
    command = [
        sys.executable,
        "-m",
        "emulator",
        "render",
        str(FIXTURES / "start_mix.json"),
        "--provider",
        "zego",
    ]
    command += ["--stream", streams[0], "--stream", streams[1], "-o", str(out), "--duration", "0.5"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as container:
        frame = next(container.decode(video=0)).to_image()
    assert frame.size == (360, 360)
    red = frame.getpixel((180, 115))
    assert red[0] > 230 and red[1] < 25 and red[2] < 25
