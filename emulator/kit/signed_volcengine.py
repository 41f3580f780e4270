"""A signed caller of Volcengine Live's cloud mix (Version 2023-01-01), SigV4-style HMAC-SHA256 as the
official SDK signs (``X-Date`` from the wall clock, service ``live``)."""

from __future__ import annotations

import time
import urllib.parse
from typing import Any

from emulator.kit.http import ProviderAnswer, exchange, json_body
from emulator.providers.volcengine import signing

ACCESS_KEY = "AKLTemulator"
SECRET_KEY = "emulator-secret"
VERSION = "2023-01-01"
SIGNED = ("content-type", "host", "x-content-sha256", "x-date")


class Volcengine:
    def __init__(
        self, base_url: str, host_port: str, access_key: str = ACCESS_KEY, secret_key: str = SECRET_KEY
    ) -> None:
        self.base_url = base_url
        self.host_port = host_port
        self.access_key = access_key
        self.secret_key = secret_key

    def call(self, action: str, body: dict[str, Any], region: str = "cn-north-1") -> ProviderAnswer:
        """Returns ``{"ResponseMetadata", "Result"}`` (``ResponseMetadata.Error`` when refused)."""
        payload = json_body(body)
        query = [("Action", action), ("Version", VERSION)]
        x_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        headers = {
            "content-type": "application/json",
            "host": signing.canonical_host(self.host_port),
            "x-content-sha256": signing.sha256_hex(payload),
            "x-date": x_date,
        }
        auth = signing.Authorization(self.access_key, x_date[:8], region, "live", SIGNED, "")
        canonical = signing.canonical_request("POST", "/", query, headers, SIGNED, payload)
        signature = signing.signature(self.secret_key, x_date, auth, canonical)
        headers["authorization"] = (
            f"{signing.ALGORITHM} Credential={self.access_key}/{auth.scope}, "
            f"SignedHeaders={';'.join(SIGNED)}, Signature={signature}"
        )
        url = f"{self.base_url}/?{urllib.parse.urlencode(query)}"
        return exchange("POST", url, payload, {**headers, "host": self.host_port})

    def create(self, body: dict[str, Any]) -> ProviderAnswer:
        return self.call("CreateCloudMixTask", body)

    def update(self, body: dict[str, Any]) -> ProviderAnswer:
        return self.call("UpdateCloudMixTask", body)

    def delete(self, task_id: str) -> ProviderAnswer:
        return self.call("DeleteCloudMixTask", {"TaskID": task_id})

    def detail(self, task_id: str) -> ProviderAnswer:
        return self.call("GetCloudMixTaskDetail", {"TaskID": task_id})

    def list(self, **body: Any) -> ProviderAnswer:
        return self.call("ListCloudMixTask", body)
