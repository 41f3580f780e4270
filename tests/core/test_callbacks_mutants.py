"""Callback delivery, pinned where mutation testing found it loose: the default retry schedule attempt by
attempt, the give-up point, the 2xx boundary on both sides, and the body as the receiver reads it."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp import web

from emulator.core.callbacks import CallbackDispatcher
from emulator.core.clock import EmulatorClock

START = 1000.0  # a frozen wall clock: attempt times are exact


class Receiver:
    """A local HTTP receiver answering with the statuses given (then 200), recording what it got."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.bodies: list[tuple[str, bytes]] = []
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> Receiver:
        async def handle(request: web.Request) -> web.Response:
            self.bodies.append((request.content_type, await request.read()))
            return web.Response(status=self.statuses.pop(0) if self.statuses else 200)

        app = web.Application()
        app.router.add_post("/cb", handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/cb"
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self._runner is not None
        await self._runner.cleanup()


async def _wait_attempts(dispatcher: CallbackDispatcher, count: int) -> None:
    for _ in range(300):
        if sum(len(d.attempts) for d in dispatcher.list()) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(dispatcher.list())


def test_default_schedule_is_2_4_8_16_32_seconds_then_it_gives_up() -> None:
    async def main() -> None:
        async with Receiver([500] * 10) as receiver:
            clock = EmulatorClock(wall=lambda: START)
            dispatcher = CallbackDispatcher(clock)
            delivery = dispatcher.send("zego", "mix_start", receiver.url, {"a": 1})
            await _wait_attempts(dispatcher, 1)
            expected_next = [1002.0, 1006.0, 1014.0, 1030.0, 1062.0]
            for n, due in enumerate(expected_next, start=1):
                assert delivery.next_attempt_at == due
                assert not delivery.gave_up
                clock.advance(due - clock.now() - 0.01)  # just before: nothing happens
                await asyncio.sleep(0.03)
                assert len(delivery.attempts) == n
                clock.advance(0.01)  # exactly due
                await _wait_attempts(dispatcher, n + 1)
            assert [a.time for a in delivery.attempts] == [1000.0, *expected_next]
            assert [a.status for a in delivery.attempts] == [500] * 6
            assert delivery.gave_up and not delivery.delivered and delivery.next_attempt_at is None
            clock.advance(1000)  # nothing more is scheduled
            await asyncio.sleep(0.05)
            assert len(delivery.attempts) == 6 and len(receiver.bodies) == 6
            await dispatcher.close()

    asyncio.run(main())


def test_a_custom_schedule_is_followed_and_its_length_bounds_the_retries() -> None:
    async def main() -> None:
        async with Receiver([503, 503, 503]) as receiver:
            clock = EmulatorClock(wall=lambda: START)
            dispatcher = CallbackDispatcher(clock)
            delivery = dispatcher.send("volcengine", "done", receiver.url, {}, retry_delays=(3,))
            await _wait_attempts(dispatcher, 1)
            assert delivery.next_attempt_at == 1003.0
            clock.advance(3)
            await _wait_attempts(dispatcher, 2)
            assert delivery.gave_up and delivery.next_attempt_at is None
            assert [a.status for a in delivery.attempts] == [503, 503]
            await dispatcher.close()

    asyncio.run(main())


def test_2xx_boundaries_from_both_sides() -> None:
    async def main() -> dict[int, bool]:
        delivered: dict[int, bool] = {}
        for status in (200, 204, 299, 300, 404):
            async with Receiver([status]) as receiver:
                dispatcher = CallbackDispatcher(EmulatorClock(wall=lambda: START))
                delivery = dispatcher.send("zego", "e", receiver.url, {}, retry_delays=(5,))
                await _wait_attempts(dispatcher, 1)
                delivered[status] = delivery.delivered
                assert delivery.attempts[0].status == status
                assert delivery.next_attempt_at == (None if delivery.delivered else 1005.0)
                await dispatcher.close()
        return delivered

    assert asyncio.run(main()) == {200: True, 204: True, 299: True, 300: False, 404: False}


def test_json_and_form_bodies_as_the_receiver_reads_them() -> None:
    async def main() -> list[tuple[str, bytes]]:
        async with Receiver([]) as receiver:
            dispatcher = CallbackDispatcher(EmulatorClock(wall=lambda: START))
            dispatcher.send("zego", "a", receiver.url, {"name": "混流", "n": 1})
            await _wait_attempts(dispatcher, 1)
            dispatcher.send("volcengine", "b", receiver.url, {"x": "a b", "y": "2"}, body_format="form")
            await _wait_attempts(dispatcher, 2)
            await dispatcher.close()
            return receiver.bodies

    bodies = asyncio.run(main())
    assert bodies == [
        ("application/json", '{"name": "混流", "n": 1}'.encode()),  # not \\u-escaped
        ("application/x-www-form-urlencoded", b"x=a+b&y=2"),
    ]


def test_an_unreachable_receiver_is_an_attempt_without_status_and_is_retried() -> None:
    async def main() -> None:
        async with Receiver([]) as receiver:
            url = receiver.url
        clock = EmulatorClock(wall=lambda: START)
        dispatcher = CallbackDispatcher(clock)  # the receiver is gone: connection refused
        delivery = dispatcher.send("zego", "e", url, {}, retry_delays=(1,))
        await _wait_attempts(dispatcher, 1)
        attempt = delivery.attempts[0]
        assert attempt.status is None and attempt.error and attempt.error.startswith("ClientConnectorError")
        assert delivery.next_attempt_at == 1001.0 and not delivery.gave_up
        await dispatcher.close()

    asyncio.run(main())


def test_listing_filters_by_provider_and_ids_count_up() -> None:
    async def main() -> None:
        async with Receiver([]) as receiver:
            dispatcher = CallbackDispatcher(EmulatorClock(wall=lambda: START))
            first = dispatcher.send("zego", "a", receiver.url, {})
            second = dispatcher.send("volcengine", "b", receiver.url, {}, task_id="t1")
            await _wait_attempts(dispatcher, 2)
            assert (first.id, second.id) == (1, 2)
            assert [d.event for d in dispatcher.list(provider="zego")] == ["a"]
            assert [d.event for d in dispatcher.list()] == ["a", "b"]
            assert second.to_dict()["task_id"] == "t1" and first.to_dict()["provider"] == "zego"
            dispatcher.clear()
            assert dispatcher.list() == []
            await dispatcher.close()

    asyncio.run(main())


def test_cleared_deliveries_are_not_retried_when_their_timers_fire() -> None:
    async def main() -> None:
        async with Receiver([500] * 5) as receiver:
            clock = EmulatorClock(wall=lambda: START)
            dispatcher = CallbackDispatcher(clock)
            delivery = dispatcher.send("zego", "e", receiver.url, {}, retry_delays=(1, 1))
            await _wait_attempts(dispatcher, 1)
            dispatcher.clear()
            assert delivery.gave_up and not delivery.delivered
            clock.advance(5)
            await asyncio.sleep(0.1)
            assert len(receiver.bodies) == 1 and len(delivery.attempts) == 1
            await dispatcher.close()

    asyncio.run(main())


def test_the_dispatcher_keeps_the_latest_500_deliveries() -> None:
    async def main() -> None:
        async with Receiver([]) as receiver:
            url = receiver.url
        dispatcher = CallbackDispatcher(EmulatorClock(wall=lambda: START))
        for n in range(501):  # nothing listens: each fails at once, and is not retried
            dispatcher.send("zego", f"e{n}", url, {}, retry_delays=())
        assert len(dispatcher.list()) == 501  # being attempted: none is dropped
        for _ in range(500):
            if all(d.gave_up for d in dispatcher.list()):
                break
            await asyncio.sleep(0.01)
        kept = dispatcher.list()  # finished: the first to finish is dropped
        assert len(kept) == 500 and all(d.gave_up for d in kept)
        assert [d.id for d in kept] == sorted(d.id for d in kept) and {d.id for d in kept} < set(
            range(1, 502)
        )
        await dispatcher.close()

    asyncio.run(main())
