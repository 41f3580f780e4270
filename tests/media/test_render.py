"""``mix-emulator render`` (emulator/render.py) and a smoke run of the benchmark's command line."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from emulator.core.job import AudioSpec, Canvas, Layer, MixJob, Output, Rect, VideoSpec
from emulator.media.clips import write_picture
from emulator.render import MappingResolver, _mappings, run_render
from tests.media.conftest import BLACK, GREEN, RED, assert_rgb

ROOT = Path(__file__).resolve().parents[2]


def write_job(path: Path, *layers: Layer) -> Path:
    output = Output("out", VideoSpec(fps=10, preset="ultrafast"), AudioSpec(22050, 1, 32_000))
    path.write_text(json.dumps(MixJob(Canvas(160, 90), list(layers), [output]).to_dict()))
    return path


def junk(beside: Path) -> Path:
    """A file that is no media at all, next to ``beside``."""
    path = beside.with_name("junk.mp4")
    path.write_bytes(bytes(range(256)) * 20)
    return path


def decode(path: Path) -> tuple[list[av.VideoFrame], int]:
    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
        container.seek(0)
        samples = sum(f.samples for f in container.decode(audio=0))
    return frames, samples


def test_renders_a_job_with_stream_mappings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], clip: Callable[..., Path]
) -> None:
    green = clip("green_10fps.mp4", fps=10, video="color:#00ff00")
    request = write_job(tmp_path / "job.json", Layer("cam", "stream:cam1", rect=Rect(80, 0, 80, 90)))
    out = tmp_path / "out" / "mix.mp4"
    assert run_render([str(request), "-o", str(out), "--stream", f"cam1={green}"]) == 0
    assert "wrote" in capsys.readouterr().err
    frames, samples = decode(out)
    assert abs(len(frames) - 10) <= 2 and abs(samples - 22050) < 4096
    assert_rgb(frames[5], 120, 45, GREEN, 24)  # the layer on the right half
    assert_rgb(frames[5], 40, 45, BLACK, 24)  # the background on the left
    with out.open("rb") as head:
        assert b"moov" in head.read(4096)  # faststart: the index comes first
    assert not list(out.parent.glob(".*.part"))


def test_a_render_ends_with_its_inputs_even_beside_a_still_picture(
    tmp_path: Path, clip: Callable[..., Path]
) -> None:
    video = clip("bars_10fps.mp4", fps=10)
    logo = write_picture(tmp_path / "logo.png", (32, 32), (255, 0, 0, 255))
    request = write_job(
        tmp_path / "job.json", Layer("v", str(video)), Layer("logo", str(logo), rect=Rect(0, 0, 32, 32), z=1)
    )
    out = tmp_path / "logo.mp4"
    assert run_render([str(request), "-o", str(out)]) == 0
    frames, _ = decode(out)
    assert len(frames) == 10  # exactly the clip's second
    assert_rgb(frames[4], 16, 16, RED, 24)


def test_duration_cuts_an_endless_input_and_urls_map_to_sources(tmp_path: Path) -> None:
    url = "https://cdn.example.org/live/a.flv?token=x=y"
    request = write_job(tmp_path / "job.json", Layer("a", url))
    out = tmp_path / "cut.mp4"
    assert (
        run_render([str(request), "-o", str(out), "--url", f"{url}=pattern:bars", "--duration", "0.5"]) == 0
    )
    frames, _ = decode(out)
    assert len(frames) == 5


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: p.write_text("{not json"), "is not JSON"),
        (lambda p: p.write_text('{"canvas": {"width": 10}}'), "is not a MixJob"),
        (lambda p: write_job(p, Layer("a", "stream:nobody")), "pass --stream nobody=SOURCE"),
        (lambda p: write_job(p, Layer("a", "pattern:bars")), "never ends"),
        (lambda p: write_job(p, Layer("a", "/no/such/file.mp4")), "cannot open"),
        (lambda p: write_job(p, Layer("a", str(junk(p)))), "corrupt, truncated or unsupported media"),
    ],
)
def test_bad_input_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], setup: object, message: str
) -> None:
    request = tmp_path / "job.json"
    setup(request)  # type: ignore[operator]
    assert run_render([str(request), "-o", str(tmp_path / "x.mp4")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("mix-emulator render: error:") and message in error
    assert not (tmp_path / "x.mp4").exists()


def test_mappings_split_where_the_source_starts(tmp_path: Path) -> None:
    clip = tmp_path / "a=b.mp4"
    clip.write_bytes(b"")
    mapped = _mappings(["http://x/y?a=b=pattern:bars", f"cam={clip}", "k=v"], "--url")
    assert mapped == {"http://x/y?a=b": "pattern:bars", "cam": str(clip), "k": "v"}
    resolver = MappingResolver({"cam": "pattern:bars"}, {"http://x/y": "stream:cam"})
    assert resolver("http://x/y").spec == "pattern:bars"  # type: ignore[union-attr]
    assert resolver("stream:other") is None


def test_the_benchmark_runs(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-m",
        "bench.composite",
        "--seconds",
        "1",
        "--size",
        "160x90",
        "--skip-ci",
        "--repeat",
        "1",
    ]
    result = subprocess.run(
        [*command, "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert "render command/ffmpeg" in result.stdout and "in process/ffmpeg" in result.stdout
    assert "one output frame" in result.stdout
    with av.open(str(tmp_path / "emulator.mp4")) as container:
        assert container.streams.video[0].codec_context.width == 160
        assert np.isclose(float(container.duration or 0) / av.time_base, 1.0, atol=0.2)


def test_a_tencent_request_renders_with_the_background_streams_size(
    tmp_path: Path, clip: Callable[..., Path]
) -> None:
    """Tencent's canvas is its background stream's size: render probes the --stream source to learn it."""
    red = clip("red_320.mp4", size=(320, 180), fps=10, video="color:#ff0000")
    green = clip("green_160.mp4", size=(160, 90), fps=10, video="color:#00ff00")
    body = {
        "timestamp": 1,
        "eventId": 1,
        "interface": {
            "interfaceName": "Mix_StreamV2",
            "para": {
                "app_id": 1252500000,
                "interface": "mix_streamv2.start_mix_stream_advanced",
                "mix_stream_session_id": "room",
                "output_stream_id": "bg",
                "input_stream_list": [
                    {"input_stream_id": "bg", "layout_params": {"image_layer": 1}},
                    {
                        "input_stream_id": "pip",
                        "layout_params": {
                            "image_layer": 2,
                            "image_width": 80,
                            "image_height": 46,
                            "location_x": 200,
                            "location_y": 100,
                        },
                    },
                ],
            },
        },
    }
    request = tmp_path / "start.json"
    request.write_text(json.dumps(body))
    out = tmp_path / "tencent.mp4"
    streams = ["--stream", f"bg={red}", "--stream", f"pip={green}"]
    assert run_render([str(request), "-o", str(out), "--provider", "tencent", *streams]) == 0
    frames, _ = decode(out)
    assert (frames[0].width, frames[0].height) == (320, 180)
    assert_rgb(frames[5], 240, 122, GREEN, 24)  # the window where the request put it
    assert_rgb(frames[5], 60, 40, RED, 24)  # the background stream elsewhere
