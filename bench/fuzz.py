"""Signed, structured fuzzing of every provider action and every control route (issue 14).

Each case is one provider's valid request with one field mutated (wrong type, null, boundaries, int64
overflow, NaN/Infinity, lone surrogates, NUL, 1 MB strings, deep nesting, duplicate keys, unknown fields),
signed with the wall clock the way that provider's clients sign, so it passes the gateway and reaches the
business logic; or a control route with a mutated body, query or path parameter. The property of every
answer: HTTP < 500, JSON in the provider's own envelope with a documented bad-input code (never "internal
error"), no task left behind by a refusal, no traceback in the log, and the server still healthy.

    python -m bench.fuzz -n 1000000          # the long run (make fuzz N=1000000)

tests/test_fuzz.py runs a CI-sized share of the same cases under pytest.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import gc
import hashlib
import hmac
import http.client
import json
import logging
import re
import secrets
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.config import Settings
from emulator.server import EmulatorThread

# The default credentials (emulator/config.py), as each provider's clients hold them.
TENCENT_APPID, TENCENT_KEY = "1252500000", "40328529ca4381a80c6ecf2e6aa57438"
ZEGO_APPID, ZEGO_SECRET = "12345", "9193cc662a4c0ec135ec71fb57194b38"
VOLC_AK, VOLC_SK = "AKLTemulator", "emulator-secret"

GREEN = "pattern:color?color=#00ff00&size=160x90"
INPUTS = ("stream_lewis02", "anchor", "guest", "stream1", "stream2", "is1")
VOLC_URLS = ("https://tos.example.org/obj/test.mp4", "http://tos.example.org/obj/test/logo001.png")

# ----- valid requests, one per action: (kind, action, body)
TENCENT_START = {
    "timestamp": 1490079362,
    "eventId": 1490079362,
    "interface": {
        "interfaceName": "Mix_StreamV2",
        "para": {
            "app_id": 1252500000,
            "interface": "mix_streamv2.start_mix_stream_advanced",
            "mix_stream_session_id": "fuzz_room",
            "output_stream_id": "fuzz_out",
            "output_stream_type": 1,
            "input_stream_list": [
                {"input_stream_id": "anchor", "layout_params": {"image_layer": 1}},
                {
                    "input_stream_id": "guest",
                    "layout_params": {
                        "image_layer": 2,
                        "image_width": 80,
                        "image_height": 45,
                        "location_x": 10,
                        "location_y": 10,
                    },
                    "crop_params": {"crop_width": 80, "crop_height": 45, "crop_x": 0, "crop_y": 0},
                },
            ],
        },
    },
}
TENCENT_CANCEL = {
    "timestamp": 1490079362,
    "eventId": 1490079362,
    "interface": {
        "interfaceName": "Mix_StreamV2",
        "para": {
            "app_id": 1252500000,
            "interface": "mix_streamv2.cancel_mix_stream",
            "mix_stream_session_id": "fuzz_room",
            "output_stream_id": "fuzz_out",
        },
    },
}
API3_CREATE = {
    "MixStreamSessionId": "fuzz_session",
    "InputStreamList": [
        {"InputStreamName": "anchor", "LayoutParams": {"ImageLayer": 1}},
        {
            "InputStreamName": "guest",
            "LayoutParams": {
                "ImageLayer": 2,
                "ImageWidth": 96,
                "ImageHeight": 54,
                "LocationX": 16,
                "LocationY": 16,
            },
            "CropParams": {
                "CropWidth": 80,
                "CropHeight": 45,
                "CropStartLocationX": 0,
                "CropStartLocationY": 0,
            },
        },
    ],
    "OutputParams": {"OutputStreamName": "fuzz_api3_out", "OutputStreamType": 1, "OutputStreamBitRate": 500},
}
ZEGO_START = {
    "TaskId": "fuzz1",
    "Sequence": 1,
    "UserId": "fuzzer",
    "MixInput": [
        {"StreamId": "stream1", "RectInfo": {"Top": 0, "Bottom": 90, "Left": 0, "Right": 160}},
        {"StreamId": "stream2", "RectInfo": {"Top": 90, "Bottom": 180, "Left": 0, "Right": 160}},
    ],
    "MixOutput": [
        {"StreamId": "fuzz_zego_out", "Width": 160, "Height": 180, "VideoBitrate": 300000, "Fps": 15}
    ],
}
VOLC_RULES = {
    "InputLayout": {
        "Scene": {"Height": 180, "Width": 320, "Layout": [{"X": 0, "Y": 0, "W": 160, "H": 90, "Layer": 1}]},
        "Logo": [{"Layout": {"X": 0, "Y": 0, "W": 20, "H": 20}, "Url": VOLC_URLS[1]}],
    },
    "Output": {
        "Audio": {"BitRate": 128000, "ChannelLayout": "stereo", "SampleRate": 48000},
        "Url": ["rtmp://127.0.0.1:9/live/fuzz"],
        "Video": {"BitRate": 300000, "FrameRate": 15, "GOP": 2, "Codec": "h264"},
    },
    "InputSource": [{"ID": "1", "Layer": 1, "Type": "vod", "Url": VOLC_URLS[0]}],
}


@dataclass(frozen=True)
class Action:
    kind: str  # tencent-legacy, tencent-api3, zego-rtc, zego-legacy, volcengine, control
    name: str
    body: Any = None  # the valid JSON body (None: no body)
    method: str = "POST"
    path: str = "/"
    query: dict[str, str] = field(default_factory=dict)  # unsigned query fields (mutated like body fields)
    form: bool = False  # the body goes as an HTML form (fields flat)


def provider_actions() -> list[Action]:
    legacy_stop = {"task_id": "fuzz1", "id_name": "fuzzer", "seq": 2}
    return [
        Action("tencent-legacy", "Mix_StreamV2.start", TENCENT_START),
        Action("tencent-legacy", "Mix_StreamV2.cancel", TENCENT_CANCEL),
        Action("tencent-api3", "CreateCommonMixStream", API3_CREATE),
        Action("tencent-api3", "CancelCommonMixStream", {"MixStreamSessionId": "fuzz_session"}),
        Action("zego-rtc", "StartMix", ZEGO_START),
        Action("zego-rtc", "StopMix", {"TaskId": "fuzz1", "Sequence": 2, "UserId": "fuzzer"}),
        Action(
            "zego-rtc",
            "StartAutoMix",
            {
                "TaskId": "fuzzauto",
                "UserId": "fuzzer",
                "RoomId": "fuzz_room",
                "MixOutput": [{"StreamId": "fz_auto"}],
            },
        ),
        Action("zego-rtc", "StopAutoMix", {"TaskId": "fuzzauto", "Sequence": 1, "RoomId": "fuzz_room"}),
        Action("zego-rtc", "GetMixTaskInfo", {"TaskId": "fuzz1"}),
        Action(
            "zego-legacy", "token", None, "GET", "/cgi/token", {"appid": ZEGO_APPID, "secret": ZEGO_SECRET}
        ),
        Action(
            "zego-legacy",
            "token-form",
            {"appid": ZEGO_APPID, "secret": ZEGO_SECRET},
            path="/cgi/token",
            form=True,
        ),
        Action("zego-legacy", "start-mix", _zego_legacy_start(), path="/cgi/start-mix"),
        Action("zego-legacy", "stop-mix", legacy_stop, path="/cgi/stop-mix"),
        Action("zego-legacy", "stop-mix-form", legacy_stop, path="/cgi/stop-mix", form=True),
        Action("volcengine", "CreateCloudMixTask", {"Name": "fuzzmix", "MixedRules": VOLC_RULES}),
        Action("volcengine", "UpdateCloudMixTask", {"TaskID": "fuzz0000", "MixedRules": VOLC_RULES}),
        Action("volcengine", "DeleteCloudMixTask", {"TaskID": "fuzz0000"}),
        Action("volcengine", "ListCloudMixTask", {"PageSize": 10, "Page": 1}),
        Action("volcengine", "GetCloudMixTaskDetail", {"TaskID": "fuzz0000"}),
    ]


def _zego_legacy_start() -> dict[str, Any]:
    return {
        "id_name": "fuzzer",
        "live_channel": "fuzz_room",
        "appid": int(ZEGO_APPID),
        "MixInput": [
            {
                "url": "",
                "stream_id": "is1",
                "rect": {"layer": 0, "top": 0, "left": 0, "bottom": 90, "right": 160},
            }
        ],
        "MixOutput": [
            {"stream_id": "fuzz_legacy_out", "bitrate": 300000, "fps": 15, "height": 90, "width": 160}
        ],
    }


# Bodies of the control routes that take one; routes not listed are fuzzed with an empty object.
CONTROL_BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/_emulator/streams"): {"stream_id": "fz", "source": GREEN, "room_id": "r", "user_id": "u"},
    ("POST", "/_emulator/urls"): {"url": "http://fuzz.example/a.mp4", "source": GREEN},
    ("POST", "/_emulator/faults"): {"provider": "zego", "action": "StartMix", "code": 2, "times": 1},
    ("POST", "/_emulator/clock/advance"): {"seconds": 1},
    ("POST", "/_emulator/tencent/pictures"): {"picture_id": 7, "source": GREEN, "width": 16, "height": 16},
    ("POST", "/_emulator/zego/callback"): {
        "url": "http://127.0.0.1:9/cb",
        "secret": "s3cret",
        "app_id": "12345",
    },
    ("POST", "/_emulator/zego/limits"): {"max_fps": 20, "max_tasks": 100, "rate_limit": 1000},
    ("POST", "/_emulator/volcengine/rate-limit"): {"enabled": False, "limit": 10},
}
CONTROL_QUERIES: dict[str, dict[str, str]] = {
    "/_emulator/tasks": {"provider": "zego", "state": "running"},
    "/_emulator/requests": {"provider": "zego", "action": "StartMix", "limit": "5"},
    "/_emulator/streams": {"room_id": "r"},
    "/_emulator/callbacks": {"provider": "zego"},
    "/_emulator/urls": {"url": "http://fuzz.example/a.mp4"},
    "/_emulator/zego/sound-levels": {"app_id": ZEGO_APPID, "task_id": "fuzz1"},
}


def control_actions(router_routes: list[tuple[str, str]]) -> list[Action]:
    actions = []
    for method, path in sorted(set(router_routes)):
        if not path.startswith("/_emulator") or method == "HEAD":
            continue
        body = CONTROL_BODIES.get((method, path), {} if method == "POST" else None)
        query = CONTROL_QUERIES.get(path, {}) if method == "GET" or path == "/_emulator/urls" else {}
        actions.append(Action("control", f"{method} {path}", body, method, path, query))
    return actions


# ----- mutations
@dataclass(frozen=True)
class Raw:
    """A JSON value as text, for what json.dumps cannot write (NaN, duplicate keys, deep nesting)."""

    text: str
    label: str


DEEP = 100_000
FIXED_VALUES: tuple[Raw, ...] = (
    Raw("null", "null"),
    Raw("true", "bool"),
    Raw('"x"', "string"),
    Raw('""', "empty string"),
    Raw("0", "zero"),
    Raw("-1", "minus one"),
    Raw("1.5", "fraction"),
    Raw("-0.0", "negative zero"),
    Raw("2147483647", "int32 max"),
    Raw("2147483648", "int32 overflow"),
    Raw("4294967296", "uint32 overflow"),
    Raw("9223372036854775807", "int64 max"),
    Raw("9223372036854775808", "int64 overflow"),
    Raw("-9223372036854775809", "int64 underflow"),
    Raw("1" + "0" * 400, "huge integer"),
    Raw("1e400", "float overflow"),
    Raw("NaN", "NaN"),
    Raw("Infinity", "Infinity"),
    Raw("-Infinity", "-Infinity"),
    Raw("[]", "array"),
    Raw("{}", "object"),
    Raw('"\\ud800"', "lone surrogate"),
    Raw('"a\\udfffb"', "lone low surrogate"),
    Raw('"a\\u0000b"', "NUL"),
    Raw('"../../etc/passwd"', "path traversal"),
    Raw('"' + "x" * 300 + '"', "300 chars"),
    Raw('"' + "y" * (1 << 20) + '"', "1 MB string"),
    Raw("[" * DEEP + "]" * DEEP, "deep nesting"),
    Raw('{"a":' * 2000 + "1" + "}" * 2000, "nested objects"),
    Raw('"\\u202e\U0001f600\u00e9"', "unicode"),
)
# Values for query and form fields and path parameters: text only.
FIXED_TEXTS: tuple[str, ...] = (
    "",
    "\ud800",
    "a\x00b",
    "x" * 300,
    "y" * 5000,
    "../../etc/passwd",
    "%",
    "-1",
    "9223372036854775808",
    "NaN",
    "\u202e\U0001f600",
)

# Any text, lone surrogates and control characters included.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=24)
fixed_values = st.sampled_from(FIXED_VALUES)
json_values = st.one_of(
    fixed_values,  # the documented odd inputs are drawn as often as all the random ones together
    fixed_values,
    fixed_values,
    fixed_values,
    st.integers().map(lambda i: Raw(str(i), "integer")),
    st.floats().map(lambda f: Raw(json.dumps(f), "float")),
    any_text.map(lambda s: Raw(json.dumps(s), "text")),
    st.recursive(
        st.none() | st.booleans() | st.integers() | any_text,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(any_text, inner, max_size=3),
        max_leaves=6,
    ).map(lambda v: Raw(json.dumps(v), "structure")),
)
texts = st.one_of(st.sampled_from(FIXED_TEXTS), any_text)

_VALUE = "\x01FUZZ"
_DUP = "\x01DUP"


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every location in a JSON value, the root included."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


def _parent(body: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        body = body[key]
    return body


@dataclass(frozen=True)
class Mutation:
    how: str  # replace, drop, duplicate, unknown, raw-utf8
    path: tuple[Any, ...]
    value: Raw | str

    @property
    def label(self) -> str:
        value = self.value.label if isinstance(self.value, Raw) else "text"
        return f"{self.how} {'.'.join(map(str, self.path)) or '<root>'}: {value}"


def mutated_json(body: Any, mutation: Mutation) -> bytes:
    """The body as JSON text with the mutation applied at its path."""
    body = _copy(body)
    raw = mutation.value.text if isinstance(mutation.value, Raw) else json.dumps(mutation.value)
    path, how = mutation.path, mutation.how
    if how == "drop" and path:
        parent = _parent(body, path)
        del parent[path[-1]]
        return json.dumps(body).encode()
    if how in ("duplicate", "unknown"):
        target = _parent(body, (*path, None))
        if not isinstance(target, dict):
            how = "replace"
        else:
            key = next(iter(target), "Zz") if how == "duplicate" else "ZzUnknownField"
            target[_DUP] = _VALUE
            text = json.dumps(body)
            return text.replace(
                json.dumps(_DUP) + ": " + json.dumps(_VALUE), json.dumps(key) + ": " + raw
            ).encode()
    if how == "raw-utf8":  # invalid UTF-8 on the wire: a lone surrogate encoded as bytes
        return (
            json.dumps(body, ensure_ascii=False).replace('"', '"\ud800', 1).encode("utf-8", "surrogatepass")
        )
    if not path:
        return raw.encode("utf-8", "surrogatepass")
    _parent(body, path)[path[-1]] = _VALUE
    return json.dumps(body).replace(json.dumps(_VALUE), raw).encode("utf-8", "surrogatepass")


def mutated_fields(fields: dict[str, Any], mutation: Mutation) -> list[tuple[str, str]]:
    """Flat fields (query or form) with the mutation: replace, drop, duplicate or add one."""
    items = [(k, str(v)) for k, v in fields.items()]
    name = mutation.path[0] if mutation.path else None
    value = mutation.value if isinstance(mutation.value, str) else mutation.value.text
    if mutation.how == "drop":
        return [(k, v) for k, v in items if k != name]
    if mutation.how == "duplicate" and name is not None:
        return [*items, (name, value)]
    if mutation.how == "unknown" or name is None:
        return [*items, ("zzunknown", value)]
    return [(k, value if k == name else v) for k, v in items]


def encode_fields(items: list[tuple[str, str]]) -> str:
    return urllib.parse.urlencode(items, errors="surrogatepass")


# The sweep: every location of every action with each of these, so a CI-sized run covers them all.
SWEEP_VALUES = tuple(
    v
    for v in FIXED_VALUES
    if v.label in {"null", "string", "array", "object", "int64 overflow", "NaN", "lone surrogate", "NUL",
                   "300 chars", "minus one"}
)  # fmt: skip
SWEEP_TEXTS = ("\ud800", "a\x00b", "x" * 300, "")


def sweep(actions: list[Action]) -> Iterator[tuple[Action, Mutation]]:
    """Deterministic cases: each location of each action with each sweep value, dropped, duplicated and
    joined by an unknown field; 1 MB, deep nesting and invalid UTF-8 once per action."""
    for action in actions:
        if action.kind == "control" and "{" in action.path:
            for value in FIXED_TEXTS:
                yield action, Mutation("path", (), value)
            continue
        flat = action.form or action.body is None
        fields = action.query if action.body is None else action.body
        if flat:
            for name in fields:
                for text in SWEEP_TEXTS:
                    yield action, Mutation("replace", (name,), text)
                yield action, Mutation("drop", (name,), "")
                yield action, Mutation("duplicate", (name,), "x")
            yield action, Mutation("unknown", (), "x")
            continue
        for path in paths(fields):
            for value in SWEEP_VALUES:
                yield action, Mutation("replace", path, value)
            if path:
                yield action, Mutation("drop", path, FIXED_VALUES[0])
            if isinstance(_parent(fields, (*path, None)), dict):
                yield action, Mutation("duplicate", path, FIXED_VALUES[3])
                yield action, Mutation("unknown", path, FIXED_VALUES[2])
        for label in ("1 MB string", "deep nesting", "nested objects"):
            yield action, Mutation("replace", (), next(v for v in FIXED_VALUES if v.label == label))
        yield action, Mutation("raw-utf8", (), FIXED_VALUES[0])


@st.composite
def cases(draw: st.DrawFn, actions: list[Action]) -> tuple[Action, Mutation]:
    providers = [a for a in actions if a.kind != "control"]
    controls = [a for a in actions if a.kind == "control"]
    # Two cases in three go to the providers, whose actions are fewer but deeper than the control routes.
    provider = st.sampled_from(providers)
    action = draw(st.one_of(provider, provider, st.sampled_from(controls)))
    flat = action.form or action.body is None
    fields = action.query if action.body is None else action.body
    where = list(paths(fields)) if not flat else [(), *((k,) for k in fields)]
    if action.kind == "control" and "{" in action.path:
        return action, Mutation("path", (), draw(texts))
    path = draw(st.sampled_from(where))
    how = draw(st.sampled_from(("replace", "replace", "replace", "drop", "duplicate", "unknown", "raw-utf8")))
    value: Raw | str = draw(texts) if flat else draw(json_values)
    return action, Mutation(how, path, value)


# ----- signing: each provider's client algorithm, with the wall clock
def tc3_headers(body: bytes, host: str, action: str, now: int) -> dict[str, str]:
    """Tencent Cloud API 3.0: TC3-HMAC-SHA256 over content-type and host."""
    content_type = "application/json; charset=utf-8"
    canonical = "\n".join(
        ["POST", "/", "", f"content-type:{content_type}\nhost:{host}\n", "content-type;host",
         hashlib.sha256(body).hexdigest()]
    )  # fmt: skip
    date = datetime.datetime.fromtimestamp(now, datetime.UTC).strftime("%Y-%m-%d")
    scope = f"{date}/live/tc3_request"
    to_sign = f"TC3-HMAC-SHA256\n{now}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    key = hmac.new(f"TC3{TENCENT_KEY}".encode(), date.encode(), hashlib.sha256).digest()
    for part in ("live", "tc3_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return {
        "Content-Type": content_type,
        "Host": host,
        "X-TC-Action": action,
        "X-TC-Timestamp": str(now),
        "X-TC-Version": "2018-08-01",
        "X-TC-Region": "ap-guangzhou",
        "Authorization": f"TC3-HMAC-SHA256 Credential={TENCENT_APPID}/{scope}, "
        f"SignedHeaders=content-type;host, Signature={signature}",
    }


def zego_query(action: str, now: int) -> dict[str, str]:
    nonce = secrets.token_hex(8)
    signature = hashlib.md5(f"{ZEGO_APPID}{nonce}{ZEGO_SECRET}{now}".encode()).hexdigest()
    return {
        "Action": action,
        "AppId": ZEGO_APPID,
        "SignatureNonce": nonce,
        "Timestamp": str(now),
        "Signature": signature,
        "SignatureVersion": "2.0",
    }


def volc_headers(action: str, body: bytes, host: str) -> tuple[dict[str, str], dict[str, str]]:
    """Volcengine: the official SDK's own SigV4 signer."""
    from collections import OrderedDict

    from volcengine.auth.SignerV4 import SignerV4
    from volcengine.auth.SignParam import SignParam
    from volcengine.Credentials import Credentials

    query = {"Action": action, "Version": "2023-01-01"}
    param = SignParam()
    param.set_method("POST")
    param.set_host(host)
    param.set_path("/")
    param.set_query(OrderedDict(query))
    param.set_body(body)
    param.set_header_list(OrderedDict({"Host": host, "Content-Type": "application/json"}))
    param.set_date(datetime.datetime.now(datetime.UTC))
    signed = SignerV4.sign_only(param, Credentials(VOLC_AK, VOLC_SK, "live", "cn-north-1"))
    headers = {
        "Content-Type": "application/json",
        "X-Date": signed.xdate,
        "X-Content-Sha256": signed.xContextSha256,
        "Authorization": signed.authorization,
    }
    return query, headers


