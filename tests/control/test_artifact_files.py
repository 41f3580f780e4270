"""What the artifact routes serve from the data dir and the URLs the task view gives for a sink's files, on
an app in this process: content types, no caching, folders and escapes refused, paths outside the data dir."""

from __future__ import annotations

import asyncio
import os
from mimetypes import MimeTypes
from pathlib import Path

import pytest
from aiohttp import web_fileresponse
from aiohttp.test_utils import TestClient, TestServer

from emulator.app import create_app
from emulator.config import Settings
from emulator.context import EmulatorContext
from emulator.control.artifacts import output_urls


def _settings(data_dir: Path) -> Settings:
    return Settings(port=0, rtmp_port=None, data_dir=data_dir, public_host="emu.test:9000")


def _fetch(data_dir: Path, paths: list[str]) -> list[tuple[int, dict[str, str], bytes]]:
    async def main() -> list[tuple[int, dict[str, str], bytes]]:
        answers = []
        async with TestClient(TestServer(create_app(_settings(data_dir)))) as client:
            for path in paths:
                response = await client.get(path)
                answers.append((response.status, dict(response.headers), await response.read()))
        return answers

    return asyncio.run(main())


def test_recordings_and_hls_files_are_served_uncached_with_their_types(tmp_path: Path) -> None:
    (tmp_path / "recordings" / "zego_t1").mkdir(parents=True)
    (tmp_path / "recordings" / "zego_t1" / "out.mp4").write_bytes(b"mp4 bytes")
    (tmp_path / "hls" / "out").mkdir(parents=True)
    (tmp_path / "hls" / "out" / "index.m3u8").write_text("#EXTM3U\n")
    (tmp_path / "hls" / "out" / "seg1.ts").write_bytes(b"ts")
    recording, playlist, segment = _fetch(
        tmp_path,
        [
            "/_emulator/recordings/zego_t1/out.mp4",
            "/_emulator/hls/out/index.m3u8",
            "/_emulator/hls/out/seg1.ts",
        ],
    )
    assert (recording[0], recording[2]) == (200, b"mp4 bytes")
    assert recording[1]["Cache-Control"] == "no-store" and recording[1]["Content-Type"] == "video/mp4"
    assert (playlist[0], playlist[2]) == (200, b"#EXTM3U\n")
    assert playlist[1]["Content-Type"] == "application/vnd.apple.mpegurl"
    assert playlist[1]["Cache-Control"] == "no-store"
    assert segment[0] == 200 and segment[1]["Content-Type"] != "application/vnd.apple.mpegurl"


def test_folders_other_roots_and_links_out_are_not_served(tmp_path: Path) -> None:
    (tmp_path / "recordings" / "zego_t1").mkdir(parents=True)
    (tmp_path / "hls" / "out").mkdir(parents=True)
    (tmp_path / "hls" / "out" / "index.m3u8").write_text("#EXTM3U\n")
    (tmp_path / "secret.txt").write_text("no")
    os.symlink(tmp_path / "secret.txt", tmp_path / "recordings" / "zego_t1" / "link.mp4")
    answers = _fetch(
        tmp_path,
        [
            "/_emulator/recordings/zego_t1",
            "/_emulator/recordings/out/index.m3u8",  # an HLS file is not a recording
            "/_emulator/recordings/zego_t1/link.mp4",
            "/_emulator/hls/%2e%2e/secret.txt",
        ],
    )
    for (status, headers, body), path in zip(
        answers, ["zego_t1", "out/index.m3u8", "zego_t1/link.mp4"], strict=False
    ):
        assert status == 404 and headers["Content-Type"].startswith("application/json")
        assert body.decode() == (
            '{"error": {"code": "ArtifactNotFound", "message": "no such file: ' + path + '"}}'
        ), body
    assert answers[3][0] == 404


def test_the_task_view_urls_of_a_sinks_files(tmp_path: Path) -> None:
    ctx = EmulatorContext.create(_settings(tmp_path), pipeline_factory=lambda *a, **k: None)
    recording = tmp_path / "recordings" / "zego_t1" / "out.mp4"
    assert output_urls(
        ctx, {"recording": str(recording), "hls": str(tmp_path / "hls" / "out" / "index.m3u8")}
    ) == {
        "recording_url": "http://emu.test:9000/_emulator/recordings/zego_t1/out.mp4",
        "hls_url": "http://emu.test:9000/_emulator/hls/out/index.m3u8",
    }
    assert output_urls(ctx, {}) == {"recording_url": None, "hls_url": None}
    assert output_urls(ctx, {"recording": "", "hls": None}) == {"recording_url": None, "hls_url": None}
    # Written through another path to the data dir (a link): resolved, then named under the data dir.
    os.symlink(tmp_path, tmp_path.parent / f"{tmp_path.name}-link")
    other_way = tmp_path.parent / f"{tmp_path.name}-link" / "recordings" / "zego_t2" / "a.mp4"
    assert output_urls(ctx, {"recording": str(other_way)})["recording_url"] == (
        "http://emu.test:9000/_emulator/recordings/zego_t2/a.mp4"
    )
    assert output_urls(ctx, {"recording": "/elsewhere/out.mp4", "hls": str(tmp_path / "x.m3u8")}) == {
        "recording_url": None,
        "hls_url": None,
    }


def test_a_playlist_keeps_the_hls_type_where_the_system_maps_m3u8_elsewhere(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Some systems' mime.types name .m3u8 audio/x-mpegurl; players want HLS's own type whatever the host.
    elsewhere = MimeTypes()
    elsewhere.add_type("audio/x-mpegurl", ".m3u8")
    monkeypatch.setattr(web_fileresponse, "CONTENT_TYPES", elsewhere)
    (tmp_path / "hls" / "out").mkdir(parents=True)
    (tmp_path / "hls" / "out" / "index.m3u8").write_text("#EXTM3U\n")
    ((status, headers, _),) = _fetch(tmp_path, ["/_emulator/hls/out/index.m3u8"])
    assert status == 200 and headers["Content-Type"] == "application/vnd.apple.mpegurl"
