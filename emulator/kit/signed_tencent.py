"""Signed callers of Tencent Cloud Live: the legacy ``Mix_StreamV2`` CGI (``sign = md5(key + t)``) and
Cloud API 3.0 (TC3-HMAC-SHA256). Signature times come from the wall clock, as a real client's do."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from typing import Any

from emulator.kit.http import ProviderAnswer, exchange, json_body
from emulator.providers.tencent.tc3 import tc3_signature

APPID = "1252500000"
KEY = "40328529ca4381a80c6ecf2e6aa57438"
SIGN_VALID_S = 300  # ``t`` is when the signature expires
START = "mix_streamv2.start_mix_stream_advanced"
CANCEL = "mix_streamv2.cancel_mix_stream"


class TencentLegacy:
    """``POST /common_access?appid=&interface=Mix_StreamV2&t=&sign=`` with the seed's envelope."""

    def __init__(self, base_url: str, appid: str = APPID, key: str = KEY) -> None:
        self.base_url = base_url
        self.appid = appid
        self.key = key

    def url(self) -> str:
        t = int(time.time()) + SIGN_VALID_S
        sign = hashlib.md5(f"{self.key}{t}".encode()).hexdigest()
        return f"{self.base_url}/common_access?appid={self.appid}&interface=Mix_StreamV2&t={t}&sign={sign}"

    def call(self, para: dict[str, Any]) -> ProviderAnswer:
        """Send ``para`` (the ``interface.para`` object) in the request envelope; returns the answer."""
        now = int(time.time())
        envelope = {
            "timestamp": now,
            "eventId": now,
            "interface": {"interfaceName": "Mix_StreamV2", "para": {"app_id": int(self.appid), **para}},
        }
        return exchange("POST", self.url(), json_body(envelope), {"Content-Type": "application/json"})

    def start(
        self, session_id: str, output_stream_id: str, inputs: list[dict[str, Any]], **para: Any
    ) -> ProviderAnswer:
        """Start (or update) a mix: ``inputs`` is the ``input_stream_list``."""
        return self.call(
            {
                "interface": START,
                "mix_stream_session_id": session_id,
                "output_stream_id": output_stream_id,
                "input_stream_list": inputs,
                **para,
            }
        )

    def cancel(self, session_id: str, output_stream_id: str) -> ProviderAnswer:
        return self.call(
            {"interface": CANCEL, "mix_stream_session_id": session_id, "output_stream_id": output_stream_id}
        )


class TencentApi3:
    """Cloud API 3.0 (Version 2018-08-01): ``POST /`` with ``X-TC-Action`` and a TC3 signature."""

    def __init__(self, base_url: str, host_port: str, secret_id: str = APPID, secret_key: str = KEY) -> None:
        self.base_url = base_url
        self.host_port = host_port
        self.secret_id = secret_id
        self.secret_key = secret_key

    def call(self, action: str, body: dict[str, Any], region: str = "ap-guangzhou") -> ProviderAnswer:
        """Returns the answer; its ``Response`` holds ``Error`` when the call failed."""
        payload = json_body(body)
        timestamp = int(time.time())
        date = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d")
        headers = {"content-type": "application/json; charset=utf-8", "host": self.host_port}
        signature = tc3_signature(
            self.secret_key,
            method="POST",
            query="",
            headers=headers,
            signed=["content-type", "host"],
            body=payload,
            timestamp=str(timestamp),
            date=date,
        )
        authorization = (
            f"TC3-HMAC-SHA256 Credential={self.secret_id}/{date}/live/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature}"
        )
        sent = {
            **headers,
            "Authorization": authorization,
            "X-TC-Action": action,
            "X-TC-Version": "2018-08-01",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": region,
        }
        return exchange("POST", f"{self.base_url}/", payload, sent)