# ----- the property
INTERNAL = re.compile(r"internal\s*error", re.IGNORECASE)
AUTH_CODES = {
    "tencent-legacy": {-1001, -1002, -1003},
    "zego-rtc": set(range(100000000, 100000017)),
    "zego-legacy": {40001, 40005, 40013, 42001},
}


def documented_codes() -> dict[str, set[Any]]:
    from emulator.providers.tencent import errors as tencent
    from emulator.providers.volcengine import errors as volc
    from emulator.providers.zego import errors as zego

    return {
        "tencent-legacy": {0, *tencent.MESSAGES},
        "zego-rtc": {0, *zego.GATEWAY_MESSAGES, *(zego.MIX_BASE + n for n in zego.MIX_MESSAGES if n < 9000),
                     zego.MIX_BASE + zego.TASK_NOT_FOUND},
        "zego-legacy": {0, *zego.MIX_MESSAGES, *zego.LEGACY_MESSAGES},
        "volcengine": {0, *volc.SPECS} - {"InternalError", "InternalServiceTimeout"},
    }  # fmt: skip


API3_PREFIXES = (
    "InvalidParameter",
    "MissingParameter",
    "UnknownParameter",
    "InvalidParameterValue",
    "FailedOperation",
    "ResourceNotFound",
    "LimitExceeded",
    "RequestLimitExceeded",
    "UnsupportedOperation",
)


