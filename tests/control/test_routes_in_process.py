"""Routes added beside the route table (layout, clock reset, the OpenAPI document) answered by an app built
in this process: exact 404 bodies, the layout of a task whose pipeline never started, the clock reset's
answer. Built per test, so these also test how the app registers each route."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient, TestServer

from emulator.app import create_app
from emulator.config import Settings
from emulator.context import EmulatorContext
from emulator.control import routes
from emulator.control.context_key import CTX
from emulator.core.job import Canvas, Layer, MixJob, Output, Rect
from emulator.media import probe as probe_module


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


class _ReportingPipeline(_StatuslessPipeline):
    def status(self) -> dict[str, Any]:
        return {
            "frames": 12,
            "media_time": 0.48,
            "realtime_factor": 0.9,
            "behind": True,
            "inputs": {"a": {"state": "live"}},
            "outputs": {"r": {"frames": 12}},
        }


def _factory(job: MixJob, **kwargs: Any) -> Any:
    if kwargs["task_id"].endswith(":quiet"):
        return _StatuslessPipeline()
    if kwargs["task_id"].endswith(":busy"):
        return _ReportingPipeline()
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
        assert view["snapshot_url"] == "http://emu.test:9000/_emulator/tasks/zego:t1/snapshot.png"
        assert view["layout_url"] == "http://emu.test:9000/_emulator/tasks/zego:t1/layout"
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


def test_the_task_view_shows_what_the_pipeline_reports(tmp_path: Path) -> None:
    async def body(client: TestClient, ctx: EmulatorContext) -> None:
        ctx.tasks.start("zego", "busy", MixJob(Canvas(64, 36), [Layer("a", "stream:a")], [Output("r")]))
        view = await (await client.get("/_emulator/tasks/zego:busy")).json()
        assert (view["frames"], view["media_time"], view["realtime_factor"], view["behind"]) == (
            12,
            0.48,
            0.9,
            True,
        )
        assert view["inputs"] == {"a": {"state": "live"}} and view["last_error"] is None
        assert view["outputs"][0]["frames"] == 12 and view["outputs"][0]["stream_id"] == "r"
        await ctx.tasks.stop_all()

    _with_client(tmp_path, body)


def test_each_stream_origin_has_its_play_urls(tmp_path: Path) -> None:
    async def body(client: TestClient, ctx: EmulatorContext) -> None:
        ctx.registry.publish("pushed", "live:rtmp:pushed", origin="rtmp")
        ctx.registry.publish("mixed", "live:mix:mixed", origin="mix")
        ctx.registry.publish("control", "pattern:color", origin="control")
        streams = (await (await client.get("/_emulator/streams")).json())["streams"]
        play = {stream["stream_id"]: stream["play"] for stream in streams}
        assert play == {
            "pushed": {
                "flv": "http://emu.test:9000/live/pushed.flv",
                "hls": "http://emu.test:9000/live/pushed/index.m3u8",
            },
            "mixed": None,
            "control": {"flv": "http://emu.test:9000/live/control.flv"},
        }

    _with_client(tmp_path, body)


def test_a_stream_whose_source_names_no_published_stream_is_refused(tmp_path: Path) -> None:
    async def body(client: TestClient, ctx: EmulatorContext) -> None:
        response = await client.post("/_emulator/streams", json={"stream_id": "x", "source": "stream:nope"})
        assert response.status == 400
        assert await response.json() == {
            "error": {
                "code": "InvalidField",
                "field": "source",
                "message": "a file inside the media roots, a URL or a pattern: source",
            }
        }

    _with_client(tmp_path, body)


def test_a_probe_that_takes_too_long_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def slow_probe(spec: str) -> Any:
        time.sleep(0.5)
        raise AssertionError("waited for")

    monkeypatch.setattr(routes, "PROBE_TIMEOUT_S", 0.05)
    monkeypatch.setattr(probe_module, "probe", slow_probe)

    async def body(client: TestClient, ctx: EmulatorContext) -> None:
        response = await client.post("/_emulator/streams", json={"stream_id": "x", "source": "pattern:color"})
        assert response.status == 400
        assert await response.json() == {
            "error": {"code": "InvalidField", "field": "source", "message": "probing the source timed out"}
        }

    _with_client(tmp_path, body)
