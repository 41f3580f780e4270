"""Signed callers of ZEGO: the server API at ``rtc-api.zego.im`` (``Signature = md5(AppId +
SignatureNonce + ServerSecret + Timestamp)``) and the legacy web API (``/cgi/token`` then
``?access_token=``). Timestamps come from the wall clock."""

from __future__ import annotations

import hashlib
import secrets
import time
import urllib.parse
from typing import Any

from emulator.kit.http import ProviderAnswer, exchange, json_body

APP_ID = 12345
SERVER_SECRET = "9193cc662a4c0ec135ec71fb57194b38"


class ZegoRtc:
    """``/?Action=...&AppId=&SignatureNonce=&Timestamp=&Signature=&SignatureVersion=2.0``."""

    def __init__(self, base_url: str, app_id: int = APP_ID, secret: str = SERVER_SECRET) -> None:
        self.base_url = base_url
        self.app_id = app_id
        self.secret = secret

    def query(self, action: str) -> dict[str, str]:
        nonce, timestamp = secrets.token_hex(8), int(time.time())
        signature = hashlib.md5(f"{self.app_id}{nonce}{self.secret}{timestamp}".encode()).hexdigest()
        return {
            "Action": action,
            "AppId": str(self.app_id),
            "SignatureNonce": nonce,
            "Timestamp": str(timestamp),
            "Signature": signature,
            "SignatureVersion": "2.0",
        }

    def call(self, action: str, body: dict[str, Any] | None = None) -> ProviderAnswer:
        """POST ``body`` as JSON (GET without one); returns ``{"Code", "Message", "RequestId", "Data"?}``."""
        url = f"{self.base_url}/?{urllib.parse.urlencode(self.query(action))}"
        if body is None:
            return exchange("GET", url)
        return exchange("POST", url, json_body(body), {"Content-Type": "application/json"})

    def task_id(self, task_id: str) -> str:
        """The emulator's id of this app's mix task (for ``wait_for``, ``snapshot`` ...)."""
        return f"zego:{self.app_id}:{task_id}"


class ZegoLegacy:
    """``GET /cgi/token``, then ``POST /cgi/start-mix`` / ``/cgi/stop-mix`` with the token."""

    def __init__(self, base_url: str, app_id: int = APP_ID, secret: str = SERVER_SECRET) -> None:
        self.base_url = base_url
        self.app_id = app_id
        self.secret = secret

    def token(self) -> str:
        query = {"appid": self.app_id, "secret": self.secret, "timestamp": int(time.time() * 1000)}
        answer = exchange("GET", f"{self.base_url}/cgi/token?{urllib.parse.urlencode(query)}")
        if answer.get("code") != 0:
            raise RuntimeError(f"ZEGO /cgi/token refused: {dict(answer)}")
        return str(answer["data"]["access_token"])

    def call(self, path: str, body: dict[str, Any]) -> ProviderAnswer:
        """``path`` is ``start-mix`` or ``stop-mix``; a fresh token is fetched for each call."""
        url = f"{self.base_url}/cgi/{path}?access_token={urllib.parse.quote(self.token())}"
        return exchange("POST", url, json_body(body), {"Content-Type": "application/json"})

    def start_mix(self, body: dict[str, Any]) -> ProviderAnswer:
        return self.call("start-mix", body)

    def stop_mix(self, body: dict[str, Any]) -> ProviderAnswer:
        return self.call("stop-mix", body)
