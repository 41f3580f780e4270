"""Start/stop soak: many mixes started and stopped through the providers' signed HTTP APIs, in realtime and
fast mode, then the process's OS threads, open file descriptors and RSS compared with where they began.

    python -m bench.soak [--cycles 1000] [--keep-gc]

Cycle i starts and stops a mix of provider i % 3 (ZEGO StartMix/StopMix, Tencent Mix_StreamV2
start/cancel, Volcengine CreateCloudMixTask/DeleteCloudMixTask) in mode i % 2 (realtime, fast). Each
provider and mode has an in-process emulator of its own: Tencent's cancel must wait 5 s after the start on
the emulator clock, which the soak advances, and the other providers' signatures stay on the wall clock.
Each mix composes two published 160x90 10 fps inputs and runs until it has encoded a frame. The garbage
collector is off while the cycles run (``--keep-gc`` leaves it on): what a stopped task holds must be
released by the task itself. At the end every emulator is reset (which empties the request journal and the
finished-task records, bounded but full by then) and the usage measured again: the server process's, and
the RSS of each media worker (the mixes run there: ``media_workers``, one process per core by default).
``tests/test_soak.py`` runs the same cycles, fewer of them.
"""

from __future__ import annotations

import argparse
import gc
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.signed import SignedClients, expect_ok
from emulator.config import Settings
from emulator.server import EmulatorThread

PROVIDERS = ("zego", "tencent", "volcengine")
MODES = ("realtime", "fast")
INPUTS = ("soak_a", "soak_b")
FRAME_WAIT_S = 60.0  # a worker imports the media engine at its first task: 12 at once took 20 s on a busy VM
SETTLE_S = 15.0  # the longest the stopped tasks may take to close their files at the end
WARM_UP = 6  # cycles (and one burst of concurrent stops) before the baseline: imports, pools, caches


@dataclass(frozen=True)
class Usage:
    """What the process holds: OS threads (every thread, FFmpeg's included), fds, resident memory, the
    memory blocks Python has handed out and not had back (its live objects); and which threads and fds they
    are, so what a run left behind can be told from what other parts of the process (a test session's
    emulator) start or end meanwhile."""

    threads: int
    fds: int
    rss_mb: float
    blocks: int = field(default=0, compare=False)
    thread_ids: frozenset[str] = field(default=frozenset(), repr=False, compare=False)
    fd_targets: frozenset[tuple[str, str]] = field(default=frozenset(), repr=False, compare=False)

    @classmethod
    def now(cls) -> Usage:
        rss_mb = process_rss_mb("self")
        tids = frozenset(os.listdir("/proc/self/task"))
        fds = frozenset((fd, target) for fd in os.listdir("/proc/self/fd") if (target := _target(fd)))
        return cls(len(tids), len(fds), rss_mb, sys.getallocatedblocks(), tids, fds)

    def threads_since(self, baseline: Usage) -> int:
        """Threads alive now that were started after ``baseline``."""
        return len(self.thread_ids - baseline.thread_ids)

    def new_threads(self, baseline: Usage) -> list[str]:
        """The threads started after ``baseline`` and still alive, by name: a failure says whose they are."""
        python = {str(thread.native_id): thread.name for thread in threading.enumerate()}
        names = []
        for tid in sorted(self.thread_ids - baseline.thread_ids):
            try:
                comm = Path(f"/proc/self/task/{tid}/comm").read_text().strip()
            except OSError:
                comm = "ended"
            names.append(f"{python.get(tid, 'not a Python thread')} ({comm})")
        return names

    def fds_since(self, baseline: Usage) -> int:
        """Fds open now that were opened (or reused for something else) after ``baseline``."""
        return len(self.fd_targets - baseline.fd_targets)

    @classmethod
    def settled(cls, baseline: Usage, timeout: float = 10.0) -> Usage:
        """The usage once no thread or fd newer than ``baseline`` is left, or ``timeout`` has passed: the
        OS thread of a joined Python thread ends a moment after ``join`` returns, and a stop's thread a
        moment after it answered (on a loaded CI machine that moment passed 1 s once)."""
        deadline = time.monotonic() + timeout
        while True:
            usage = cls.now()
            back = not usage.threads_since(baseline) and not usage.fds_since(baseline)
            if back or time.monotonic() > deadline:
                return usage
            time.sleep(0.01)

    def __str__(self) -> str:
        memory = f"RSS {self.rss_mb:.1f} MB, Python blocks {self.blocks:,}"
        return f"threads {self.threads}, fds {self.fds}, {memory}"


