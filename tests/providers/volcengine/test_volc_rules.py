"""Body validation (every documented range; MissingParameter vs InvalidParameter) and the MixJob it makes."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from volc_support import fixture_body, mix_body

from emulator.providers.volcengine import schema
from emulator.providers.volcengine.errors import VolcError
from emulator.providers.volcengine.mixjob import build_job

Body = dict[str, Any]


def _seed() -> Body:
    return fixture_body("create_cloud_mix_task")


def _error(body: Body) -> VolcError:
    with pytest.raises(VolcError) as info:
        schema.parse_rules(body)
    return info.value


def _rules(body: Body) -> dict[str, Any]:
    return body["MixedRules"]


def _set(path: str, value: Any) -> Callable[[Body], None]:
    """A mutation of the seed body: set (or with value ... delete) the field at a dotted path."""

    def apply(body: Body) -> None:
        *parents, last = path.split(".")
        node: Any = body
        for part in parents:
            node = node[int(part)] if part.isdigit() else node[part]
        if value is ...:
            del node[last]
        elif last.isdigit():
            node[int(last)] = value
        else:
            node[last] = value

    return apply


def test_the_seed_body_parses() -> None:
    rules = schema.parse_rules(_seed())
    assert (rules.width, rules.height) == (1920, 1080)
    assert rules.sources == (schema.InputSource("1", 1, "vod", "https://tos.example.org/obj/test.mp4"),)
    assert rules.boxes == {1: schema.Box(0, 0, 960, 540)}
    assert rules.logos == (
        schema.Logo(schema.Box(0, 0, 200, 200), "http://tos.example.org/obj/test/logo001.png"),
    )
    assert rules.output.urls == ("push.example.com", "push2.example.com")
    assert rules.output.callback_url == "https://callback.com"
    assert schema.parse_name(_seed()) == "mixtask001"


MISSING = [
    ("MixedRules", "MixedRules"),
    ("MixedRules.InputLayout", "MixedRules.InputLayout"),
    ("MixedRules.InputLayout.Scene.Width", "MixedRules.InputLayout.Scene.Width"),
    ("MixedRules.InputSource", "MixedRules.InputSource"),
    ("MixedRules.InputSource.0.Url", "MixedRules.InputSource[0].Url"),
    ("MixedRules.InputLayout.Scene.Layout.0.Layer", "MixedRules.InputLayout.Scene.Layout[0].Layer"),
    ("MixedRules.InputLayout.Logo.0.Layout", "MixedRules.InputLayout.Logo[0].Layout"),
    ("MixedRules.Output.Video.GOP", "MixedRules.Output.Video.GOP"),
    ("MixedRules.Output.Audio.SampleRate", "MixedRules.Output.Audio.SampleRate"),
    ("MixedRules.Output.Url", "MixedRules.Output.Url"),
    ("MixedRules.Output.Callback.Url", "MixedRules.Output.Callback.Url"),
]


@pytest.mark.parametrize(("path", "named"), MISSING)
def test_missing_required_fields(path: str, named: str) -> None:
    body = _seed()
    _set(path, ...)(body)
    error = _error(body)
    assert (error.code, error.status, error.code_n) == ("MissingParameter", 400, 100002)
    assert error.message == f"The request is missing {named} parameter."


INVALID = [
    (
        "MixedRules.InputLayout.Scene.Width",
        9,
        "MixedRules.InputLayout.Scene.Width: must be in [10, 2160], got 9",
    ),
    (
        "MixedRules.InputLayout.Scene.Height",
        2161,
        "MixedRules.InputLayout.Scene.Height: must be in [10, 2160], got 2161",
    ),
    ("MixedRules.InputLayout.Scene.Width", "1920", "MixedRules.InputLayout.Scene.Width: must be an integer"),
    ("MixedRules.InputLayout.Scene.Width", 1920.0, "MixedRules.InputLayout.Scene.Width: must be an integer"),
    ("MixedRules.InputLayout.Scene.Width", True, "MixedRules.InputLayout.Scene.Width: must be an integer"),
    (
        "MixedRules.InputLayout.Scene.Layout.0.X",
        1921,
        "MixedRules.InputLayout.Scene.Layout[0].X: must be in [0, 1920], got 1921",
    ),
    (
        "MixedRules.InputLayout.Scene.Layout.0.Y",
        -1,
        "MixedRules.InputLayout.Scene.Layout[0].Y: must be in [0, 1080], got -1",
    ),
    (
        "MixedRules.InputLayout.Scene.Layout.0.W",
        5,
        "MixedRules.InputLayout.Scene.Layout[0].W: must be in [10, 2160], got 5",
    ),
    (
        "MixedRules.InputLayout.Scene.Layout.0.H",
        2200,
        "MixedRules.InputLayout.Scene.Layout[0].H: must be in [10, 2160], got 2200",
    ),
    ("MixedRules.InputSource.0.Layer", 0, "MixedRules.InputSource[0].Layer: must be in [1, 9999], got 0"),
    (
        "MixedRules.InputSource.0.Layer",
        10000,
        "MixedRules.InputSource[0].Layer: must be in [1, 9999], got 10000",
    ),
    (
        "MixedRules.InputSource.0.Type",
        "rtc",
        'MixedRules.InputSource[0].Type: must be one of vod, live, pic, got "rtc"',
    ),
    ("MixedRules.InputSource.0.ID", "", "MixedRules.InputSource[0].ID: must not be empty"),
    ("MixedRules.InputSource.0.Url", 5, "MixedRules.InputSource[0].Url: must be a string"),
    (
        "MixedRules.InputSource.0.Url",
        "rtmp://a/live/b",
        "MixedRules.InputSource[0].Url: a vod source needs a http/https/file URL, got rtmp://",
    ),
    ("MixedRules.InputSource", [], "MixedRules.InputSource: must have 1 to 8 entries, got 0"),
    ("MixedRules.InputSource", {}, "MixedRules.InputSource: must be an array"),
    ("MixedRules.InputLayout.Scene", [], "MixedRules.InputLayout.Scene: must be a JSON object"),
    (
        "MixedRules.InputLayout.Logo.0.Url",
        "rtmp://x/y",
        "MixedRules.InputLayout.Logo[0].Url: a logo needs a http/https/file URL, got rtmp://",
    ),
    (
        "MixedRules.InputLayout.Logo.0.Layout.W",
        9,
        "MixedRules.InputLayout.Logo[0].Layout.W: must be in [10, 2160], got 9",
    ),
    ("MixedRules.Output.Video.GOP", 11, "MixedRules.Output.Video.GOP: must be in [1, 10], got 11"),
    ("MixedRules.Output.Video.GOP", 0, "MixedRules.Output.Video.GOP: must be in [1, 10], got 0"),
    (
        "MixedRules.Output.Video.Codec",
        "vp8",
        'MixedRules.Output.Video.Codec: must be one of h264, h265, got "vp8"',
    ),
    ("MixedRules.Output.Video.BitRate", "8M", "MixedRules.Output.Video.BitRate: must be an integer"),
    (
        "MixedRules.Output.Audio.BitRate",
        127999,
        "MixedRules.Output.Audio.BitRate: must be in [128000, 320000], got 127999",
    ),
    (
        "MixedRules.Output.Audio.BitRate",
        320001,
        "MixedRules.Output.Audio.BitRate: must be in [128000, 320000], got 320001",
    ),
    (
        "MixedRules.Output.Audio.SampleRate",
        22050,
        "MixedRules.Output.Audio.SampleRate: must be one of 32000, 44100, 48000, got 22050",
    ),
    (
        "MixedRules.Output.Audio.SampleRate",
        48000.0,
        "MixedRules.Output.Audio.SampleRate: must be one of 32000, 44100, 48000, got 48000.0",
    ),
    (
        "MixedRules.Output.Audio.ChannelLayout",
        "5.1",
        'MixedRules.Output.Audio.ChannelLayout: must be one of mono, stereo, got "5.1"',
    ),
    ("MixedRules.Output.Url", [], "MixedRules.Output.Url: must have 1 to 8 entries, got 0"),
    ("MixedRules.Output.Url", ["a"] * 9, "MixedRules.Output.Url: must have 1 to 8 entries, got 9"),
    ("MixedRules.Output.Url.1", "", "MixedRules.Output.Url[1]: must be a non-empty push URL"),
    (
        "MixedRules.Output.Callback.Url",
        "ftp://x",
        "MixedRules.Output.Callback.Url: must be an http or https URL",
    ),
]


@pytest.mark.parametrize(("path", "value", "message"), INVALID)
def test_invalid_fields(path: str, value: Any, message: str) -> None:
    body = _seed()
    _set(path, value)(body)
    error = _error(body)
    assert (error.code, error.status, error.code_n, error.message) == ("InvalidParameter", 400, None, message)


NO_LAYOUT_2 = (
    "MixedRules.InputSource[1].Layer: no InputLayout.Scene.Layout entry has Layer 2: every source needs one"
)


def _two_sources() -> Body:
    return mix_body(
        "t",
        [("a", 1, "live", "stream-a"), ("b", 2, "live", "stream-b")],
        {1: (0, 0, 160, 90), 2: (160, 0, 160, 90)},
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda r: r["InputSource"][1].update(ID="a"),
            "MixedRules.InputSource[1].ID: 'a' is used twice: source IDs must be unique",
        ),
        (
            lambda r: r["InputSource"][1].update(Layer=1),
            "MixedRules.InputSource[1].Layer: 1 is used twice: each source needs its own Layer",
        ),
        (
            lambda r: r["InputLayout"]["Scene"]["Layout"].pop(),
            NO_LAYOUT_2,
        ),
        (
            lambda r: r["InputLayout"]["Scene"]["Layout"][1].update(Layer=3),
            NO_LAYOUT_2,
        ),
        (
            lambda r: r["InputSource"].pop(),
            "MixedRules.InputLayout.Scene.Layout: Layer 2 matches no InputSource",
        ),
        (
            lambda r: r["InputLayout"]["Scene"]["Layout"].append(
                {"X": 0, "Y": 0, "W": 10, "H": 10, "Layer": 2}
            ),
            "MixedRules.InputLayout.Scene.Layout[2].Layer: Layer 2 has two Layout entries",
        ),
        (
            lambda r: r["InputSource"].extend(copy.deepcopy(r["InputSource"][:1]) * 7),
            "MixedRules.InputSource: must have 1 to 8 entries, got 9",
        ),
        (
            lambda r: r["InputLayout"].update(
                Logo=[{"Layout": {"X": 0, "Y": 0, "W": 10, "H": 10}, "Url": "http://l"}] * 5
            ),
            "MixedRules.InputLayout.Logo: must have 0 to 4 entries, got 5",
        ),
        (
            lambda r: r["InputSource"][0].update(Url="file:///x"),
            "MixedRules.InputSource[0].Url: a live source needs a rtmp/rtmps/http/https URL, got file://",
        ),
    ],
)
def test_cross_field_rules(mutate: Callable[[dict[str, Any]], Any], message: str) -> None:
    body = _two_sources()
    mutate(_rules(body))
    assert _error(body).message == message


def test_body_must_be_an_object() -> None:
    for body in ([], "x", 5, None):
        error = _error(body)  # type: ignore[arg-type]
        assert (error.code, error.message) == ("InvalidParameter", "body: must be a JSON object")


def test_unknown_fields_are_ignored_and_null_is_absent() -> None:
    body = _seed()
    _rules(body)["InputLayout"]["TemplateID"] = "t1"
    _rules(body)["Output"]["Callback"] = None
    assert schema.parse_rules(body).output.callback_url is None


@pytest.mark.parametrize(
    ("bitrate", "fps", "effective"),
    [
        (1, 1, (1_000_000, 10)),
        (-5, 0, (1_000_000, 10)),
        (50_000_000, 120, (20_000_000, 60)),
        (2_500_000, 25, (2_500_000, 25)),
    ],
)
def test_video_bitrate_and_frame_rate_are_clamped(bitrate: int, fps: int, effective: tuple[int, int]) -> None:
    body = _seed()
    _rules(body)["Output"]["Video"].update(BitRate=bitrate, FrameRate=fps)
    rules = schema.parse_rules(body)
    video = rules.output.video
    assert (video.effective_bitrate, video.effective_frame_rate) == effective
    assert (video.bitrate, video.frame_rate) == (bitrate, fps)  # as sent: Update compares these
    spec = build_job(rules, task_id="t", live=str).outputs[0].video
    assert spec is not None and (spec.bitrate, spec.fps) == (effective[0], float(effective[1]))
    rule = rules.to_rule()["Output"]["Video"]
    assert (rule["BitRate"], rule["FrameRate"]) == effective


@pytest.mark.parametrize(
    ("page", "size", "message"),
    [
        (0, 10, "Page: must be in [1, 2147483647], got 0"),
        (1, 101, "PageSize: must be in [1, 100], got 101"),
        (1, 0, "PageSize: must be in [1, 100], got 0"),
    ],
)
def test_list_paging_limits(page: int, size: int, message: str) -> None:
    with pytest.raises(VolcError) as info:
        schema.parse_page({"Page": page, "PageSize": size})
    assert info.value.message == message
    assert schema.parse_page({"Page": 3, "PageSize": 100}) == (3, 100)


def test_update_must_keep_the_output() -> None:
    original = schema.parse_rules(_seed()).output
    same = _seed()
    _rules(same)["Output"] = dict(reversed(list(_rules(same)["Output"].items())))  # key order is irrelevant
    schema.check_same_output(original, schema.parse_rules(same).output)
    # The seed's Update example leaves out the Callback of its Create example: allowed, the task keeps it.
    schema.check_same_output(original, schema.parse_rules(fixture_body("update_cloud_mix_task")).output)
    for path, value in [
        ("MixedRules.Output.Video.BitRate", 8_000_001),
        ("MixedRules.Output.Audio.ChannelLayout", "mono"),
        ("MixedRules.Output.Url", ["push.example.com"]),
        ("MixedRules.Output.Callback.Url", "https://other.example.com"),
    ]:
        changed = _seed()
        _set(path, value)(changed)
        with pytest.raises(VolcError) as info:
            schema.check_same_output(original, schema.parse_rules(changed).output)
        assert (
            info.value.message
            == "MixedRules.Output: cannot change on update: pass the task's original Output"
        )
