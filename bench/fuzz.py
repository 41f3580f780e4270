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
import gc
import hashlib
import http.client
import json
import logging
import re
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings

from bench.fuzz_cases import (
    GREEN,
    INPUTS,
    TENCENT_APPID,
    TENCENT_KEY,
    VOLC_URLS,
    ZEGO_APPID,
    ZEGO_SECRET,
    Action,
    Mutation,
    cases,
    control_actions,
    encode_fields,
    mutated_fields,
    mutated_json,
    provider_actions,
    sweep,
    tc3_headers,
    zego_query,
)
from bench.load import volcengine_signed
from emulator.config import Settings
from emulator.server import EmulatorThread

# ----- the property
INTERNAL = re.compile(r"internal\s*error", re.IGNORECASE)
VOLC_GATE_CODES = {"SignatureDoesNotMatch", "InvalidAccessKey", "InvalidTimestamp", "MissingRequestInfo"}


def stopped_at_the_gate(kind: str, code: Any, body: dict[str, Any]) -> bool:
    """Whether an answer refuses the signature or credentials: a case that never reached the business logic
    (each case is signed properly and mutates no signed field, so none may)."""
    if kind == "tencent-legacy":
        return str(body.get("message", "")).startswith(("Sign check failed", "Parse query params failed"))
    if kind == "tencent-api3":
        return str(code).startswith("AuthFailure")
    if kind == "zego-rtc":
        return isinstance(code, int) and 100000000 <= code <= 100000016
    if kind == "zego-legacy":
        return code in (40001, 42001)  # the access_token refused (40005/40013 answer a mutated /cgi/token)
    if kind == "volcengine":
        return code in VOLC_GATE_CODES
    return False


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
            query, headers = volcengine_signed(self.host, action.name, body or b"")
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
        sent = urllib.parse.unquote(target) + (body or b"").decode("utf-8", "replace")
        said_internal = INTERNAL.search(text) is not None and INTERNAL.search(sent) is None  # not an echo
        if status >= 500 or said_internal:
            self.internal += 1
        assert status < 500, context
        assert not said_internal, context
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
        assert parsed is None or not stopped_at_the_gate(action.kind, code, parsed), context
        self.codes[f"{action.kind} {code}"] += 1
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
    parser.add_argument(
        "-n", type=int, default=10_000, help="cases: the whole sweep (about 3,300), then random ones up to N"
    )
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
