"""Auto-mix through the push URL's ``mixv2=`` parameter (the seed's 自动混流). Most tests publish straight
into the registry with the URL query, as the RTMP ingest does; the last one pushes real RTMP."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from emulator.core.job import Rect
from emulator.core.streams import MediaInfo
from emulator.media.clips import write_clip
from emulator.providers.tencent.automix import AutoMixSpec, parse_mixv2
from emulator.testing import push_rtmp
from tests.providers.tencent.helpers import Tencent


@pytest.mark.parametrize(
    ("value", "spec"),
    [
        ("t_id:1;session_id:1234_lewis_room;layer:b", AutoMixSpec(False, "1234_lewis_room", True)),
        ("t_id:2;session_id:room;layer:s", AutoMixSpec(True, "room", False)),
        ("t_id:3;session_id:room;layer:s", None),
        ("t_id:1;session_id:bad id;layer:s", None),
        ("t_id:1;layer:b", None),
        ("t_id:1;session_id:room;layer:x", None),
        (None, None),
    ],
)
def test_parse_mixv2(value: object, spec: AutoMixSpec | None) -> None:
    assert parse_mixv2(value) == spec


def push(tencent: Tencent, stream_id: str, layer: str, color: str, t_id: int = 1) -> None:
    tencent.emu.ctx.registry.publish(
        stream_id,
        f"pattern:color?color={color}&size=320x180",
        origin="rtmp",
        info=MediaInfo(width=320, height=180, fps=25),
        extra={
            "query": {"from": "interactive", "mixv2": f"t_id:{t_id};session_id:1234_lewis_room;layer:{layer}"}
        },
    )


def wait_state(tencent: Tencent, active: bool) -> None:
    deadline = time.monotonic() + 5
    while True:
        task = tencent.emu.ctx.tasks.find("tencent", "1234_lewis_room")
        if task is not None and task.state.active == active:
            return
        assert time.monotonic() < deadline, f"auto-mix task not {'running' if active else 'stopped'}: {task}"
        time.sleep(0.05)


def test_two_pushes_mix_by_themselves_and_stop_when_one_ends(tencent: Tencent) -> None:
    push(tencent, "1234_lewis01", "b", "#ff0000")
    push(tencent, "1234_lewis02", "s", "#00ff00")
    tencent.emu.advance_clock(4)
    assert tencent.emu.ctx.tasks.find("tencent", "1234_lewis_room") is None  # both pushes not 5 s old yet
    tencent.emu.advance_clock(1)
    wait_state(tencent, active=True)
    task = tencent.emu.ctx.tasks.find("tencent", "1234_lewis_room")
    assert task is not None
    assert task.output_ids == ["1234_lewis01"]  # the output id is the big anchor's
    assert [(layer.id, layer.rect) for layer in task.job.layers] == [
        ("1234_lewis01", Rect(0, 0, 320, 180)),
        ("1234_lewis02", Rect(193, 100, 107, 60)),  # template 20: bottom right
    ]
    tencent.emu.ctx.registry.unpublish("1234_lewis02")
    wait_state(tencent, active=False)
    assert task.stop_reason == "input_ended"


def test_audio_only_auto_mix(tencent: Tencent) -> None:
    push(tencent, "1234_lewis01", "b", "#ff0000", t_id=2)
    push(tencent, "1234_lewis02", "s", "#00ff00", t_id=2)
    tencent.emu.advance_clock(5)
    wait_state(tencent, active=True)
    task = tencent.emu.ctx.tasks.find("tencent", "1234_lewis_room")
    assert task is not None and task.job.outputs[0].video is None


def test_a_push_without_its_partner_mixes_nothing(tencent: Tencent) -> None:
    push(tencent, "1234_lewis01", "b", "#ff0000")
    tencent.emu.advance_clock(60)
    time.sleep(0.2)
    assert tencent.emu.ctx.tasks.find("tencent", "1234_lewis_room") is None


def test_real_rtmp_pushes_with_mixv2_start_the_mix(tencent: Tencent, tmp_path: Path) -> None:
    """The seed's own push URLs, pushed with FFmpeg's RTMP client: the query reaches the auto-mix."""
    big = write_clip(tmp_path / "big.flv", size=(160, 90), fps=10, duration=1.0, video="color:#ff0000")
    small = write_clip(tmp_path / "small.flv", size=(160, 90), fps=10, duration=1.0, video="color:#00ff00")
    query = "from=interactive&bizid=1234&mixv2=t_id:1;session_id:1234_lewis_room;layer:"
    with (
        push_rtmp(big, tencent.emu.rtmp_url("1234_lewis01") + "?" + query + "b"),
        push_rtmp(small, tencent.emu.rtmp_url("1234_lewis02") + "?" + query + "s"),
    ):
        deadline = time.monotonic() + 15
        while len(streams := tencent.emu.streams()) < 2 or not all(s["info"]["width"] for s in streams):
            assert time.monotonic() < deadline, streams
            time.sleep(0.05)
        tencent.emu.advance_clock(5)
        wait_state(tencent, active=True)
        task = tencent.emu.ctx.tasks.find("tencent", "1234_lewis_room")
        assert task is not None and task.output_ids == ["1234_lewis01"]
    wait_state(tencent, active=False)
