"""The pipe between the server and one media worker: control messages and raw byte frames on one connection.

Every message is one ``send_bytes`` of a multiprocessing Connection, so either side can read them with one
blocking ``recv_bytes`` on a thread of its own:

- ``M`` + a pickled tuple ``(kind, *args)``: control (start, update, stop, status, events ...);
- ``D`` + a 4-byte stream number + the bytes: media (FLV from a live output to the hub, FLV from a hub
  channel to a live input). The payload is not pickled: the receiver hands a memoryview of the frame on.

Sends are serialised by a lock (several threads send on each side). A peer that is gone makes ``send``
return False and ``receive`` return None: the callers treat it as the worker having ended.
"""

from __future__ import annotations

import pickle
import struct
import threading
from multiprocessing.connection import Connection
from typing import Any

_CONTROL = b"M"
_DATA = b"D"
_NUMBER = struct.Struct(">I")
DATA_HEAD = 1 + _NUMBER.size


class Channel:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self.closed = False

    def send(self, kind: str, *args: Any) -> bool:
        return self._send(_CONTROL + pickle.dumps((kind, *args), protocol=pickle.HIGHEST_PROTOCOL))

    def send_data(self, number: int, *chunks: bytes | memoryview) -> bool:
        """Media bytes for stream ``number``, in one or more chunks (one copy: into the frame that goes
        down the pipe)."""
        return self._send(b"".join((_DATA, _NUMBER.pack(number), *chunks)))

    def _send(self, frame: bytes) -> bool:
        if self.closed:
            return False
        try:
            with self._lock:
                self._conn.send_bytes(frame)
        except (OSError, ValueError):  # the peer is gone (or we closed)
            self.closed = True
            return False
        return True

    def receive(self) -> tuple[str, tuple[Any, ...]] | tuple[int, memoryview] | None:
        """The next message: ``(kind, args)`` (control), ``(number, payload)`` (media), None at the end."""
        try:
            frame = self._conn.recv_bytes()
        except (EOFError, OSError, ValueError):
            self.closed = True
            return None
        if frame[:1] == _DATA:
            (number,) = _NUMBER.unpack_from(frame, 1)
            return number, memoryview(frame)[DATA_HEAD:]
        kind, *args = pickle.loads(frame[1:])
        return kind, tuple(args)

    def close(self) -> None:
        self.closed = True
        self._conn.close()
