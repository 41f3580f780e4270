"""Volcengine's bookkeeping in process: the per-account rate limit's sliding second (both edges), the
response envelope and its RequestId, task statuses and times (UTC+8, the Go zero time), the session store
(per account, newest first, at most 1000 finished sessions kept), the status callback's payload for every
stop reason, and the job and messages it builds (fit, decorations, the Name limit, message templates)."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest

from emulator.config import Settings
from emulator.context import EmulatorContext
from emulator.core.job import FitMode
from emulator.core.tasks import Task, TaskState
from emulator.providers.volcengine import create, envelope, schema, signing, translate
from emulator.providers.volcengine.callbacks import payload
from emulator.providers.volcengine.errors import VolcError
from emulator.providers.volcengine.ratelimit import RateLimiter
from emulator.providers.volcengine.sessions import (
    MixSession,
    SessionStore,
    Status,
    new_mesos_id,
    rfc3339,
    status_of,
)

SEED = json.loads(
    (
        Path(__file__).resolve().parents[3] / "fixtures/requests/volcengine/create_cloud_mix_task.json"
    ).read_text()
)


class ManualTime:
    """A clock the test moves by hand (the limiter takes any ``now`` callable)."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


# ----- rate limit
def test_the_limit_is_a_sliding_second_whose_old_edge_is_open() -> None:
    time = ManualTime()
    limiter = RateLimiter(time, enabled=True, limit=2)
    assert [limiter.allow("a"), limiter.allow("a")] == [True, True]
    time.t = 1000.999
    assert limiter.allow("a") is False  # both still within the second
    time.t = 1001.0  # exactly one second later: the first two have left the window
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a")] == [True, True, False]


def test_refused_requests_do_not_count_and_accounts_are_apart() -> None:
    time = ManualTime()
    limiter = RateLimiter(time, enabled=True, limit=1)
    assert limiter.allow("a") is True
    time.t = 1000.5
    assert limiter.allow("a") is False  # refused: not counted
    assert limiter.allow("b") is True
    time.t = 1001.0
    assert limiter.allow("a") is True  # the refusal at .5 would have blocked this one


def test_a_disabled_limiter_allows_everything_and_configure_forgets_the_hits() -> None:
    time = ManualTime()
    limiter = RateLimiter(time, limit=1)
    assert all(limiter.allow("a") for _ in range(50))
    limiter.configure(enabled=True, limit=1)
    assert [limiter.allow("a"), limiter.allow("a")] == [True, False]
    limiter.configure(enabled=True, limit=3)  # the hits so far are forgotten
    assert [limiter.allow("a") for _ in range(4)] == [True, True, True, False]
    assert limiter.to_dict() == {"enabled": True, "limit": 3, "window_s": 1.0}
    assert RateLimiter(time).to_dict() == {"enabled": False, "limit": 10, "window_s": 1.0}


# ----- envelope
def test_request_id_is_beijing_time_then_20_upper_case_hex_digits() -> None:
    rid = envelope.request_id(0.0)
    assert rid[:14] == "19700101080000"
    assert re.fullmatch(r"[0-9A-F]{20}", rid[14:])
    assert envelope.request_id(1_700_000_000.9)[:14] == "20231115061320"  # 22:13:20Z -> 06:13:20+8
    assert envelope.request_id(0.0) != envelope.request_id(0.0)


def _body(response: Any) -> dict[str, Any]:
    return json.loads(response.body)


def test_success_and_failure_envelopes() -> None:
    ok = envelope.success("ListCloudMixTask", "cn-beijing", 0.0, {"Count": 0})
    body = _body(ok)
    meta = body["ResponseMetadata"]
    assert ok.status == 200 and ok.content_type == "application/json"
    assert meta["RequestId"] == meta["RequestID"] and meta["RequestId"].startswith("19700101080000")
    del meta["RequestId"], meta["RequestID"]
    assert body == {
        "ResponseMetadata": {
            "Action": "ListCloudMixTask",
            "Version": "2023-01-01",
            "Service": "live",
            "Region": "cn-beijing",
        },
        "Result": {"Code": 0, "Message": "success", "Data": {"Count": 0}},
    }
    bad = envelope.failure(VolcError("FlowLimitExceeded", "x"), None, "cn-north-1", 0.0)
    body = _body(bad)
    meta = body["ResponseMetadata"]
    assert bad.status == 429 and list(body) == ["ResponseMetadata"]
    assert (meta["Action"], meta["Region"], meta["Version"], meta["Service"]) == (
        "",
        "cn-north-1",
        "2023-01-01",
        "live",
    )
    assert meta["Error"] == {
        "Code": "FlowLimitExceeded",
        "CodeN": 100018,
        "Message": "Request flow limit exceeded: x.",
    }


