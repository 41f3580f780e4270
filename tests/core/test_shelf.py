"""core/shelf.py: records packed into one buffer, no object each, found by key and tags."""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import dataclass, field

import pytest

from emulator.core.shelf import Shelf

SMALL_OBJECT = 512  # bytes: Python's own allocator serves blocks up to this size


@dataclass
class Record:
    name: str
    values: list[int] = field(default_factory=list)


def test_records_come_back_by_key_and_tags_oldest_first_as_copies() -> None:
    shelf: Shelf[Record] = Shelf()
    first, second, third = Record("a", [1]), Record("b", [2]), Record("a", [3])
    shelf.put("k1", first, ("zego", "start"))
    shelf.put("k2", second, ("tencent", "start"))
    shelf.put("k1", third, ("zego", "stop"))
    assert len(shelf) == 3
    assert shelf.get("k1") == third and shelf.get("k1") is not third  # the newest under the key, a copy
    assert shelf.get("k2") == second and shelf.get("k") is None and shelf.get("k12") is None
    assert shelf.select() == [first, second, third]
    assert shelf.select("zego") == [first, third] and shelf.select(None, "start") == [first, second]
    assert shelf.select("zego", "stop") == [third] and shelf.select("volcengine") == []
    assert shelf.select(window=slice(-2, None)) == [second, third] and shelf.count("zego") == 2
    shelf.remove("k1")
    assert shelf.select() == [second] and shelf.count() == 1
    shelf.clear()
    assert len(shelf) == 0 and shelf.get("k2") is None


def test_an_iteration_holds_copies_taken_when_it_began() -> None:
    shelf: Shelf[Record] = Shelf()
    live = Record("live")
    shelf.put("a", Record("a"), ("zego",))
    shelf.put("live", live, ("zego",), live=True)
    shelf.put("b", Record("b"), ("tencent",))
    records = shelf.iterate("zego")
    shelf.clear()  # the shelf changes (or its lock is let go) while the listing is encoded
    assert list(records) == [Record("a"), live] and len(shelf) == 0


def test_a_live_record_is_the_object_itself_until_packed() -> None:
    shelf: Shelf[Record] = Shelf()
    running = Record("r")
    shelf.put("r", running, ("zego",), live=True)
    shelf.put("done", Record("d"))
    assert shelf.get("r") is running and shelf.live() == [running]
    running.values.append(7)  # it may change while live
    assert shelf.select("zego")[0] is running
    shelf.pack(running)
    shelf.pack(running)  # no longer live: nothing more happens
    assert shelf.live() == [] and shelf.get("r") == Record("r", [7]) and shelf.get("r") is not running
    running.values.append(8)  # what was packed stays as it was
    assert shelf.get("r") == Record("r", [7])
    assert [r.name for r in shelf.select()] == ["r", "d"]  # packing keeps its place


def test_beyond_the_limit_the_records_packed_first_go_and_live_ones_stay() -> None:
    shelf: Shelf[Record] = Shelf(2)
    live = Record("live")
    shelf.put("live", live, live=True)
    for name in ("a", "b", "c"):
        shelf.put(name, Record(name))
    assert [r.name for r in shelf.select()] == ["live", "b", "c"]  # live ones are not counted
    shelf.pack(live)  # now it counts: packed last, it stays and keeps its place
    assert [r.name for r in shelf.select()] == ["live", "c"] and len(shelf) == 2
    shelf.put("d", Record("d"), live=True)
    shelf.remove("c")
    shelf.put("e", Record("e"))
    assert [r.name for r in shelf.select()] == ["live", "d", "e"]
    shelf.put("f", Record("f"))
    assert [r.name for r in shelf.select()] == ["d", "e", "f"] and shelf.live()[0].name == "d"


def test_a_limit_of_zero_or_less_keeps_no_packed_record() -> None:
    for limit in (0, -5):
        shelf: Shelf[str] = Shelf(limit)
        shelf.put("live", "kept", live=True)
        shelf.put("a", "a")
        assert shelf.select() == ["kept"] and shelf.get("a") is None


def test_odd_keys_and_a_record_nested_deeper_than_pickle_goes() -> None:
    shelf: Shelf[object] = Shelf(2)
    shelf.put("\ud800\x00é", "odd", ("\ud800",))
    shelf.put("\ud800", "short")
    deep: list = []
    for _ in range(5000):
        deep = [deep]
    with pytest.raises(RecursionError):  # refused whole: the shelf is as it was
        shelf.put("deep", deep)
    with pytest.raises(RecursionError):
        shelf.put("deep", deep, live=True)
        shelf.pack(deep)
    assert shelf.live() == [deep] and shelf.select() == ["odd", "short", deep]
    assert shelf.get("\ud800\x00é") == "odd" and shelf.get("\ud800") == "short"
    assert shelf.select("\ud800") == ["odd"] and shelf.get("deep") is deep


def test_a_key_found_inside_another_record_is_not_taken_for_it() -> None:
    shelf: Shelf[str] = Shelf()
    shelf.put("a", "\x01\x00\x00\x00b")  # the bytes of key "b" inside a record
    assert shelf.get("b") is None
    shelf.put("b", "B")
    assert shelf.get("b") == "B" and shelf.get("a") == "\x01\x00\x00\x00b"


def test_removed_records_are_compacted_away() -> None:
    shelf: Shelf[int] = Shelf()
    shelf.put("kept", -1)
    for i in range(500):  # one session id started again and again: each start replaces the last
        shelf.remove("again")
        shelf.put("again", i)
    assert shelf.get("again") == 499 and shelf.select() == [-1, 499] and len(shelf) == 2
    assert len(shelf._starts) < 2 + 64 + 2  # the removed ones do not pile up


def _small_blocks() -> int:
    """Blocks Python's small-object allocator holds (traced: tracemalloc is on)."""
    gc.collect()
    return sum(1 for trace in tracemalloc.take_snapshot().traces if trace.size <= SMALL_OBJECT)


def test_a_packed_record_holds_no_object_and_a_clear_frees_the_buffer() -> None:
    shelf: Shelf[Record] = Shelf()
    records = 2000
    tracemalloc.start()
    try:
        shelf.put("warm", Record("warm"))  # pickle's caches for the class are made once
        before = _small_blocks(), len(tracemalloc.take_snapshot().traces)
        for i in range(records):
            shelf.put(f"key{i}", Record(f"r{i}", [i]), ("zego", f"action{i}"))
        small, blocks = _small_blocks() - before[0], len(tracemalloc.take_snapshot().traces) - before[1]
        assert shelf.get("key1999") == Record("r1999", [1999]) and shelf.count("zego") == records
        full = tracemalloc.get_traced_memory()[0]
        shelf.clear()
        gc.collect()
        freed = full - tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # Parsed, each record would be 6 blocks; the margin is for other threads of the test process.
    assert small < records * 0.05 and blocks < records * 0.05, f"{small} small and {blocks} blocks"
    assert freed >= records * 40  # each record's bytes
