"""The seed's own requests, signed as the seed describes, and the session rules on the emulator clock:
update by the same session and output, cancel after 5 s, reuse 30 s after cancel, output types 0 and 1,
the 15-minute idle end."""

from __future__ import annotations

from typing import Any

from tests.providers.tencent.helpers import Tencent, cancel_para, load, start_para, stream

SUCCESS = {"code": 0, "message": "Success!"}


def sessions(tencent: Tencent) -> dict[str, dict[str, Any]]:
    return {s["session_id"]: s for s in tencent.emu.request("GET", "/_emulator/tencent/sessions")["sessions"]}


def publish_seed_streams(tencent: Tencent) -> None:
    tencent.publish("stream_lewis01", "#ff0000", settle=False)
    tencent.publish("stream_lewis02", "#00ff00", "160x90", settle=False)
    tencent.publish("5000_lewis03", "#0000ff", "320x180")


def answer_fields(answer: Any) -> dict[str, Any]:
    return {"code": answer.code, "message": answer.message}


def test_seed_start_and_cancel_examples(tencent: Tencent) -> None:
    publish_seed_streams(tencent)
    start = tencent.post(load("start"))
    assert answer_fields(start) == SUCCESS
    assert set(start.body) == set(load("response_success"))  # the seed's answer example, field for field
    session = sessions(tencent)["lewis_room"]
    assert (session["running"], session["output_stream_id"], session["task_id"]) == (
        True,
        "stream_lewis01",
        "tencent:lewis_room",
    )
    # Output type 0: the mix is the output of stream_lewis01, whose anchor's push stays its input.
    assert tencent.emu.ctx.registry.output_owner("stream_lewis01") == "tencent:lewis_room"
    assert tencent.emu.ctx.registry.get("stream_lewis01") is not None
    tencent.emu.advance_clock(5)
    assert answer_fields(tencent.post(load("cancel"))) == SUCCESS
    session = sessions(tencent)["lewis_room"]
    assert session["running"] is False and session["cancelled_at"] is not None
    assert tencent.emu.ctx.registry.output_owner("stream_lewis01") is None


def test_seed_crop_template_audio_and_canvas_examples_start(tencent: Tencent) -> None:
    publish_seed_streams(tencent)
    for n, name in enumerate(("crop", "template_20", "audio", "canvas")):
        body = load(name)
        para = body["interface"]["para"]
        para["mix_stream_session_id"] = f"room_{n}"
        if name == "canvas":  # its own session outputs a new stream: stream_lewis01 is taken
            para["output_stream_type"], para["output_stream_id"] = 1, "canvas_mix"
        elif n:
            para["output_stream_id"] = f"out_{n}"
            para["output_stream_type"] = 1
        assert answer_fields(tencent.post(body)) == SUCCESS, name
    assert {s["session_id"] for s in sessions(tencent).values() if s["running"]} == {
        "room_0",
        "room_1",
        "room_2",
        "room_3",
    }


def test_same_session_and_output_updates_the_running_mix(tencent: Tencent) -> None:
    publish_seed_streams(tencent)
    assert tencent.post(load("start")).code == 0
    tencent.emu.advance_clock(2)
    # FAQ 4: the guest changes, the output stays: just send the new layout.
    body = load("start")
    body["interface"]["para"]["input_stream_list"][1]["input_stream_id"] = "5000_lewis03"
    assert tencent.post(body).code == 0
    session = sessions(tencent)["lewis_room"]
    assert session["update_count"] == 1
    task = tencent.emu.ctx.tasks.get("tencent:lewis_room")
    assert task is not None and [layer.id for layer in task.job.layers] == ["stream_lewis01", "5000_lewis03"]
    # The 5 s before a cancel count from the first start, not from the update.
    tencent.emu.advance_clock(3)
    assert tencent.post(load("cancel")).code == 0


def test_session_id_is_reusable_30s_after_cancel(tencent: Tencent) -> None:
    publish_seed_streams(tencent)
    assert tencent.post(load("start")).code == 0
    tencent.emu.advance_clock(5)
    assert tencent.post(load("cancel")).code == 0
    tencent.emu.advance_clock(29)
    answer = tencent.post(load("start"))
    assert answer.code == -10031
    assert "was cancelled less than 30 s ago" in answer.message
    tencent.emu.advance_clock(1)
    assert tencent.post(load("start")).code == 0
    assert sessions(tencent)["lewis_room"]["running"] is True


def test_output_type_1_is_a_new_stream(tencent: Tencent) -> None:
    publish_seed_streams(tencent)
    inputs = [stream("stream_lewis01", 1), stream("stream_lewis02", 2)]
    para = start_para("pk", "stream_lewis_new_1", inputs, output_stream_type=1, mix_stream_template_id=10)
    assert tencent.call(para).code == 0
    assert tencent.emu.ctx.registry.output_owner("stream_lewis_new_1") == "tencent:pk"
    assert tencent.emu.ctx.registry.output_owner("stream_lewis01") is None
    # The new stream can feed another mix: it exists as the output of a running mix.
    para = start_para(
        "second", "stream_lewis02", [stream("stream_lewis02", 1), stream("stream_lewis_new_1", 2)]
    )
    assert tencent.call(para).code == 0


def test_all_inputs_gone_for_15_minutes_ends_the_mix(tencent: Tencent) -> None:
    publish_seed_streams(tencent)
    assert tencent.post(load("start")).code == 0
    tencent.emu.unpublish("stream_lewis01")
    tencent.emu.unpublish("stream_lewis02")
    tencent.emu.advance_clock(899)
    assert sessions(tencent)["lewis_room"]["running"] is True
    tencent.emu.advance_clock(2)
    assert sessions(tencent)["lewis_room"]["running"] is False
    task = tencent.emu.ctx.tasks.get("tencent:lewis_room")
    assert task is not None and task.stop_reason == "idle_timeout"
    assert tencent.post(load("cancel")).code == -30300
    # A session that ended by itself can start again at once.
    publish_seed_streams(tencent)
    assert tencent.post(load("start")).code == 0


def test_one_input_gone_does_not_end_the_mix(tencent: Tencent) -> None:
    publish_seed_streams(tencent)
    assert tencent.post(load("start")).code == 0
    tencent.wait_live("tencent:lewis_room")
    tencent.emu.unpublish("stream_lewis02")
    tencent.emu.advance_clock(3600)
    assert sessions(tencent)["lewis_room"]["running"] is True  # FAQ 5: it runs until cancelled


def test_cancel_needs_only_session_and_output(tencent: Tencent) -> None:
    publish_seed_streams(tencent)
    assert tencent.post(load("start")).code == 0
    tencent.emu.advance_clock(10)
    para = cancel_para("lewis_room", "stream_lewis01")
    para.update(domain="", path="", mix_stream_template_id=0)  # the demo's extra fields are ignored
    assert tencent.call(para).code == 0
