"""What the shared provider layer does beyond the query and headers: a form POST to ``/`` read for Tencent's
v1 signature (both fields needed, blank values kept, only POST, only forms), a host with a port, and the
helpers every adapter uses: a delay-only fault slows a request without failing it (and the journal names
it), a clock-skew fault moves only the signature check, an oversized body is refused natively."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from typing import Any

import pytest

from emulator.testing import EmulatorFixture

FORM = "application/x-www-form-urlencoded"


def list_tasks(emu: EmulatorFixture) -> dict[str, Any]:
    return emu.volcengine.call("ListCloudMixTask", {"Page": 1, "PageSize": 1})


def last_entry(emu: EmulatorFixture) -> dict[str, Any]:
    with urllib.request.urlopen(emu.url + "/_emulator/requests?limit=1", timeout=10) as resp:
        return json.loads(resp.read())["requests"][-1]


def send(emu: EmulatorFixture, body: bytes, content_type: str, method: str = "POST", path: str = "/") -> int:
    request = urllib.request.Request(
        emu.url + path, data=body, method=method, headers={"Content-Type": content_type}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            resp.read()
            return resp.status
    except urllib.error.HTTPError as exc:
        exc.read()
        return exc.code


@pytest.mark.parametrize(
    ("body", "content_type", "method", "provider"),
    [
        (b"Action=CancelCommonMixStream&SecretId=AKID&Signature=abc", FORM, "POST", "tencent"),
        (b"SecretId=&Signature=", FORM, "POST", "tencent"),  # blank values still name the scheme
        (b"SecretId=AKID&Signature=abc", FORM + "; charset=utf-8", "POST", "tencent"),
        (b"SecretId=AKID", FORM, "POST", None),
        (b"Signature=abc", FORM, "POST", None),
        (b"SecretId=AKID&Signature=abc", "application/json", "POST", None),
        (b"SecretId=AKID&Signature=abc", FORM, "PUT", None),
    ],
)
def test_a_form_post_is_read_for_tencents_v1_signature(
    mix_emulator: EmulatorFixture, body: bytes, content_type: str, method: str, provider: str | None
) -> None:
    send(mix_emulator, body, content_type, method)
    assert last_entry(mix_emulator)["provider"] == provider


def test_a_form_that_is_not_utf_8_still_reaches_tencent(mix_emulator: EmulatorFixture) -> None:
    """Read with replacement characters, it names the scheme: Tencent answers (in its own envelope)."""
    request = urllib.request.Request(
        mix_emulator.url + "/",
        data=b"SecretId=\xff\xfe&Signature=\xc3",
        method="POST",
        headers={"Content-Type": FORM},
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        answer = json.loads(resp.read())
    assert answer["Response"]["Error"]["Code"] == "InvalidParameter"


def test_an_oversized_form_is_no_ones(mix_emulator: EmulatorFixture) -> None:
    size = mix_emulator.ctx.settings.max_body_bytes
    body = b"SecretId=AKID&Signature=abc&pad=" + b"x" * size
    assert send(mix_emulator, body, FORM) == 404
    assert last_entry(mix_emulator)["provider"] is None


def test_a_delay_only_fault_slows_the_request_and_the_journal_names_it(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    fault = emu.add_fault("volcengine", "ListCloudMixTask", delay_ms=400, times=1)
    started = time.monotonic()
    assert list_tasks(emu)["Result"]["Code"] == 0  # slowed, not failed
    assert time.monotonic() - started >= 0.4
    entry = last_entry(emu)
    assert (entry["fault"], entry["action"], entry["error"]) == (fault["id"], "ListCloudMixTask", False)
    assert list_tasks(emu)["Result"]["Code"] == 0  # used up
    assert last_entry(emu)["fault"] is None


@pytest.mark.parametrize("skew_s", [16 * 60, -16 * 60])
def test_a_clock_skew_fault_moves_the_signature_check_either_way_and_is_journaled(
    mix_emulator: EmulatorFixture, skew_s: int
) -> None:
    emu = mix_emulator
    fault = emu.add_fault("volcengine", "ListCloudMixTask", clock_skew_s=skew_s, times=1)
    answer = list_tasks(emu)
    assert answer["ResponseMetadata"]["Error"]["Code"] == "InvalidTimestamp"
    assert last_entry(emu)["fault"] == fault["id"]
    emu.add_fault("volcengine", "ListCloudMixTask", clock_skew_s=10 * 60, times=1)  # inside the window
    assert list_tasks(emu)["Result"]["Code"] == 0
