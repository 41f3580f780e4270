"""A field of a record kept pickled, read back as a copy.

A finished task keeps its job pickled within its record (core/shelf.py packs the record itself): reading
the record (the control API lists hundreds of finished tasks on every request) then leaves the job, a few
dozen objects, unparsed; its view is cached beside it (``Task.job_view``).
"""

from __future__ import annotations

import pickle
from typing import Any


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
        setattr(obj, slot, _Packed(pickle.dumps(value, pickle.HIGHEST_PROTOCOL)))


def stored(obj: Any, name: str) -> object:
    """What is kept for the field ``name`` (the value, or its packed form): a cache keyed on the field's
    identity stays valid while the field is neither set nor packed again."""
    return getattr(obj, f"_{name}_value")
