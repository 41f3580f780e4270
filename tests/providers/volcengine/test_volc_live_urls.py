"""Which source a live InputSource Url opens in a running emulator: a mapped URL or a pattern as is, a bare id
as that stream, the emulator's own HTTP-FLV and RTMP play URLs (host and port both checked) as their
stream, a published stream or a running mix's output by its id, anything else pulled until published."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.config import Settings
from emulator.context import EmulatorContext
from emulator.providers.volcengine.mixjob import LiveResolver, emulator_live_resolver


@pytest.fixture
def ctx(tmp_path: Path) -> Iterator[EmulatorContext]:
    settings = Settings(
        data_dir=tmp_path, media_workers=0, host="192.0.2.10", public_host="live.example.com:8088"
    )
    ctx = EmulatorContext.create(settings)
    ctx.http_port, ctx.rtmp_port = 18080, 11935
    yield ctx


@pytest.fixture
def resolve(ctx: EmulatorContext) -> LiveResolver:
    return emulator_live_resolver(ctx)


@pytest.mark.parametrize(
    ("url", "opened"),
    [
        # the emulator's own play URLs, by any local name or the public host
        ("http://127.0.0.1:18080/live/anchor1.flv", "stream:anchor1"),
        ("https://localhost:18080/live/anchor1.flv", "stream:anchor1"),
        ("http://0.0.0.0:18080/live/anchor1.flv", "stream:anchor1"),
        ("http://live.example.com:18080/live/anchor1.flv", "stream:anchor1"),
        ("rtmp://127.0.0.1:11935/live/anchor1", "stream:anchor1"),
        ("rtmp://localhost:11935/live/anchor1", "stream:anchor1"),
        # another port, another scheme or another host: not ours, pulled until published
        ("http://127.0.0.1:18081/live/anchor1.flv", "pull:http://127.0.0.1:18081/live/anchor1.flv"),
        ("http://127.0.0.1/live/anchor1.flv", "pull:http://127.0.0.1/live/anchor1.flv"),
        ("rtmp://127.0.0.1:11936/live/anchor1", "pull:rtmp://127.0.0.1:11936/live/anchor1"),
        ("rtmp://127.0.0.1/live/anchor1", "pull:rtmp://127.0.0.1/live/anchor1"),  # 1935 is not ours here
        ("rtsp://127.0.0.1:11935/live/anchor1", "pull:rtsp://127.0.0.1:11935/live/anchor1"),
        ("rtmp://pull.example.com:11935/live/anchor1", "pull:rtmp://pull.example.com:11935/live/anchor1"),
        ("http://8088:18080/live/anchor1.flv", "pull:http://8088:18080/live/anchor1.flv"),
        ("http://127.0.0.1:99999/live/anchor1.flv", "pull:http://127.0.0.1:99999/live/anchor1.flv"),
        # a bare id is that stream; a pattern is a source of its own
        ("anchor1", "stream:anchor1"),
        ("pattern:bars?size=64x36", "pattern:bars?size=64x36"),
        # no stream id in it: opened as given
        ("rtmp://pull.example.com/", "rtmp://pull.example.com/"),
    ],
)
def test_live_urls(resolve: LiveResolver, url: str, opened: str) -> None:
    assert resolve(url) == opened


def test_the_default_rtmp_port_is_1935(tmp_path: Path) -> None:
    ctx = EmulatorContext.create(Settings(data_dir=tmp_path, media_workers=0))
    ctx.http_port, ctx.rtmp_port = 18080, 1935
    assert emulator_live_resolver(ctx)("rtmp://127.0.0.1/live/a") == "stream:a"
    assert emulator_live_resolver(ctx)("rtmp://127.0.0.1:1936/live/a") == "pull:rtmp://127.0.0.1:1936/live/a"


def test_a_published_stream_or_a_mix_output_is_found_by_its_id(
    ctx: EmulatorContext, resolve: LiveResolver
) -> None:
    url = "rtmp://pull.example.com/live/anchor2?auth=x"
    assert resolve(url) == "pull:" + url
    ctx.registry.publish("anchor2", "pattern:bars")
    assert resolve(url) == "stream:anchor2"
    ctx.registry.claim_outputs("volcengine:t1", ["mixout"])
    assert resolve("http://cdn.example.com/live/mixout.flv") == "stream:mixout"


def test_a_mapped_url_stays_as_it_is(ctx: EmulatorContext, resolve: LiveResolver) -> None:
    url = "rtmp://pull.example.com/live/anchor3"
    ctx.urls.add(url, "pattern:bars")
    ctx.registry.publish("anchor3", "pattern:color")  # the mapping wins over the published id
    assert resolve(url) == url
