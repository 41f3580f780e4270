from emulator.core.clock import EmulatorClock
from emulator.core.streams import MediaInfo, StreamRegistry


def test_publish_records_time_room_and_generation() -> None:
    clock = EmulatorClock(wall=lambda: 100.0)
    registry = StreamRegistry(clock)
    events: list[tuple[str, str]] = []
    registry.subscribe(lambda kind, s: events.append((kind, s.stream_id)))
    first = registry.publish("a", "pattern:bars", room_id="r1", info=MediaInfo(width=320, height=180))
    clock.advance(7)
    registry.publish("b", "pattern:color", room_id="r2")
    again = registry.publish("a", "pattern:bars", room_id="r1")
    assert (first.published_at, first.generation) == (100.0, 1)
    assert (again.published_at, again.generation) == (107.0, 2)
    assert [s.stream_id for s in registry.list(room_id="r1")] == ["a"]
    assert registry.resolve("a").generation == 2
    assert (
        registry.unpublish("a", origin="rtmp") is None
    )  # only the origin that published it may take it down
    assert registry.unpublish("a").stream_id == "a"
    assert registry.resolve("a") is None
    assert events == [("published", "a"), ("published", "b"), ("published", "a"), ("unpublished", "a")]


def test_mix_outputs_are_kept_apart_from_inputs() -> None:
    registry = StreamRegistry(EmulatorClock())
    registry.publish("anchor", "pattern:bars")
    registry.claim_outputs("tencent:s1", ["anchor", "extra"])
    assert registry.output_owner("anchor") == "tencent:s1"
    assert registry.resolve("anchor").spec == "pattern:bars"  # the input still reads the anchor
    registry.claim_outputs("tencent:s1", ["anchor"])
    assert registry.output_owner("extra") is None
    registry.release_outputs("tencent:s1")
    assert registry.output_owner("anchor") is None


def test_unsubscribe_and_clear() -> None:
    registry = StreamRegistry(EmulatorClock())
    seen: list[str] = []
    unsubscribe = registry.subscribe(lambda kind, s: seen.append(kind))
    registry.publish("x", "pattern:bars")
    unsubscribe()
    registry.clear()
    assert seen == ["published"] and registry.list() == []
