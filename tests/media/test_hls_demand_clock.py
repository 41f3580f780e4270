"""HlsDemand: which mix outputs' HLS is wanted, on the emulator clock (the sinks' side: test_hls_demand in
tests/workers)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from emulator.core.clock import EmulatorClock
from emulator.media.hls_demand import FORWARD_EVERY_S, IDLE_S, HlsDemand


def test_a_request_makes_hls_wanted_until_idle_s_pass_without_one() -> None:
    clock = EmulatorClock()
    demand = HlsDemand(clock)
    wanted = demand.watcher("out")
    assert not wanted()
    demand.request("out")
    assert wanted() and not demand.wanted("other")
    clock.advance(IDLE_S - 1)
    assert wanted()
    demand.request("out")
    clock.advance(IDLE_S - 1)
    assert wanted()  # the second request started the idle time again
    clock.advance(2)
    assert not wanted()


def test_requests_are_passed_on_at_most_once_a_second_per_stream() -> None:
    clock = EmulatorClock()
    demand = HlsDemand(clock)
    told: list[tuple[str, float]] = []
    demand.on_request(lambda stream_id, when: told.append((stream_id, when)))
    for _ in range(5):
        demand.request("out")
    demand.request("other")
    assert [s for s, _ in told] == ["out", "other"]
    clock.advance(FORWARD_EVERY_S)
    demand.request("out")
    assert [s for s, _ in told] == ["out", "other", "out"]
    assert told[-1][1] >= told[0][1] + FORWARD_EVERY_S  # with the time of the request (a worker's stamp)


def test_only_requests_for_live_mix_outputs_count(tmp_path: Path) -> None:
    demand = HlsDemand(EmulatorClock())
    asyncio.run(demand.serve("made_up", tmp_path / "made_up" / "index.m3u8", live=False))
    assert not demand.wanted("made_up")
    playlist = tmp_path / "out" / "index.m3u8"
    playlist.parent.mkdir()
    playlist.write_text("#EXTM3U\n")  # written already: no wait
    asyncio.run(demand.serve("out", playlist, live=True))
    assert demand.wanted("out")
