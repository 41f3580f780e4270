"""FollowedStream (what HTTP-FLV and RTMP play read): a player of an id is switched to a mix taking the id
over at the mix's first keyframe, back to the anchor when the mix ends by itself, and reaches the end only
when nothing plays the id; timestamps carry on across every switch."""

from __future__ import annotations

import asyncio
import itertools

from emulator.media.flv import AUDIO, VIDEO, FlvTag
from emulator.media.live import LiveHub, Publisher
from emulator.media.live_follow import FollowedStream

SEQ = FlvTag(VIDEO, 0, b"\x17\x00\x00\x00\x00seq")


def _frame(ts: int, key: bool, mark: bytes) -> FlvTag:
    return FlvTag(VIDEO, ts, (b"\x17\x01" if key else b"\x27\x01") + b"\x00\x00\x00" + mark)


def _feed(pub: Publisher, start: int, count: int, mark: bytes, gop: int = 5) -> None:
    for i in range(start, start + count):
        pub.write_tag(_frame(i * 40, i % gop == 0, mark))
        pub.write_tag(FlvTag(AUDIO, i * 40 + 5, b"\xaf\x01" + mark))


async def _drain(follower: FollowedStream, into: list[FlvTag]) -> None:
    while tags := await follower.read_tags(0.05):
        into.extend(tags)


def test_switch_to_the_mix_at_its_keyframe_and_back_when_it_ends() -> None:
    async def main() -> None:
        hub = LiveHub()
        anchor = hub.open_publisher("show")
        anchor.write_tag(SEQ)
        _feed(anchor, 0, 7, b"A")  # the GOP cache holds frames 5 and 6
        follower = FollowedStream(hub, "show", hub.playable("show") or "")
        got: list[FlvTag] = []
        await _drain(follower, got)
        mix = hub.open_publisher("mix:show")
        mix.write_tag(SEQ)
        _feed(mix, 100, 3, b"M", gop=1000)  # no keyframe yet: the player stays on the anchor
        _feed(anchor, 7, 2, b"A")
        await _drain(follower, got)
        assert follower.channel == "show"
        _feed(mix, 103, 1, b"M", gop=1)  # the mix's first keyframe: the switch
        _feed(mix, 104, 3, b"M", gop=1000)
        _feed(anchor, 9, 3, b"A")
        await _drain(follower, got)
        assert follower.channel == "mix:show"
        mix.close()  # the mix ends by itself: back to the anchor, at its cached keyframe
        _feed(anchor, 12, 3, b"A")
        await _drain(follower, got)
        assert follower.channel == "show"
        anchor.close()
        assert await follower.read_tags(2.0) is None  # nothing plays the id any more: the end
        follower.close()

        frames = [t for t in got if t.is_video and not t.is_sequence_header]
        marks = bytes(t.data[-1] for t in frames)
        assert marks == b"AAAA" + b"MMMM" + b"AAAAA", marks  # anchor 5..8, mix 103..106, anchor 10..14
        assert frames[4].is_keyframe and frames[8].is_keyframe  # each switch lands on a keyframe
        stamps = [t.timestamp for t in got]
        assert all(b >= a for a, b in itertools.pairwise(stamps))
        video = [t.timestamp for t in frames]
        assert all(0 < b - a <= 80 for a, b in itertools.pairwise(video)), video  # at most a frame more
        assert sum(1 for t in got if t.is_sequence_header) == 3  # again before each new channel's frames

    asyncio.run(main())
