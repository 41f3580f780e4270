"""Who answers a request to ``/``: each sign of a provider on its own, every action name, the hosts, and
which sign wins when a request carries two. Read from the journal, which names the provider that answered."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import pytest

from emulator.testing import EmulatorFixture


def answered_by(emu: EmulatorFixture, query: str = "", headers: dict[str, str] | None = None) -> str | None:
    request = urllib.request.Request(
        f"{emu.url}/{query}",
        data=b"{}",
        method="POST",
        headers={"Content-Type": "application/json", **(headers or {})},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            resp.read()
    except urllib.error.HTTPError as exc:
        exc.read()
    with urllib.request.urlopen(emu.url + "/_emulator/requests?limit=1", timeout=10) as resp:
        return json.loads(resp.read())["requests"][-1]["provider"]


@pytest.mark.parametrize(
    ("query", "headers", "provider"),
    [
        ("", {"X-TC-Action": "CreateCommonMixStream"}, "tencent"),
        ("?SecretId=AKID&Signature=x", {}, "tencent"),
        ("?Action=CreateCloudMixTask", {}, "volcengine"),
        ("?Action=UpdateCloudMixTask", {}, "volcengine"),
        ("?Action=DeleteCloudMixTask", {}, "volcengine"),
        ("?Action=ListCloudMixTask", {}, "volcengine"),
        ("?Action=GetCloudMixTaskDetail", {}, "volcengine"),
        ("?Version=2020-08-01", {}, "volcengine"),
        ("", {"Authorization": "HMAC-SHA256 Credential=AK/20261201/cn-north-1/live/request"}, "volcengine"),
        ("?Action=StartMix", {}, "zego"),
        ("?Action=StopMix", {}, "zego"),
        ("?Action=StartAutoMix", {}, "zego"),
        ("?Action=StopAutoMix", {}, "zego"),
        ("?Action=GetMixTaskInfo", {}, "zego"),
        ("?AppId=1", {}, "zego"),
        ("?SignatureNonce=abc", {}, "zego"),
        ("", {"Host": "rtc-api.zego.im"}, "zego"),
        ("", {"Host": "open.volcengineapi.com"}, "volcengine"),
        ("", {"Host": "live.tencentcloudapi.com:443"}, "tencent"),
    ],
)
def test_each_sign_alone(
    mix_emulator: EmulatorFixture, query: str, headers: dict[str, str], provider: str
) -> None:
    assert answered_by(mix_emulator, query, headers) == provider


@pytest.mark.parametrize(
    ("query", "headers"),
    [
        ("?SecretId=AKID", {}),  # half of Tencent's v1 signature
        ("?Signature=x", {}),
        ("?Action=Nothing", {}),
        ("", {"Authorization": "TC3-HMAC-SHA256 Credential=x"}),  # Tencent's scheme without its action header
        ("", {"Host": "example.com"}),
    ],
)
def test_no_sign_no_provider(mix_emulator: EmulatorFixture, query: str, headers: dict[str, str]) -> None:
    assert answered_by(mix_emulator, query, headers) is None


@pytest.mark.parametrize(
    ("query", "headers", "provider"),
    [
        ("?Action=StartMix", {"X-TC-Action": "CreateCommonMixStream"}, "tencent"),
        ("?SecretId=A&Signature=s&Version=2020-08-01", {}, "tencent"),
        ("?Version=2020-08-01&AppId=1", {}, "volcengine"),
        ("?Action=StartMix", {"Authorization": "HMAC-SHA256 x"}, "volcengine"),
        ("?AppId=1", {"Host": "open.volcengineapi.com"}, "zego"),
    ],
)
def test_which_sign_wins(
    mix_emulator: EmulatorFixture, query: str, headers: dict[str, str], provider: str
) -> None:
    assert answered_by(mix_emulator, query, headers) == provider
