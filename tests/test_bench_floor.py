"""bench/floor.py: the codecs' floor of the realtime bench's task, measured on a tiny task."""

from __future__ import annotations

from pathlib import Path

import av
import pytest

from bench.floor import PER_INPUT, Task, ffmpeg_command, measure
from emulator.media.clips import write_clip

TINY = Task((160, 96), 10, 200_000)  # a height of 4k: the U and V planes fill whole rows of the canvas


def clips(folder: Path) -> tuple[Path, Path]:
    left, right = (write_clip(folder / f"{n}.mp4", size=TINY.size, fps=TINY.fps, duration=1.0) for n in "lr")
    return left, right


def test_the_floor_charges_every_stage_and_ffmpeg_does_the_same_job(tmp_path: Path) -> None:
    floor = measure(clips(tmp_path), TINY, tmp_path, seconds=2, repeat=1)  # two rounds of the 1 s clips
    assert list(floor.stages) == [
        "open", "decode video", "scale", "compose", "x264", "decode audio", "mix audio", "aac",
    ]  # fmt: skip
    assert floor.stages["x264"] > 0 and floor.stages["aac"] > 0 and floor.ffmpeg > 0
    assert floor.ffmpeg_lookahead > 0
    per_input = sum(floor.stages[stage] for stage in PER_INPUT)
    assert floor.shared == pytest.approx(floor.total - per_input) and floor.shared < floor.total
    assert floor.lines()[-3].split()[1] == f"{floor.total:.2f}"
    with av.open(str(tmp_path / "floor_ffmpeg.flv")) as made:  # FFmpeg's last output: 2 s at the task's size
        video = made.streams.video[0]
        assert (video.width, video.height) == TINY.size
        assert 1.8 <= float(made.duration / av.time_base) <= 2.3
    settings = (tmp_path / "floor_ffmpeg.flv").read_bytes()  # x264 writes its settings into the stream
    assert b"rc_lookahead=10" in settings and b"bframes=3" in settings  # the last run: x264's default tune


def test_ffmpeg_reads_its_inputs_at_their_pace_only_when_paced(tmp_path: Path) -> None:
    paced = ffmpeg_command(clips(tmp_path), TINY, tmp_path / "o.flv", paced=True)
    assert paced.count("-re") == 2 and paced[-1].endswith("o.flv")
    assert "-re" not in ffmpeg_command(clips(tmp_path), TINY, tmp_path / "o.flv", paced=False)
    assert paced[paced.index("-b:v") + 1] == paced[paced.index("-maxrate") + 1] == "200000"
