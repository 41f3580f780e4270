"""Journal redaction as a client sees it: secrets sent or answered over HTTP never appear in
``GET /_emulator/requests``, wherever they sit (query, headers, the legacy token's answer, arrays at any
depth), while the harmless values around them stay readable."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

import pytest

from emulator.testing import EmulatorFixture
from tests.providers.zego.helpers import APP_ID, SECRET, Zego


def _send(emu: EmulatorFixture, path: str, body: Any = None, headers: dict[str, str] | None = None) -> None:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        emu.url + path,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:
        exc.read()


def _journal(emu: EmulatorFixture) -> tuple[str, list[dict[str, Any]]]:
    with urllib.request.urlopen(emu.url + "/_emulator/requests", timeout=10) as resp:
        raw = resp.read().decode()
    return raw, json.loads(raw)["requests"]


def test_the_legacy_token_never_shows_in_the_journal(mix_emulator: EmulatorFixture) -> None:
    zego = Zego(mix_emulator)
    token = zego.token()
    zego.legacy_post("/cgi/stop-mix", {"task_id": "none"}, token)
    raw, entries = _journal(mix_emulator)
    assert token not in raw and SECRET not in raw
    issued, used = entries[-2], entries[-1]
    assert issued["query"]["secret"] == "***" and issued["query"]["appid"] == str(APP_ID)
    assert issued["response"]["data"] == {"access_token": "***", "expires_in": 7200}
    assert used["query"]["access_token"] == "***"
    assert used["body"] == {"task_id": "none"}


def test_secrets_nested_in_arrays_are_redacted_at_any_depth(mix_emulator: EmulatorFixture) -> None:
    body = {
        "TaskId": "keep-me",
        "Items": [
            {"Token": "s-token-1", "Name": "first"},
            [{"secret": "s-secret-2"}, {"SecretKey": "s-key-3", "Id": 3}],
            "plain-string",
            [[{"serverSecret": "s-server-4"}]],
        ],
        "Outer": {"List": [{"SK": "s-sk-5"}, {"secret_key": "s-key-6"}, {"Sign": "s-sign-7"}]},
        "Deep": [{"a": [{"b": [{"Signature": "s-sig-8", "access_token": "s-access-9"}]}]}],
    }
    _send(mix_emulator, "/?Action=StartMix&AppId=12345", body)
    raw, entries = _journal(mix_emulator)
    for n in range(1, 10):
        assert f'-{n}"' not in raw.replace("\\", ""), f"secret {n} leaked"
    assert entries[-1]["body"] == {
        "TaskId": "keep-me",
        "Items": [
            {"Token": "***", "Name": "first"},
            [{"secret": "***"}, {"SecretKey": "***", "Id": 3}],
            "plain-string",
            [[{"serverSecret": "***"}]],
        ],
        "Outer": {"List": [{"SK": "***"}, {"secret_key": "***"}, {"Sign": "***"}]},
        "Deep": [{"a": [{"b": [{"Signature": "***", "access_token": "***"}]}]}],
    }


def test_a_body_that_is_an_array_is_redacted_too(mix_emulator: EmulatorFixture) -> None:
    _send(
        mix_emulator, "/?Action=StartMix&AppId=12345", [{"token": "t-1"}, {"keep": "k"}, [{"Secret": "t-2"}]]
    )
    raw, entries = _journal(mix_emulator)
    assert "t-1" not in raw and "t-2" not in raw
    assert entries[-1]["body"] == [{"token": "***"}, {"keep": "k"}, [{"Secret": "***"}]]


def test_query_signatures_are_redacted_whatever_their_case(mix_emulator: EmulatorFixture) -> None:
    _send(mix_emulator, "/?Action=StartMix&AppId=12345&Signature=q-sig&SIGN=q-sign&Token=q-tok&Keep=yes", {})
    raw, entries = _journal(mix_emulator)
    assert "q-sig" not in raw and "q-sign" not in raw and "q-tok" not in raw
    query = entries[-1]["query"]
    assert (query["Signature"], query["SIGN"], query["Token"], query["Keep"]) == ("***", "***", "***", "yes")


def test_secret_headers_are_redacted_and_the_credential_scope_kept(mix_emulator: EmulatorFixture) -> None:
    authorization = (
        "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2026-12-01/live/tc3_request, "
        "SignedHeaders=content-type;host, Signature=h-sig-value"
    )
    headers = {
        "Authorization": authorization,
        "X-TC-Action": "CreateCommonMixStream",
        "X-Security-Token": "h-sts-token",
        "Cookie": "session=h-cookie",
        "X-Custom": "visible",
    }
    _send(mix_emulator, "/", {}, headers)
    raw, entries = _journal(mix_emulator)
    assert "h-sig-value" not in raw and "h-sts-token" not in raw and "h-cookie" not in raw
    got = {k.lower(): v for k, v in entries[-1]["headers"].items()}
    assert got["authorization"] == (
        "TC3-HMAC-SHA256 Credential=AKIDEXAMPLE/2026-12-01/live/tc3_request, "
        "SignedHeaders=content-type;host, Signature=***"
    )
    assert got["x-security-token"] == "***" and got["cookie"] == "***"
    assert got["x-custom"] == "visible" and got["x-tc-action"] == "CreateCommonMixStream"


def test_an_authorization_without_a_signature_part_is_hidden_whole(mix_emulator: EmulatorFixture) -> None:
    _send(mix_emulator, "/?Action=StartMix&AppId=12345", {}, {"Authorization": "Bearer h-bearer"})
    raw, entries = _journal(mix_emulator)
    assert "h-bearer" not in raw
    assert {k.lower(): v for k, v in entries[-1]["headers"].items()}["authorization"] == "***"


def test_an_entry_records_the_request_and_its_answer(mix_emulator: EmulatorFixture) -> None:
    before = mix_emulator.ctx.clock.now()
    _send(mix_emulator, "/cgi/token?appid=1&secret=x", None)
    entry = _journal(mix_emulator)[1][-1]
    assert (entry["method"], entry["path"], entry["provider"]) == ("POST", "/cgi/token", "zego")
    assert before <= entry["time"] <= mix_emulator.ctx.clock.now()
    assert entry["status"] in (200, 405) and entry["response"] is not None
    assert entry["duration_ms"] >= 0 and round(entry["duration_ms"], 3) == entry["duration_ms"]


@pytest.mark.parametrize(("size", "parsed"), [(64 * 1024, True), (64 * 1024 + 1, False)])
def test_bodies_up_to_64_kib_are_kept_whole(mix_emulator: EmulatorFixture, size: int, parsed: bool) -> None:
    raw = b'{"a": "' + b"x" * (size - 9) + b'"}'
    assert len(raw) == size
    request = urllib.request.Request(
        mix_emulator.url + "/?Action=StartMix&AppId=12345", data=raw, method="POST"
    )
    try:
        urllib.request.urlopen(request, timeout=10).read()
    except urllib.error.HTTPError as exc:
        exc.read()
    body = _journal(mix_emulator)[1][-1]["body"]
    if parsed:
        assert body == {"a": "x" * (size - 9)}
    else:
        assert (
            isinstance(body, str)
            and body.endswith(f"... ({size} bytes)")
            and len(body) == 64 * 1024 + len(f"... ({size} bytes)")
        )
