"""MixRenderer: layout updates, input loss and return on the emulator clock, freezes, end of inputs."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from emulator.core.job import Canvas, Layer, MixJob, Rect
from emulator.media.clips import write_picture
from emulator.media.live import LiveHub
from emulator.media.renderer import MixRenderer
from tests.media.conftest import BLACK, BLUE, GREEN, RED, WHITE, MapResolver, assert_rgb

CANVAS = Canvas(160, 90, "#0000ff")
LEFT, RIGHT = Rect(0, 0, 80, 90), Rect(80, 0, 80, 90)


def renderer_for(job: MixJob, resolver: MapResolver, clock, **kwargs) -> MixRenderer:
    return MixRenderer(job, resolver, clock, audio_rate=48000, **{"realtime": False, **kwargs})


def play(renderer: MixRenderer, start: float, stop: float, fps: float = 10, paced: bool = False):
    """Render frames for media times [start, stop); returns the last one and the time after it. ``paced``:
    at the wall clock's pace, as a realtime pipeline does (its inputs may take a few ticks to arrive)."""
    t, frame = start, None
    origin = time.monotonic() - start
    while t < stop - 1e-9:
        if paced:
            time.sleep(max(0.0, origin + t - time.monotonic()))
        frame = renderer.video_frame(t)
        renderer.audio_frame(t, round(48000 / fps))
        t += 1 / fps
    return frame, t


def test_update_moves_a_layer_between_two_frames_without_reopening(clock) -> None:
    job = MixJob(CANVAS, [Layer(id="cam", source="pattern:color?color=%23ff0000", rect=LEFT)])
    renderer = renderer_for(job, MapResolver(), clock)
    first = renderer.video_frame(0.0)
    assert_rgb(first, 40, 45, RED)
    assert_rgb(first, 120, 45, BLUE)
    opened = dict(renderer._opened)
    renderer.update(MixJob(CANVAS, [Layer(id="cam", source="pattern:color?color=%23ff0000", rect=RIGHT)]))
    second = renderer.video_frame(0.04)
    assert_rgb(second, 40, 45, BLUE)
    assert_rgb(second, 120, 45, RED)
    assert renderer._opened == opened  # same source object, not reopened
    renamed = Layer(id="renamed", source="pattern:color?color=%23ff0000", rect=LEFT)
    renderer.update(MixJob(CANVAS, [renamed]))
    assert_rgb(renderer.video_frame(0.06), 40, 45, RED)
    assert renderer._opened == opened  # a new name for the same media keeps the source too
    renderer.update(MixJob(CANVAS, [Layer(id="cam2", source="pattern:color?color=%2300ff00", rect=RIGHT)]))
    assert_rgb(renderer.video_frame(0.08), 120, 45, GREEN)
    assert list(renderer.input_status()) == ["cam2"]
    assert len(renderer._opened) == 1  # the removed layer's source was closed
    renderer.update(MixJob(Canvas(64, 64, "#ffffff"), []))  # a new canvas
    frame = renderer.video_frame(0.12)
    assert (frame.width, frame.height) == (64, 64)
    assert_rgb(frame, 32, 32, WHITE)
    renderer.close()


def test_a_file_layer_keeps_playing_across_an_update(clip, clock) -> None:
    path = str(clip("bars-update.mp4"))
    renderer = renderer_for(MixJob(CANVAS, [Layer(id="a", source=path, rect=LEFT)]), MapResolver(), clock)
    play(renderer, 0.0, 0.5)
    source = next(iter(renderer._opened.values())).source
    renderer.update(MixJob(CANVAS, [Layer(id="a", source=path, rect=RIGHT, volume=50)]))
    play(renderer, 0.5, 0.7)
    assert next(iter(renderer._opened.values())).source is source
    assert renderer._inputs[0].frame.time > 0.55  # decoding went on from where it was, not from zero
    renderer.close()


def test_lost_input_freezes_then_shows_the_background_and_comes_back(clock) -> None:
    resolver = MapResolver()
    resolver.publish("cam", "pattern:color?color=%23ff0000")
    job = MixJob(CANVAS, [Layer(id="cam", source="stream:cam", rect=LEFT)], input_loss_timeout=5.0)
    renderer = renderer_for(job, resolver, clock)
    frame, t = play(renderer, 0.0, 0.5)
    assert_rgb(frame, 40, 45, RED)
    assert renderer.input_status()["cam"]["state"] == "live"
    del resolver.streams["cam"]  # the anchor disconnects
    frame, t = play(renderer, t, t + 1.0)
    status = renderer.input_status()["cam"]
    assert status["state"] == "lost" and status["since"] <= clock.now()
    assert_rgb(frame, 40, 45, RED)  # frozen on its last frame
    clock.advance(4.0)
    assert_rgb(renderer.video_frame(t), 40, 45, RED)
    clock.advance(1.5)  # past input_loss_timeout on the emulator clock
    assert_rgb(renderer.video_frame(t + 0.1), 40, 45, BLUE)
    resolver.publish("cam", "pattern:color?color=%2300ff00")  # published again (a new generation)
    frame, _ = play(renderer, t + 0.2, t + 1.0)
    assert_rgb(frame, 40, 45, GREEN)
    assert renderer.input_status()["cam"]["state"] == "live"
    renderer.close()


