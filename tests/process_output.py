"""Reading a child process's output line by line, with a deadline (a server that never says it is
listening must fail the test, not hang it)."""

from __future__ import annotations

import queue
import re
import subprocess
import threading


def wait_for_line(process: subprocess.Popen[str], pattern: str, timeout: float = 30.0) -> re.Match[str]:
    """The first match of ``pattern`` in the process's stdout; AssertionError with what it printed if the
    process ends or ``timeout`` passes first.

    The lines are read on a thread, not after a select() on the pipe: the text reader buffers ahead, so a
    second line that came in the same read as the first would sit in its buffer while select() waited."""
    stdout = process.stdout
    assert stdout is not None
    seen: list[str] = []
    found: queue.Queue[re.Match[str] | None] = queue.Queue(maxsize=1)

    def read() -> None:  # ends at the match or at EOF (the test stops the process on failure)
        for line in stdout:
            seen.append(line)
            match = re.search(pattern, line)
            if match:
                found.put(match)
                return
        found.put(None)

    reader = threading.Thread(target=read, name="wait_for_line", daemon=True)
    reader.start()
    try:
        match = found.get(timeout=timeout)
    except queue.Empty:
        match = None
    if match is None:
        raise AssertionError(f"no line matching {pattern!r} within {timeout:g} s; output:\n{''.join(seen)}")
    reader.join(timeout=1.0)
    return match
