"""Done-when of the two clocks: the emulator clock moves three days on, and the official clients of all
three providers keep working (they sign with the wall clock), while the provider rules of those three days
happen (Volcengine's 3-day limit ends its task, ZEGO's MixDuration counts them). Every callback carries a
wall-clock timestamp that a receiver checking freshness accepts."""

from __future__ import annotations

import json

import pytest
from tencentcloud.common import credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.live.v20180801 import live_client, models

from emulator.testing import EmulatorFixture
from tests.e2e.clients import RED, CallbackReceiver, volc_one_source, volc_service, zego_call
from tests.providers.tencent.helpers import APPID, KEY, Tencent

pytestmark = pytest.mark.e2e

THREE_DAYS = 3 * 86400


def tencent_sdk(emu: EmulatorFixture) -> live_client.LiveClient:
    http = HttpProfile(endpoint=emu.host_port, protocol="http")
    return live_client.LiveClient(
        credential.Credential(APPID, KEY), "ap-guangzhou", ClientProfile(httpProfile=http)
    )


def tencent_create(layer2_x: int) -> models.CreateCommonMixStreamRequest:
    request = models.CreateCommonMixStreamRequest()
    request.from_json_string(
        json.dumps(
            {
                "MixStreamSessionId": "days",
                "InputStreamList": [
                    {"InputStreamName": "t_anchor", "LayoutParams": {"ImageLayer": 1}},
                    {"InputStreamName": "t_guest", "LayoutParams": {"ImageLayer": 2, "LocationX": layer2_x}},
                ],
                "OutputParams": {"OutputStreamName": "t_out", "OutputStreamType": 1},
            }
        )
    )
    return request


ZEGO_MIX = {
    "TaskId": "days",
    "UserId": "owner",
    "MixInput": [{"StreamId": "z_in", "RectInfo": {"Left": 0, "Top": 0, "Right": 64, "Bottom": 36}}],
    "MixOutput": [{"StreamId": "z_out", "Width": 64, "Height": 36, "Fps": 5}],
}


def test_three_days_on_the_official_clients_keep_working(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    receiver = CallbackReceiver()
    try:
        emu.request("POST", "/_emulator/zego/callback", {"url": receiver.url})
        tencent = Tencent(emu)
        tencent.publish("t_anchor", "#ff0000", "160x90", settle=False)
        tencent.publish("t_guest", "#00ff00", "64x36")
        emu.publish("z_in", RED)
        # Start one mix per provider with its official client.
        assert tencent_sdk(emu).CreateCommonMixStream(tencent_create(8)).RequestId
        assert zego_call(emu, "StartMix", ZEGO_MIX)["Code"] == 0
        volc_task = volc_service(emu).create_cloud_mix_task(
            volc_one_source("three-days", source_id="bg", callback=receiver.url)
        )["Result"]["Data"]["TaskID"]
        receiver.wait_for(lambda b: b.get("event") == "mix_start")
        receiver.wait_for(lambda b: b.get("Status") == "runing")

        emu.advance_clock(THREE_DAYS)

        # Provider rules ran on the emulator clock: Volcengine's 3-day limit ended its task...
        done = receiver.wait_for(lambda b: b.get("Status") == "done")
        assert (done["TaskID"], done["Reason"]) == (volc_task, "max_duration")
        # ...and the same SDKs, signing with the wall clock, are not locked out.
        detail = volc_service(emu).get_cloud_mix_task_detail({"TaskID": volc_task})["Result"]["Data"]
        assert detail["Status"] == "done"
        listed = volc_service(emu).list_cloud_mix_task({"Page": 1, "PageSize": 10})["Result"]["Data"]
        assert [t["TaskID"] for t in listed["Result"]] == [volc_task]
        info = zego_call(emu, "GetMixTaskInfo", TaskId="days")
        assert info["Code"] == 0 and info["Data"]["TaskInfo"]["MixDuration"] >= THREE_DAYS
        assert zego_call(emu, "StopMix", {"TaskId": "days", "UserId": "owner"})["Code"] == 0
        stop = receiver.wait_for(lambda b: b.get("event") == "mix_stop")
        assert stop["task_id"] == "12345:days"
        live = tencent_sdk(emu)
        assert live.CreateCommonMixStream(tencent_create(16)).RequestId  # an update, days later
        assert emu.ctx.tasks.get("tencent:days").update_count == 1
        # Back to wall time: nothing stops, and the clients go on.
        assert emu.request("POST", "/_emulator/clock/reset")["offset"] == 0
        assert emu.ctx.tasks.get("tencent:days").state.active
        # Recorded instants keep their emulator-clock values: the session started 6 s ahead of the wall
        # clock (the settle advance before it), so it is 5 s old again 11 s later.
        emu.advance_clock(11)
        assert live.CancelCommonMixStream(_cancel("days")).RequestId
        assert not emu.ctx.tasks.get("tencent:days").state.active
        assert receiver.stale == []  # every callback's timestamp was wall-clock fresh
    finally:
        receiver.close()


def _cancel(session: str) -> models.CancelCommonMixStreamRequest:
    request = models.CancelCommonMixStreamRequest()
    request.MixStreamSessionId = session
    return request