def code_of(kind: str, status: int, body: Any) -> Any:
    """The native code of an answer, or raises AssertionError when the envelope is not the provider's."""
    assert isinstance(body, dict), body
    if kind == "tencent-legacy":
        assert {"code", "message"} <= set(body), body
        return body["code"]
    if kind == "tencent-api3":
        response = body["Response"]
        assert "RequestId" in response, body
        return response["Error"]["Code"] if "Error" in response else 0
    if kind == "zego-rtc":
        assert {"Code", "Message", "RequestId"} <= set(body), body
        return body["Code"]
    if kind == "zego-legacy":
        assert {"code", "message"} <= set(body), body
        return body["code"]
    if kind == "volcengine":
        meta = body["ResponseMetadata"]
        assert "RequestId" in meta and "Action" in meta, body
        return meta["Error"]["Code"] if "Error" in meta else 0
    if status >= 400:
        assert set(body) == {"error"} and {"code", "message"} <= set(body["error"]), body
        return f"{status} {body['error']['code']}"
    return status


class LogWatch(logging.Handler):
    """Counts log records that carry a traceback, or are errors, from the emulator."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info or record.levelno >= logging.ERROR:
            self.records.append(record)

    def describe(self) -> list[str]:
        return [
            f"{r.name}: {r.getMessage()} {self.format(r) if r.exc_info else ''}"[:2000] for r in self.records
        ]


class Fuzzer:
    """Sends cases to an emulator running in this process and checks the property on each answer."""

    def __init__(self, emulator: EmulatorThread, *, keep_going: bool = False) -> None:
        self.emu = emulator
        self.keep_going = keep_going  # record failing cases and go on (to find every crash in one run)
        self.failures: Counter[str] = Counter()
        self.ctx = emulator.ctx
        self.host = f"127.0.0.1:{self.ctx.http_port}"
        self.conn = http.client.HTTPConnection("127.0.0.1", self.ctx.http_port, timeout=60)
        self.codes: Counter[str] = Counter()
        self.sent = 0
        self.stopped = 0
        self.internal = 0
        self.documented = documented_codes()
        assert emulator.running is not None
        app = emulator.running.runner.app
        routes = [(r.method, r.resource.canonical) for r in app.router.routes() if r.resource]
        self.actions = provider_actions() + control_actions(routes)
        self.token = ""

    # ----- transport
    def send(
        self, method: str, target: str, body: bytes | None, headers: dict[str, str] | None = None
    ) -> tuple[int, Any, bytes]:
        for attempt in (1, 2):
            try:
                self.conn.request(method, target, body=body, headers=headers or {})
                response = self.conn.getresponse()
                raw = response.read()
                break
            except (ConnectionError, http.client.HTTPException):
                self.conn.close()  # the server may close a connection after a refused body; one retry
                if attempt == 2:
                    raise
        kind = response.headers.get_content_type()
        return response.status, (json.loads(raw) if kind == "application/json" and raw else None), raw

    def control(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        status, parsed, raw = self.send(method, path, data, {"Content-Type": "application/json"})
        assert status < 300, (method, path, status, raw[:300])
        return parsed

    def prepare(self) -> None:
        """A clean emulator whose inputs were published long enough ago for every provider's rules."""
        self.control("POST", "/_emulator/reset")
        for stream_id in INPUTS:
            self.control(
                "POST",
                "/_emulator/streams",
                {"stream_id": stream_id, "source": GREEN, "room_id": "fuzz_room"},
            )
        self.control("POST", "/_emulator/streams", {"stream_id": "stream_lewis01", "source": GREEN})
        for url in VOLC_URLS:
            self.control("POST", "/_emulator/urls", {"url": url, "source": GREEN})
        self.control("POST", "/_emulator/volcengine/rate-limit", {"enabled": False})
        self.control("POST", "/_emulator/zego/limits", {"rate_limit": 1_000_000, "max_tasks": 100_000})
        self.control("POST", "/_emulator/clock/advance", {"seconds": 6})

    def restore(self, path: str) -> None:
        if path == "/_emulator/faults":
            self.control("DELETE", "/_emulator/faults")
        elif path == "/_emulator/zego/callback":
            self.control("DELETE", "/_emulator/zego/callback")
        elif path in ("/_emulator/tencent/pictures", "/_emulator/tencent/pictures/{picture_id}"):
            pass  # pictures only matter to requests that name them
        elif path.startswith("/_emulator/tasks/"):
            pass
        else:  # reset, clock, streams, URL maps, limits: start from a clean emulator again
            self.prepare()

    def stop_tasks(self) -> None:
        for task in self.ctx.tasks.active():
            self.control("DELETE", "/_emulator/tasks/" + urllib.parse.quote(task.id, safe=""))
        self.ctx.tasks.forget_finished()
        self.stopped += 1
        if self.stopped % 500 == 0:
            gc.collect()  # stopped pipelines are the soak work's business; keep this run's memory flat

    def zego_token(self) -> str:
        target = "/cgi/token?" + encode_fields([("appid", ZEGO_APPID), ("secret", ZEGO_SECRET),
                                                 ("timestamp", str(int(time.time() * 1000)))])  # fmt: skip
        _, body, _ = self.send("GET", target, None)
        return body["data"]["access_token"]

    # ----- one case
    def request_for(
        self, action: Action, mutation: Mutation
    ) -> tuple[str, str, bytes | None, dict[str, str]]:
        now = int(time.time())
        if action.form or action.body is None:
            fields = action.body if action.form else action.query
            flat = mutated_fields(fields, mutation)
            if action.body is None:
                return action.method, f"{action.path}?{encode_fields(flat)}", None, {}
            body: bytes | None = encode_fields(flat).encode()
            content_type = "application/x-www-form-urlencoded"
        else:
            body = mutated_json(action.body, mutation) if action.body is not None else None
            content_type = "application/json"
        headers = {"Content-Type": content_type}
        if action.kind == "tencent-legacy":
            sign = hashlib.md5(f"{TENCENT_KEY}{now + 60}".encode()).hexdigest()
            target = f"/common_access?appid={TENCENT_APPID}&interface=Mix_StreamV2&t={now + 60}&sign={sign}"
        elif action.kind == "tencent-api3":
            target, headers = "/", tc3_headers(body or b"", self.host, action.name, now)
        elif action.kind == "zego-rtc":
            target = "/?" + encode_fields(list(zego_query(action.name, now).items()))
        elif action.kind == "zego-legacy":
            target = action.path
            if action.path != "/cgi/token":
                target += "?" + encode_fields([("access_token", self.zego_token())])
        elif action.kind == "volcengine":
            query, headers = volc_headers(action.name, body or b"", self.host)
            target = "/?" + encode_fields(list(query.items()))
        else:
            target = action.path
            if mutation.how == "path":
                value = urllib.parse.quote(str(mutation.value), safe="", errors="surrogatepass")
                target = re.sub(r"\{[^}]*\}", lambda _: value or "%20", target)
            if action.query:  # mutated when it is all the request has, as is a body otherwise
                query = mutated_fields(action.query, mutation) if action.body is None else action.query
                target += "?" + encode_fields(list(query.items()) if isinstance(query, dict) else query)
        return action.method, target, body, headers

    def run_case(self, action: Action, mutation: Mutation) -> None:
        try:
            self._run_case(action, mutation)
        except AssertionError as exc:
            if not self.keep_going:
                raise
            self.failures[repr(exc)[:300]] += 1
            self.stop_tasks()

    def _run_case(self, action: Action, mutation: Mutation) -> None:
        tasks_before = {t.id for t in self.ctx.tasks.all()}
        method, target, body, headers = self.request_for(action, mutation)
        status, parsed, raw = self.send(method, target, body, headers)
        self.sent += 1
        context = (action.name, mutation.label, status, raw[:400])
        text = raw.decode("utf-8", "replace")
        if status >= 500 or INTERNAL.search(text):
            self.internal += 1
        assert status < 500, context
        assert not INTERNAL.search(text), context
        is_dashboard = (
            action.kind == "control" and action.path in ("/_emulator", "/_emulator/") and status == 200
        )
        binary = (
            action.kind == "control"
            and status == 200
            and any(part in action.path for part in ("/media/", "/hls/", "/recordings/", "snapshot"))
        )
        if parsed is None:
            assert is_dashboard or binary, context
            code: Any = status
        else:
            code = code_of(action.kind, status, parsed)
        if action.kind in self.documented:
            assert code in self.documented[action.kind], context
        elif action.kind == "tencent-api3":
            assert code == 0 or str(code).startswith(API3_PREFIXES), context
        assert code not in AUTH_CODES.get(action.kind, ()) or (
            action.kind == "zego-legacy" and "token" in action.name
        ), context
        self.codes[f"{action.kind} {code}"] += 1
        if action.kind == "zego-legacy" and action.name.startswith("token") and code == 0:
            pass  # a new token; the next legacy case asks for its own
        created = {t.id for t in self.ctx.tasks.all()} - tasks_before
        if code != 0 and action.kind != "control":
            assert not created, ("a refused request left tasks behind", created, context)
        if action.kind == "control" and method != "GET" and status < 300:
            self.stop_tasks()
            self.restore(action.path)  # a control call changed the emulator: undo what the next cases need
        elif self.ctx.tasks.active():
            self.stop_tasks()

    def healthy(self) -> None:
        status, body, raw = self.send("GET", "/_emulator/health", None)
        assert status == 200 and body["status"] == "ok", raw[:300]


