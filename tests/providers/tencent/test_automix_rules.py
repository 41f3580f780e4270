"""Auto-mix (automix.py) beyond the happy path: the ``mixv2`` value's odd shapes, a mix started by a request
that a ``mixv2`` push ending leaves alone, and a pair that is already mixing not started twice."""

from __future__ import annotations

import dataclasses
import logging
import time
from typing import Any

import pytest

from emulator.core.streams import MediaInfo, StreamRegistry
from emulator.providers.tencent.automix import AutoMixer, AutoMixSpec, parse_mixv2
from emulator.providers.tencent.mixing import MixService
from emulator.providers.tencent.pictures import PictureRegistry
from emulator.providers.tencent.sessions import SessionStore
from tests.providers.tencent.helpers import APPID, Tencent, start_para, stream

ROOM = "1234_lewis_room"


@pytest.mark.parametrize(
    ("value", "spec"),
    [
        ("layer:s;session_id:room;t_id:2", AutoMixSpec(True, "room", False)),  # any order
        ("t_id:1;session_id:room;layer:b;extra;more:1", AutoMixSpec(False, "room", True)),
        ("t_id:1;session_id:" + "r" * 80 + ";layer:b", AutoMixSpec(False, "r" * 80, True)),
        ("t_id:1;session_id:" + "r" * 81 + ";layer:b", None),
        ("t_id:1;session_id:a:b;layer:b", None),  # split at the first colon only: "a:b" is no id
        ("t_id:2;session_id:room;layer:s;session_id:x:y", None),  # the last one counts, and "x:y" is no id
        ("t_id:1;session_id:;layer:b", None),
        ("t_id:12;session_id:room;layer:b", None),
        ("t_id:0;session_id:room;layer:b", None),
        ("t_id:1;session_id:room;layer:bs", None),
        ("t_id:1;session_id:room", None),
        ("session_id:room;layer:b", None),
        ("", None),
        (5, None),
        (["t_id:1;session_id:room;layer:b"], None),
    ],
)
def test_parse_mixv2_shapes(value: object, spec: AutoMixSpec | None) -> None:
    assert parse_mixv2(value) == spec


def push(tencent: Tencent, stream_id: str, layer: str) -> None:
    tencent.emu.ctx.registry.publish(
        stream_id,
        "pattern:color?color=#ff0000&size=64x36",
        origin="rtmp",
        info=MediaInfo(width=64, height=36, fps=25),
        extra={"query": {"mixv2": f"t_id:1;session_id:{ROOM};layer:{layer}"}},
    )


def settle(tencent: Tencent) -> None:
    """Let the emulator clock's timers (fired on the server's loop) run."""
    tencent.emu.advance_clock(0)
    time.sleep(0.2)


def test_a_mix_started_by_a_request_stays_when_a_mixv2_push_ends(tencent: Tencent) -> None:
    tencent.publish("a")
    tencent.publish("b")
    assert tencent.call(start_para(ROOM, "a", [stream("a", 1), stream("b", 2)])).code == 0
    push(tencent, "auto_big", "b")
    tencent.emu.advance_clock(6)
    tencent.emu.ctx.registry.unpublish("auto_big")
    settle(tencent)
    task = tencent.emu.ctx.tasks.find("tencent", ROOM)
    assert task is not None and task.state.active and task.meta["api"] == "legacy"


def test_a_pair_already_mixing_is_not_started_again(tencent: Tencent) -> None:
    push(tencent, "big", "b")
    push(tencent, "small", "s")
    tencent.emu.advance_clock(5)
    deadline = time.monotonic() + 5
    while (task := tencent.emu.ctx.tasks.find("tencent", ROOM)) is None or not task.state.active:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    push(tencent, "small", "s")  # published again: the running mix goes on as it is
    tencent.emu.advance_clock(5)
    settle(tencent)
    assert tencent.emu.ctx.tasks.find("tencent", ROOM) is task and task.state.active
    assert task.update_count == 0


def test_an_unrelated_push_ending_leaves_the_pair(tencent: Tencent) -> None:
    push(tencent, "big", "b")
    push(tencent, "other_big", "b")  # the same session and layer: the later push takes the place
    push(tencent, "small", "s")
    tencent.emu.ctx.registry.unpublish("big")  # no longer the pair's big anchor: the pair stays whole
    tencent.emu.advance_clock(5)
    deadline = time.monotonic() + 5
    while (task := tencent.emu.ctx.tasks.find("tencent", ROOM)) is None or not task.state.active:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert task.output_ids == ["other_big"]


def wait_active(tencent: Tencent) -> Any:
    deadline = time.monotonic() + 5
    while (task := tencent.emu.ctx.tasks.find("tencent", ROOM)) is None or not task.state.active:
        assert time.monotonic() < deadline, "the auto-mix did not start"
        time.sleep(0.05)
    return task


