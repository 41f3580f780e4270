"""Benchmark: the emulator's offline render against the FFmpeg command line on the same 2x2 composite.

    python -m bench.composite [--seconds 10] [--size 1280x720] [--fps 30] [--repeat 5] [--skip-ci]

Four H.264+AAC inputs (moving bars, a different tone each) are written to bench/out/ once. Then each side
runs in its own process, so its wall time, CPU time (user+sys) and peak memory are the child's alone
(``os.wait4``):
(a) ``python -m emulator render`` of a MixJob putting the four inputs in a 2x2 grid: a whole process,
    interpreter start-up and imports included;
(b) the same render timed inside a process that has loaded the engine already (``bench/in_process.py``), as
    a running emulator or the pytest plugin runs a fast-mode task;
(c) ``ffmpeg`` with scale (the compositor's interpolation and chroma siting, so both sides compose the same
    pixels) + xstack + amix and the same encoder settings (libx264 veryfast, same bitrate, GOP and scene-cut
    setting, AAC); the x264 settings the outputs record are compared.
Each side runs ``--repeat`` times, the order rotating every round; the table gives the medians and the
median of the per-round ratios to FFmpeg (a round's runs see the same load). The target is a wall-time
ratio of at most 1.0. A CI-sized job (two 320x180 inputs, 5 s) is then rendered in this process and timed.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg

from emulator.core.job import AudioSpec, Canvas, Layer, MixJob, Output, Rect, VideoSpec
from emulator.media.clips import write_clip
from emulator.media.placement import INTERPOLATION
from emulator.render import MappingResolver, render

OUT = Path(__file__).resolve().parent / "out"
PACKAGE = Path(__file__).resolve().parent.parent / "emulator"
TONES = (440, 550, 660, 770)
VIDEO_BITRATE = 2_000_000
AUDIO_BITRATE = 128_000
AUDIO_RATE = 44100
GOP_SECONDS = 2.0
PRESET = "veryfast"


RENDER, IN_PROCESS, FFMPEG = "render command", "in process", "ffmpeg"
IMPORTS = "python + import av, numpy"


@dataclass
class Measure:
    name: str
    wall: float
    cpu: float
    peak_mb: float
    stdout: str = ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.composite", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the inputs (default 10)")
    parser.add_argument("--size", default="1280x720", help="input and output size WxH (default 1280x720)")
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5, help="rounds, medians reported (default 5)")
    parser.add_argument("--skip-ci", action="store_true", help="skip the small CI-sized job")
    parser.add_argument(
        "--out", type=Path, default=OUT, help="where inputs and outputs go (default bench/out)"
    )
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    args.out.mkdir(parents=True, exist_ok=True)

    inputs = make_inputs(args.out, (width, height), args.fps, args.seconds)
    job = grid_job(len(inputs), (width, height), args.fps)
    # Byte-compile the emulator as installing it would: with PYTHONDONTWRITEBYTECODE set (as in some
    # sandboxes) every start would otherwise compile its modules again (~0.05 s).
    compileall.compile_dir(PACKAGE, quiet=1)
    load = os.getloadavg()[0]
    request = args.out / "job.json"
    request.write_text(json.dumps(job.to_dict()))
    sides = {
        RENDER: lambda: run_emulator(args.out, request, inputs),
        IN_PROCESS: lambda: run_in_process(args.out, request, inputs),
        FFMPEG: lambda: run_ffmpeg(args.out, inputs, (width, height), args.fps),
    }
    runs = rotated(sides, args.repeat)
    print(f"\n2x2 composite, {width}x{height} {args.fps} fps, {args.seconds:g} s inputs, x264 {PRESET}")
    print(f"load average (1 min) {load:.2f} before, {os.getloadavg()[0]:.2f} after; wall times of all runs: ")
    for name, measures in runs.items():
        print(f"  {name:<15}" + " ".join(f"{m.wall:.2f}" for m in measures))
    print(table(runs))
    print(x264_settings(*(args.out / f"{name}.mp4" for name in ("emulator", "in_process", "ffmpeg"))))
    one_frame = {
        RENDER: lambda: run_emulator(args.out, request, inputs, duration=1 / args.fps),
        FFMPEG: lambda: run_ffmpeg(args.out, inputs, (width, height), args.fps, frames=1),
        IMPORTS: lambda: measure(IMPORTS, [sys.executable, "-c", "import av, numpy"]),
    }
    startup = rotated(one_frame, args.repeat)
    walls = {name: statistics.median(m.wall for m in measures) for name, measures in startup.items()}
    print("\none output frame (start-up and finish only), median wall s:")
    print("  " + ", ".join(f"{name} {wall:.2f}" for name, wall in walls.items()))
    if not args.skip_ci:
        ci = run_ci_job(args.out)
        print(
            f"\nCI-sized job (two 320x180 inputs, 5 s, in process): {ci.wall:.2f} s wall, {ci.cpu:.2f} s CPU"
        )
    return 0


def rotated(sides: dict[str, Callable[[], Measure]], rounds: int) -> dict[str, list[Measure]]:
    """Run every side ``rounds`` times, who goes first rotating: load from elsewhere hits all alike."""
    runs: dict[str, list[Measure]] = {name: [] for name in sides}
    names = list(sides)
    for i in range(max(1, rounds)):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            runs[name].append(sides[name]())
    return runs


def make_inputs(folder: Path, size: tuple[int, int], fps: int, seconds: float) -> list[Path]:
    """The four inputs, written once per size/fps/length (kept in bench/out for the next run)."""
    paths = []
    for tone in TONES:
        path = folder / f"input_{size[0]}x{size[1]}_{fps}fps_{seconds:g}s_{tone}hz.mp4"
        if not path.exists():
            print(f"writing {path.name}", file=sys.stderr)
            partial = path.with_name(f".{path.name}.part.mp4")
            write_clip(partial, size=size, fps=fps, duration=seconds, tone_hz=tone, audio_rate=AUDIO_RATE)
            partial.rename(path)
        paths.append(path)
    return paths


def grid_job(count: int, size: tuple[int, int], fps: int) -> MixJob:
    """``count`` inputs (up to 4) in a 2x2 grid on a canvas of ``size``."""
    width, height = size
    cell_w, cell_h = width // 2, height // 2
    layers = [
        Layer(f"in{i}", f"stream:in{i}", rect=Rect((i % 2) * cell_w, (i // 2) * cell_h, cell_w, cell_h))
        for i in range(count)
    ]
    video = VideoSpec(fps=fps, bitrate=VIDEO_BITRATE, gop_seconds=GOP_SECONDS, preset=PRESET)
    audio = AudioSpec(sample_rate=AUDIO_RATE, channels=2, bitrate=AUDIO_BITRATE)
    return MixJob(Canvas(width, height), layers, [Output("bench", video, audio)])


def run_emulator(
    folder: Path, request: Path, inputs: list[Path], *, duration: float | None = None
) -> Measure:
    """``python -m emulator render``; ``duration``: only that many media seconds (``--duration``)."""
    out = folder / ("emulator.mp4" if duration is None else "emulator_frames.mp4")
    command = [sys.executable, "-m", "emulator", "render", str(request), "-o", str(out)]
    command += [arg for stream in streams(inputs) for arg in ("--stream", stream)]
    if duration is not None:
        command += ["--duration", str(duration)]
    return measure(RENDER, command)


def run_in_process(folder: Path, request: Path, inputs: list[Path]) -> Measure:
    """The render's own wall and CPU time, as the child reports them; its peak memory (the whole child's)."""
    command = [sys.executable, "-m", "bench.in_process", str(request), str(folder / "in_process.mp4")]
    whole = measure(IN_PROCESS, command + streams(inputs), capture=True)
    timed = json.loads(whole.stdout)
    return Measure(IN_PROCESS, timed["wall"], timed["cpu"], whole.peak_mb)


def streams(inputs: list[Path]) -> list[str]:
    return [f"in{i}={path}" for i, path in enumerate(inputs)]


def run_ffmpeg(
    folder: Path,
    inputs: list[Path],
    size: tuple[int, int],
    fps: int,
    *,
    frames: int | None = None,
    encoder: list[str] | None = None,
    name: str = "ffmpeg",
) -> Measure:
    """The FFmpeg command line; ``frames``: only that many output frames; ``encoder``: video encoder
    arguments instead of x264's (bench/codecs.py), ``name``: of the output file."""
    cell = f"{size[0] // 2}:{size[1] // 2}"
    n = len(inputs)
    # The compositor's scaling: same algorithm, and H.264's (left) chroma siting as PyAV's swscale takes it,
    # so both sides compose the very same pixels and x264 gets the same work.
    scale = f"scale={cell}:flags={INTERPOLATION.lower()}:in_chroma_loc=left:out_chroma_loc=left"
    scales = ";".join(f"[{i}:v]{scale}[v{i}]" for i in range(n))
    stack = "".join(f"[v{i}]" for i in range(n)) + f"xstack=inputs={n}:layout=0_0|w0_0|0_h0|w0_h0[v]"
    mix = "".join(f"[{i}:a]" for i in range(n)) + f"amix=inputs={n}:normalize=0[a]"
    gop = str(round(GOP_SECONDS * fps))
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-nostdin"]
    for path in inputs:
        command += ["-i", str(path)]
    command += [
        "-filter_complex", f"{scales};{stack};{mix}", "-map", "[v]", "-map", "[a]",
        *(encoder or ["-c:v", "libx264", "-preset", PRESET, "-sc_threshold", "0"]),
        "-b:v", str(VIDEO_BITRATE), "-maxrate", str(VIDEO_BITRATE), "-bufsize", str(VIDEO_BITRATE), "-g", gop,
        "-r", str(fps), "-pix_fmt", "yuv420p",
        "-c:a", "aac", "-b:a", str(AUDIO_BITRATE), "-ar", str(AUDIO_RATE), "-ac", "2",
        *(["-frames:v", str(frames)] if frames else []),
        "-movflags", "+faststart", str(folder / (f"{name}.mp4" if frames is None else f"{name}_frames.mp4")),
    ]  # fmt: skip
    return measure(FFMPEG, command)


