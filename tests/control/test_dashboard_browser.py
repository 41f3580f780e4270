"""The dashboard in a real browser: headless Chromium (Debian's package), driven over the DevTools protocol
with aiohttp's websocket client. The preview shows the mix, a dropped input is marked lost on the picture
and in its task's inputs, and a fault added from the page makes the next API call fail."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import shutil
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from emulator.testing import EmulatorFixture
from tests.control.support import stop_process, zego_mix
from tests.providers.zego.helpers import Zego

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,720",
    "--remote-debugging-port=0",
)
START_TIMEOUT_S = 15.0
WAIT_S = 8.0
TASK = "zego:12345:dash"


def browser_path() -> str:
    for name in BROWSERS:
        if path := shutil.which(name):
            return path
    pytest.skip(
        "the dashboard test needs headless Chromium: `apt-get install chromium` on Debian/Ubuntu "
        "(make test installs it where it runs as root), or put chromium or google-chrome on PATH"
    )


class Page:
    """One page target over the DevTools protocol: navigate and evaluate JavaScript."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self._ids = itertools.count(1)

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        call_id = next(self._ids)
        await self._ws.send_json({"id": call_id, "method": method, "params": params})
        while True:
            message = await asyncio.wait_for(self._ws.receive(), WAIT_S)
            if message.type != aiohttp.WSMsgType.TEXT:
                raise AssertionError(f"DevTools connection closed: {message}")
            data = json.loads(message.data)
            if data.get("id") == call_id:
                if "error" in data:
                    raise AssertionError(f"{method}: {data['error']}")
                return data["result"]

    async def evaluate(self, expression: str) -> Any:
        result = await self.send(
            "Runtime.evaluate", expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def wait_for(self, expression: str, what: str, timeout: float = WAIT_S) -> Any:
        """Evaluate until the value is truthy."""
        deadline = time.monotonic() + timeout
        while not (value := await self.evaluate(expression)):
            assert time.monotonic() < deadline, f"the dashboard never showed {what}"
            await asyncio.sleep(0.1)
        return value


@contextlib.asynccontextmanager
async def chromium_page(tmp_path: Path) -> AsyncIterator[Page]:
    profile = tmp_path / "chromium-profile"  # a fresh profile: nothing from earlier runs
    command = [browser_path(), *FLAGS, f"--user-data-dir={profile}", "about:blank"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + START_TIMEOUT_S
        while not (port_file.exists() and port_file.read_text().count("\n") >= 1):
            assert process.poll() is None, f"chromium exited with {process.returncode}"
            assert time.monotonic() < deadline, "chromium did not open its DevTools port"
            await asyncio.sleep(0.05)
        port = int(port_file.read_text().split()[0])
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=WAIT_S)) as http:
            async with http.get(f"http://127.0.0.1:{port}/json/list") as response:
                targets = await response.json()
            page = next(t for t in targets if t["type"] == "page")
            async with http.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0) as ws:
                yield Page(ws)
    finally:
        stop_process(process)


# Pixel colours of the preview image, read by drawing it onto a canvas in the page.
PIXELS = """(() => {
  const img = document.querySelector('[data-task-id="%s"] .preview img');
  if (!img || !img.naturalWidth) return null;
  const canvas = document.createElement("canvas");
  canvas.width = img.naturalWidth; canvas.height = img.naturalHeight;
  const g = canvas.getContext("2d"); g.drawImage(img, 0, 0);
  const at = (x, y) => Array.from(g.getImageData(x, y, 1, 1).data.slice(0, 3));
  return {size: [img.naturalWidth, img.naturalHeight], left: at(40, 45), right: at(120, 45)};
})()"""


def near(rgb: list[int], expected: tuple[int, int, int], tolerance: int = 48) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(rgb, expected, strict=True))


def start_mix(zego: Zego) -> None:
    zego.emu.publish("left", "pattern:color?color=#ff0000&size=160x90")
    zego.emu.publish("right", "pattern:color?color=#0000ff&size=160x90")
    body = zego_mix("dash", {"left": (0, 0, 80, 90), "right": (80, 0, 160, 90)}, (160, 90))
    assert zego.start_mix(body)["Code"] == 0


def test_dashboard_preview_lost_input_and_fault(mix_emulator: EmulatorFixture, tmp_path: Path) -> None:
    browser_path()
    zego = Zego(mix_emulator)
    start_mix(zego)
    asyncio.run(_drive(zego, tmp_path))


async def _drive(zego: Zego, tmp_path: Path) -> None:
    emu = zego.emu
    async with chromium_page(tmp_path) as page:
        await page.send("Page.navigate", url=f"{emu.url}/_emulator/")

        # The preview shows the mix: red on the left, blue on the right, boxes labelled by input.
        async def shows_mix() -> bool:
            pixels = await page.evaluate(PIXELS % TASK)
            return bool(pixels) and near(pixels["left"], (255, 0, 0)) and near(pixels["right"], (0, 0, 255))

        deadline = time.monotonic() + WAIT_S
        while not await shows_mix():
            assert time.monotonic() < deadline, f"preview: {await page.evaluate(PIXELS % TASK)}"
            await asyncio.sleep(0.1)
        boxes = f'document.querySelectorAll(\'[data-task-id="{TASK}"] svg g[data-state="live"]\').length'
        await page.wait_for(f"{boxes} === 2", "both inputs live")

        # A dropped input is marked lost: its box on the preview and its row in the inputs.
        emu.unpublish("right")
        lost = f'[data-task-id="{TASK}"] svg g[data-layer="right"][data-state="lost"]'
        await page.wait_for(f"!!document.querySelector('{lost}')", "the dropped input as lost")
        row = f'[data-task-id="{TASK}"] tr[data-input="right"]'
        assert await page.evaluate(f"document.querySelector('{row}').dataset.state") == "lost"
        error = await page.evaluate(f"document.querySelector('{row}').nextElementSibling.textContent")
        assert "not published" in error

        # A fault added from the page makes the next API call fail.
        await page.evaluate(
            """(() => {
              const set = (id, value) => { const el = document.getElementById(id); el.value = value; };
              set("fault-provider", "zego"); set("fault-action", "StopMix"); set("fault-code", "110200194");
              set("fault-times", "1");
              document.getElementById("fault-add").click();
            })()"""
        )
        await page.wait_for("!!document.querySelector('#faults tr[data-fault]')", "the added fault")
        assert zego.call("StopMix", {"TaskId": "dash", "UserId": "u1"})["Code"] == 110200194
        (fault,) = emu.faults()
        assert (fault["action"], fault["hits"], fault["times_left"]) == ("StopMix", 1, 0)
        # ... and the journal on the page shows that answer as an error, though it came with HTTP 200.
        await page.wait_for(
            "!!document.querySelector('#journal tr.error-answer[data-error=\"1\"]')", "the error answer"
        )
