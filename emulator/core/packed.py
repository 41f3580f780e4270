"""Long-lived records kept as one block of memory.

A record that outlives thousands of requests (a finished task's job, a provider's finished session) is a
few dozen small objects when kept as parsed. Python's allocator carves small objects out of 1 MiB arenas
and returns an arena to the OS only once every object in it is gone; freed by a reset, such records leave
their arenas pinned by the few newer objects (a resized dict's table, an object in flight) that landed
between them, so the process's RSS after a reset would grow with how many records were held before it
(bench/soak.py measures it). Pickled, a record is one block, and the arenas hold only what is in use.
"""

from __future__ import annotations

import pickle
from typing import Any, TypeVar

T = TypeVar("T")


def packed(value: object) -> bytes:
    """``value`` as one block, for a store whose records are never bytes themselves (see :func:`unpacked`)."""
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def unpacked(kept: T | bytes) -> T:
    """A record of such a store as it was stored: a copy when it was packed."""
    return pickle.loads(kept) if isinstance(kept, bytes) else kept


class Packable:
    """A dataclass field that can be packed: it reads back as an equal copy once :func:`pack` was called
    (unpickled on each read, so a packed value is for records that are read rarely and not changed).

    Declare it as ``job: MixJob = Packable()`` (no default: the field stays required)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f"_{name}_value"

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        if obj is None:
            raise AttributeError(self._slot)  # a dataclass field without a default
        value = getattr(obj, self._slot)
        return pickle.loads(value.data) if isinstance(value, _Packed) else value

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj, self._slot, value)  # not through __dict__, which would make the instance a dict


class _Packed:
    """A packed value (distinct from a field whose value is bytes)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = data


def pack(obj: Any, name: str) -> None:
    """Keep the :class:`Packable` field ``name`` of ``obj`` pickled from now on."""
    slot = f"_{name}_value"
    value = getattr(obj, slot)
    if not isinstance(value, _Packed):
        setattr(obj, slot, _Packed(packed(value)))


def stored(obj: Any, name: str) -> object:
    """What is kept for the field ``name`` (the value, or its packed form): a cache keyed on the field's
    identity stays valid while the field is neither set nor packed again."""
    return getattr(obj, f"_{name}_value")