def fuzz_property(fuzzer: Fuzzer, examples: int, seed: int | None = None) -> Callable[[], None]:
    """A hypothesis test over ``examples`` cases against ``fuzzer`` (call it to run)."""

    @settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=seed is None,
        suppress_health_check=list(HealthCheck),
        phases=("generate",),
        print_blob=True,
    )
    @given(cases(fuzzer.actions))
    def check(case: tuple[Action, Mutation]) -> None:
        fuzzer.run_case(*case)

    return check if seed is None else _seeded(check, seed)


def _seeded(test: Callable[[], None], seed: int) -> Callable[[], None]:
    from hypothesis import seed as hypothesis_seed

    return hypothesis_seed(seed)(test)


@contextlib.contextmanager
def watched_emulator(data_dir: Path, *, keep_going: bool = False) -> Iterator[tuple[Fuzzer, LogWatch]]:
    """An emulator in this process (realtime, small), its fuzzer, and a watch on its log."""
    watch = LogWatch()
    logging.getLogger().addHandler(watch)
    emulator = EmulatorThread(Settings(port=0, rtmp_port=0, data_dir=data_dir)).start()
    try:
        fuzzer = Fuzzer(emulator, keep_going=keep_going)
        fuzzer.prepare()
        yield fuzzer, watch
    finally:
        emulator.stop()
        logging.getLogger().removeHandler(watch)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=10_000, help="cases to send (the sweep's, then random ones)")
    parser.add_argument("--seed", type=int, default=None, help="a seed (default: hypothesis' fixed one)")
    parser.add_argument("--keep-going", action="store_true", help="list every failing case, not the first")
    args = parser.parse_args()
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="mixemu-fuzz-") as tmp,
        watched_emulator(Path(tmp), keep_going=args.keep_going) as (fuzzer, watch),
    ):
        failure = None
        try:
            for case in sweep(fuzzer.actions):
                fuzzer.run_case(*case)
            if args.n > fuzzer.sent:
                fuzz_property(fuzzer, args.n - fuzzer.sent, args.seed)()
            fuzzer.healthy()
        except Exception as exc:  # report the figures so far, then the failing case
            failure = exc
        elapsed = time.monotonic() - started
        print(f"cases sent: {fuzzer.sent} in {elapsed:.0f} s ({fuzzer.sent / max(elapsed, 1e-9):.0f}/s)")
        print("answers by code:")
        for key, count in sorted(fuzzer.codes.items()):
            print(f"  {key:<48} {count}")
        print(f"internal errors (HTTP 5xx or 'internal error'): {fuzzer.internal}")
        print(f"log records with a traceback or at ERROR: {len(watch.records)}")
        for line in watch.describe()[:5]:
            print("  " + line)
        for line, count in fuzzer.failures.most_common(40):
            print(f"  failed x{count}: {line}")
        if failure is not None:
            print(f"FAILED: {failure!r}"[:3000])
    return 0 if failure is None and not watch.records and not fuzzer.internal and not fuzzer.failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
