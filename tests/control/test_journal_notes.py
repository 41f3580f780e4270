"""Journal entries say which injected fault answered them, which task they created or touched and the
provider's native result code (an error even under HTTP 200), for each provider's envelope; used-up
faults stay listed."""

from __future__ import annotations

from emulator.testing import EmulatorFixture
from tests.control.support import zego_mix
from tests.providers.tencent.helpers import Tencent, cancel_para, start_para, stream
from tests.providers.tencent.test_api3 import cancel_request, client
from tests.providers.zego.helpers import Zego


def test_fault_task_and_code_of_zego_requests(mix_emulator: EmulatorFixture) -> None:
    zego = Zego(mix_emulator)
    zego.emu.publish("red", "pattern:color?color=#ff0000&size=64x36")
    body = zego_mix("j1", {"red": (0, 0, 64, 36)}, (64, 36), fps=5)
    fault = mix_emulator.add_fault("zego", "StartMix", code=110200194, times=1)
    assert zego.start_mix(body)["Code"] == 110200194
    assert zego.start_mix(body)["Code"] == 0
    assert zego.call("StopMix", {"TaskId": "j1", "UserId": "u1"})["Code"] == 0
    injected, started, stopped = mix_emulator.requests(provider="zego")
    assert (injected["fault"], injected["task"], injected["code"], injected["error"]) == (
        fault["id"],
        None,
        110200194,
        True,
    )
    assert injected["status"] == 200  # an error answer under HTTP 200
    task = "zego:12345:j1"
    assert (started["fault"], started["task"], started["code"], started["error"]) == (None, task, 0, False)
    assert (stopped["task"], stopped["action"]) == (task, "StopMix")
    by_task = mix_emulator.request("GET", "/_emulator/requests", task=task)["requests"]
    assert [e["id"] for e in by_task] == [started["id"], stopped["id"]]
    (listed,) = mix_emulator.faults()  # used up, still listed until deleted
    assert (listed["id"], listed["hits"], listed["times_left"], listed["times"]) == (fault["id"], 1, 0, 1)
    mix_emulator.request("DELETE", f"/_emulator/faults/{fault['id']}")
    assert mix_emulator.faults() == []


def test_tencent_envelopes_legacy_and_api3(mix_emulator: EmulatorFixture) -> None:
    tencent = Tencent(mix_emulator)
    tencent.publish("anchor", "#ff0000", "64x36", settle=False)
    tencent.publish("guest", "#00ff00", "64x36")
    assert tencent.call(start_para("jt", "anchor", [stream("anchor", 1), stream("guest", 2)])).code == 0
    assert tencent.call(cancel_para("nope", "anchor")).code == -31001  # no such session
    mix_emulator.add_fault("tencent", "CancelCommonMixStream", code="InternalError")
    try:
        client(tencent).CancelCommonMixStream(cancel_request("jt"))
    except Exception:  # the SDK raises the error answer
        pass
    legacy_start, legacy_cancel, api3 = mix_emulator.requests(provider="tencent")
    assert (legacy_start["task"], legacy_start["code"], legacy_start["error"]) == ("tencent:jt", 0, False)
    assert (legacy_cancel["code"], legacy_cancel["error"], legacy_cancel["status"]) == (-31001, True, 200)
    assert (api3["code"], api3["error"], api3["fault"]) == (
        "InternalError",
        True,
        mix_emulator.faults()[0]["id"],
    )


def test_volcengine_error_code(mix_emulator: EmulatorFixture) -> None:
    from tests.providers.volcengine.volc_support import service, small_body

    svc = service(mix_emulator)
    task_id = svc.create_cloud_mix_task(small_body("jv"))["Result"]["Data"]["TaskID"]
    fault = mix_emulator.add_fault(
        "volcengine", "GetCloudMixTaskDetail", code="InternalError", http_status=500
    )
    try:
        svc.get_cloud_mix_task_detail({"TaskID": task_id})
    except Exception:  # the SDK raises the error answer
        pass
    created, detail = mix_emulator.requests(provider="volcengine")
    assert (created["task"], created["error"], created["code"]) == (f"volcengine:{task_id}", False, None)
    assert (detail["code"], detail["error"], detail["status"], detail["fault"]) == (
        "InternalError",
        True,
        500,
        fault["id"],
    )
