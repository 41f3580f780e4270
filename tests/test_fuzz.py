"""Signed, structured fuzzing in CI (bench/fuzz.py has the cases; ``make fuzz`` is the long run): every
provider action and control route, each location with each odd value, then random cases from hypothesis.
The property, checked on every answer: the provider's own envelope and a documented code, never HTTP 5xx or
"internal error", no task left by a refused request, no traceback in the log, the server healthy."""

from __future__ import annotations

from pathlib import Path

from bench.fuzz import fuzz_property, sweep, watched_emulator

RANDOM_CASES = 200


def test_every_action_and_control_route_survives_odd_input(tmp_path: Path) -> None:
    with watched_emulator(tmp_path) as (fuzzer, log):
        kinds = {action.kind for action in fuzzer.actions}
        assert kinds == {"tencent-legacy", "tencent-api3", "zego-rtc", "zego-legacy", "volcengine", "control"}
        for case in sweep(fuzzer.actions):
            fuzzer.run_case(*case)
        fuzz_property(fuzzer, RANDOM_CASES)()
        fuzzer.healthy()
        assert fuzzer.internal == 0
        assert not log.records, log.describe()[:3]
        # The cases reached the business logic: each provider both accepted and refused some.
        for kind in kinds - {"control"}:
            codes = {key.split(" ", 1)[1] for key in fuzzer.codes if key.startswith(kind + " ")}
            assert "0" in codes and len(codes) > 2, (kind, codes)


def test_malformed_http_is_a_client_error_without_a_traceback(tmp_path: Path) -> None:
    """A request line over aiohttp's limit never reaches a handler: a 400, logged as one line."""
    with watched_emulator(tmp_path) as (fuzzer, log):
        status, _, _ = fuzzer.send("GET", "/_emulator/streams?room_id=" + "x" * 9000, None)
        assert status == 400
        fuzzer.conn.close()
        fuzzer.healthy()
        assert not log.records, log.describe()[:3]
