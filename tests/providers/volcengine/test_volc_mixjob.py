"""Validated rules -> MixJob: layers by Layer in their limit boxes, logos above in order, the one output and
its pushes, vod looping, and the offline ``translate`` of ``mix-emulator render``."""

from __future__ import annotations

import pytest
from volc_support import fixture_body, mix_body

from emulator.core.job import FitMode, Rect
from emulator.core.streams import MediaInfo
from emulator.providers.volcengine import mixjob, schema
from emulator.providers.volcengine import translate as public_translate
from emulator.providers.volcengine.mixjob import build_job


def test_job_layers_boxes_logos_and_output() -> None:
    body = mix_body(
        "t",
        [
            ("top", 7, "live", "rtmp://pull.example.com/live/anchor"),
            ("bg", 2, "vod", "https://x/bg.mp4"),
            ("p", 3, "pic", "https://x/p.png"),
        ],
        {7: (10, 20, 100, 50), 2: (0, 0, 320, 180), 3: (200, 100, 40, 40)},
        logos=[("https://x/l1.png", (0, 0, 20, 20)), ("https://x/l2.png", (5, 5, 20, 20))],
        push=["rtmp://push.example.com/live/out", "push.example.com", "RTMPS://secure/live/out", "srt://x"],
    )
    body["MixedRules"]["InputSource"].append(
        {"ID": "logo:1", "Layer": 4, "Type": "pic", "Url": "https://x/q.png"}
    )
    body["MixedRules"]["InputLayout"]["Scene"]["Layout"].append(
        {"X": 0, "Y": 0, "W": 10, "H": 10, "Layer": 4}
    )
    job = build_job(schema.parse_rules(body), task_id="abc123", live=lambda url: f"live<{url}>")
    by_id = {layer.id: layer for layer in job.layers}
    assert [layer.id for layer in job.layers] == ["top", "bg", "p", "logo:1", "_logo:1", "logo:2"]
    top, bg, pic = by_id["top"], by_id["bg"], by_id["p"]
    assert (top.source, top.z, top.rect, top.fit, top.bar_color) == (
        "live<rtmp://pull.example.com/live/anchor>",
        7,
        Rect(10, 20, 100, 50),
        FitMode.FIT,
        None,
    )
    assert (bg.source, bg.z, bg.loop, bg.audio) == ("https://x/bg.mp4", 2, False, True)
    assert (pic.audio, pic.video) == (False, True)
    logo1, logo2 = by_id["_logo:1"], by_id["logo:2"]
    assert (logo1.source, logo1.z, logo1.rect, logo1.audio) == (
        "https://x/l1.png",
        10000,
        Rect(0, 0, 20, 20),
        False,
    )
    assert logo2.z == 10001 > logo1.z > max(layer.z for layer in job.layers if layer.audio)
    assert (job.canvas.width, job.canvas.height, job.canvas.color) == (320, 180, "#000000")
    (output,) = job.outputs
    assert output.stream_id == "abc123"
    assert output.push_urls == ["rtmp://push.example.com/live/out", "RTMPS://secure/live/out"]
    assert output.video is not None and (output.video.gop_seconds, output.video.codec) == (2.0, "h264")
    assert output.audio is not None and (
        output.audio.sample_rate,
        output.audio.channels,
        output.audio.bitrate,
    ) == (44100, 2, 128000)
    assert (job.idle_timeout, job.max_duration) == (60.0, 3 * 86400.0)


def test_vod_loops_only_when_asked() -> None:
    rules = schema.parse_rules(fixture_body("create_cloud_mix_task"))
    assert build_job(rules, task_id="t", live=str, vod_loop=True).layers[0].loop is True
    assert build_job(rules, task_id="t", live=str).layers[0].loop is False


def test_mono_audio_output() -> None:
    body = fixture_body("create_cloud_mix_task")
    body["MixedRules"]["Output"]["Audio"]["ChannelLayout"] = "mono"
    output = build_job(schema.parse_rules(body), task_id="t", live=str).outputs[0]
    assert output.audio is not None and output.audio.channels == 1


@pytest.mark.parametrize(
    ("url", "stream"),
    [
        ("rtmp://pull.example.com/live/anchor", "anchor"),
        ("http://pull.example.com/live/anchor.flv?token=1", "anchor"),
        ("http://pull.example.com/live/other.flv", None),
        ("anchor", "anchor"),
        ("pattern:bars?size=64x64", None),
    ],
)
def test_offline_translate_resolves_known_streams(url: str, stream: str | None) -> None:
    body = mix_body("t", [("a", 1, "live", url)], {1: (0, 0, 320, 180)})
    known = {"anchor": MediaInfo(320, 180)}
    job = public_translate(body, known.get)
    assert job.layers[0].source == (f"stream:{stream}" if stream else url)
    assert job.outputs[0].stream_id == "render"
    bare = url if "://" not in url and not url.startswith("pattern:") else None
    without_info = public_translate(body).layers[0].source  # no stream known: only bare ids are streams
    assert without_info == (f"stream:{bare}" if bare else url)


def test_offline_translate_raises_value_error() -> None:
    with pytest.raises(
        ValueError, match=r"^MissingParameter: The request is missing MixedRules parameter\.$"
    ):
        public_translate({"Name": "x"}, lambda _id: None)


def test_stream_id_in_urls() -> None:
    assert mixjob.stream_id_in("rtmp://h:1935/live/abc") == "abc"
    assert mixjob.stream_id_in("http://h/live/abc.flv") == "abc"
    assert mixjob.stream_id_in("http://h/") is None