def measure(name: str, command: list[str], *, capture: bool = False) -> Measure:
    """Run a command; its own wall time, CPU time and peak RSS (from wait4, so no other child counts)."""
    started = time.perf_counter()
    output = subprocess.PIPE if capture else subprocess.DEVNULL
    child = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output)
    stdout = child.stdout.read().decode() if child.stdout else ""  # a line of JSON at the end: no deadlock
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4: tell Popen
    if child.stdout:
        child.stdout.close()
    if child.returncode != 0:
        raise SystemExit(f"{name} failed with exit code {child.returncode}: {' '.join(command)}")
    return Measure(name, wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, stdout)


def run_ci_job(folder: Path) -> Measure:
    """Two 320x180 inputs side by side for 5 s, rendered in this process (what a CI test would do)."""
    inputs = [folder / f"ci_{i}.mp4" for i in range(2)]
    for path, tone in zip(inputs, TONES, strict=False):
        if not path.exists():
            write_clip(path, size=(320, 180), fps=25, duration=5.0, tone_hz=tone)
    layers = [Layer(f"in{i}", f"stream:in{i}", rect=Rect(i * 160, 0, 160, 90)) for i in range(2)]
    video = VideoSpec(fps=25, bitrate=300_000, preset=PRESET)
    job = MixJob(Canvas(320, 90), layers, [Output("ci", video, AudioSpec())])
    resolver = MappingResolver({f"in{i}": str(path) for i, path in enumerate(inputs)}, {})
    before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    render(job, folder / "ci.mp4", resolver)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Measure("ci", wall, cpu, after.ru_maxrss / 1024)


