"""The dispatcher's own housekeeping: per-URL ordering locks are dropped once nobody waits on them, close()
waits for the attempts it cancels, and a closed dispatcher opens a new session for the next delivery."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from emulator.core import callbacks
from emulator.core.callbacks import CallbackDispatcher
from emulator.core.clock import EmulatorClock
from tests.core.test_callbacks import _receiver


async def _settle(dispatcher: CallbackDispatcher, count: int, timeout: float = 10.0) -> None:
    """Until ``count`` attempts were made in all (bounded: a loaded machine may be slow)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while sum(len(d.attempts) for d in dispatcher.list()) < count:
        assert loop.time() < deadline, dispatcher.list()
        await asyncio.sleep(0.01)


def test_the_per_url_locks_are_dropped_when_the_deliveries_end() -> None:
    async def main() -> None:
        seen: list[str] = []
        runner, url = await _receiver([], seen, delay_s=0.1)
        dispatcher = CallbackDispatcher(EmulatorClock())
        for n in range(3):
            dispatcher.send("zego", f"e{n}", url, {"event": f"e{n}", "n": n})
        dispatcher.send("zego", "other", url + "?x=1", {"event": "other", "n": 5})
        await _settle(dispatcher, 4)
        await asyncio.sleep(0.01)
        assert dispatcher._url_locks == {}
        assert [d.delivered for d in dispatcher.list()] == [True] * 4
        assert seen.index("e0") < seen.index("e1") < seen.index("e2")  # in order on their URL
        dispatcher.send("zego", "again", url, {"event": "again", "n": 6})
        await _settle(dispatcher, 5)
        await asyncio.sleep(0.01)
        assert dispatcher._url_locks == {}
        await dispatcher.close()
        await runner.cleanup()

    asyncio.run(main())


def test_close_ends_the_attempts_in_flight_and_a_closed_dispatcher_still_delivers() -> None:
    async def main() -> None:
        release = asyncio.Event()

        async def hang(request: web.Request) -> web.Response:
            await release.wait()
            return web.Response()

        app = web.Application()
        app.router.add_post("/hang", hang)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        dispatcher = CallbackDispatcher(EmulatorClock())
        dispatcher.send("zego", "stuck", f"http://127.0.0.1:{port}/hang", {"n": 0})
        await asyncio.sleep(0.1)
        assert len(dispatcher._pending) == 1
        await dispatcher.close()
        assert dispatcher._pending == set()  # cancelled and waited for
        release.set()
        seen: list[str] = []
        receiver, url = await _receiver([], seen)
        delivery = dispatcher.send("zego", "later", url, {"event": "later", "n": 1})
        await _settle(dispatcher, 1)  # the cancelled one made no attempt
        assert delivery.delivered and seen == ["later"]
        await dispatcher.close()
        await receiver.cleanup()
        await runner.cleanup()

    asyncio.run(main())


def test_an_attempt_that_gets_no_answer_in_time_fails_and_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(callbacks, "ATTEMPT_TIMEOUT_S", 0.2)

    async def main() -> None:
        release = asyncio.Event()

        async def hang(request: web.Request) -> web.Response:
            await release.wait()
            return web.Response()

        app = web.Application()
        app.router.add_post("/hang", hang)
        runner = web.AppRunner(app)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        clock = EmulatorClock()
        dispatcher = CallbackDispatcher(clock)
        delivery = dispatcher.send(
            "zego", "slow", f"http://127.0.0.1:{port}/hang", {"n": 0}, retry_delays=(2,)
        )
        await _settle(dispatcher, 1)
        (attempt,) = delivery.attempts
        assert (
            attempt.status is None and attempt.error is not None and attempt.error.startswith("TimeoutError")
        )
        assert delivery.next_attempt_at == pytest.approx(attempt.time + 2, abs=0.5) and not delivery.gave_up
        release.set()
        await dispatcher.close()
        await runner.cleanup()

    asyncio.run(main())
