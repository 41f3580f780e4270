"""The emulator's capacity (``max_tasks``): a start beyond it gets each provider's own overload answer and
creates nothing; running mixes keep their pace; a stop makes room again. Each running task reports its
realtime factor."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.live.v20180801 import live_client, models

from bench.signed import SignedClients, expect_ok
from emulator.config import DEFAULT_CREDENTIALS, Settings
from emulator.server import EmulatorThread

INPUTS = ("cap_a", "cap_b")
LIMIT = 2


@pytest.fixture
def api(tmp_path: Path) -> Iterator[SignedClients]:
    """An emulator that runs at most LIMIT mixes, two inputs published (past Tencent's 5 s push rule)."""
    settings = Settings(port=0, rtmp_port=None, data_dir=tmp_path, max_tasks=LIMIT)
    emulator = EmulatorThread(settings).start()
    client = SignedClients(emulator.url, size=(64, 36), fps=5)
    for stream in INPUTS:
        client.control.publish(stream, "pattern:bars?size=64x36")
    client.control.advance_clock(6)
    try:
        yield client
    finally:
        emulator.stop()


def _tencent_api3(client: SignedClients) -> live_client.LiveClient:
    cred = next(c for c in DEFAULT_CREDENTIALS if c.provider == "tencent")
    profile = ClientProfile(httpProfile=HttpProfile(endpoint=client.host, protocol="http"))
    return live_client.LiveClient(credential.Credential(cred.app_id, cred.secret), "ap-guangzhou", profile)


def _running(client: SignedClients) -> list[str]:
    tasks = client.control.tasks()
    return sorted(t["id"] for t in tasks if t["state"] in ("starting", "running"))


def test_starts_beyond_max_tasks_get_each_providers_overload_code(api: SignedClients) -> None:
    expect_ok("zego", api.zego_start("z1", INPUTS, "z1_out"))
    expect_ok("tencent", api.tencent_start("t1", INPUTS, "t1_out"))
    assert api.control.health()["max_tasks"] == LIMIT
    full = _running(api)
    assert full == ["tencent:t1", "zego:12345:z1"]

    zego = api.zego_start("z2", INPUTS, "z2_out")
    assert zego["Code"] == 110200191, zego
    assert (
        zego["Message"] == "mix service overload: 2 mixes are running, the emulator's limit (max_tasks) is 2"
    )

    legacy = api.tencent_start("t2", INPUTS, "t2_out")
    assert legacy["code"] == -10031 and "max_tasks" in legacy["message"], legacy

    request = models.CreateCommonMixStreamRequest()
    request.from_json_string(
        json.dumps(
            {
                "MixStreamSessionId": "t3",
                "InputStreamList": [
                    {"InputStreamName": INPUTS[0], "LayoutParams": {"ImageLayer": 1}},
                    {"InputStreamName": INPUTS[1], "LayoutParams": {"ImageLayer": 2}},
                ],
                "OutputParams": {"OutputStreamName": "t3_out", "OutputStreamType": 1},
            }
        )
    )
    with pytest.raises(TencentCloudSDKException) as refused:
        _tencent_api3(api).CreateCommonMixStream(request)
    assert refused.value.code == "ResourceInsufficient", refused.value

    refused = api.volcengine_create("v1", INPUTS)
    error = refused["ResponseMetadata"]["Error"]
    assert (refused.status, error["Code"], error["CodeN"]) == (429, "FlowLimitExceeded", 100018), refused
    assert "max_tasks" in error["Message"]
    listed = api.volcengine.list(Page=1, PageSize=10)["Result"]["Data"]
    assert listed["Count"] == 0, listed  # the refused create left no task behind

    assert _running(api) == full  # nothing half-created
    expect_ok("zego", api.zego_stop("z1"))  # room again, at once
    task = expect_ok("volcengine", api.volcengine_create("v1", INPUTS))["Data"]["TaskID"]
    assert f"volcengine:{task}" in _running(api)


def test_a_running_task_reports_its_realtime_factor(api: SignedClients) -> None:
    expect_ok("zego", api.zego_start("rt", INPUTS, "rt_out"))
    task_id = api.zego.task_id("rt")
    deadline = time.monotonic() + 10
    while (view := api.control.task(task_id))["realtime_factor"] is None:
        assert time.monotonic() < deadline, view
        time.sleep(0.1)
    time.sleep(1.0)  # a window of a second or two
    view = api.control.task(task_id)
    # Realtime: about one media second per wall second for one 64x36 5 fps mix (a machine busy elsewhere may
    # slow it; a realtime mix never runs ahead but to catch up the second it lost at most: 1.5x).
    assert 0.5 < view["realtime_factor"] <= 1.5, view
    assert view["behind"] is (view["realtime_factor"] < 0.95)
    expect_ok("zego", api.zego_stop("rt"))
    deadline = time.monotonic() + 10
    while (view := api.control.task(task_id))["state"] != "stopped":
        assert time.monotonic() < deadline, view
        time.sleep(0.05)
    assert view["realtime_factor"] is not None  # the last measure stays
