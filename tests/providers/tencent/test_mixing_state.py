"""The checks against the emulator's state (mixing.py): what a stream or picture input is read from and its
size, the seed's 5 s push rule from both sides, and what a started mix records about its request."""

from __future__ import annotations

import pytest

from emulator.core.streams import MediaInfo
from emulator.providers.tencent.errors import TencentError
from emulator.providers.tencent.layout import SourceFacts
from emulator.providers.tencent.mixing import MixService
from emulator.providers.tencent.params import parse_start
from emulator.providers.tencent.pictures import Picture, PictureRegistry
from emulator.providers.tencent.sessions import SessionStore
from tests.providers.tencent.helpers import APPID, Tencent, start_para, stream
from tests.providers.tencent.test_api3_mapping import tc3_call


def service_of(tencent: Tencent, *pictures: Picture) -> MixService:
    registry = PictureRegistry()
    for picture in pictures:
        registry.add(picture)
    ctx = tencent.emu.ctx
    return MixService(ctx, SessionStore(ctx.clock), registry)


def spec_of(**layout: object):  # type: ignore[no-untyped-def]
    return parse_start(start_para("s", "a", [stream("a", 1), stream("b", 2, **layout)])).inputs[1]


def test_a_picture_input_reads_the_registered_picture(tencent: Tencent) -> None:
    service = service_of(tencent, Picture(7, "logo.png", 40, 20))
    assert service._facts(spec_of(input_type=2, picture_id=7)) == SourceFacts("logo.png", 40, 20)
    with pytest.raises(TencentError) as error:
        service._facts(spec_of(input_type=2, picture_id=8))
    assert (error.value.code, error.value.message) == (
        -34,
        "Get picture url failed, picture id [8] no exist!",
    )


def test_a_stream_input_reads_the_pushed_stream_with_its_probed_size(tencent: Tencent) -> None:
    tencent.emu.ctx.registry.publish(
        "b", "pattern:color?color=#ff0000&size=64x36", info=MediaInfo(width=64, height=36, fps=12.5)
    )
    service = service_of(tencent)
    assert service._facts(spec_of()) == SourceFacts("stream:b", 64, 36, 12.5)
    assert service._facts(spec_of(input_type=5)) == SourceFacts("stream:b", 64, 36, 12.5)
    unknown = parse_start(start_para("s", "a", [stream("a", 1), stream("nobody", 2)])).inputs[1]
    assert service._facts(unknown) == SourceFacts("stream:nobody")


def test_another_mixs_output_is_read_at_its_canvas_size(tencent: Tencent) -> None:
    tencent.publish("a", size="96x54", settle=False)
    tencent.publish("b", size="32x18")
    assert (
        tencent.call(
            start_para("first", "mixed", [stream("a", 1), stream("b", 2)], output_stream_type=1)
        ).code
        == 0
    )
    assert tencent.emu.ctx.registry.get("mixed") is None  # a mix's output is not a pushed stream
    spec = parse_start(start_para("s", "a", [stream("a", 1), stream("mixed", 2)])).inputs[1]
    assert service_of(tencent)._facts(spec) == SourceFacts("stream:mixed", 96, 54)
    # ... and it may be mixed again by another session at once (no 5 s rule for it)
    para = start_para("second", "again", [stream("mixed", 1), stream("b", 2)], output_stream_type=1)
    assert tencent.call(para).code == 0


TWO = [stream("a", 1), stream("b", 2)]


@pytest.mark.parametrize("waited", [5.0, 6.0])
def test_a_stream_pushed_5_s_ago_is_mixed(tencent: Tencent, waited: float) -> None:
    tencent.publish("a", settle=False)
    tencent.publish("b", settle=False)
    tencent.emu.advance_clock(waited)
    assert tencent.call(start_para("room", "a", TWO)).code == 0


def test_a_window_pushed_under_5_s_ago_is_code_505(tencent: Tencent) -> None:
    # The emulator clock also runs with the wall clock: 1 s of slack for a loaded machine (the exact
    # boundary is test_a_push_exactly_5_s_old_is_ready's).
    tencent.publish("a")
    tencent.publish("b", settle=False)
    tencent.emu.advance_clock(4.0)
    answer = tencent.call(start_para("room", "a", TWO))
    assert (answer.code, answer.message) == (-505, "streamid: [b], no exist")
    tencent.emu.advance_clock(1.0)
    assert tencent.call(start_para("room", "a", TWO)).code == 0


def test_a_background_pushed_under_5_s_ago_is_code_28(tencent: Tencent) -> None:
    tencent.publish("b")
    tencent.publish("a", settle=False)
    tencent.emu.advance_clock(4.0)
    answer = tencent.call(start_para("room", "a", TWO))
    assert (answer.code, answer.message) == (
        -28,
        "Get background height and width failed, background stream no exist!",
    )


