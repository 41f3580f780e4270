"""The volcengine Python SDK in both its signing modes: SigV4 in the Authorization header (every action
method) and in the query string (``get_sign_url``, a presigned URL). Both mix, and both get the OpenAPI
gateway's own errors."""

from __future__ import annotations

import copy
import json

import pytest

from emulator.testing import EmulatorFixture
from tests.e2e.clients import volc_one_source, volc_presigned, volc_service

pytestmark = pytest.mark.e2e


def test_header_signed_sdk_calls(mix_emulator: EmulatorFixture) -> None:
    svc = volc_service(mix_emulator)
    task_id = svc.create_cloud_mix_task(volc_one_source("header"))["Result"]["Data"]["TaskID"]
    detail = svc.get_cloud_mix_task_detail({"TaskID": task_id})["Result"]["Data"]
    assert detail["TaskID"] == task_id
    with pytest.raises(Exception, match="SignatureDoesNotMatch"):
        volc_service(mix_emulator, sk="wrong").list_cloud_mix_task({"Page": 1, "PageSize": 10})
    svc = volc_service(mix_emulator)  # the SDK's settings are module-wide: the right key again
    mix_emulator.add_fault("volcengine", "DeleteCloudMixTask", clock_skew_s=-16 * 60, times=1)
    with pytest.raises(Exception, match="InvalidTimestamp"):
        svc.delete_cloud_mix_task({"TaskID": task_id})
    assert svc.delete_cloud_mix_task({"TaskID": task_id})["Result"]["Code"] == 0


def test_query_string_signed_requests(mix_emulator: EmulatorFixture) -> None:
    status, answer = volc_presigned(mix_emulator, "CreateCloudMixTask", volc_one_source("presigned"))
    assert status == 200, answer
    task_id = answer["Result"]["Data"]["TaskID"]
    status, answer = volc_presigned(mix_emulator, "ListCloudMixTask", {"Page": 1, "PageSize": 10})
    assert status == 200 and [t["TaskID"] for t in answer["Result"]["Data"]["Result"]] == [task_id]
    status, answer = volc_presigned(mix_emulator, "ListCloudMixTask", {"Page": 1}, sk="wrong")
    assert (status, answer["ResponseMetadata"]["Error"]["Code"]) == (401, "SignatureDoesNotMatch")
    assert "Result" not in answer
    mix_emulator.add_fault("volcengine", "DeleteCloudMixTask", clock_skew_s=16 * 60, times=1)
    status, answer = volc_presigned(mix_emulator, "DeleteCloudMixTask", {"TaskID": task_id})
    assert (status, answer["ResponseMetadata"]["Error"]["Code"]) == (400, "InvalidTimestamp")
    status, answer = volc_presigned(mix_emulator, "DeleteCloudMixTask", {"TaskID": task_id})
    assert status == 200 and answer["ResponseMetadata"]["Action"] == "DeleteCloudMixTask"


def test_update_with_the_rule_get_detail_returned_is_accepted(mix_emulator: EmulatorFixture) -> None:
    """The emulator corrects a too-low BitRate and FrameRate; the Rule it then reports carries the corrected
    values, and a client that sends that Rule back as its Update is not refused for "changing" Output."""
    create = volc_one_source("corrected")
    create["MixedRules"]["Output"]["Video"].update(BitRate=500_000, FrameRate=5)
    svc = volc_service(mix_emulator)
    task_id = svc.create_cloud_mix_task(create)["Result"]["Data"]["TaskID"]
    rule = json.loads(svc.get_cloud_mix_task_detail({"TaskID": task_id})["Result"]["Data"]["Rule"])
    assert (rule["Output"]["Video"]["BitRate"], rule["Output"]["Video"]["FrameRate"]) == (1_000_000, 10)
    rule["InputLayout"]["Scene"]["Layout"][0]["W"] = 32
    assert svc.update_cloud_mix_task({"TaskID": task_id, "MixedRules": rule})["Result"]["Data"]["OptID"] == 1
    assert (
        svc.update_cloud_mix_task({"TaskID": task_id, "MixedRules": create["MixedRules"]})["Result"]["Code"]
        == 0
    )
    changed = copy.deepcopy(rule)
    changed["Output"]["Video"]["FrameRate"] = 30
    with pytest.raises(Exception, match="cannot change on update"):
        svc.update_cloud_mix_task({"TaskID": task_id, "MixedRules": changed})