@pytest.mark.parametrize("t_id", [1, 2])
def test_the_auto_mix_is_tencents_app_with_layers_1_and_2(tencent: Tencent, t_id: int) -> None:
    for stream_id, layer in (("big", "b"), ("small", "s")):
        tencent.emu.ctx.registry.publish(
            stream_id,
            "pattern:color?color=#ff0000&size=64x36",
            origin="rtmp",
            info=MediaInfo(width=64, height=36, fps=25),
            extra={"query": {"mixv2": f"t_id:{t_id};session_id:{ROOM};layer:{layer}"}},
        )
    tencent.emu.advance_clock(5)
    task = wait_active(tencent)
    assert task.meta["app_id"] == APPID and task.meta["api"] == "auto"
    assert task.meta["template_id"] == (20 if t_id == 1 else 0)
    assert [(layer.id, layer.z) for layer in task.job.layers] == [("big", 1), ("small", 2)]


def test_a_pair_forgotten_by_a_reset_starts_nothing(tencent: Tencent) -> None:
    push(tencent, "big", "b")
    push(tencent, "small", "s")
    tencent.emu.ctx.providers["tencent"].automix.reset()  # type: ignore[attr-defined]
    tencent.emu.advance_clock(5)
    settle(tencent)
    assert tencent.emu.ctx.tasks.find("tencent", ROOM) is None


def test_a_pair_mixes_again_after_its_mix_ended(tencent: Tencent) -> None:
    push(tencent, "big", "b")
    push(tencent, "small", "s")
    tencent.emu.advance_clock(5)
    first = wait_active(tencent)
    tencent.emu.ctx.registry.unpublish("small")
    settle(tencent)
    assert not first.state.active
    push(tencent, "small", "s")
    tencent.emu.advance_clock(5)
    assert wait_active(tencent) is not first


def test_an_auto_mix_that_cannot_start_is_logged(tencent: Tencent, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="emulator.providers.tencent.automix")
    tencent.emu.ctx.registry.publish(  # a push not probed yet: its size is unknown
        "big", "pattern:color?color=#ff0000&size=64x36", origin="rtmp", info=MediaInfo(), extra=QUERY_BIG
    )
    push(tencent, "small", "s")
    tencent.emu.advance_clock(5)
    settle(tencent)
    assert tencent.emu.ctx.tasks.find("tencent", ROOM) is None
    assert (
        "auto-mix 1234_lewis_room did not start: -507: "
        "Get stream height and width failed, stream [big] size unknown!"
    ) in caplog.messages


QUERY_BIG = {"query": {"mixv2": f"t_id:1;session_id:{ROOM};layer:b"}}


def test_an_auto_mixer_hears_its_own_contexts_pushes(tencent: Tencent) -> None:
    """A mixer made here, on a copy of the context with a registry of its own (dropped with it): it hears
    that registry's pushes, starts the mix through the service it was given and names its app."""
    ctx = tencent.emu.ctx
    own = dataclasses.replace(ctx, registry=StreamRegistry(ctx.clock))
    service = MixService(own, SessionStore(ctx.clock), PictureRegistry())
    AutoMixer(own, service)
    for stream_id, layer in (("big", "b"), ("small", "s")):
        ctx.registry.publish(stream_id, "pattern:color?color=#00ff00&size=64x36", info=MediaInfo(64, 36, 25))
        own.registry.publish(
            stream_id,
            "pattern:color?color=#00ff00&size=64x36",
            origin="rtmp",
            info=MediaInfo(64, 36, 25),
            extra={"query": {"mixv2": f"t_id:1;session_id:own_room;layer:{layer}"}},
        )
    tencent.emu.advance_clock(5)
    settle(tencent)
    task = ctx.tasks.find("tencent", "own_room")
    assert task is not None and task.meta["api"] == "auto" and task.meta["app_id"] == APPID
    assert service.sessions.get("own_room") is not None  # started through the given service


def test_a_partner_that_ended_is_forgotten(tencent: Tencent, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="emulator.providers.tencent.automix")
    push(tencent, "big", "b")
    push(tencent, "small", "s")
    tencent.emu.ctx.registry.unpublish("small")  # before the pair was 5 s old: no mix yet
    tencent.emu.advance_clock(5)
    settle(tencent)
    push(tencent, "big", "b")  # the big anchor again, alone
    tencent.emu.advance_clock(5)
    settle(tencent)
    assert tencent.emu.ctx.tasks.find("tencent", ROOM) is None
    assert not [m for m in caplog.messages if "did not start" in m]  # no start was tried without the partner
