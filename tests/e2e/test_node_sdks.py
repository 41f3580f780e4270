"""The providers' official Node.js SDKs from npm (tencentcloud-sdk-nodejs, @volcengine/openapi), run by
node (tests/e2e/node/drive.js) against the emulator, pointed at it by endpoint/host only.

The Tencent SDK signs TC3 for the service ``127`` when its endpoint is 127.0.0.1:PORT (it takes the
endpoint's first DNS label) and signs the host without its port: both must verify. ``make test`` installs
the packages (``npm ci`` in tests/e2e/node); without node or them the tests skip and say what to install."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from emulator.testing import EmulatorFixture
from tests.e2e.clients import volc_one_source
from tests.providers.tencent.helpers import APPID, KEY, Tencent
from tests.providers.volcengine.volc_support import AK as VOLC_AK
from tests.providers.volcengine.volc_support import SK as VOLC_SK

pytestmark = pytest.mark.e2e

NODE_DIR = Path(__file__).with_name("node")
NODE = shutil.which("node")
if NODE is None:
    pytest.skip(
        "node is not installed: install Node.js 18+ and npm (apt-get install nodejs npm)",
        allow_module_level=True,
    )
if not (NODE_DIR / "node_modules" / "tencentcloud-sdk-nodejs").is_dir():
    pytest.skip(
        f"the Node.js SDKs are not installed: run `npm ci` in {NODE_DIR} (make test does)",
        allow_module_level=True,
    )

TENCENT_MODES = [
    ("POST", "TC3-HMAC-SHA256"),
    ("GET", "TC3-HMAC-SHA256"),
    ("POST", "HmacSHA256"),
    ("GET", "HmacSHA1"),
]


def drive(emu: EmulatorFixture, steps: list[dict[str, Any]]) -> list[dict[str, Any]]:
    job = json.dumps({"endpoint": emu.host_port, "steps": steps})
    done = subprocess.run([NODE, "drive.js", job], cwd=NODE_DIR, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def tencent_step(method: str, sign_method: str, action: str, params: dict[str, Any], **extra: Any) -> dict:
    step = {
        "sdk": "tencent",
        "method": method,
        "signMethod": sign_method,
        "secretId": APPID,
        "secretKey": KEY,
    }
    return {**step, "action": action, "params": params, **extra}


def session_of(method: str, sign_method: str) -> str:
    return f"node_{method}_{sign_method.replace('-', '_')}"


def create_params(session: str) -> dict[str, Any]:
    return {
        "MixStreamSessionId": session,
        "InputStreamList": [
            {"InputStreamName": "n_anchor", "LayoutParams": {"ImageLayer": 1}},
            {
                "InputStreamName": "n_guest",
                "LayoutParams": {"ImageLayer": 2, "ImageWidth": 80, "ImageHeight": 45, "LocationX": 8},
            },
        ],
        "OutputParams": {"OutputStreamName": f"out_{session}", "OutputStreamType": 1},
    }


def test_tencentcloud_sdk_nodejs_in_every_signing_mode(mix_emulator: EmulatorFixture) -> None:
    tencent = Tencent(mix_emulator)
    tencent.publish("n_anchor", "#ff0000", "320x180", settle=False)
    tencent.publish("n_guest", "#00ff00", "160x90")
    mix_emulator.add_fault("tencent", "CancelCommonMixStream", clock_skew_s=-400, times=len(TENCENT_MODES))
    steps = []
    for method, sign_method in TENCENT_MODES:
        session = session_of(method, sign_method)
        steps += [
            tencent_step(method, sign_method, "CreateCommonMixStream", create_params(session)),
            tencent_step(method, sign_method, "CancelCommonMixStream", {"MixStreamSessionId": session}),
            tencent_step(
                method, sign_method, "CreateCommonMixStream", create_params("x"), secretKey="0" * 32
            ),
        ]
    results = drive(mix_emulator, steps)
    for n, (method, sign_method) in enumerate(TENCENT_MODES):
        created, expired, wrong_key = results[3 * n : 3 * n + 3]
        assert created.get("ok", {}).get("RequestId"), (method, sign_method, created)
        assert expired["error"]["code"] == "AuthFailure.SignatureExpire", (method, sign_method, expired)
        assert wrong_key["error"]["code"] == "AuthFailure.SignatureFailure", (method, sign_method, wrong_key)
        task = mix_emulator.ctx.tasks.get(f"tencent:{session_of(method, sign_method)}")
        assert task is not None and task.state.active
    scopes = [e["headers"].get("Authorization", "") for e in mix_emulator.requests(provider="tencent")]
    assert any("/127/tc3_request" in scope for scope in scopes)  # the Node SDK's own service label
    mix_emulator.advance_clock(5)
    cancels = [
        tencent_step(m, s, "CancelCommonMixStream", {"MixStreamSessionId": session_of(m, s)})
        for m, s in TENCENT_MODES
    ]
    assert all(result.get("ok", {}).get("RequestId") for result in drive(mix_emulator, cancels))
    assert not any(task.state.active for task in mix_emulator.ctx.tasks.active("tencent"))


def volc_step(mode: str, action: str, body: dict[str, Any], secret_key: str = VOLC_SK) -> dict[str, Any]:
    return {
        "sdk": "volcengine",
        "mode": mode,
        "action": action,
        "body": body,
        "accessKeyId": VOLC_AK,
        "secretKey": secret_key,
    }


def test_volcengine_openapi_nodejs_header_and_query_signing(mix_emulator: EmulatorFixture) -> None:
    created, by_query = drive(
        mix_emulator,
        [
            volc_step("header", "CreateCloudMixTask", volc_one_source("node_header")),
            volc_step("query", "CreateCloudMixTask", volc_one_source("node_query")),
        ],
    )
    ids = [created["ok"]["Result"]["Data"]["TaskID"], by_query["ok"]["Result"]["Data"]["TaskID"]]
    assert by_query["status"] == 200
    listed, bad_header, bad_query = drive(
        mix_emulator,
        [
            volc_step("query", "ListCloudMixTask", {"Page": 1, "PageSize": 10}),
            volc_step("header", "ListCloudMixTask", {"Page": 1}, secret_key="wrong"),
            volc_step("query", "ListCloudMixTask", {"Page": 1}, secret_key="wrong"),
        ],
    )
    assert sorted(t["TaskID"] for t in listed["ok"]["Result"]["Data"]["Result"]) == sorted(ids)
    assert bad_header["ok"]["ResponseMetadata"]["Error"]["Code"] == "SignatureDoesNotMatch"
    assert (bad_query["status"], bad_query["ok"]["ResponseMetadata"]["Error"]["CodeN"]) == (401, 100010)
    deleted = drive(
        mix_emulator, [volc_step("header", "DeleteCloudMixTask", {"TaskID": task}) for task in ids]
    )
    assert [d["ok"]["Result"]["Code"] for d in deleted] == [0, 0]
