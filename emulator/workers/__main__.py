"""``python -m emulator.workers FD LOG_LEVEL``: one media worker; pool.py starts it with its channel on FD."""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

from emulator.workers.host import worker_main

if __name__ == "__main__":
    worker_main(Connection(int(sys.argv[1])), int(sys.argv[2]))
