"""The native floor of the realtime bench's standard task: what the codecs alone cost, whatever drives them.

One thread, as fast as it can, does only the work no implementation built on FFmpeg's libraries can skip
for one task: decode the two inputs (one thread each), scale each to half the width (swscale, bilinear, one
context per input kept), put them side by side, encode x264 ``veryfast`` ``zerolatency`` on one thread at
the task's bitrate and GOP, decode and sum the two audio tracks and encode AAC. Nothing is muxed, paced,
shared or sent anywhere. Each stage's CPU time (``time.process_time``: every stage runs on this thread) over
the seconds of media made is a share of one core per task; their sum is the floor. FFmpeg's command line
does the same job in the same run (the realtime bench's command without ``-re``), timed by ``os.wait4``.

The floor bounds the capacity any implementation on these codecs can reach: 2 cores hold at most 200 / F
tasks at a floor of F %, and with inputs shared, the stages sharing saves (decoding, scaling) drop out.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections import defaultdict
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
from av.container import InputContainer
from av.video.reformatter import VideoReformatter

AUDIO_RATE = 44_100  # the clips' rate: AAC encodes it as it is, as FFmpeg's amix passes it on
AUDIO_FRAME = 1024
PER_INPUT = ("open", "decode video", "scale", "decode audio")  # what inputs decoded once would not repeat


@dataclass(frozen=True)
class Task:
    """The standard task's shape, as the realtime bench defines it."""

    size: tuple[int, int]
    fps: int
    bitrate: int


@dataclass(frozen=True)
class Floor:
    stages: dict[str, float]  # % of one core per task, by stage (median of the runs)
    ffmpeg: float  # % of one core per task, FFmpeg's command line doing the same job (median)
    ffmpeg_lookahead: float  # the same without ``zerolatency``: x264's default B-frames and lookahead

    @property
    def total(self) -> float:
        return sum(self.stages.values())

    @property
    def shared(self) -> float:
        """The floor when every task mixes the same inputs, decoded and scaled once for all."""
        return sum(cost for stage, cost in self.stages.items() if stage not in PER_INPUT)

    def lines(self) -> list[str]:
        rows = [f"  {stage:<14} {cost:6.2f} %" for stage, cost in self.stages.items()]
        return [
            "the codecs' floor per task (one thread, nothing but the codecs' work), % of one core:",
            *rows,
            f"  {'floor':<14} {self.total:6.2f} %  ({self.shared:.2f} % with inputs decoded once for all)",
            f"  {'ffmpeg':<14} {self.ffmpeg:6.2f} %  (its command line, same job, as fast as it goes)",
            f"  {'ffmpeg, tune':<14} {self.ffmpeg_lookahead:6.2f} %  (the same with x264's default tune:"
            " B-frames and lookahead, which a live mix's output does not have)",
        ]


