"""Signed clients of the three providers' mixing APIs, small enough for benchmarks: each starts and stops a
two-input mix the way an application would, with real signatures (ZEGO's MD5 signature, Tencent's legacy
``sign``, Volcengine's SigV4 by the official SDK's own signer). Used by the soak and load benchmarks and by
the soak test."""

from __future__ import annotations

import datetime
import hashlib
import json
import secrets
import time
from collections import OrderedDict
from typing import Any

import requests
from volcengine.auth.SignerV4 import SignerV4
from volcengine.auth.SignParam import SignParam
from volcengine.Credentials import Credentials

from emulator.config import DEFAULT_CREDENTIALS

_CRED = {c.provider: c for c in DEFAULT_CREDENTIALS}
TIMEOUT_S = 30.0


class ProviderError(AssertionError):
    """A provider refused a request the benchmark expected to succeed."""


class SignedClients:
    """One emulator's provider APIs, over one keep-alive HTTP session. Every start names two published
    streams (``inputs``) on a ``size`` canvas at ``fps``; ids must be unique per emulator run."""

    def __init__(self, base_url: str, *, size: tuple[int, int] = (160, 90), fps: int = 10) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = self.base_url.split("://", 1)[1]
        self.size, self.fps = size, fps
        self.http = requests.Session()

    def close(self) -> None:
        self.http.close()

    # ----- ZEGO rtc-api
    def zego(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        query = zego_query(action)
        return self.http.post(f"{self.base_url}/", params=query, json=body, timeout=TIMEOUT_S).json()

    def zego_start(self, task: str, inputs: tuple[str, str], output: str) -> dict[str, Any]:
        w, h = self.size
        body = {
            "TaskId": task,
            "UserId": "soak",
            "MixInput": [
                {"StreamId": inputs[0], "RectInfo": {"Left": 0, "Top": 0, "Right": w // 2, "Bottom": h}},
                {"StreamId": inputs[1], "RectInfo": {"Left": w // 2, "Top": 0, "Right": w, "Bottom": h}},
            ],
            "MixOutput": [{"StreamId": output, "Width": w, "Height": h, "Fps": self.fps}],
        }
        return self.zego("StartMix", body)

    def zego_stop(self, task: str) -> dict[str, Any]:
        return self.zego("StopMix", {"TaskId": task, "UserId": "soak"})

    def zego_task_id(self, task: str) -> str:
        return f"zego:{_CRED['zego'].app_id}:{task}"

    # ----- Tencent legacy CGI (Mix_StreamV2)
    def tencent(self, para: dict[str, Any]) -> dict[str, Any]:
        cred = _CRED["tencent"]
        # The expiry is checked against the emulator clock (which tests advance) or the wall clock: a minute
        # after the later of the two passes either check.
        now = max(time.time(), self.control("GET", "/_emulator/clock")["now"])
        expiry = int(now) + 60
        sign = hashlib.md5(f"{cred.secret}{expiry}".encode()).hexdigest()
        url = f"{self.base_url}/common_access"
        query = {"appid": cred.app_id, "interface": "Mix_StreamV2", "t": str(expiry), "sign": sign}
        body = {
            "timestamp": int(time.time()),
            "eventId": secrets.randbelow(10**9) + 1,
            "interface": {"interfaceName": "Mix_StreamV2", "para": {"app_id": int(cred.app_id), **para}},
        }
        return self.http.post(url, params=query, json=body, timeout=TIMEOUT_S).json()

    def tencent_start(self, session: str, inputs: tuple[str, str], output: str) -> dict[str, Any]:
        w, h = self.size
        streams = [
            {"input_stream_id": inputs[0], "layout_params": {"image_layer": 1}},
            {
                "input_stream_id": inputs[1],
                "layout_params": {"image_layer": 2, "image_width": w // 2, "image_height": h // 2},
            },
        ]
        return self.tencent(
            {
                "interface": "mix_streamv2.start_mix_stream_advanced",
                "mix_stream_session_id": session,
                "output_stream_id": output,
                "output_stream_type": 1,
                "input_stream_list": streams,
            }
        )

    def tencent_cancel(self, session: str, output: str) -> dict[str, Any]:
        return self.tencent(
            {
                "interface": "mix_streamv2.cancel_mix_stream",
                "mix_stream_session_id": session,
                "output_stream_id": output,
            }
        )

    # ----- Volcengine Live (2023-01-01)
    def volcengine(self, action: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        raw = json.dumps(body).encode()
        query, headers = volcengine_signed(self.host, action, raw)
        url = f"{self.base_url}/"
        answer = self.http.post(url, params=query, data=raw, headers=headers, timeout=TIMEOUT_S)
        return answer.status_code, answer.json()

    def volcengine_create(self, name: str, inputs: tuple[str, str]) -> tuple[int, dict[str, Any]]:
        w, h = self.size
        sources = [{"ID": s, "Layer": i + 1, "Type": "live", "Url": s} for i, s in enumerate(inputs)]
        boxes = [
            {"X": 0, "Y": 0, "W": w, "H": h, "Layer": 1},
            {"X": 0, "Y": 0, "W": w // 2, "H": h, "Layer": 2},
        ]
        body = {
            "Name": name,
            "MixedRules": {
                "InputSource": sources,
                "InputLayout": {"Scene": {"Width": w, "Height": h, "Layout": boxes}},
                "Output": {
                    "Video": {"BitRate": 300_000, "FrameRate": self.fps, "GOP": 2, "Codec": "h264"},
                    "Audio": {"BitRate": 128_000, "SampleRate": 44100, "ChannelLayout": "stereo"},
                    "Url": ["push.example.com"],
                },
            },
        }
        return self.volcengine("CreateCloudMixTask", body)

    def volcengine_delete(self, task: str) -> tuple[int, dict[str, Any]]:
        return self.volcengine("DeleteCloudMixTask", {"TaskID": task})

    # ----- the control API
    def control(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.http.request(method, f"{self.base_url}{path}", json=body, timeout=TIMEOUT_S)
        if response.status_code >= 400:
            raise ProviderError(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")
        return response.json()


def zego_query(action: str) -> dict[str, str]:
    """The public parameters of a ZEGO rtc-api request, signed now: md5(AppId + nonce + secret + time)."""
    cred = _CRED["zego"]
    nonce, now = secrets.token_hex(8), int(time.time())
    return {
        "Action": action,
        "AppId": cred.app_id,
        "SignatureNonce": nonce,
        "Timestamp": str(now),
        "Signature": hashlib.md5(f"{cred.app_id}{nonce}{cred.secret}{now}".encode()).hexdigest(),
        "SignatureVersion": "2.0",
    }


def volcengine_signed(host: str, action: str, raw: bytes) -> tuple[dict[str, str], dict[str, str]]:
    """The query and headers of a Volcengine request with body ``raw``, signed now by the SDK's SignerV4."""
    cred = _CRED["volcengine"]
    query = OrderedDict({"Action": action, "Version": "2023-01-01"})
    param = SignParam()
    param.set_method("POST")
    param.set_host(host)
    param.set_path("/")
    param.set_query(query)
    param.set_body(raw)
    param.set_header_list(OrderedDict({"Host": host, "Content-Type": "application/json"}))
    param.set_date(datetime.datetime.now(datetime.UTC))
    signed = SignerV4.sign_only(param, Credentials(cred.app_id, cred.secret, "live", "cn-north-1"))
    headers = {
        "Content-Type": "application/json",
        "X-Date": signed.xdate,
        "X-Content-Sha256": signed.xContextSha256,
        "Authorization": signed.authorization,
    }
    return dict(query), headers


def expect_ok(provider: str, answer: Any) -> Any:
    """The answer of a request that must succeed, in each provider's envelope; raises ProviderError."""
    if provider == "volcengine":
        status, body = answer
        if status != 200 or "Error" in body.get("ResponseMetadata", {}):
            raise ProviderError(f"volcengine: HTTP {status} {body}")
        return body["Result"]
    code = answer.get("Code") if provider == "zego" else answer.get("code")
    if code != 0:
        raise ProviderError(f"{provider}: {answer}")
    return answer
