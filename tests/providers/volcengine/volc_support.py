"""Shared helpers of the Volcengine tests: the official SDK pointed at the emulator, signed raw requests,
small request bodies. (A plain module, not a conftest: test folders here have no ``__init__.py``.)"""

from __future__ import annotations

import copy
import datetime
import json
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from volcengine.auth.SignerV4 import SignerV4
from volcengine.auth.SignParam import SignParam
from volcengine.Credentials import Credentials
from volcengine.live.v20230101.live_service import LiveService

from emulator.testing import EmulatorFixture

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "requests" / "volcengine"
AK, SK = "AKLTemulator", "emulator-secret"
VERSION = "2023-01-01"
# The production URLs of the seed's example, mapped to local sources in the tests.
SEED_VOD = "https://tos.example.org/obj/test.mp4"
SEED_LOGO = "http://tos.example.org/obj/test/logo001.png"


def service(emu: EmulatorFixture, ak: str = AK, sk: str = SK) -> LiveService:
    """The SDK as the seed builds it, pointed at the emulator. The SDK's ServiceInfo is a module-level
    object shared by every LiveService, so every setting is made again each time."""
    svc = LiveService()
    svc.set_host(emu.host_port)
    svc.set_scheme("http")
    svc.set_ak(ak)
    svc.set_sk(sk)
    return svc


def fixture_body(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def sdk_error(call: Callable[..., Any], *args: Any) -> dict[str, Any]:
    """The ResponseMetadata of the error the SDK raises (it raises on any non-200, with the body)."""
    with pytest.raises(Exception) as info:
        call(*args)
    raw = info.value.args[0]
    return json.loads(raw.decode() if isinstance(raw, bytes) else raw)["ResponseMetadata"]


def signed_post(
    emu: EmulatorFixture,
    query: dict[str, str],
    body: bytes,
    *,
    ak: str = AK,
    sk: str = SK,
    at: float | None = None,
    region: str = "cn-north-1",
    service_name: str = "live",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    send: bytes | None = None,
) -> tuple[int, dict[str, Any]]:
    """A request signed by the SDK's own signer (at any time: ``at``, unix seconds), sent with urllib
    (``send``: a different body than the one signed); returns (status, JSON body)."""
    param = SignParam()
    param.set_method(method)
    param.set_host(emu.host_port)
    param.set_path("/")
    param.set_query(OrderedDict(query))
    param.set_body(body)
    param.set_header_list(OrderedDict({"Host": emu.host_port, "Content-Type": "application/json"}))
    param.set_date(datetime.datetime.fromtimestamp(time.time() if at is None else at, datetime.UTC))
    signed = SignerV4.sign_only(param, Credentials(ak, sk, service_name, region))
    all_headers = {
        "Content-Type": "application/json",
        "X-Date": signed.xdate,
        "X-Content-Sha256": signed.xContextSha256,
        "Authorization": signed.authorization,
        **(headers or {}),
    }
    return raw_request(emu, query, body if send is None else send, all_headers, method=method)


def raw_request(
    emu: EmulatorFixture,
    query: dict[str, str],
    body: bytes | None,
    headers: dict[str, str],
    method: str = "POST",
) -> tuple[int, dict[str, Any]]:
    url = emu.url + "/?" + urllib.parse.urlencode(query)
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            assert resp.headers.get_content_type() == "application/json"
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as exc:
        assert exc.headers.get_content_type() == "application/json"
        return exc.code, json.loads(exc.read())


def action_query(action: str) -> dict[str, str]:
    return {"Action": action, "Version": VERSION}


def mix_body(
    name: str,
    sources: list[tuple[str, int, str, str]],
    boxes: dict[int, tuple[int, int, int, int]],
    *,
    size: tuple[int, int] = (320, 180),
    logos: list[tuple[str, tuple[int, int, int, int]]] | None = None,
    callback: str | None = None,
    push: list[str] | None = None,
) -> dict[str, Any]:
    """A small, valid CreateCloudMixTask body: sources (ID, Layer, Type, Url), boxes by Layer (X, Y, W, H)."""
    output: dict[str, Any] = {
        "Video": {"BitRate": 1_000_000, "FrameRate": 15, "GOP": 2, "Codec": "h264"},
        "Audio": {"BitRate": 128_000, "SampleRate": 44100, "ChannelLayout": "stereo"},
        "Url": push or ["push.example.com"],
    }
    if callback is not None:
        output["Callback"] = {"Url": callback}
    return {
        "Name": name,
        "MixedRules": {
            "InputSource": [
                {"ID": i, "Layer": layer, "Type": kind, "Url": url} for i, layer, kind, url in sources
            ],
            "InputLayout": {
                "Scene": {
                    "Width": size[0],
                    "Height": size[1],
                    "Layout": [
                        {"X": x, "Y": y, "W": w, "H": h, "Layer": layer}
                        for layer, (x, y, w, h) in boxes.items()
                    ],
                },
                "Logo": [
                    {"Layout": {"X": x, "Y": y, "W": w, "H": h}, "Url": url}
                    for url, (x, y, w, h) in logos or []
                ],
            },
            "Output": output,
        },
    }


def small_body(name: str, **options: Any) -> dict[str, Any]:
    """The cheapest valid task: one 64x36 red picture on a 64x36 canvas."""
    red = "pattern:color?color=#ff0000&size=64x36"
    return mix_body(name, [("1", 1, "pic", red)], {1: (0, 0, 64, 36)}, size=(64, 36), **options)


def update_body(task_id: str, create: dict[str, Any]) -> dict[str, Any]:
    return {"TaskID": task_id, "MixedRules": copy.deepcopy(create["MixedRules"])}