def test_pictures_and_canvases_need_no_push(tencent: Tencent) -> None:
    tencent.publish("a")
    inputs = [stream("a", 1), stream("box", 2, input_type=3, image_width=10, image_height=10)]
    assert tencent.call(start_para("room", "a", inputs)).code == 0


def test_a_started_mix_records_its_request(tencent: Tencent) -> None:
    tencent.publish("a")
    tencent.publish("b")
    assert (
        tencent.call(start_para("room", "out", TWO, output_stream_type=1, mix_stream_template_id=10)).code
        == 0
    )
    task = tencent.emu.ctx.tasks.get("tencent:room")
    assert task is not None
    assert {
        k: task.meta[k]
        for k in ("app_id", "session_id", "output_stream_id", "output_stream_type", "template_id", "api")
    } == {
        "app_id": APPID,
        "session_id": "room",
        "output_stream_id": "out",
        "output_stream_type": 1,
        "template_id": 10,
        "api": "legacy",
    }
    assert (
        tencent.call(start_para("room", "out", TWO, output_stream_type=1, mix_stream_template_id=20)).code
        == 0
    )
    assert task.meta["template_id"] == 20 and task.update_count == 1


def test_beyond_the_emulators_task_limit_a_start_is_code_10031(tencent: Tencent) -> None:
    tencent.publish("a")
    tencent.publish("b")
    tasks = tencent.emu.ctx.tasks
    kept, tasks.max_tasks = tasks.max_tasks, 1
    try:
        assert tencent.call(start_para("one", "out1", TWO, output_stream_type=1)).code == 0
        full = "Trigger mix stream failed, 1 mixes are running, the emulator's limit (max_tasks) is 1!"
        answer = tencent.call(start_para("two", "out2", TWO, output_stream_type=1))
        assert (answer.code, answer.message) == (-10031, full)
        error = tc3_call(tencent, "CreateCommonMixStream", create_body("three"))["Error"]
        assert error == {"Code": "ResourceInsufficient", "Message": full}
        # The running mix of a session is still updated: an update starts no task.
        assert (
            tencent.call(start_para("one", "out1", TWO, output_stream_type=1, output_stream_bitrate=500)).code
            == 0
        )
    finally:
        tasks.max_tasks = kept


def test_a_mix_left_running_by_a_provider_reset_blocks_its_session_id(tencent: Tencent) -> None:
    tencent.publish("a")
    tencent.publish("b")
    assert tencent.call(start_para("room", "out", TWO, output_stream_type=1)).code == 0
    tencent.emu.ctx.providers["tencent"].sessions.clear()  # type: ignore[attr-defined]
    answer = tencent.call(start_para("room", "out2", TWO, output_stream_type=1))
    assert (answer.code, answer.message) == (
        -10031,
        "Trigger mix stream failed, task tencent:room is already running!",
    )


def create_body(session: str) -> dict[str, object]:
    return {
        "MixStreamSessionId": session,
        "InputStreamList": [
            {"InputStreamName": "a", "LayoutParams": {"ImageLayer": 1}},
            {"InputStreamName": "b", "LayoutParams": {"ImageLayer": 2}},
        ],
        "OutputParams": {"OutputStreamName": f"out_{session}", "OutputStreamType": 1},
    }


def test_a_session_lists_the_app_that_started_it(tencent: Tencent) -> None:
    tencent.publish("a")
    tencent.publish("b")
    assert tencent.call(start_para("room", "out", TWO, output_stream_type=1)).code == 0
    sessions = tencent.emu.request("GET", "/_emulator/tencent/sessions")["sessions"]
    assert [(s["session_id"], s["output_stream_id"], s["app_id"]) for s in sessions] == [
        ("room", "out", APPID)
    ]


def test_a_mix_cannot_take_its_own_output_as_an_input(tencent: Tencent) -> None:
    tencent.publish("a")
    tencent.publish("b")
    assert tencent.call(start_para("room", "out", TWO, output_stream_type=1)).code == 0
    update = start_para("room", "out", [stream("a", 1), stream("out", 2)])  # type 0: "out" is an input
    answer = tencent.call(update)
    assert (answer.code, answer.message) == (-505, "streamid: [out], no exist")
    # ... while another session may mix it at once
    other = start_para("other", "out2", [stream("a", 1), stream("out", 2)], output_stream_type=1)
    assert tencent.call(other).code == 0


def test_a_push_exactly_5_s_old_is_ready(tencent: Tencent) -> None:
    pushed = tencent.emu.ctx.registry.publish("b", "pattern:color?color=#ff0000&size=64x36")
    service = service_of(tencent)
    assert service._ready("b", pushed.published_at + 5.0, None) is True
    assert service._ready("b", pushed.published_at + 4.999, None) is False