def table(runs: dict[str, list[Measure]]) -> str:
    """Medians per side, and per emulator side the median of its per-round ratios to FFmpeg (each round's
    runs share its load)."""
    keys = ("wall", "cpu", "peak_mb")
    title = f"median of {len(runs[FFMPEG])} runs"
    lines = [f"{title:<26}{'wall s':>10}{'CPU s':>10}{'peak MB':>10}"]
    for name, ms in runs.items():
        wall, cpu, peak = (statistics.median(getattr(m, key) for m in ms) for key in keys)
        lines.append(f"{name:<26}{wall:>10.2f}{cpu:>10.2f}{peak:>10.0f}")
    for name in (RENDER, IN_PROCESS):
        pairs = list(zip(runs[name], runs[FFMPEG], strict=True))
        ratios = [statistics.median(getattr(e, key) / getattr(f, key) for e, f in pairs) for key in keys]
        lines.append(f"{name + '/ffmpeg':<26}" + "".join(f"{r:>9.2f}x" for r in ratios))
    return "\n".join(lines)


def x264_settings(*outputs: Path) -> str:
    """Whether the x264 settings each output records (its SEI) are the same."""
    found = []
    for path in outputs:
        data = path.read_bytes()
        start = data.find(b"x264 - core")
        found.append(data[start : data.find(b"\x00", start)].split(b" - ", 3)[-1] if start >= 0 else b"")
    if found[0] and all(settings == found[0] for settings in found):
        return "x264 settings of all outputs: identical"
    return "x264 settings DIFFER: " + " | ".join(settings.decode(errors="replace") for settings in found)


if __name__ == "__main__":
    raise SystemExit(main())