def process_rss_mb(pid: int | str) -> float:
    """A process's resident memory (``/proc/<pid>/status``), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")) / 1024


def _target(fd: str) -> str:
    try:
        return os.readlink(f"/proc/self/fd/{fd}")
    except OSError:  # closed meanwhile (listdir's own fd among them)
        return ""


class Soak:
    """The emulators (one per provider and mode) and their clients; :meth:`cycle` runs one start/stop."""

    def __init__(self, data_dir: Path, *, size: tuple[int, int] = (160, 90), fps: int = 10) -> None:
        self.emulators: list[EmulatorThread] = []
        self.clients: dict[tuple[str, str], SignedClients] = {}
        self._count = 0
        self.size = size
        for provider in PROVIDERS:
            for mode in MODES:
                folder = data_dir / f"{provider}-{mode}"
                settings = Settings(port=0, rtmp_port=None, data_dir=folder, media_mode=mode)
                settings.recordings_keep = 20  # a recording per cycle: the retention keeps the folder small
                emulator = EmulatorThread(settings).start()
                self.emulators.append(emulator)
                self.clients[provider, mode] = SignedClients(emulator.url, size=size, fps=fps)
        self.reset()

    def reset(self) -> None:
        """``POST /_emulator/reset`` on every emulator (it releases all tasks held), then the inputs again."""
        w, h = self.size
        for (provider, _), client in self.clients.items():
            client.control.reset()
            for stream, color in zip(INPUTS, ("#ff0000", "#0000ff"), strict=True):
                source = f"pattern:color?color={color}&size={w}x{h}&tone=440"
                client.control.publish(stream, source)
            if provider == "tencent":
                client.control.advance_clock(6)  # the 5 s push rule

    def worker_rss(self) -> dict[str, float]:
        """Each media worker's RSS (MB), by emulator and pid: the tasks run there, not in the server."""
        rss = {}
        for emulator, (provider, mode) in zip(self.emulators, self.clients, strict=True):
            for pid in emulator.ctx.workers.pids() if emulator.ctx.workers is not None else ():
                rss[f"{provider}-{mode} worker {pid}"] = process_rss_mb(pid)
        return rss

    def close(self) -> None:
        for emulator in self.emulators:
            emulator.stop()

    def cycle(self, provider: str, mode: str) -> None:
        """Start a mix, wait for its first encoded frame, stop it."""
        self._count += 1
        name = f"soak{self._count}"
        client = self.clients[provider, mode]
        if provider == "zego":
            expect_ok("zego", client.zego_start(name, INPUTS, f"{name}_out"))
            self._wait_frame(client, client.zego.task_id(name))
            expect_ok("zego", client.zego_stop(name))
        elif provider == "tencent":
            expect_ok("tencent", client.tencent_start(name, INPUTS, f"{name}_out"))
            self._wait_frame(client, f"tencent:{name}")
            client.control.advance_clock(5)  # cancel needs 5 s
            expect_ok("tencent", client.tencent.cancel(name, f"{name}_out"))
        else:
            task = expect_ok("volcengine", client.volcengine_create(name, INPUTS))["Data"]["TaskID"]
            self._wait_frame(client, f"volcengine:{task}")
            expect_ok("volcengine", client.volcengine.delete(task))

    def run(self, cycles: int, start: int = 0) -> None:
        for i in range(start, start + cycles):
            self.cycle(PROVIDERS[i % len(PROVIDERS)], MODES[i % len(MODES)])

    def burst(self, count: int, *, stop: bool = True) -> None:
        """Start ``count`` mixes at once, then stop them all at once (thread pools reach their size);
        ``stop`` False leaves them running (for a reset to stop)."""
        client = self.clients["zego", "realtime"]
        names = [f"burst{self._count}_{i}" for i in range(count)]
        self._count += 1
        for name in names:
            expect_ok("zego", client.zego_start(name, INPUTS, f"{name}_out"))
        for name in names:
            self._wait_frame(client, client.zego.task_id(name))
        for name in names if stop else ():
            expect_ok("zego", client.zego_stop(name))

    def settle(self) -> None:
        """Wait until every stopped task of every emulator has closed its files and let go of its pipeline."""
        deadline = time.monotonic() + SETTLE_S
        for client in self.clients.values():
            # Only the stopping ones: this process is the one measured, and parsing the views of every
            # finished task would be a peak of its own objects (fresh object arenas) on each call.
            while client.control.tasks(state="stopping"):
                if time.monotonic() > deadline:
                    raise AssertionError("stopped tasks did not finish closing")
                time.sleep(0.05)

    @staticmethod
    def _wait_frame(client: SignedClients, task_id: str) -> None:
        deadline = time.monotonic() + FRAME_WAIT_S
        while client.control.task(task_id)["frames"] < 1:
            if time.monotonic() > deadline:
                raise AssertionError(f"{task_id} composed no frame in {FRAME_WAIT_S} s")
            time.sleep(0.01)