# ----- sessions
@pytest.mark.parametrize(
    ("state", "status"),
    [
        (TaskState.STARTING, "prepare"),
        (TaskState.RUNNING, "runing"),
        (TaskState.STOPPING, "prestop"),
        (TaskState.STOPPED, "done"),
        (TaskState.ENDED, "done"),
        (TaskState.FAILED, "done"),
    ],
)
def test_status_of_every_task_state(state: TaskState, status: str) -> None:
    assert status_of(_task(state)).value == status


def test_a_forgotten_task_is_done_and_pending_is_documented() -> None:
    assert status_of(None) is Status.DONE
    assert Status.PENDING.value == "pending"


def test_times_are_rfc3339_in_utc_plus_8_and_none_is_the_go_zero_time() -> None:
    assert rfc3339(None) == "0001-01-01T00:00:00Z"
    assert rfc3339(0) == "1970-01-01T08:00:00+08:00"
    assert rfc3339(1_700_000_000.7) == "2023-11-15T06:13:20+08:00"


def test_mesos_ids_and_task_ids() -> None:
    assert re.fullmatch(r"live_emulator_[0-9a-f]{8}_[0-9]{15}", new_mesos_id())
    store = SessionStore()
    ids = {store.new_task_id() for _ in range(20)}
    assert len(ids) == 20 and all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)


def _session(task_id: str, account: str = "acct", name: str = "n") -> MixSession:
    return MixSession(task_id, name, account, schema.parse_rules(SEED), 0.0, 0.0, "m")


def test_the_store_is_per_account_and_newest_first() -> None:
    store = SessionStore()
    for task_id, account in [("t1", "a"), ("t2", "b"), ("t3", "a")]:
        store.add(_session(task_id, account), is_done=lambda s: False)
    assert [s.task_id for s in store.of_account("a")] == ["t3", "t1"]
    assert store.get("a", "t1") is not None and store.get("b", "t1") is None
    assert store.get("a", "nope") is None
    assert store.find("t2") is not None and store.find("t2").account == "b"
    store.clear()
    assert store.of_account("a") == [] and store.find("t2") is None


def test_at_most_1000_finished_sessions_are_kept_oldest_forgotten_first() -> None:
    store = SessionStore()
    done = lambda s: s.task_id.startswith("d")  # noqa: E731
    store.add(_session("running"), is_done=done)
    for i in range(1000):
        store.add(_session(f"d{i}"), is_done=done)
    store.add(_session("new"), is_done=done)  # 1000 finished: none forgotten
    assert len(store.of_account("acct")) == 1002
    store.add(_session("d1000"), is_done=done)  # counted when the next one joins
    assert store.find("d0") is not None
    store.add(_session("newer"), is_done=done)  # 1001 finished: the oldest goes
    kept = store.of_account("acct")
    assert len(kept) == 1003 and store.find("d0") is None and store.find("d1") is not None
    assert store.find("running") is not None and store.find("new") is not None
    assert kept[0].task_id == "newer"


# ----- the callback payload
def _task(state: TaskState, stop_reason: str | None = None, error: str | None = None) -> Task:
    task = Task("volcengine", "t1", translate(SEED), 0.0, state=state, stop_reason=stop_reason, error=error)
    task.final_status = {"inputs": {"1": {"state": "live", "error": None}}}
    return task


@pytest.mark.parametrize(
    ("stop_reason", "error", "reason", "expected_error"),
    [
        (None, None, None, None),
        ("stopped", None, "deleted", None),
        (
            "idle_timeout",
            None,
            "all_sources_down",
            {"Code": "AllSourcesDown", "Message": "every input source was down for 60 seconds"},
        ),
        (
            "max_duration",
            None,
            "max_duration",
            {"Code": "MaxDurationReached", "Message": "a cloud mix task runs at most 3 days"},
        ),
        ("inputs_ended", None, "sources_ended", None),
        ("failed", "decoder broke", "failed", {"Code": "TaskFailed", "Message": "decoder broke"}),
        ("failed", None, "failed", {"Code": "TaskFailed", "Message": "the media pipeline failed"}),
    ],
)
def test_payload_reason_and_error_for_every_stop_reason(
    stop_reason: str | None, error: str | None, reason: str | None, expected_error: dict[str, str] | None
) -> None:
    state = TaskState.RUNNING if stop_reason is None else TaskState.ENDED
    session = _session("t1", name="mixtask001")
    session.last_success_operation_index = 3
    body = payload(session, _task(state, stop_reason, error), "running", {}, 1_700_000_000.6)
    source = {
        "ID": "1",
        "Type": "vod",
        "Url": "https://tos.example.org/obj/test.mp4",
        "Status": "live",
        "Error": None,
    }
    assert body == {
        "EventType": "TaskStatusChanged",
        "TaskID": "t1",
        "Name": "mixtask001",
        "Status": "runing" if stop_reason is None else "done",
        "Reason": reason,
        "Error": expected_error,
        "Sources": [source],
        "OptID": 3,
        "Timestamp": 1_700_000_000,
        "Time": "2023-11-15T06:13:20+08:00",
    }


