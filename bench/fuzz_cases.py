"""The cases of bench/fuzz.py: each provider action's valid request, the mutations of one field, the sweep
over every location, the hypothesis strategy, and each provider's client-side signing (wall clock)."""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import secrets
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

# The default credentials (emulator/config.py), as each provider's clients hold them.
TENCENT_APPID, TENCENT_KEY = "1252500000", "40328529ca4381a80c6ecf2e6aa57438"
ZEGO_APPID, ZEGO_SECRET = "12345", "9193cc662a4c0ec135ec71fb57194b38"

GREEN = "pattern:color?color=#00ff00&size=160x90"
INPUTS = ("stream_lewis02", "anchor", "guest", "stream1", "stream2", "is1")
VOLC_URLS = ("https://tos.example.org/obj/test.mp4", "http://tos.example.org/obj/test/logo001.png")


# ----- valid requests, one per action: (kind, action, body)
def _mix_streamv2(interface: str, **para: Any) -> dict[str, Any]:
    """A legacy Mix_StreamV2 envelope around one session's ``para``."""
    session = {"mix_stream_session_id": "fuzz_room", "output_stream_id": "fuzz_out"}
    para = {"app_id": int(TENCENT_APPID), "interface": interface, **session, **para}
    return {
        "timestamp": 1490079362,
        "eventId": 1490079362,
        "interface": {"interfaceName": "Mix_StreamV2", "para": para},
    }


TENCENT_START = _mix_streamv2(
    "mix_streamv2.start_mix_stream_advanced",
    output_stream_type=1,
    input_stream_list=[
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
)
TENCENT_CANCEL = _mix_streamv2("mix_streamv2.cancel_mix_stream")
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
