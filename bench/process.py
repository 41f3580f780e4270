"""``mix-emulator serve`` in a child process, as users run it: benchmarks measure it from outside (their
own clients do not compete with the server for its interpreter), and tests send it signals."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_LINE = "listening on "
LOG_NAME = "server.log"


@contextmanager
def serve(data_dir: Path, *options: str) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """Start the server on a free port (no RTMP unless ``options`` say so); yields the process and its URL.
    Its log goes to ``<data_dir>/server.log`` (a pipe nobody reads would fill and block it). Killed on the
    way out if it is still running."""
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "emulator", "serve", "--port", "0", "--rtmp-port", "off"]
    with (data_dir / LOG_NAME).open("w") as log:
        server = subprocess.Popen(
            [*command, "--data-dir", str(data_dir), *options],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            start_new_session=True,  # a group of its own, as a terminal gives it: a test can Ctrl-C it
        )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()  # "mix-emulator X listening on http://127.0.0.1:PORT"
        if START_LINE not in first:
            server.kill()
            server.wait()
            raise RuntimeError(f"mix-emulator serve did not start: {first}{server_log(data_dir)}")
        yield server, first.split(START_LINE, 1)[1].strip()
    except BaseException:
        if server.poll() is not None:  # it died under the caller: say why
            print(f"mix-emulator serve exited with {server.returncode}; its log ends:", file=sys.stderr)
            print(server_log(data_dir)[-4000:], file=sys.stderr)
        raise
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()


def server_log(data_dir: Path) -> str:
    return (data_dir / LOG_NAME).read_text(errors="replace")
