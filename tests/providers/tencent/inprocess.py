"""A whole emulator app made inside the test (aiohttp's TestServer on loopback, real HTTP), for the Tencent
code that runs once per app: the provider's constructor, its routes and the control routes' handlers.
The shared session-scoped server would make them look like the first test's code only."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

from aiohttp.test_utils import TestClient, TestServer

from emulator.app import create_app
from emulator.config import Settings
from emulator.context import EmulatorContext
from emulator.control.routes import CTX
from emulator.providers.tencent.provider import TencentProvider

T = TypeVar("T")


def served(
    data_dir: Path,
    scenario: Callable[[TestClient, TencentProvider, EmulatorContext], Awaitable[T]],
    **settings: Any,
) -> T:
    """Run ``scenario(client, provider, ctx)`` against a fresh app; everything is stopped after it."""
    app = create_app(
        Settings(port=0, rtmp_port=None, media_workers=0, media_mode="fast", data_dir=data_dir, **settings)
    )
    ctx = app[CTX]
    provider = ctx.providers["tencent"]
    assert isinstance(provider, TencentProvider)

    async def run() -> T:
        async with TestClient(TestServer(app)) as client:
            return await asyncio.wait_for(scenario(client, provider, ctx), 30)

    return asyncio.run(run())
