"""One render timed inside a process that has already loaded the engine, as a running emulator (the server,
the pytest plugin) runs a fast-mode task: the interpreter's start-up and the imports are not counted.

    python -m bench.in_process REQUEST.json OUT.mp4 ID=SOURCE...

Prints ``{"wall": seconds, "cpu": seconds}`` (CPU = user + sys of this process during the render) on stdout.
The peak memory is the whole process's, taken by the parent (``os.wait4``).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path

import emulator.media.renderer  # noqa: F401 - the pipeline imports it when a task starts: load it first
from emulator.render import MappingResolver, load_job, render


def main(argv: list[str]) -> int:
    request, out, *streams = argv
    job = load_job(Path(request), None)
    resolver = MappingResolver(dict(stream.split("=", 1) for stream in streams), {})
    before, started = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    render(job, Path(out), resolver)
    wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"wall": wall, "cpu": cpu}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
