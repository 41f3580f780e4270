"""Reading a child process's output line by line, with a deadline (a server that never says it is
listening must fail the test, not hang it)."""

from __future__ import annotations

import re
import selectors
import subprocess
import time


def wait_for_line(process: subprocess.Popen[str], pattern: str, timeout: float = 30.0) -> re.Match[str]:
    """The first match of ``pattern`` in the process's stdout; AssertionError with what it printed if the
    process ends or ``timeout`` passes first."""
    assert process.stdout is not None
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(left):
                break
            line = process.stdout.readline()
            if not line:
                break
            seen.append(line)
            found = re.search(pattern, line)
            if found:
                return found
    raise AssertionError(f"no line matching {pattern!r} within {timeout:g} s; output:\n{''.join(seen)}")