class _Stages:
    """CPU seconds per named stage, charged as the loop moves from one to the next."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._mark = time.process_time()

    def charge(self, stage: str) -> None:
        now = time.process_time()
        self.seconds[stage] += now - self._mark
        self._mark = now


def measure(
    clips: tuple[Path, Path], task: Task, out: Path, *, seconds: float = 20, repeat: int = 3
) -> Floor:
    runs, ffmpeg, lookahead = [], [], []
    for _ in range(repeat):
        stages, media = _floor_run(clips, task, seconds)
        runs.append({stage: 100 * cpu / media for stage, cpu in stages.items()})
        ffmpeg.append(100 * _ffmpeg_cpu(clips, task, seconds, out / "floor_ffmpeg.flv") / seconds)
        slower = _ffmpeg_cpu(clips, task, seconds, out / "floor_ffmpeg.flv", zerolatency=False)
        lookahead.append(100 * slower / seconds)
    medians = {stage: statistics.median(run.get(stage, 0.0) for run in runs) for stage in runs[0]}
    return Floor(medians, statistics.median(ffmpeg), statistics.median(lookahead))


def ffmpeg_command(clips: tuple[Path, Path], task: Task, out: Path, *, paced: bool) -> list[str]:
    """FFmpeg's side of the standard task: both inputs looped (``-re`` when ``paced``), scaled to half the
    width and stacked, summed audio, x264 ``veryfast`` ``zerolatency`` and AAC into FLV."""
    width, height = task.size
    graph = (
        f"[0:v]scale={width // 2}:{height}[l];[1:v]scale={width // 2}:{height}[r];[l][r]hstack[v];"
        "[0:a][1:a]amix=inputs=2:normalize=0[a]"
    )
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-nostdin"]
    for clip in clips:
        command += [*(["-re"] if paced else []), "-stream_loop", "-1", "-i", str(clip)]
    rate = str(task.bitrate)
    return [
        *command,
        "-filter_complex", graph, "-map", "[v]", "-map", "[a]",
        "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency", "-b:v", rate,
        "-maxrate", rate, "-bufsize", rate, "-g", str(2 * task.fps), "-r", str(task.fps),
        "-c:a", "aac", "-b:a", "64k", "-f", "flv", str(out),
    ]  # fmt: skip


def _ffmpeg_cpu(
    clips: tuple[Path, Path], task: Task, seconds: float, out: Path, *, zerolatency: bool = True
) -> float:
    command = ffmpeg_command(clips, task, out, paced=False)
    if not zerolatency:
        at = command.index("-tune")
        del command[at : at + 2]
    process = subprocess.Popen([*command[:-1], "-t", str(seconds), command[-1]], stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(process.pid, 0)
    return usage.ru_utime + usage.ru_stime


def _x264(task: Task) -> av.VideoCodecContext:
    ctx = av.CodecContext.create("libx264", "w")
    ctx.width, ctx.height = task.size
    ctx.pix_fmt = "yuv420p"
    ctx.time_base = Fraction(1, task.fps)
    ctx.framerate = Fraction(task.fps)
    ctx.gop_size = 2 * task.fps
    ctx.bit_rate = task.bitrate
    ctx.thread_count = 1
    rate = str(task.bitrate)
    ctx.options = {
        "preset": "veryfast",
        "tune": "zerolatency",
        "sc_threshold": "0",
        "maxrate": rate,
        "bufsize": rate,
    }
    ctx.open()
    return ctx


def _aac() -> av.AudioCodecContext:
    ctx = av.CodecContext.create("aac", "w")
    ctx.sample_rate, ctx.layout, ctx.format = AUDIO_RATE, "stereo", "fltp"
    ctx.bit_rate = 64_000
    ctx.open()
    return ctx


def _floor_run(clips: tuple[Path, Path], task: Task, seconds: float) -> tuple[dict[str, float], float]:
    """``seconds`` of media through the floor's loop: CPU seconds per stage, and the media seconds made."""
    width, height = task.size
    if height % 4:
        raise ValueError(f"height {height}: the canvas below needs whole rows for each chroma plane")
    due = round(seconds * task.fps)
    stages = _Stages()
    video_out, audio_out = _x264(task), _aac()
    canvas = np.zeros((height * 3 // 2, width), dtype=np.uint8)  # yuv420p as PyAV lays it out: Y, U, V
    planes = (
        canvas[:height],
        canvas[height : height * 5 // 4].reshape(height // 2, width // 2),
        canvas[height * 5 // 4 :].reshape(height // 2, width // 2),
    )
    scalers = [VideoReformatter(), VideoReformatter()]
    made = 0
    while made < due:  # one round of the (looping) clips
        round_start = made
        with av.open(str(clips[0])) as left, av.open(str(clips[1])) as right:
            containers = (left, right)
            for container in containers:
                container.streams.video[0].thread_count = 1
            stages.charge("open")
            decoders = [c.decode(c.streams.video[0]) for c in containers]
            for frames in zip(*decoders, strict=False):
                stages.charge("decode video")
                halves = [
                    scaler.reformat(frame, width // 2, height, "yuv420p", interpolation="BILINEAR", threads=1)
                    for scaler, frame in zip(scalers, frames, strict=True)
                ]
                stages.charge("scale")
                for i, half in enumerate(halves):
                    for target, plane in zip(planes, half.planes, strict=True):
                        rows, columns = target.shape[0], target.shape[1] // 2
                        source = np.frombuffer(plane, np.uint8).reshape(rows, plane.line_size)[:, :columns]
                        target[:, i * columns : (i + 1) * columns] = source
                picture = av.VideoFrame.from_ndarray(canvas, format="yuv420p")
                picture.pts = made
                stages.charge("compose")
                video_out.encode(picture)
                stages.charge("x264")
                made += 1
                if made >= due:
                    break
            _audio_round(containers, audio_out, (made - round_start) / task.fps, stages)
    video_out.encode(None)
    stages.charge("x264")
    return dict(stages.seconds), made / task.fps


def _audio_round(
    containers: tuple[InputContainer, InputContainer],
    encoder: av.AudioCodecContext,
    seconds: float,
    stages: _Stages,
) -> None:
    """Decode both tracks for ``seconds``, sum them and encode AAC (the clips' 44.1 kHz stereo as it is)."""
    tracks = []
    for container in containers:
        container.seek(0)
        chunks, length = [], 0
        for frame in container.decode(container.streams.audio[0]):
            chunks.append(frame.to_ndarray())
            length += frame.samples
            if length >= seconds * AUDIO_RATE:
                break
        tracks.append(np.concatenate(chunks, axis=1))
    stages.charge("decode audio")
    size = min(min(track.shape[1] for track in tracks), int(seconds * AUDIO_RATE))
    mixed = (tracks[0][:, :size] + tracks[1][:, :size]).astype(np.float32)
    stages.charge("mix audio")
    for start in range(0, size - AUDIO_FRAME + 1, AUDIO_FRAME):
        chunk = np.ascontiguousarray(mixed[:, start : start + AUDIO_FRAME])
        frame = av.AudioFrame.from_ndarray(chunk, "fltp", "stereo")
        frame.sample_rate, frame.pts = AUDIO_RATE, start
        encoder.encode(frame)
    stages.charge("aac")
