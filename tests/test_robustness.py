"""Whatever arrives, on any endpoint of any provider or the control API: never a 5xx, never a non-JSON
page, and the server keeps serving. Seeded, so a failure replays."""

from __future__ import annotations

import json
import random
import urllib.error
import urllib.request

from emulator.testing import EmulatorFixture

ENDPOINTS = [
    ("POST", "/common_access?appid=1252500000&interface=Mix_StreamV2&t=9999999999&sign=x"),
    ("POST", "/common_access"),
    (
        "POST",
        "/?Action=StartMix&AppId=12345&SignatureNonce=abcd&Timestamp=1&Signature=x&SignatureVersion=2.0",
    ),
    ("GET", "/?Action=GetMixTaskInfo&TaskId=x"),
    ("POST", "/?Action=CreateCloudMixTask&Version=2023-01-01"),
    ("POST", "/?Action=Nope"),
    ("POST", "/"),
    ("GET", "/cgi/token?appid=12345&secret=x"),
    ("POST", "/cgi/start-mix?access_token=x"),
    ("POST", "/cgi/stop-mix"),
    ("POST", "/_emulator/streams"),
    ("POST", "/_emulator/faults"),
    ("POST", "/_emulator/urls"),
    ("POST", "/_emulator/clock/advance"),
]


def _garbage(rng: random.Random) -> bytes:
    choice = rng.randrange(7)
    if choice == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 300)))
    if choice == 1:
        return b"[" * rng.randrange(1, 5000)
    if choice == 2:
        return json.dumps(rng.choice([None, 1, -1e308, "x", [], {}, True])).encode()
    if choice == 3:
        keys = ["interface", "para", "MixInput", "MixOutput", "TaskId", "MixedRules", "stream_id", "source"]
        value = rng.choice([None, -1, 2**70, "\u202e\U0001f600", [], {"a": [1]}, 1.5, "x" * 5000])
        return json.dumps({rng.choice(keys): value for _ in range(rng.randrange(1, 5))}).encode()
    if choice == 4:
        return (
            b'{"interface": {"interfaceName": "Mix_StreamV2", "para": {"input_stream_list": ['
            + b"{}," * 40
            + b"{}]}}}"
        )
    if choice == 5:
        return "ünïcødé \x00 \ud7ff".encode("utf-8", "surrogatepass")
    return b""


def _send(
    emu: EmulatorFixture, method: str, path: str, body: bytes, content_type: str
) -> tuple[int, str, bytes]:
    req = urllib.request.Request(
        emu.url + path,
        data=body if method == "POST" else None,
        method=method,
        headers={"Content-Type": content_type},
    )
    try:
        with urllib.request.urlopen(req, timeout=15) as resp:
            return resp.status, resp.headers.get_content_type(), resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get_content_type(), exc.read()


def test_garbage_everywhere_gets_native_json_errors(mix_emulator: EmulatorFixture) -> None:
    rng = random.Random(20261121)
    for _ in range(800):
        method, path = rng.choice(ENDPOINTS)
        content_type = rng.choice(["application/json", "text/plain", "application/x-www-form-urlencoded", ""])
        status, kind, raw = _send(mix_emulator, method, path, _garbage(rng), content_type)
        assert status < 500, (method, path, status, raw[:200])
        assert kind == "application/json", (method, path, kind, raw[:200])
        json.loads(raw)
    assert mix_emulator.health()["status"] == "ok"
