"""Routes added beside the route table (layout, clock reset, the OpenAPI document) answered by an app built
in this process: exact 404 bodies, the layout of a task whose pipeline never started, the clock reset's
answer. Built per test, so these also test how the app registers each route."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer

from emulator.app import create_app
from emulator.config import Settings
from emulator.context import EmulatorContext
from emulator.control.context_key import CTX
from emulator.core.job import Canvas, Layer, MixJob, Output, Rect


class _StatuslessPipeline:
    """Starts, then cannot say how it is doing (its status read fails)."""

    def start(self) -> None:
        pass

    def stop(self, timeout: float = 5.0) -> None:
        pass

    def status(self) -> dict[str, Any]:
        raise RuntimeError("engine gone")

    def snapshot_png(self) -> None:
        return None


def _factory(job: MixJob, **kwargs: Any) -> Any:
    if kwargs["task_id"].endswith(":quiet"):
        return _StatuslessPipeline()
    raise RuntimeError("no media engine here")


def _with_client(tmp_path: Path, body: Callable[[TestClient, EmulatorContext], Awaitable[None]]) -> None:
    async def main() -> None:
        settings = Settings(port=0, rtmp_port=None, data_dir=tmp_path, public_host="emu.test:9000")
        app = create_app(settings, _factory)
        async with TestClient(TestServer(app)) as client:
            await body(client, app[CTX])

    asyncio.run(main())


def test_the_layout_of_an_unknown_task_is_a_404_naming_it(tmp_path: Path) -> None:
    async def body(client: TestClient, ctx: EmulatorContext) -> None:
        response = await client.get("/_emulator/tasks/zego:nope/layout")
        assert response.status == 404
        assert await response.json() == {
            "error": {"code": "TaskNotFound", "field": "task_id", "message": "no task 'zego:nope'"}
        }

    _with_client(tmp_path, body)


def test_the_layout_of_a_task_whose_pipeline_never_started(tmp_path: Path) -> None:
    async def body(client: TestClient, ctx: EmulatorContext) -> None:
        job = MixJob(
            Canvas(64, 36),
            [
                Layer("a", "stream:a", rect=Rect(0, 0, 32, 36)),
                Layer("b", "stream:b", rect=Rect(32, 0, 32, 36)),
            ],
            [Output("out")],
        )
        task = ctx.tasks.start("zego", "t1", job)
        await ctx.tasks.wait_idle()
        assert task.media_status() == {}  # nothing reported: no inputs, nothing shown
        response = await client.get("/_emulator/tasks/zego:t1/layout")
        assert response.status == 200
        layout = await response.json()
        assert (layout["task"], layout["state"]) == ("zego:t1", "failed")
        assert [layer["id"] for layer in layout["layers"]] == ["a", "b"]
        view = await (await client.get("/_emulator/tasks/zego:t1")).json()
        assert (view["state"], view["last_error"], view["frames"], view["media_time"]) == (
            "failed",
            "no media engine here",
            0,
            0.0,
        )
        assert (view["inputs"], view["realtime_factor"], view["behind"]) == ({}, None, False)
        assert view["outputs"] == [
            {
                "recording_url": None,
                "hls_url": None,
                "stream_id": "out",
                "play": {
                    "flv": "http://emu.test:9000/live/out.flv",
                    "hls": "http://emu.test:9000/live/out/index.m3u8",
                },
            }
        ]

    _with_client(tmp_path, body)


def test_a_task_whose_status_cannot_be_read_shows_why(tmp_path: Path) -> None:
    async def body(client: TestClient, ctx: EmulatorContext) -> None:
        ctx.tasks.start("zego", "quiet", MixJob(Canvas(64, 36), [], [Output("q")]))
        view = await (await client.get("/_emulator/tasks/zego:quiet")).json()
        assert (view["state"], view["last_error"]) == ("starting", "status unavailable: engine gone")
        assert (view["frames"], view["media_time"], view["outputs"][0]["recording_url"]) == (0, 0.0, None)
        await ctx.tasks.stop_all()

    _with_client(tmp_path, body)


def test_the_clock_reset_answers_where_the_clock_is(tmp_path: Path) -> None:
    async def body(client: TestClient, ctx: EmulatorContext) -> None:
        ctx.clock.advance(3600)
        response = await client.post("/_emulator/clock/reset")
        assert response.status == 200
        answer = await response.json()
        assert answer["offset"] == 0 and answer["moved_back"] == 3600
        assert abs(answer["now"] - ctx.clock.wall()) < 5
        again = await (await client.post("/_emulator/clock/reset")).json()
        assert again["moved_back"] == 0

    _with_client(tmp_path, body)


def test_the_openapi_document_is_served(tmp_path: Path) -> None:
    async def body(client: TestClient, ctx: EmulatorContext) -> None:
        response = await client.get("/_emulator/openapi.json")
        assert response.status == 200
        assert (await response.json())["paths"]["/_emulator/clock/reset"]["post"]["tags"] == ["clock"]

    _with_client(tmp_path, body)
