"""What only a worker process has: the task runs there, its output reaches the hub here, a stopped task
leaves nothing in the worker, and a worker killed with -9 leaves a playable recording and a failed task."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import av

from emulator.kit.handle import EmulatorHandle
from emulator.media.clips import write_clip
from emulator.testing import push_rtmp
from emulator.workers import RemotePipeline
from tests.providers.zego.helpers import Zego

RED = "pattern:color?color=#ff0000&size=64x36&fps=10"


def _start(zego: Zego, task: str, stream: str = "red", out: str = "wout") -> str:
    body = {
        "TaskId": task,
        "UserId": "owner",
        "MixInput": [{"StreamId": stream, "RectInfo": {"Left": 0, "Top": 0, "Right": 64, "Bottom": 36}}],
        "MixOutput": [{"StreamId": out, "Width": 64, "Height": 36, "Fps": 10, "Bitrate": 100_000}],
    }
    assert zego.call("StartMix", body)["Code"] == 0
    return f"zego:12345:{task}"


def _worker_stats(emu: EmulatorHandle) -> dict:
    assert emu.ctx.workers is not None
    (stats,) = emu.ctx.workers.stats()
    assert stats is not None
    return stats


def test_the_task_runs_in_the_worker_and_its_output_plays_here(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    task_id = _start(zego, "w1")
    task = zego.emu.ctx.tasks.get(task_id)
    assert task is not None and isinstance(task.pipeline, RemotePipeline)
    zego.wait_frames(task_id, 3)
    stats = _worker_stats(zego.emu)
    assert stats["tasks"] == 1 and stats["pid"] != os.getpid()
    with av.open(f"{zego.emu.url}/live/wout.flv", timeout=5) as player:  # the hub, fed by the worker
        frame = next(player.decode(video=0))
        assert (frame.width, frame.height) == (64, 36)
        red, green, blue = frame.to_image().getpixel((32, 18))
        assert red > 200 and green < 40 and blue < 40
    assert task.media_status()["frames"] >= 3


def test_a_stopped_task_leaves_nothing_in_the_worker(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    _start(zego, "warm")  # the first task imports the media engine: the baseline is after it
    zego.wait_frames("zego:12345:warm", 2)
    assert zego.call("StopMix", {"TaskId": "warm", "UserId": "owner"})["Code"] == 0
    zego.wait_state("zego:12345:warm", "stopped")
    before = _worker_stats(zego.emu)
    for round_ in range(3):
        task_id = _start(zego, f"cycle{round_}", out=f"cyc{round_}")
        zego.wait_frames(task_id, 2)
        assert zego.call("StopMix", {"TaskId": f"cycle{round_}", "UserId": "owner"})["Code"] == 0
        zego.wait_state(task_id, "stopped")
    after = _worker_stats(zego.emu)
    assert after["tasks"] == 0
    assert after["threads"] <= before["threads"], (before, after)
    assert after["fds"] <= before["fds"], (before, after)


def test_a_worker_killed_with_9_leaves_a_playable_recording_and_a_failed_task(zego: Zego) -> None:
    zego.emu.publish("red", RED)
    task_id = _start(zego, "doomed", out="doomed_out")
    task = zego.emu.ctx.tasks.get(task_id)
    assert task is not None
    recording = zego.emu.data_dir / "recordings"
    deadline = time.monotonic() + 10
    found = []
    while time.monotonic() < deadline:  # a few fragments on disk
        found = [p for p in recording.rglob("doomed_out.mp4") if p.read_bytes().count(b"moof") >= 2]
        if found:
            break
        time.sleep(0.05)
    assert found
    os.kill(_worker_stats(zego.emu)["pid"], signal.SIGKILL)
    zego.wait_state(task_id, "failed")
    assert "worker" in (zego.emu.ctx.tasks.get(task_id).error or "")
    with av.open(str(found[0])) as recorded:
        frames = list(recorded.decode(video=0))
    assert len(frames) >= 5 and (frames[0].width, frames[0].height) == (64, 36)
    # The next task gets a new worker.
    zego.emu.publish("red", RED)
    again = _start(zego, "after", out="after_out")
    zego.wait_frames(again, 2)


def test_two_tasks_sharing_a_pushed_input_decode_it_once(zego: Zego, tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "anchor.flv", size=(64, 36), fps=10, duration=1.0, tone_hz=660)
    with push_rtmp(clip, zego.emu.rtmp_url("shared_anchor")):
        deadline = time.monotonic() + 15
        while zego.emu.ctx.registry.get("shared_anchor") is None:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        first = _start(zego, "share1", stream="shared_anchor", out="s1")
        zego.wait_live(first, "shared_anchor")
        readers = zego.emu.ctx.hub.subscribers("shared_anchor")  # the worker's, and the anchor's HLS
        second = _start(zego, "share2", stream="shared_anchor", out="s2")
        zego.wait_live(second, "shared_anchor")
        stats = _worker_stats(zego.emu)
        assert stats["tasks"] == 2
        assert stats["connections"].get("live:shared_anchor") == 1, stats["connections"]
        assert zego.emu.ctx.hub.subscribers("shared_anchor") == readers  # no second reader forwarded
        for task in (first, second):
            zego.wait_frames(task, 5)


GUARDLESS_SCRIPT = """
import os
from emulator.kit import Emulator

