"""Realtime capacity: how many live mixes the emulator holds at >= 0.95x realtime against N FFmpeg processes
doing the same composite, plus StartMix latency and glass-to-glass delay through a mix (issue 12).

The standard task: two 640x360 15 fps H.264+AAC inputs, composed side by side into 640x360 15 fps H.264
(x264 veryfast, 800 kb/s, 2 s GOP) plus AAC, started with ZEGO StartMix against ``mix-emulator serve`` in a
child process (media workers: one per core, the default). FFmpeg's side: N processes of the imageio-ffmpeg
binary, each reading its two inputs with ``-re`` (looped) and writing FLV.

A size N holds when every task made at least HOLD x realtime of media over WINDOW_S seconds (after WARM_S).
Sizes are tried upwards (``--steps``) until one fails. Printed: the largest N each side holds, their ratio,
CPU (share of one core) and RSS per task at that N, the same for the emulator with every task sharing two
inputs pushed over RTMP, StartMix p99 at about half the capacity, and glass-to-glass delay: frames that
carry their send time (wall clock ms, drawn as 32 black/white blocks) pushed over RTMP and read back from
``/live/<out>.flv`` of a mix showing them, against the pushed stream played directly.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from bench.floor import Floor, Task, ffmpeg_command, measure
from bench.load import percentile
from bench.process import serve
from emulator.client import ControlClient
from emulator.kit.signed_zego import ZegoRtc
from emulator.media.clips import write_clip

SIZE, FPS = (640, 360), 15
BITRATE = 800_000
TASK = Task(SIZE, FPS, BITRATE)
HOLD = 0.95
WARM_S, WINDOW_S = 4.0, 20.0
STEPS = "4,8,12,16,20,24,28,32,36,40,48"
TICKS = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")
BITS, BLOCK = 32, 20  # glass-to-glass: the send time's bits, drawn as BLOCK-pixel squares in a row


@dataclass
class Trial:
    n: int
    slowest: float  # the lowest realtime factor of the N tasks over the window
    cpu: float  # cores busy (1.0 = one core) over the window
    made: float  # media seconds the N tasks made per wall second, together
    rss: int  # bytes, all processes of the side
    start_ms: list[float]

    @property
    def held(self) -> bool:
        return self.slowest >= HOLD

    @property
    def cpu_per_task_second(self) -> float:
        """CPU seconds per second of media one task made: what load from elsewhere changes least."""
        return self.cpu / self.made if self.made > 0 else float("nan")

    def line(self, side: str) -> str:
        return (
            f"{side:>22} N={self.n:3d}  slowest {self.slowest:5.2f}x  "
            f"CPU {100 * self.cpu / self.n:4.1f} %/task ({100 * self.cpu:5.1f} % total, "
            f"{100 * self.cpu_per_task_second:4.2f} % per task-second)  "
            f"RSS {self.rss / self.n / 1e6:5.1f} MB/task  {'holds' if self.held else 'FAILS'}"
        )


# ----- process accounting
def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / TICKS
    return total


def rss_bytes(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE
    return total


def with_children(pid: int) -> list[int]:
    pids = [pid]
    with contextlib.suppress(OSError):
        for task in os.listdir(f"/proc/{pid}/task"):
            pids += [int(c) for c in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
    return pids


# ----- the machine
def _spin(seconds: float) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        pass


def available_cores(seconds: float = 3.0) -> float:
    """Cores this bench can get now: one busy process per core for ``seconds``, their CPU time measured
    (a shared machine's other jobs, or a CPU quota, take the rest)."""
    import multiprocessing

    before = os.times()
    started = time.monotonic()
    spinners = [multiprocessing.Process(target=_spin, args=(seconds,)) for _ in range(os.cpu_count() or 1)]
    for spinner in spinners:
        spinner.start()
    for spinner in spinners:
        spinner.join()
    after = os.times()
    used = after.children_user + after.children_system - before.children_user - before.children_system
    return used / (time.monotonic() - started)


# ----- inputs
def make_inputs(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, tone in (("left", 440), ("right", 660)):
        path = folder / f"rt_{name}_{SIZE[0]}x{SIZE[1]}_{FPS}.mp4"
        if not path.exists():
            write_clip(path, size=SIZE, fps=FPS, duration=10.0, tone_hz=tone, gop=2 * FPS)
        paths.append(path)
    return paths[0], paths[1]


def own_copy(clip: Path, i: int) -> Path:
    """A hard link of ``clip`` for task ``i``: the emulator decodes a file once for every live mix of a
    worker that shows it (media/sources/shared_file.py), so distinct inputs need distinct files."""
    link = clip.with_name(f"{clip.stem}_{i}{clip.suffix}")
    if not link.exists():
        os.link(clip, link)
    return link


def start_body(task: str, inputs: tuple[str, str], output: str) -> dict:
    w, h = SIZE
    return {
        "TaskId": task,
        "UserId": "bench",
        "MixInput": [
            {"StreamId": inputs[0], "RectInfo": {"Left": 0, "Top": 0, "Right": w // 2, "Bottom": h}},
            {"StreamId": inputs[1], "RectInfo": {"Left": w // 2, "Top": 0, "Right": w, "Bottom": h}},
        ],
        "MixOutput": [{"StreamId": output, "Width": w, "Height": h, "Fps": FPS, "Bitrate": BITRATE}],
    }


# ----- the emulator's side
def emulator_trial(
    url: str, server_pid: int, n: int, inputs: list[tuple[str, str]], tag: str, window: float
) -> Trial:
    zego, control = ZegoRtc(url), ControlClient(url)
    started: list[float] = []
    ids = [f"{tag}{n}_{i}" for i in range(n)]
    for i, task in enumerate(ids):
        begin = time.perf_counter()
        answer = zego.call("StartMix", start_body(task, inputs[i % len(inputs)], f"out_{task}"))
        started.append((time.perf_counter() - begin) * 1000)
        assert answer.get("Code") == 0, dict(answer)
    try:
        time.sleep(WARM_S)
        pids = with_children(server_pid)
        first, cpu0, wall0 = media_times(control), cpu_seconds(pids), time.monotonic()
        time.sleep(window)
        last, cpu1, wall1 = media_times(control), cpu_seconds(pids), time.monotonic()
        factors = [(last.get(t, 0.0) - first.get(t, 0.0)) / (wall1 - wall0) for t in first]
        slowest = min(factors) if len(factors) == n else 0.0
        cpu = (cpu1 - cpu0) / (wall1 - wall0)
        return Trial(n, slowest, cpu, sum(factors), rss_bytes(pids), started)
    finally:
        for task in ids:
            zego.call("StopMix", {"TaskId": task, "UserId": "bench"})
        wait_idle(control)


def media_times(control: ControlClient) -> dict[str, float]:
    return {t["id"]: t["media_time"] for t in control.tasks(state="running")}


def wait_idle(control: ControlClient, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while any(t["state"] in ("starting", "running", "stopping") for t in control.tasks()):
        if time.monotonic() > deadline:
            raise RuntimeError("tasks did not stop")
        time.sleep(0.2)


@contextlib.contextmanager
def pushed(rtmp: str, clips: tuple[Path, Path], names: tuple[str, str]) -> Iterator[None]:
    """Two anchors pushing the clips (looped) over RTMP, as the shared inputs."""
    children = [
        subprocess.Popen(
            [sys.executable, "-m", "emulator", "push", str(clip), f"{rtmp}/{name}", "--until-stdin-closes"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for clip, name in zip(clips, names, strict=True)
    ]
    try:
        time.sleep(2.0)
        yield
    finally:
        for child in children:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.communicate(b"", timeout=10)
            if child.poll() is None:
                child.kill()
                child.wait()


# ----- FFmpeg's side
def ffmpeg_trial(folder: Path, n: int, clips: tuple[Path, Path], window: float) -> Trial:
    processes, progress = [], []
    for i in range(n):
        report = folder / f"ffmpeg_{i}.progress"
        report.write_text("")
        command = [
            *ffmpeg_command(clips, TASK, folder / f"ffmpeg_{i}.flv", paced=True),
            "-progress",
            str(report),
        ]
        processes.append(subprocess.Popen(command, stderr=subprocess.DEVNULL))
        progress.append(report)
    try:
        time.sleep(WARM_S)
        pids = [p.pid for p in processes]
        first, cpu0, wall0 = [out_time(r) for r in progress], cpu_seconds(pids), time.monotonic()
        time.sleep(window)
        last, cpu1, wall1 = [out_time(r) for r in progress], cpu_seconds(pids), time.monotonic()
        rss = rss_bytes(pids)
        factors = [(b - a) / (wall1 - wall0) for a, b in zip(first, last, strict=True)]
        return Trial(n, min(factors), (cpu1 - cpu0) / (wall1 - wall0), sum(factors), rss, [])
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for path in folder.glob("ffmpeg_*"):
            path.unlink()


def out_time(report: Path) -> float:
    """The latest ``out_time_us`` FFmpeg's -progress wrote, in seconds."""
    times = [
        line.split("=", 1)[1] for line in report.read_text().splitlines() if line.startswith("out_time_us=")
    ]
    return int(times[-1]) / 1e6 if times and times[-1].strip().lstrip("-").isdigit() else 0.0


# ----- glass to glass
def stamp(frame: np.ndarray, ms: int) -> None:
    for bit in range(BITS):
        value = 235 if ms >> bit & 1 else 16
        frame[0:BLOCK, bit * BLOCK : (bit + 1) * BLOCK] = value


def read_stamp(frame: av.VideoFrame) -> int:
    luma = frame.to_ndarray(format="gray")
    ms = 0
    for bit in range(BITS):
        if luma[BLOCK // 2, bit * BLOCK + BLOCK // 2] > 128:
            ms |= 1 << bit
    return ms


def send_stamped(url: str, stop: threading.Event) -> None:
    """Push frames carrying their send time over RTMP (640x360, FPS, x264 ultrafast zerolatency)."""
    from emulator.media.rtmp.client import RtmpPublisher

    publisher = RtmpPublisher(url)
    container = av.open(publisher, "w", format="flv", options={"flush_packets": "1"})
    stream = container.add_stream("libx264", rate=FPS)
    stream.width, stream.height, stream.pix_fmt = SIZE[0], SIZE[1], "yuv420p"
    stream.codec_context.options = {"preset": "ultrafast", "tune": "zerolatency", "g": str(FPS)}
    stream.codec_context.time_base = Fraction(1, 1000)
    plane = np.full((SIZE[1] * 3 // 2, SIZE[0]), 128, np.uint8)
    origin = time.monotonic()
    k = 0
    try:
        while not stop.is_set():
            delay = origin + k / FPS - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            now_ms = int(time.time() * 1000) & 0xFFFFFFFF
            stamp(plane, now_ms)
            frame = av.VideoFrame.from_ndarray(plane, format="yuv420p")
            frame.pts, frame.time_base = round((time.monotonic() - origin) * 1000), Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
            k += 1
    finally:
        container.close()
        publisher.close()


def delays(url: str, seconds: float) -> list[float]:
    """Read ``url`` (HTTP-FLV) and return each frame's delay from its send time, ms."""
    out: list[float] = []
    options = {"probesize": "32768", "analyzeduration": "0", "fflags": "nobuffer"}
    with av.open(url, options=options, timeout=5) as player:
        end = time.monotonic() + seconds
        for frame in player.decode(video=0):
            now_ms = int(time.time() * 1000) & 0xFFFFFFFF
            out.append((now_ms - read_stamp(frame)) & 0xFFFFFFFF)
            if time.monotonic() > end:
                break
    return out[FPS:]  # the first second: the player catching up with the GOP it joined at


def glass_to_glass(url: str, rtmp: str) -> tuple[float, float]:
    """Median delay (ms) of the pushed stream played directly, and through a mix showing it whole."""
    stop = threading.Event()
    sender = threading.Thread(target=send_stamped, args=(f"{rtmp}/g2g_in", stop), daemon=True)
    sender.start()
    zego = ZegoRtc(url)
    try:
        time.sleep(2.0)
        direct = delays(f"{url}/live/g2g_in.flv", 6.0)
        w, h = SIZE
        body = {
            "TaskId": "g2g",
            "UserId": "bench",
            "MixInput": [{"StreamId": "g2g_in", "RectInfo": {"Left": 0, "Top": 0, "Right": w, "Bottom": h}}],
            "MixOutput": [{"StreamId": "g2g_out", "Width": w, "Height": h, "Fps": FPS, "Bitrate": BITRATE}],
        }
        assert zego.call("StartMix", body).get("Code") == 0
        time.sleep(2.0)
        mixed = delays(f"{url}/live/g2g_out.flv", 8.0)
        zego.call("StopMix", {"TaskId": "g2g", "UserId": "bench"})
    finally:
        stop.set()
        sender.join(10)
    return statistics.median(direct), statistics.median(mixed)


# ----- the run
def capacity(sides: dict[str, Callable[[int], Trial]], steps: list[int]) -> dict[str, list[Trial]]:
    """Each side's trials, the sides taking turns at every size (so they see the same load from elsewhere
    at about the same time); a side stops at its first size that fails."""
    trials: dict[str, list[Trial]] = {name: [] for name in sides}
    for n in steps:
        for name, run in sides.items():
            if trials[name] and not trials[name][-1].held:
                continue
            trial = run(n)
            trials[name].append(trial)
            print(trial.line(name), flush=True)
    return trials


def best(trials: list[Trial]) -> Trial | None:
    held = [t for t in trials if t.held]
    return held[-1] if held else None


def ceiling(floor: Floor, theirs: Trial | None) -> str:
    """The most tasks the machine's cores hold at the codecs' floor, on distinct and on shared inputs."""
    cores = 100 * (os.cpu_count() or 1)
    distinct, shared = cores / floor.total, cores / floor.shared
    ratios = f" ({distinct / theirs.n:.2f}x, {shared / theirs.n:.2f}x FFmpeg's N)" if theirs else ""
    label = "the most any implementation on these codecs holds: distinct, shared inputs"
    return f"| {label} | {distinct:.0f}, {shared:.0f}{ratios} | |"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.realtime", description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", default=STEPS, help=f"sizes tried, in order (default {STEPS})")
    parser.add_argument("--window", type=float, default=WINDOW_S, help="seconds each size must hold")
    parser.add_argument("--out", type=Path, default=Path("bench/out/realtime"))
    parser.add_argument("--skip-ffmpeg", action="store_true")
    parser.add_argument("--skip-shared", action="store_true")
    parser.add_argument(
        "--shared-published",
        action="store_true",
        help="also run every task sharing two control-API streams (published files, decoded once per worker)",
    )
    parser.add_argument("--skip-floor", action="store_true", help="skip the codecs' floor (bench/floor.py)")
    args = parser.parse_args(argv)
    window = args.window
    steps = [int(s) for s in args.steps.split(",")]
    data = args.out / "data"
    clips = make_inputs(data / "media")
    load, cores = os.getloadavg()[0], os.cpu_count()
    free = available_cores()
    print(f"before: load average {load:.2f}; {free:.2f} of {cores} cores free for us", flush=True)
    floor = None if args.skip_floor else measure(clips, TASK, args.out)
    if floor:
        print("\n".join(floor.lines()), flush=True)

    # No admission limit: the bench looks for the size where mixes fall behind.
    folder = args.out / "ffmpeg"
    folder.mkdir(parents=True, exist_ok=True)
    with serve(data, "--rtmp-port", "0", "--auth", "off", "--max-tasks", "1000") as (server, url):
        control = ControlClient(url)
        rtmp = control.health()["rtmp"]
        per_task = []
        for i in range(max(steps)):
            for side, clip in zip("ab", clips, strict=True):
                control.publish(f"{side}{i}", str(own_copy(clip, i)))
            per_task.append((f"a{i}", f"b{i}"))
        sides: dict[str, Callable[[int], Trial]] = {
            "emulator": lambda n: emulator_trial(url, server.pid, n, per_task, "d", window)
        }
        if not args.skip_shared:
            sides["emulator, shared inputs"] = lambda n: emulator_trial(
                url, server.pid, n, [("sa", "sb")], "s", window
            )
        if args.shared_published:
            sides["emulator, shared published"] = lambda n: emulator_trial(
                url, server.pid, n, [("a0", "b0")], "p", window
            )
        if not args.skip_ffmpeg:
            sides["ffmpeg"] = lambda n: ffmpeg_trial(folder, n, clips, window)
        # The two anchors of the shared inputs push throughout (a little CPU for every side alike).
        with pushed(rtmp, clips, ("sa", "sb")) if not args.skip_shared else contextlib.nullcontext():
            trials = capacity(sides, steps)
        names = ("emulator", "emulator, shared inputs", "ffmpeg")
        ours, shared, theirs = (best(trials.get(name, [])) for name in names)
        half = (ours.n if ours else steps[0]) // 2
        near = min(trials["emulator"], key=lambda t: abs(t.n - half))
        direct_ms, mixed_ms = glass_to_glass(url, rtmp)

    print()
    print("| | the emulator | FFmpeg |\n|---|---:|---:|")
    print(f"| N held >= {HOLD}x for {window:g} s | {ours.n if ours else 0} | {theirs.n if theirs else '-'} |")
    if ours and theirs:
        print(f"| ratio | {ours.n / theirs.n:.2f}x | |")
        print(
            f"| CPU per task at N | {100 * ours.cpu / ours.n:.1f} % | {100 * theirs.cpu / theirs.n:.1f} % |"
        )
        print(
            f"| CPU per task-second at N | {100 * ours.cpu_per_task_second:.2f} % "
            f"| {100 * theirs.cpu_per_task_second:.2f} % |"
        )
        print(
            f"| RSS per task at N | {ours.rss / ours.n / 1e6:.0f} MB | {theirs.rss / theirs.n / 1e6:.0f} MB |"
        )
    if shared:
        ratio = f" ({shared.n / theirs.n:.2f}x FFmpeg's)" if theirs else ""
        print(f"| N held, every task sharing two pushed inputs | {shared.n}{ratio} | |")
    if published := best(trials.get("emulator, shared published", [])):
        ratio = f" ({published.n / theirs.n:.2f}x FFmpeg's)" if theirs else ""
        print(f"| N held, every task sharing two published inputs | {published.n}{ratio} | |")
    if floor:
        print(ceiling(floor, theirs))
    print(f"| StartMix p99 while reaching N={near.n} | {percentile(near.start_ms, 0.99):.1f} ms | |")
    print(f"| glass-to-glass through a mix (median) | {mixed_ms:.0f} ms | |")
    print(f"| the pushed stream played directly (median) | {direct_ms:.0f} ms | |")
    print(f"after: load average {os.getloadavg()[0]:.2f}; {available_cores():.2f} cores free for us")
    return 0


if __name__ == "__main__":
    sys.exit(main())