@contextmanager
def soak_session(data_dir: Path, *, keep_gc: bool = False) -> Iterator[tuple[Soak, Usage]]:
    """Two warmed-up emulators and the baseline usage; the garbage collector stays off inside (unless
    ``keep_gc``) and is restored after."""
    soak = Soak(data_dir)
    was_enabled = gc.isenabled()
    try:
        soak.run(WARM_UP)
        soak.burst(4)
        soak.settle()
        gc.collect()  # what start-up left in cycles is not the soak's
        if not keep_gc:
            gc.disable()
        yield soak, Usage.now()
    finally:
        if was_enabled:
            gc.enable()
        soak.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cycles", type=int, default=1000)
    parser.add_argument("--keep-gc", action="store_true", help="leave the garbage collector on")
    args = parser.parse_args(argv)
    data_dir = Path(tempfile.mkdtemp(prefix="mix-soak-"))
    try:
        with soak_session(data_dir, keep_gc=args.keep_gc) as (soak, before):
            workers_before = soak.worker_rss()
            print(f"before:           {before}; {len(workers_before)} media workers", flush=True)
            started = time.monotonic()
            soak.run(args.cycles, start=WARM_UP)
            soak.settle()
            wall = time.monotonic() - started
            print(f"after the cycles: {Usage.now()} (the journal and finished-task records are full)")
            recordings = sum(1 for _ in data_dir.glob("*/recordings/**/*.mp4"))
            hls = sum(1 for _ in data_dir.glob("*/hls/*"))
            soak.reset()
            after = Usage.settled(before)
            workers_after = soak.worker_rss()
        print(f"after a reset:    {after}")
        for name, rss in workers_after.items():
            print(f"  {name}: RSS {workers_before.get(name, 0.0):.1f} -> {rss:.1f} MB")
        worst = max((rss - workers_before.get(name, 0.0) for name, rss in workers_after.items()), default=0.0)
        print(
            f"{args.cycles} start/stop cycles in {wall:.1f} s ({args.cycles / wall:.1f}/s), "
            f"garbage collector {'on' if args.keep_gc else 'off'}; "
            f"change: threads {after.threads - before.threads:+d} ({after.threads_since(before)} new left), "
            f"fds {after.fds - before.fds:+d} ({after.fds_since(before)} new left), "
            f"RSS {after.rss_mb - before.rss_mb:+.1f} MB (media workers: at most {worst:+.1f} MB each), "
            f"Python blocks {after.blocks - before.blocks:+,}; "
            f"recordings kept {recordings}, HLS folders left {hls}"
        )
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