# No `if __name__ == "__main__":` guard: workers must not re-run this script.
with Emulator(media_workers=1, media_mode="fast") as emu:
    emu.publish("red", "pattern:color?color=#ff0000&size=64x36&fps=10")
    body = {
        "TaskId": "g1",
        "UserId": "owner",
        "MixInput": [{"StreamId": "red", "RectInfo": {"Left": 0, "Top": 0, "Right": 64, "Bottom": 36}}],
        "MixOutput": [{"StreamId": "gout", "Width": 64, "Height": 36, "Fps": 10, "Bitrate": 100000}],
    }
    assert emu.zego.call("StartMix", body)["Code"] == 0
    emu.wait_for("zego:12345:g1", frames=2, timeout=20)
    (stats,) = emu.ctx.workers.stats()
    print("ran in", stats["pid"], "from", os.getpid(), flush=True)
"""


def test_a_script_without_a_main_guard_runs_its_mixes_in_a_worker(tmp_path: Path) -> None:
    script = tmp_path / "guardless.py"
    script.write_text(GUARDLESS_SCRIPT)
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-2000:]
    lines = done.stdout.splitlines()
    assert len(lines) == 1, done.stdout  # printed once: no worker ran the script again
    _, _, worker, _, parent = lines[0].split()
    assert worker != parent


def test_two_tasks_sharing_a_published_file_decode_it_once(zego: Zego) -> None:
    clip = write_clip(zego.emu.data_dir / "media" / "shared_file.mp4", size=(64, 36), fps=10, duration=1.0)
    zego.emu.publish("shared_file", str(clip))  # a control-API stream: loops, as an anchor's push goes on
    first = _start(zego, "fshare1", stream="shared_file", out="fs1")
    zego.wait_live(first, "shared_file")
    second = _start(zego, "fshare2", stream="shared_file", out="fs2")
    zego.wait_live(second, "shared_file")
    for task in (first, second):
        zego.wait_frames(task, zego.emu.ctx.tasks.get(task).media_status()["frames"] + 5)
    stats = _worker_stats(zego.emu)
    assert stats["tasks"] == 2
    opened = [n for path, n in stats["files"].items() if path.endswith("shared_file.mp4")]
    assert opened == [1], stats["files"]  # one decoder for both mixes
    for task in ("fshare1", "fshare2"):
        assert zego.call("StopMix", {"TaskId": task, "UserId": "owner"})["Code"] == 0


def test_a_task_of_two_files_runs_seven_threads_in_the_worker_and_ffmpeg_none(zego: Zego) -> None:
    """docs/internals.md ("Threads and processes"): tick, encoding, recording, HLS, live FLV, one per file;
    FFmpeg's automatic pools are off in a worker (media/ffmpeg_threads.py), the AAC encoder's included."""
    media = zego.emu.data_dir / "media"
    for name, rate in (("left", 44100), ("right", 48000)):  # both resampled: 44.1 kHz mono out
        zego.emu.publish(name, str(write_clip(media / f"{name}.mp4", size=(64, 36), fps=10, audio_rate=rate)))
    warm = _start(zego, "twarm", stream="left", out="tw")  # imports the engine, starts the status thread
    zego.wait_frames(warm, 2)
    assert zego.call("StopMix", {"TaskId": "twarm", "UserId": "owner"})["Code"] == 0
    zego.wait_state(warm, "stopped")
    pid = _worker_stats(zego.emu)["pid"]
    before = len(os.listdir(f"/proc/{pid}/task"))  # OS threads: FFmpeg's count too
    body = {
        "TaskId": "two",
        "UserId": "owner",
        "MixInput": [
            {"StreamId": "left", "RectInfo": {"Left": 0, "Top": 0, "Right": 32, "Bottom": 36}},
            {"StreamId": "right", "RectInfo": {"Left": 32, "Top": 0, "Right": 64, "Bottom": 36}},
        ],
        "MixOutput": [{"StreamId": "two_out", "Width": 64, "Height": 36, "Fps": 10, "Bitrate": 100_000}],
    }
    assert zego.call("StartMix", body)["Code"] == 0
    zego.wait_frames("zego:12345:two", 5)
    assert len(os.listdir(f"/proc/{pid}/task")) - before == 7
    assert zego.call("StopMix", {"TaskId": "two", "UserId": "owner"})["Code"] == 0
