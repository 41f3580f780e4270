"""Outgoing callbacks (ZEGO mix_start/mix_stop, Volcengine task status): delivery with retries.

Each delivery is tried at once and, until a 2xx answer, again after each delay of its schedule on the
*emulator* clock (so advancing the clock drives retries). Every attempt is kept for the control API.
Runs on the event loop: the clock's timers fire on the loop thread (ticker and /clock/advance).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import urlencode

import aiohttp

from emulator.core.clock import EmulatorClock
from emulator.core.eventlog import log_failed_attempt
from emulator.core.journal import redact_json
from emulator.core.outbound import OutboundPolicy
from emulator.core.shelf import Shelf

BodyFormat = Literal["json", "form"]
ATTEMPT_TIMEOUT_S = 5.0
MAX_KEPT = 500


@dataclass
class Attempt:
    time: float  # emulator clock
    status: int | None
    error: str | None = None


@dataclass
class Delivery:
    id: int
    provider: str
    event: str
    url: str
    payload: dict[str, Any]
    body_format: BodyFormat
    retry_delays: list[float]
    task_id: str | None = None
    attempts: list[Attempt] = field(default_factory=list)
    delivered: bool = False
    gave_up: bool = False
    next_attempt_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """The delivery as the control API shows it: the payload's signature redacted, as in the journal."""
        return {**asdict(self), "payload": redact_json(self.payload)}


class CallbackDispatcher:
    def __init__(self, clock: EmulatorClock, outbound: OutboundPolicy | None = None) -> None:
        self._clock = clock
        self._outbound = outbound or OutboundPolicy([])
        self._ids = itertools.count(1)
        # Tagged (provider,); live while attempted, packed once delivered or given up (core/shelf.py).
        self._deliveries: Shelf[Delivery] = Shelf(MAX_KEPT)
        self._session: aiohttp.ClientSession | None = None
        self._pending: set[asyncio.Task[None]] = set()
        # One POST at a time per URL, first come first served: a receiver sees events in the order they
        # happened (prepare before runing), as providers' queues deliver them.
        self._url_locks: dict[str, tuple[asyncio.Lock, int]] = {}  # url -> (lock, deliveries using it)

    def send(
        self,
        provider: str,
        event: str,
        url: str,
        payload: dict[str, Any],
        *,
        body_format: BodyFormat = "json",
        retry_delays: Sequence[float] = (2, 4, 8, 16, 32),
        task_id: str | None = None,
    ) -> Delivery:
        """Queue a delivery and make the first attempt now (must be called on the event loop)."""
        delivery = Delivery(
            id=next(self._ids),
            provider=provider,
            event=event,
            url=url,
            payload=payload,
            body_format=body_format,
            retry_delays=list(retry_delays),
            task_id=task_id,
        )
        self._deliveries.put(str(delivery.id), delivery, (provider,), live=True)
        refusal = self._outbound.refusal(url)
        if refusal is not None:  # never sent: the attempt says why
            delivery.attempts.append(Attempt(self._clock.now(), None, refusal))
            delivery.gave_up = True
            self._deliveries.pack(delivery)
            return delivery
        self._spawn(delivery)
        return delivery

    def list(self, *, provider: str | None = None) -> list[Delivery]:
        return list(self.each(provider=provider))

    def each(self, *, provider: str | None = None) -> Iterator[Delivery]:
        """As :meth:`list`, a finished delivery unpickled only when it is reached (core/shelf.py)."""
        return self._deliveries.iterate(provider)

    async def close(self) -> None:
        for task in list(self._pending):
            task.cancel()
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        if self._session is not None:
            await self._session.close()
            self._session = None

    def clear(self) -> None:
        for task in list(self._pending):
            task.cancel()
        for delivery in self._deliveries.live():
            delivery.gave_up = True  # their timers may still fire: make them no-ops
        self._deliveries.clear()

    def _spawn(self, delivery: Delivery) -> None:
        task = asyncio.get_running_loop().create_task(self._attempt(delivery))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _attempt(self, delivery: Delivery) -> None:
        if delivery.delivered or delivery.gave_up:
            return
        lock, users = self._url_locks.get(delivery.url, (asyncio.Lock(), 0))
        self._url_locks[delivery.url] = (lock, users + 1)
        try:
            async with lock:
                status, error = await self._post(delivery)
        finally:
            lock, users = self._url_locks[delivery.url]
            if users == 1:
                del self._url_locks[delivery.url]  # nobody else waits: keep the map small
            else:
                self._url_locks[delivery.url] = (lock, users - 1)
        attempt = Attempt(self._clock.now(), status, error)
        delivery.attempts.append(attempt)
        if status is not None and 200 <= status < 300:
            delivery.delivered = True
            delivery.next_attempt_at = None
            self._deliveries.pack(delivery)
            return
        retries_done = len(delivery.attempts) - 1
        if retries_done >= len(delivery.retry_delays):
            delivery.gave_up = True
            delivery.next_attempt_at = None
            log_failed_attempt(delivery, attempt)
            self._deliveries.pack(delivery)
            return
        when = self._clock.now() + delivery.retry_delays[retries_done]
        delivery.next_attempt_at = when
        log_failed_attempt(delivery, attempt)
        loop = asyncio.get_running_loop()
        self._clock.call_at(when, lambda: loop.call_soon_threadsafe(self._spawn, delivery))

    async def _post(self, delivery: Delivery) -> tuple[int | None, str | None]:
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=ATTEMPT_TIMEOUT_S))
        if delivery.body_format == "json":
            data, content_type = json.dumps(delivery.payload, ensure_ascii=False), "application/json"
        else:
            data, content_type = urlencode(delivery.payload), "application/x-www-form-urlencoded"
        try:
            async with self._session.post(
                delivery.url, data=data.encode(), headers={"Content-Type": content_type}
            ) as resp:
                await resp.read()
                return resp.status, None
        except (aiohttp.ClientError, TimeoutError, ValueError, OSError) as exc:
            return None, f"{type(exc).__name__}: {exc}"