def test_an_input_lost_for_good_freezes_forever_without_a_timeout(clock) -> None:
    resolver = MapResolver({"cam": "pattern:color?color=%23ff0000"})
    renderer = renderer_for(
        MixJob(CANVAS, [Layer(id="cam", source="stream:cam", rect=LEFT)]), resolver, clock
    )
    _, t = play(renderer, 0.0, 0.3)
    resolver.streams.clear()
    _, t = play(renderer, t, t + 1.0)
    clock.advance(3600)
    assert_rgb(renderer.video_frame(t), 40, 45, RED)
    renderer.close()


def test_a_lost_freezing_layer_freezes_the_whole_picture(clock) -> None:
    resolver = MapResolver({"bg": "pattern:color?color=%23ff0000"})
    layers = [
        Layer(id="bg", source="stream:bg", rect=LEFT, freezes_canvas=True),
        Layer(id="cam", source="pattern:bars?size=80x90", rect=RIGHT),
    ]
    renderer = renderer_for(MixJob(CANVAS, layers), resolver, clock)
    _, t = play(renderer, 0.0, 0.3)
    moving = [renderer.video_frame(t).to_ndarray(), renderer.video_frame(t + 0.5).to_ndarray()]
    assert not np.array_equal(*moving)  # the bars move while all is well
    resolver.streams.clear()
    _, t = play(renderer, t + 0.6, t + 1.5)
    frozen = renderer.video_frame(t)
    assert renderer.video_frame(t + 1.0) is frozen
    assert_rgb(frozen, 40, 45, RED)
    renderer.close()


def test_missing_file_is_an_error_and_the_rest_renders(tmp_path: Path, clock) -> None:
    layers = [
        Layer(id="gone", source=str(tmp_path / "nope.mp4"), rect=LEFT),
        Layer(id="ok", source="pattern:color?color=%2300ff00", rect=RIGHT),
        Layer(id="bad", source="invalid:file not found inside the media roots: x.mp4"),
    ]
    renderer = renderer_for(MixJob(CANVAS, layers), MapResolver(), clock)
    frame, _ = play(renderer, 0.0, 0.3)
    assert_rgb(frame, 40, 45, BLUE)
    assert_rgb(frame, 120, 45, GREEN)
    status = renderer.input_status()
    assert status["gone"]["state"] == "error" and "file not found" in status["gone"]["error"]
    assert status["bad"]["state"] == "error" and "media roots" in status["bad"]["error"]
    assert status["ok"] == {
        "state": "live",
        "since": status["ok"]["since"],
        "width": 320,
        "height": 240,
        "duration": None,  # an endless pattern
        "source": "pattern:color?color=%2300ff00",
        "resolved": "pattern:color?color=%2300ff00",
        "error": None,
        "level": 0.0,
    }
    renderer.close()


def test_fast_mode_finishes_when_finite_inputs_end(clip, clock) -> None:
    short = str(clip("short.mp4", duration=0.4, video="color:#ff0000"))
    job = MixJob(CANVAS, [Layer(id="a", source=short, rect=LEFT), Layer(id="b", source=short, rect=RIGHT)])
    renderer = renderer_for(job, MapResolver(), clock)
    frame, t = play(renderer, 0.0, 0.3)
    assert not renderer.finished_at(t)
    frame, t = play(renderer, t, 0.8)
    assert renderer.finished_at(t) and renderer.input_status()["a"]["state"] == "ended"
    assert_rgb(frame, 120, 45, RED)  # fast mode: an ended input holds its last frame
    looped = renderer_for(MixJob(CANVAS, [Layer(id="a", source=short, loop=True)]), MapResolver(), clock)
    _, t = play(looped, 0.0, 1.0)
    assert not looped.finished_at(t)  # only endless inputs: it never ends by itself
    renderer.close(), looped.close()


def frames_until_finished(renderer: MixRenderer, fps: float, audio: bool = True, limit: int = 500) -> int:
    """Render as the fast pipeline does (the audio of each tick up to its end); the frames rendered."""
    frames = samples = 0
    while not renderer.finished_at(frames / fps) and frames < limit:
        renderer.video_frame(frames / fps)
        while audio and samples < round((frames + 1) / fps * 48000):
            renderer.audio_frame(samples / 48000, 1024)
            samples += 1024
        frames += 1
    return frames


