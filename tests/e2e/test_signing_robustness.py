"""The new signing paths never answer 5xx nor anything but the provider's shape, however odd the request:
Tencent v1 form POSTs and GETs, TC3 GETs, Volcengine presigned queries, with bad encodings, lone
surrogates, huge numbers and deep names."""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request

import pytest

from emulator.providers.tencent.v1sign import v1_signature
from emulator.testing import EmulatorFixture
from tests.providers.tencent.helpers import APPID, KEY

pytestmark = pytest.mark.e2e

ODD_VALUES = ["\udcff", "\x00", "9" * 400, "1e999", "nan", "-1", "", "%zz", "[]"]
ODD_NAMES = [
    "InputStreamList.0.LayoutParams.ImageLayer",
    "A." * 40 + "B",
    "InputStreamList.99999.X",
    ".",
    "a..b",
]


def send(emu: EmulatorFixture, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> tuple:
    request = urllib.request.Request(emu.url + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers.get_content_type(), response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read()


def v1_params(emu: EmulatorFixture, method: str, extra: dict[str, str]) -> dict[str, str]:
    import time

    params = {
        "Action": "CreateCommonMixStream",
        "Version": "2018-08-01",
        "Region": "ap-guangzhou",
        "Timestamp": str(int(time.time())),
        "Nonce": "42",
        "SecretId": APPID,
        "SignatureMethod": "HmacSHA256",
        **extra,
    }
    params["Signature"] = v1_signature(KEY, method, emu.host_port, params, "HmacSHA256")
    return params


def test_odd_flat_parameters_get_native_answers(mix_emulator: EmulatorFixture) -> None:
    for name in ODD_NAMES:
        for value in ODD_VALUES:
            params = v1_params(mix_emulator, "POST", {name: value, "MixStreamSessionId": value})
            form = urllib.parse.urlencode(params, errors="surrogatepass").encode()
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            status, kind, raw = send(mix_emulator, "POST", "/", form, headers)
            assert (status, kind) == (200, "application/json"), (name, value, raw[:200])
            assert "Error" in json.loads(raw)["Response"], (name, value)
            query = urllib.parse.urlencode(
                v1_params(mix_emulator, "GET", {name: value}), errors="surrogatepass"
            )
            status, kind, raw = send(mix_emulator, "GET", f"/?{query}", None, {})
            assert (status, kind) == (200, "application/json"), (name, value, raw[:200])
    status, kind, _ = send(mix_emulator, "POST", "/", b"\xff\xfe=\x00&SecretId=1&Signature=", headers)
    assert (status, kind) == (200, "application/json")


def test_odd_tc3_gets_and_presigned_queries(mix_emulator: EmulatorFixture) -> None:
    tc3 = {"X-TC-Action": "CreateCommonMixStream", "X-TC-Version": "2018-08-01", "X-TC-Timestamp": "1"}
    for value in ODD_VALUES:
        query = urllib.parse.urlencode({"InputStreamList.0.InputStreamName": value}, errors="surrogatepass")
        status, kind, raw = send(
            mix_emulator, "GET", f"/?{query}", None, {**tc3, "Authorization": "TC3-HMAC-SHA256 x"}
        )
        assert (status, kind) == (200, "application/json") and b"AuthFailure" in raw
        presigned = {
            "Action": "ListCloudMixTask",
            "Version": "2023-01-01",
            "X-Date": value,
            "X-Credential": f"AKLTemulator/{value}/cn-north-1/live/request",
            "X-Algorithm": "HMAC-SHA256",
            "X-Signature": value or "x",
        }
        path = "/?" + urllib.parse.urlencode(presigned, errors="surrogatepass")
        status, kind, raw = send(mix_emulator, "POST", path, b"{}", {"Content-Type": "application/json"})
        assert 400 <= status < 500 and kind == "application/json", (value, raw[:200])
        assert "Error" in json.loads(raw)["ResponseMetadata"]
