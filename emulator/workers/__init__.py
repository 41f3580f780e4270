"""Media work off the event loop: worker processes that host many tasks' pipelines (design.md).

``pool.py`` is the server's side (the pool, placement, :class:`RemotePipeline`), ``host.py`` the worker's
(its pipelines, a LiveHub stand-in, mirrored source resolutions), ``channel.py`` the pipe between them.
``Settings.media_workers``: 0 runs pipelines in the server process (``render``, most tests), N > 0 runs N
workers, unset one per usable core (``serve``'s default).
"""

from emulator.workers.pool import RemotePipeline, WorkerPool

__all__ = ["RemotePipeline", "WorkerPool"]