@pytest.mark.parametrize(("fps", "audio"), [(25, True), (25, False), (50, False), (20, True)])
def test_fast_mode_ends_exactly_at_the_end_of_a_file(clip, clock, fps: float, audio: bool) -> None:
    path = str(clip("one-second.mp4", fps=25, duration=1.0))  # 25 frames; AAC pads its audio a little
    renderer = renderer_for(MixJob(CANVAS, [Layer(id="a", source=path)]), MapResolver(), clock)
    assert frames_until_finished(renderer, fps, audio) == fps  # 1.0 s: not one frame more, nor less
    renderer.close()


def test_pictures_patterns_and_loops_do_not_hold_a_fast_mix_open(clip, clock, tmp_path: Path) -> None:
    logo = write_picture(tmp_path / "logo.png", (16, 16), (255, 255, 255, 128))
    endless = [
        Layer(id="logo", source=str(logo), rect=Rect(0, 0, 16, 16), z=1),
        Layer(id="bars", source="pattern:bars?size=80x90&tone=440", rect=RIGHT),
        Layer(id="loop", source=str(clip("loop.mp4", duration=0.4)), loop=True, rect=LEFT),
    ]
    file = Layer(id="clip", source=str(clip("half-second.mp4", fps=10, duration=0.5)), rect=LEFT)
    renderer = renderer_for(MixJob(CANVAS, [file, *endless]), MapResolver(), clock)
    assert frames_until_finished(renderer, 10) == 5  # the file's 0.5 s at 10 fps
    renderer.close()
    alone = renderer_for(MixJob(CANVAS, endless), MapResolver(), clock)
    assert frames_until_finished(alone, 10, limit=20) == 20  # nothing finite: it never ends by itself
    alone.close()
    missing = Layer(id="gone", source=str(tmp_path / "missing.mp4"))
    broken = renderer_for(MixJob(CANVAS, [missing, *endless]), MapResolver(), clock)
    assert frames_until_finished(broken, 10) == 0  # an input that can never play does not hold it open
    broken.close()


def test_realtime_counts_an_ended_file_as_lost(clip, clock) -> None:
    short = str(clip("short-rt.mp4", duration=0.4, video="color:#ff0000"))
    job = MixJob(CANVAS, [Layer(id="a", source=short, rect=LEFT)], input_loss_timeout=2.0)
    renderer = renderer_for(job, MapResolver(), clock, realtime=True)
    frame, t = play(renderer, 0.0, 0.8, paced=True)
    assert renderer.input_status()["a"]["state"] == "lost"
    assert_rgb(frame, 40, 45, RED)
    clock.advance(2.5)
    assert_rgb(renderer.video_frame(t), 40, 45, BLUE)
    renderer.close()


def test_canvas_image_under_the_layers(tmp_path: Path, clock) -> None:
    picture = write_picture(tmp_path / "bg.png", (16, 9), (0, 0, 0, 255))
    job = MixJob(
        Canvas(160, 90, "#0000ff", image=str(picture)), [Layer(id="a", source="pattern:color", rect=RIGHT)]
    )
    renderer = renderer_for(job, MapResolver(), clock)
    frame = renderer.video_frame(0.0)
    assert_rgb(frame, 40, 45, BLACK)
    assert "__canvas__" not in renderer.input_status()
    renderer.close()


def test_live_input_starts_late_stalls_and_drops_to_the_background(clip, clock) -> None:
    hub = LiveHub()
    data = clip("live-r.flv", video="color:#ff0000", duration=0.6).read_bytes()
    job = MixJob(CANVAS, [Layer(id="cam", source="live:cam", rect=LEFT)], input_loss_timeout=3.0)
    renderer = renderer_for(job, MapResolver(), clock, hub=hub, realtime=True, stall_timeout=0.3)
    started = time.monotonic()

    def frame_now():
        t = time.monotonic() - started  # realtime: media time follows the wall clock
        return renderer.video_frame(t), renderer.input_status()["cam"]

    frame, status = frame_now()
    assert status["state"] == "waiting"
    assert_rgb(frame, 40, 45, BLUE)
    publisher = hub.open_publisher("cam")
    publisher.write(data)
    deadline = time.monotonic() + 3
    while status["state"] != "live" or frame is None or not _red(frame):
        assert time.monotonic() < deadline, status
        time.sleep(0.03)
        frame, status = frame_now()
    while status["state"] == "live":  # plays what arrived, then the stall is noticed
        assert time.monotonic() < deadline, status
        time.sleep(0.03)
        frame, status = frame_now()
    assert status["state"] == "lost"
    assert _red(frame)  # frozen
    clock.advance(3.5)
    frame, status = frame_now()
    assert_rgb(frame, 40, 45, BLUE)
    publisher.close()
    renderer.close()


def _red(frame) -> bool:
    r, g, b = frame.to_ndarray(format="rgb24")[45, 40]
    return r > 200 and g < 50 and b < 50