def test_a_source_event_names_the_source_with_its_new_state() -> None:
    body = _task_with_two_sources("input_state", {"layer_id": "2", "state": "lost"}, inputs={})
    assert body["EventType"] == "SourceStatusChanged"
    assert body["Source"] == {
        "ID": "2",
        "Type": "pic",
        "Url": "pattern:bars",
        "Status": "lost",
        "Error": None,
    }
    assert [s["Status"] for s in body["Sources"]] == ["waiting", "lost"]  # unknown to the engine: waiting
    body = _task_with_two_sources(
        "input_state", {"layer_id": "1"}, inputs={"1": {"state": "error", "error": "404"}}
    )
    assert body["Source"] == {"ID": "1", "Type": "vod", "Url": SEED_URL, "Status": "error", "Error": "404"}
    body = _task_with_two_sources("input_state", {"layer_id": "logo"}, inputs={})
    assert body["Source"] is None and "Source" in body


SEED_URL = "https://tos.example.org/obj/test.mp4"


def _task_with_two_sources(event: str, data: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    body = copy.deepcopy(SEED)
    body["MixedRules"]["InputSource"].append({"ID": "2", "Layer": 2, "Type": "pic", "Url": "pattern:bars"})
    layout = body["MixedRules"]["InputLayout"]["Scene"]["Layout"]
    layout.append({"X": 0, "Y": 0, "W": 10, "H": 10, "Layer": 2})
    rules = schema.parse_rules(body)
    session = MixSession("t1", "n", "acct", rules, 0.0, 0.0, "m")
    task = Task("volcengine", "t1", translate(SEED), 0.0, state=TaskState.RUNNING)
    task.final_status = {"inputs": inputs}
    return payload(session, task, event, data, 0.0)


def test_sources_are_waiting_while_the_engine_reports_no_inputs() -> None:
    task = Task("volcengine", "t1", translate(SEED), 0.0, state=TaskState.STARTING)
    task.final_status = {}  # no "inputs" yet
    body = payload(_session("t1"), task, "started", {}, 0.0)
    assert [(s["ID"], s["Status"], s["Error"]) for s in body["Sources"]] == [("1", "waiting", None)]


def test_the_stop_time_is_kept_when_the_task_begins_to_stop(tmp_path: Path) -> None:
    ctx = EmulatorContext.create(Settings(data_dir=tmp_path, media_workers=0))
    provider = create(ctx)
    quiet = copy.deepcopy(SEED)
    del quiet["MixedRules"]["Output"]["Callback"]  # no callback to send (that needs the event loop)
    session = MixSession("t1", "n", "acct", schema.parse_rules(quiet), 0.0, 0.0, "m")
    provider.sessions.add(session, is_done=lambda s: False)
    task = _task(TaskState.RUNNING)
    provider._on_task_event(task, "running", {})
    assert session.stopped_at is None
    task.state, task.stopped_at = TaskState.STOPPING, 1234.5
    provider._on_task_event(task, "stopping", {})
    assert session.stopped_at == 1234.5
    other = Task("zego", "t1", translate(SEED), 0.0, state=TaskState.STOPPING, stopped_at=99.0)
    provider._on_task_event(other, "stopping", {})  # another provider's task of the same id
    assert session.stopped_at == 1234.5


# ----- the job and the error messages
def test_sources_and_logos_fit_their_boxes_and_only_sources_keep_a_task_alive() -> None:
    job = translate(SEED)
    assert [(layer.id, layer.fit, layer.keeps_alive) for layer in job.layers] == [
        ("1", FitMode.FIT, True),
        ("logo:1", FitMode.FIT, False),
    ]
    assert job.layers[1].keeps_alive is False and job.to_dict()["layers"][1]["keeps_alive"] is False
    assert (job.canvas.width, job.canvas.height, job.canvas.color) == (1920, 1080, "#000000")


def test_a_name_is_at_most_256_characters() -> None:
    assert schema.parse_name({"Name": "名" * 256}) == "名" * 256
    with pytest.raises(VolcError) as caught:
        schema.parse_name({"Name": "a" * 257})
    assert caught.value.code == "InvalidParameter" and caught.value.message.startswith("Name: ")


def test_a_template_missing_details_is_filled_with_nothing() -> None:
    error = VolcError("InvalidActionOrVersion", "CreateX")
    assert error.message == "Could not find operation CreateX for version ."
    assert VolcError("SomeFaultCode", "as given").message == "as given"
    assert VolcError("SomeFaultCode").message == "SomeFaultCode"  # no detail: the code itself
    assert VolcError("SomeFaultCode").to_error() == {"Code": "SomeFaultCode", "Message": "SomeFaultCode"}


def _rules_with(change: Any) -> dict[str, Any]:
    body = copy.deepcopy(SEED)
    change(body["MixedRules"])
    return body


def _refusal(body: dict[str, Any]) -> str:
    with pytest.raises(VolcError) as caught:
        schema.parse_rules(body)
    return caught.value.message


def test_text_limits_from_both_sides() -> None:
    with pytest.raises(VolcError) as caught:
        schema.parse_name({"Name": "a" * 257})
    assert caught.value.message == "Name: longer than 256 characters"
    assert schema.parse_task_id({"TaskID": "t" * 256}) == "t" * 256
    with pytest.raises(VolcError) as caught:
        schema.parse_task_id({"TaskID": "t" * 257})
    assert caught.value.message == "TaskID: longer than 256 characters"

    def source_id(n: int) -> Any:
        return lambda rules: rules["InputSource"][0].update(ID="i" * n)

    assert schema.parse_rules(_rules_with(source_id(256))).sources[0].id == "i" * 256
    assert _refusal(_rules_with(source_id(257))) == (
        "MixedRules.InputSource[0].ID: longer than 256 characters"
    )

    def push_url(n: int) -> Any:
        return lambda rules: rules["Output"].update(Url=["rtmp://p.example.com/" + "u" * (n - 21)])

    assert len(schema.parse_rules(_rules_with(push_url(4096))).output.urls[0]) == 4096
    assert "Output.Url" in _refusal(_rules_with(push_url(4097)))


def test_a_url_is_judged_by_its_first_scheme() -> None:
    nested = "http://tos.example.org/p.png?next=rtmp://elsewhere/x"

    def logo(url: str) -> Any:
        return lambda rules: rules["InputLayout"]["Logo"][0].update(Url=url)

    assert schema.parse_rules(_rules_with(logo(nested))).logos[0].url == nested
    assert _refusal(_rules_with(logo("ftp://tos.example.org/p.png?next=http://x"))) == (
        "MixedRules.InputLayout.Logo[0].Url: a logo needs a http/https/file URL, got ftp://"
    )


@pytest.mark.parametrize(("layer", "ok"), [(0, False), (1, True), (9999, True), (10000, False)])
def test_layout_layers_range_from_1_to_9999(layer: int, ok: bool) -> None:
    def change(rules: dict[str, Any]) -> None:
        rules["InputSource"][0]["Layer"] = layer if ok else 1
        rules["InputLayout"]["Scene"]["Layout"][0]["Layer"] = layer

    if ok:
        assert list(schema.parse_rules(_rules_with(change)).boxes) == [layer]
    else:
        assert _refusal(_rules_with(change)) == (
            f"MixedRules.InputLayout.Scene.Layout[0].Layer: must be in [1, 9999], got {layer}"
        )


def test_mesos_ids_end_in_15_random_digits() -> None:
    numbers = [int(new_mesos_id().rsplit("_", 1)[1]) for _ in range(30)]
    assert all(re.fullmatch(r"live_emulator_[0-9a-f]{8}_[0-9]{15}", new_mesos_id()) for _ in range(30))
    assert max(numbers) >= 10**12  # spread over 15 digits, not a few


@pytest.mark.parametrize("credential", ["AK/20260314/cn-north-1/live/requests", "AK/20260314//live/request"])
def test_a_credential_scope_ends_in_request_and_has_no_empty_part(credential: str) -> None:
    with pytest.raises(signing.MalformedAuthorization) as caught:
        signing.parse_credential(credential)
    assert str(caught.value) == "Credential"
