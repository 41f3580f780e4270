"""The control token's guard on an app in this process: the exact refusal, the dashboard's cookie and its
path, the Authorization header's spacing, and a token that could be mistaken for a missing one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp.test_utils import TestClient, TestServer

from emulator.app import create_app
from emulator.config import Settings

REFUSAL = (
    "the control API needs its token: send 'Authorization: Bearer <token>' (control_token, "
    "MIXEMU_CONTROL_TOKEN; the dashboard page takes ?token=<token>)"
)


def _guarded(tmp_path: Path, token: str, body: Callable[[TestClient], Awaitable[None]]) -> None:
    async def main() -> None:
        app = create_app(Settings(port=0, rtmp_port=None, data_dir=tmp_path, control_token=token))
        async with TestClient(TestServer(app)) as client:
            await body(client)

    asyncio.run(main())


def test_a_request_without_the_token_gets_the_exact_refusal(tmp_path: Path) -> None:
    async def body(client: TestClient) -> None:
        response = await client.get("/_emulator/health")
        assert response.status == 401
        assert await response.json() == {"error": {"code": "Unauthorized", "message": REFUSAL}}
        assert response.headers["WWW-Authenticate"] == 'Bearer realm="mix-emulator control API"'
        spaced = await client.get("/_emulator/health", headers={"Authorization": "Bearer   s3cret "})
        assert spaced.status == 200  # the token is taken without the spaces around it
        lower = await client.get("/_emulator/health", headers={"Authorization": "bearer s3cret"})
        assert lower.status == 200

    _guarded(tmp_path, "s3cret", body)


def test_the_dashboards_cookie_is_for_the_control_api_only(tmp_path: Path) -> None:
    async def body(client: TestClient) -> None:
        response = await client.get("/_emulator/?token=s3cret")
        assert response.status == 200
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("mixemu_control_token=s3cret;")
        assert "Path=/_emulator" in cookie.split("; ")

    _guarded(tmp_path, "s3cret", body)


def test_no_query_token_is_not_a_token_whatever_the_token(tmp_path: Path) -> None:
    async def body(client: TestClient) -> None:
        assert (await client.get("/_emulator/")).status == 401
        assert (await client.get("/_emulator/?token=")).status == 401

    _guarded(tmp_path, "XXXX", body)
