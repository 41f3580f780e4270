"""Records held by the thousand until a reset, kept in one buffer that the reset hands back whole.

A finished task, a request of the journal or a provider's finished session is kept long after it was made,
among objects made meanwhile. Kept as objects, records leave the memory they took pinned after a reset
released them: Python carves objects of up to 512 bytes out of 1 MiB arenas, and the C allocator its larger
blocks out of pages, and either returns an arena or page only once everything in it is gone, while the few
newer objects that landed between the records stay. The process's RSS after a reset would then follow how
many records it held before (bench/soak.py measures it). A :class:`Shelf` pickles each record into one
growing buffer, back to back, its key and tags inside, and indexes them in two arrays: no object per
record, and nothing of anything else's between them.
"""

from __future__ import annotations

import bisect
import pickle
import struct
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")

_LENGTH = struct.Struct("<I")
Tags = tuple[str | None, ...]
_REMOVED = -1
_COMPACT_AFTER = 64  # removed records the buffer may carry beyond as many as it holds


@dataclass(slots=True)
class _Held:
    """A record still kept as the object it is (it may change), until packed."""

    key: str
    tags: Tags
    record: Any
    order: int


class Shelf(Generic[T]):
    """Records in the order they were put, each under a key and with tags to select on.

    A record put ``live`` stays the object it is (reads give that object, and it may change) until
    :meth:`pack` packs it; reads of a packed record give copies. Beyond ``limit`` packed records the ones
    packed first are dropped; live ones are not counted, and never dropped. A record nested deeper than
    pickle goes raises RecursionError when packed (the caller keeps a flatter form)."""

    def __init__(self, limit: int | None = None) -> None:
        self._limit = None if limit is None else max(0, limit)
        self._held: list[_Held] = []
        self._next_order = 0
        self._empty()

    def _empty(self) -> None:
        self._buffer = bytearray()  # packed records, back to back, in the order they were packed
        self._base = 0  # the position of the buffer's first byte (positions only grow)
        self._starts = array("q")  # where each packed record starts
        self._orders = array("q")  # when it was put (_REMOVED: removed)
        self._packed = 0  # packed records not removed

    def __len__(self) -> int:
        return self._packed + len(self._held)

    def put(self, key: str, record: T, tags: Tags = (), *, live: bool = False) -> None:
        order = self._next_order
        self._next_order += 1
        if live:
            self._held.append(_Held(key, tags, record, order))
        else:
            self._append(key, record, tags, order)

    def pack(self, record: T) -> None:
        """Pack the live ``record`` (this very object) from now on; nothing if it is not held live."""
        for index, held in enumerate(self._held):
            if held.record is record:
                self._append(held.key, record, held.tags, held.order)
                del self._held[index]
                return

    def live(self) -> list[T]:
        return [held.record for held in self._held]

    def get(self, key: str) -> T | None:
        """The record put last under ``key``."""
        found = max(self._locate(key), default=None)
        held = next((h for h in reversed(self._held) if h.key == key), None)
        if held is not None and (found is None or held.order > found[0]):
            return held.record
        return None if found is None else self._record(found[1])

    def remove(self, key: str) -> None:
        """Forget every record put under ``key``."""
        self._held = [held for held in self._held if held.key != key]
        for _, index in list(self._locate(key)):
            self._orders[index] = _REMOVED
            self._packed -= 1
        if len(self._starts) - self._packed > self._packed + _COMPACT_AFTER:
            self._compact()

    def select(self, *wanted: str | None, window: slice | None = None) -> list[T]:
        """The records whose tags match ``wanted`` (None matches anything), in the order they were put;
        ``window`` picks among them before any is unpickled."""
        return list(self.iterate(*wanted, window=window))

    def iterate(self, *wanted: str | None, window: slice | None = None) -> Iterator[T]:
        """As :meth:`select`, unpickling each record only when it is reached: a listing that turns each
        into its view and lets it go never holds them all as objects at once. The packed ones are copied
        out first, so the shelf may change (or its lock be released) meanwhile."""
        found: list[tuple[int, int | _Held]] = [
            (order, index) for order, index in self._packed_orders() if self._tagged(index, wanted)
        ]
        found += [(held.order, held) for held in self._held if _match(wanted, held.tags)]
        found.sort(key=lambda pair: pair[0])
        picked = found if window is None else found[window]
        kept = [where if isinstance(where, _Held) else self._block(where) for _, where in picked]
        return (item.record if isinstance(item, _Held) else _unpack(item) for item in kept)

    def count(self, *wanted: str | None) -> int:
        packed = sum(1 for _, index in self._packed_orders() if self._tagged(index, wanted))
        return packed + sum(1 for held in self._held if _match(wanted, held.tags))

    def clear(self) -> None:
        """Forget every record; the buffer goes back to the allocator at once."""
        self._held.clear()
        self._empty()

    # ----- the buffer
    def _append(self, key: str, record: T, tags: Tags, order: int) -> None:
        body = pickle.dumps(record, pickle.HIGHEST_PROTOCOL)  # first: a RecursionError changes nothing
        head = pickle.dumps(tags, pickle.HIGHEST_PROTOCOL)
        self._starts.append(self._base + len(self._buffer))
        self._orders.append(order)
        self._buffer += _key_prefix(key)
        self._buffer += _LENGTH.pack(len(head))
        self._buffer += head
        self._buffer += body
        self._packed += 1
        if self._limit is not None:
            while self._packed > self._limit:
                self._drop_first()

    def _drop_first(self) -> None:
        """Drop the record packed first (with any removed ones before it)."""
        while self._starts:
            dropped = self._orders[0]
            end = self._starts[1] if len(self._starts) > 1 else self._base + len(self._buffer)
            del self._buffer[: end - self._base]  # at the front: bytearray moves nothing
            self._base = end
            del self._starts[0]
            del self._orders[0]
            if dropped != _REMOVED:
                self._packed -= 1
                return

    def _compact(self) -> None:
        """Rewrite the buffer without its removed records."""
        kept = [(order, self._block(index)) for order, index in self._packed_orders()]
        self._empty()
        for order, block in kept:
            self._starts.append(len(self._buffer))
            self._orders.append(order)
            self._buffer += block
        self._packed = len(kept)

    def _packed_orders(self) -> Iterator[tuple[int, int]]:
        for index, order in enumerate(self._orders):
            if order != _REMOVED:
                yield order, index

    def _locate(self, key: str) -> Iterator[tuple[int, int]]:
        """(order, index) of the packed records under ``key``: found by a search of the buffer for the
        key's bytes, each hit checked to be a record's start."""
        prefix = _key_prefix(key)
        offset = self._buffer.find(prefix)
        while offset >= 0:
            index = bisect.bisect_left(self._starts, self._base + offset)
            found = index < len(self._starts) and self._starts[index] == self._base + offset
            if found and self._orders[index] != _REMOVED:
                yield self._orders[index], index
            offset = self._buffer.find(prefix, offset + 1)

    def _block(self, index: int) -> bytes:
        start = self._starts[index] - self._base
        end = self._starts[index + 1] - self._base if index + 1 < len(self._starts) else len(self._buffer)
        return bytes(self._buffer[start:end])

    def _tagged(self, index: int, wanted: Tags) -> bool:
        return all(want is None for want in wanted) or _match(wanted, self._tags(index))

    def _tags(self, index: int) -> Tags:
        start = self._starts[index] - self._base
        start += _LENGTH.size + _LENGTH.unpack_from(self._buffer, start)[0]
        length = _LENGTH.unpack_from(self._buffer, start)[0]
        start += _LENGTH.size
        return pickle.loads(self._buffer[start : start + length])

    def _record(self, index: int) -> Any:
        return _unpack(self._block(index))


def _unpack(block: bytes) -> Any:
    """The record of a block (past its key and tags)."""
    start = _LENGTH.size + _LENGTH.unpack_from(block)[0]
    start += _LENGTH.size + _LENGTH.unpack_from(block, start)[0]
    return pickle.loads(memoryview(block)[start:])


def _key_prefix(key: str) -> bytes:
    encoded = key.encode("utf-8", "surrogatepass")
    return _LENGTH.pack(len(encoded)) + encoded


def _match(wanted: Tags, tags: Tags) -> bool:
    return all(want is None or (i < len(tags) and tags[i] == want) for i, want in enumerate(wanted))
