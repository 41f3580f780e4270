"""Callback delivery: retries on the emulator clock, and one receiver sees events in the order sent."""

from __future__ import annotations

import asyncio

from aiohttp import web

from emulator.core.callbacks import CallbackDispatcher
from emulator.core.clock import EmulatorClock


async def _receiver(statuses: list[int], seen: list[str], delay_s: float = 0.0) -> tuple[web.AppRunner, str]:
    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        await asyncio.sleep(delay_s if body["n"] == 0 else 0)  # the first event is the slow one
        seen.append(body["event"])
        return web.Response(status=statuses.pop(0) if statuses else 200)

    app = web.Application()
    app.router.add_post("/cb", handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    return runner, f"http://127.0.0.1:{port}/cb"


async def _settle(dispatcher: CallbackDispatcher, count: int) -> None:
    for _ in range(200):
        if sum(len(d.attempts) for d in dispatcher.list()) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(dispatcher.list())


def test_events_reach_one_receiver_in_order_even_when_the_first_is_slow() -> None:
    async def main() -> list[str]:
        seen: list[str] = []
        runner, url = await _receiver([], seen, delay_s=0.2)
        dispatcher = CallbackDispatcher(EmulatorClock())
        for n, event in enumerate(["prepare", "runing", "prestop", "done"]):
            dispatcher.send("volcengine", event, url, {"event": event, "n": n})
        await _settle(dispatcher, 4)
        await dispatcher.close()
        await runner.cleanup()
        return seen

    assert asyncio.run(main()) == ["prepare", "runing", "prestop", "done"]


def test_a_failed_delivery_is_retried_when_the_clock_reaches_its_delay() -> None:
    async def main() -> None:
        seen: list[str] = []
        runner, url = await _receiver([500, 503], seen)
        clock = EmulatorClock()
        dispatcher = CallbackDispatcher(clock)
        delivery = dispatcher.send(
            "zego", "mix_start", url, {"event": "mix_start", "n": 1}, retry_delays=(2, 4)
        )
        await _settle(dispatcher, 1)
        assert delivery.next_attempt_at is not None and not delivery.delivered
        clock.advance(1.9)
        await asyncio.sleep(0.05)
        assert len(delivery.attempts) == 1  # not due yet
        clock.advance(0.1)
        await _settle(dispatcher, 2)
        clock.advance(4)
        await _settle(dispatcher, 3)
        assert delivery.delivered and [a.status for a in delivery.attempts] == [500, 503, 200]
        await dispatcher.close()
        await runner.cleanup()

    asyncio.run(main())
