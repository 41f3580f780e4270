import pytest

from emulator.core.clock import EmulatorClock


def test_advance_moves_time_and_fires_due_timers_in_order() -> None:
    clock = EmulatorClock(wall=lambda: 1000.0)
    fired: list[str] = []
    clock.call_at(1010, lambda: fired.append("b"))
    clock.call_later(5, lambda: fired.append("a"))
    clock.call_at(2000, lambda: fired.append("late"))
    assert clock.now() == 1000.0
    assert clock.advance(10) == 1010.0
    assert fired == ["a", "b"]
    assert clock.fire_due() == 0
    clock.advance(990)
    assert fired == ["a", "b", "late"]


def test_clock_only_moves_forward_and_reset_clears() -> None:
    clock = EmulatorClock(wall=lambda: 50.0)
    with pytest.raises(ValueError):
        clock.advance(-1)
    fired: list[int] = []
    clock.call_later(1, lambda: fired.append(1))
    clock.advance(30)
    clock.reset()
    assert clock.offset == 0 and clock.now() == 50.0
    clock.call_later(1, lambda: fired.append(2))
    clock.reset()
    clock.advance(5)
    assert fired == [1]


def test_advance_listeners_run_after_timers() -> None:
    clock = EmulatorClock(wall=lambda: 0.0)
    seen: list[float] = []
    clock.on_advance(lambda: seen.append(clock.now()))
    clock.advance(3)
    assert seen == [3.0]


def test_return_to_wall_keeps_timers_with_their_remaining_delay() -> None:
    clock = EmulatorClock(wall=lambda: 1000.0)
    fired: list[str] = []
    clock.call_later(10, lambda: fired.append("ten"))
    assert clock.advance(3 * 86400) == 1000.0 + 3 * 86400
    clock.call_later(20, lambda: fired.append("twenty"))  # set while the clock is three days ahead
    assert clock.wall() == 1000.0
    assert clock.return_to_wall() == 3 * 86400
    assert (clock.now(), clock.offset, fired) == (1000.0, 0.0, ["ten"])
    clock.advance(19)
    assert fired == ["ten"]
    clock.advance(1)  # 20 s after it was set, whatever the reset did
    assert fired == ["ten", "twenty"]
