"""The five actions over real HTTP, driven by the official ``volcengine`` SDK: the seed's own code, envelopes,
business errors, names per account, operation indexes, paging."""

from __future__ import annotations

import json
import re
import time

from volc_support import (
    SEED_LOGO,
    SEED_VOD,
    fixture_body,
    sdk_error,
    service,
    small_body,
    update_body,
)

from emulator.config import Credential
from emulator.testing import EmulatorFixture


def _status(emu: EmulatorFixture, task_id: str) -> str:
    return service(emu).get_cloud_mix_task_detail({"TaskID": task_id})["Result"]["Data"]["Status"]


def _wait_status(emu: EmulatorFixture, task_id: str, wanted: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while (status := _status(emu, task_id)) != wanted:
        assert time.monotonic() < deadline, f"task {task_id} stayed {status}, never {wanted}"
        time.sleep(0.05)


def test_the_seed_code_runs_unchanged(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    emu.map_url(SEED_VOD, "pattern:bars?size=320x180&fps=10&tone=440")
    emu.map_url(SEED_LOGO, "pattern:color?color=#00ff00&size=64x64")
    svc = service(emu)

    created = svc.create_cloud_mix_task(fixture_body("create_cloud_mix_task"))
    meta = created["ResponseMetadata"]
    assert {k: meta[k] for k in ("Action", "Version", "Service", "Region")} == {
        "Action": "CreateCloudMixTask",
        "Version": "2023-01-01",
        "Service": "live",
        "Region": "cn-north-1",
    }
    assert re.fullmatch(r"\d{14}[0-9A-F]{20}", meta["RequestId"]) and meta["RequestID"] == meta["RequestId"]
    assert "Error" not in meta
    assert (created["Result"]["Code"], created["Result"]["Message"]) == (0, "success")
    task_id = created["Result"]["Data"]["TaskID"]
    assert re.fullmatch(r"[0-9a-f]{16}", task_id)

    update = fixture_body("update_cloud_mix_task")
    update["TaskID"] = task_id  # the seed names a task of its own account
    assert svc.update_cloud_mix_task(update)["Result"] == {
        "Code": 0,
        "Message": "success",
        "Data": {"OptID": 1},
    }

    listed = svc.list_cloud_mix_task(fixture_body("list_cloud_mix_task"))["Result"]["Data"]
    assert listed["Count"] == 1
    (entry,) = listed["Result"]
    assert (entry["Name"], entry["TaskID"]) == ("mixtask001", task_id)
    assert entry["Status"] in ("prepare", "runing")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", entry["CreatedAt"]["Time"])
    assert entry["StoppedAt"] == {"Time": "0001-01-01T00:00:00Z"}

    detail_body = fixture_body("get_cloud_mix_task_detail")
    missing = sdk_error(svc.get_cloud_mix_task_detail, detail_body)
    assert missing["Error"] == {
        "Code": "ResourceNotFound",
        "Message": "the cloud mix task [086b7972234d7b71] does not exist",
    }
    detail_body["TaskID"] = task_id
    detail = svc.get_cloud_mix_task_detail(detail_body)["Result"]["Data"]
    assert (detail["TaskID"], detail["LastOperationIndex"], detail["LastSuccessOperationIndex"]) == (
        task_id,
        1,
        1,
    )
    rule = json.loads(detail["Rule"])
    seed_rules = fixture_body("create_cloud_mix_task")["MixedRules"]
    assert rule["InputSource"] == seed_rules["InputSource"]
    assert rule["InputLayout"] == seed_rules["InputLayout"]
    assert rule["Output"] == seed_rules["Output"]  # the Callback of Create stays: Update left it out

    view = emu.task(f"volcengine:{task_id}")
    assert (view["job"]["canvas"]["width"], view["job"]["canvas"]["height"]) == (1920, 1080)
    assert view["outputs"][0]["stream_id"] == task_id
    assert view["job"]["outputs"][0]["push_urls"] == []  # push.example.com has no rtmp:// to push to

    delete = {"TaskID": task_id}
    data = svc.delete_cloud_mix_task(delete)["Result"]["Data"]
    assert re.fullmatch(
        rf"kill task \[{task_id}\] success,mesos id is \[live_emulator_\w+\],rowsAffect \[1\]", data
    )
    assert svc.delete_cloud_mix_task(delete)["Result"]["Data"].endswith(",rowsAffect [0]")
    _wait_status(emu, task_id, "done")
    stopped = svc.list_cloud_mix_task({"Page": 1, "PageSize": 10})["Result"]["Data"]["Result"][0]
    assert stopped["StoppedAt"]["Time"] != "0001-01-01T00:00:00Z"


def test_running_names_are_unique_per_account(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    svc = service(emu)
    first = svc.create_cloud_mix_task(small_body("same"))["Result"]["Data"]["TaskID"]
    meta = sdk_error(svc.create_cloud_mix_task, small_body("same"))
    assert meta["Error"] == {
        "Code": "InvalidParameter",
        "Message": f"Name: 'same' is the name of running task [{first}]",
    }
    other = Credential("volcengine", "AKLTother", "other-secret", {"account_id": "2100000002"})
    emu.ctx.settings.credentials.append(other)
    try:
        other_svc = service(emu, ak="AKLTother", sk="other-secret")
        assert other_svc.create_cloud_mix_task(small_body("same"))["Result"]["Code"] == 0  # another account
        assert other_svc.list_cloud_mix_task({"Page": 1, "PageSize": 10})["Result"]["Data"]["Count"] == 1
        hidden = sdk_error(other_svc.get_cloud_mix_task_detail, {"TaskID": first})
        assert hidden["Error"]["Code"] == "ResourceNotFound"
    finally:
        emu.ctx.settings.credentials.remove(other)
    svc = service(emu)  # the SDK's credentials are shared by every LiveService: set them again
    svc.delete_cloud_mix_task({"TaskID": first})
    assert svc.create_cloud_mix_task(small_body("same"))["Result"]["Code"] == 0  # free once the first stopped


def test_create_validation_errors_reach_the_sdk(mix_emulator: EmulatorFixture) -> None:
    svc = service(mix_emulator)
    body = small_body("bad")
    body["MixedRules"]["Output"]["Audio"]["SampleRate"] = 16000
    meta = sdk_error(svc.create_cloud_mix_task, body)
    assert meta["Error"] == {
        "Code": "InvalidParameter",
        "Message": "MixedRules.Output.Audio.SampleRate: must be one of 32000, 44100, 48000, got 16000",
    }
    del body["Name"]
    meta = sdk_error(svc.create_cloud_mix_task, body)
    assert meta["Error"] == {
        "Code": "MissingParameter",
        "CodeN": 100002,
        "Message": "The request is missing Name parameter.",
    }
    assert mix_emulator.tasks("volcengine") == []


def test_update_rules_and_operation_indexes(mix_emulator: EmulatorFixture) -> None:
    emu = mix_emulator
    svc = service(emu)
    create = small_body("upd")
    task_id = svc.create_cloud_mix_task(create)["Result"]["Data"]["TaskID"]

    assert sdk_error(svc.update_cloud_mix_task, update_body("0000000000000000", create))["Error"]["Code"] == (
        "ResourceNotFound"
    )
    changed = update_body(task_id, create)
    changed["MixedRules"]["Output"]["Video"]["FrameRate"] = 25
    meta = sdk_error(svc.update_cloud_mix_task, changed)
    assert meta["Error"] == {
        "Code": "InvalidParameter",
        "Message": "MixedRules.Output: cannot change on update: pass the task's original Output",
    }
    bad = update_body(task_id, create)
    bad["MixedRules"]["InputSource"][0]["Layer"] = 2
    assert sdk_error(svc.update_cloud_mix_task, bad)["Error"]["Code"] == "InvalidParameter"
    detail = svc.get_cloud_mix_task_detail({"TaskID": task_id})["Result"]["Data"]
    assert (detail["LastOperationIndex"], detail["LastSuccessOperationIndex"]) == (2, 0)

    moved = update_body(task_id, create)
    moved["MixedRules"]["InputLayout"]["Scene"]["Layout"][0].update(X=10, W=20)
    assert svc.update_cloud_mix_task(moved)["Result"]["Data"] == {"OptID": 3}
    detail = svc.get_cloud_mix_task_detail({"TaskID": task_id})["Result"]["Data"]
    assert (detail["LastOperationIndex"], detail["LastSuccessOperationIndex"]) == (3, 3)
    assert json.loads(detail["Rule"])["InputLayout"]["Scene"]["Layout"] == [
        {"X": 10, "Y": 0, "W": 20, "H": 36, "Layer": 1}
    ]
    view = emu.task(f"volcengine:{task_id}")
    assert view["update_count"] == 1 and view["job"]["layers"][0]["rect"] == {
        "x": 10,
        "y": 0,
        "w": 20,
        "h": 36,
    }
    listed = svc.list_cloud_mix_task({"Page": 1, "PageSize": 1})["Result"]["Data"]["Result"][0]
    assert listed["UpdatedAt"]["Time"] >= listed["CreatedAt"]["Time"]

    svc.delete_cloud_mix_task({"TaskID": task_id})
    _wait_status(emu, task_id, "done")
    meta = sdk_error(svc.update_cloud_mix_task, moved)
    assert meta["Error"] == {
        "Code": "InvalidParameter",
        "Message": f"TaskID: the task [{task_id}] is not running (status done)",
    }
    assert svc.get_cloud_mix_task_detail({"TaskID": task_id})["Result"]["Data"]["LastOperationIndex"] == 3


def test_list_pages_newest_first(mix_emulator: EmulatorFixture) -> None:
    svc = service(mix_emulator)
    ids = [svc.create_cloud_mix_task(small_body(f"page{i}"))["Result"]["Data"]["TaskID"] for i in range(3)]
    pages = [svc.list_cloud_mix_task({"Page": p, "PageSize": 2})["Result"]["Data"] for p in (1, 2, 3)]
    assert [page["Count"] for page in pages] == [3, 3, 3]
    assert [[t["TaskID"] for t in page["Result"]] for page in pages] == [[ids[2], ids[1]], [ids[0]], []]
    meta = sdk_error(svc.list_cloud_mix_task, {"Page": 1, "PageSize": 101})
    assert meta["Error"] == {"Code": "InvalidParameter", "Message": "PageSize: must be in [1, 100], got 101"}
    assert sdk_error(svc.list_cloud_mix_task, {"Page": 1})["Error"]["Code"] == "MissingParameter"
    for task_id in ids:
        svc.delete_cloud_mix_task({"TaskID": task_id})


def test_delete_and_detail_need_a_task_id(mix_emulator: EmulatorFixture) -> None:
    svc = service(mix_emulator)
    assert (
        sdk_error(svc.delete_cloud_mix_task, {})["Error"]["Message"]
        == "The request is missing TaskID parameter."
    )
    meta = sdk_error(svc.delete_cloud_mix_task, {"TaskID": 5})
    assert meta["Error"] == {"Code": "InvalidParameter", "Message": "TaskID: must be a string"}
