"""The base adapter's contract, with a bare adapter of its own: what it answers before an adapter overrides
anything, the journal keys ``mark`` sets, the signature time (wall clock, moved by a skew fault only), and
injected faults (a delay then a native error; a delay-only rule answers nothing)."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request

from emulator import providers
from emulator.config import Settings
from emulator.context import EmulatorContext
from emulator.core.faults import FaultRule
from emulator.providers import PROVIDER_MODULES, load_providers
from emulator.providers.base import ACTION_KEY, PROVIDER_KEY, Provider


class Bare(Provider):
    """Overrides only what the base leaves to adapters: its native error and fault answers."""

    name = "bare"

    def error_response(self, request: web.Request, *, status: int, message: str) -> web.Response:
        return web.json_response({"native": message, "action": request.query.get("Action")}, status=status)

    def fault_response(self, request: web.Request, rule: FaultRule, action: str) -> web.Response:
        answer = {"fault": rule.code, "action": action, "path": request.path}
        return web.json_response(answer, status=rule.http_status or 500)


@pytest.fixture
def bare(tmp_path: Path) -> Iterator[Bare]:
    yield Bare(EmulatorContext.create(Settings(data_dir=tmp_path, media_workers=0)))


def _request() -> web.Request:
    return make_mocked_request("POST", "/?Action=Go", headers={})


def test_unless_overridden_root_answers_no_such_action_and_no_code(bare: Bare) -> None:
    response = asyncio.run(bare.handle_root(_request()))
    assert (response.status, json.loads(response.body)) == (404, {"native": "no such action", "action": "Go"})
    assert bare.answer_code({"code": 5, "error": True}) == (None, False)
    app = web.Application()
    bare.add_routes(app)
    assert list(app.router.routes()) == []
    bare.reset()  # nothing to forget, and no failure
    with pytest.raises(NotImplementedError):
        Provider.error_response(bare, _request(), status=500, message="x")
    with pytest.raises(NotImplementedError):
        Provider.fault_response(bare, _request(), FaultRule("bare", "*", code=1), "Go")


def test_mark_files_the_request_under_provider_and_action(bare: Bare) -> None:
    request = _request()
    bare.mark(request, None)
    assert (request[PROVIDER_KEY], request[ACTION_KEY]) == ("bare", None)
    bare.mark(request, "Go")
    assert (request[PROVIDER_KEY], request[ACTION_KEY]) == ("bare", "Go")


def test_signature_time_is_the_wall_clock_moved_only_by_a_skew_fault(bare: Bare) -> None:
    bare.ctx.clock.advance(3600)
    before = time.time()
    assert before <= bare.signature_time("Go") <= time.time()
    bare.ctx.faults.add(FaultRule("bare", "Go", clock_skew_s=-120, times=1))
    bare.ctx.faults.add(FaultRule("other", "Go", clock_skew_s=500))
    bare.ctx.faults.add(FaultRule("bare", "Go", code=7, times=1))  # not a skew rule
    before = time.time()
    assert before - 120 <= bare.signature_time("Go") <= time.time() - 120
    assert before <= bare.signature_time("Go") <= time.time()  # used up
    bare.ctx.faults.add(FaultRule("bare", "*", clock_skew_s=0.0, times=1))
    before = time.time()
    assert before <= bare.signature_time("Go") <= time.time()


def test_an_injected_fault_answers_natively_after_its_delay(bare: Bare) -> None:
    assert asyncio.run(bare.injected_fault(_request(), "Go")) is None
    bare.ctx.faults.add(FaultRule("bare", "Go", code="Boom", http_status=503, delay_ms=200, times=1))
    started = time.monotonic()
    response = asyncio.run(bare.injected_fault(_request(), "Go"))
    assert time.monotonic() - started >= 0.2
    assert response is not None
    assert (response.status, json.loads(response.body)) == (
        503,
        {"fault": "Boom", "action": "Go", "path": "/"},
    )
    bare.ctx.faults.add(FaultRule("bare", "Go", delay_ms=150, times=1))  # only slow
    started = time.monotonic()
    assert asyncio.run(bare.injected_fault(_request(), "Go")) is None
    assert time.monotonic() - started >= 0.15
    bare.ctx.faults.add(FaultRule("bare", "Go", clock_skew_s=60))  # a skew rule answers nothing here
    assert asyncio.run(bare.injected_fault(_request(), "Go")) is None


def test_every_provider_module_is_loaded_under_its_name(tmp_path: Path) -> None:
    ctx = EmulatorContext.create(Settings(data_dir=tmp_path, media_workers=0))
    providers = load_providers(ctx)
    assert list(providers) == ["tencent", "zego", "volcengine"]
    assert [(p.name, p.ctx is ctx, type(p).__name__) for p in providers.values()] == [
        ("tencent", True, "TencentProvider"),
        ("zego", True, "ZegoProvider"),
        ("volcengine", True, "VolcengineProvider"),
    ]


def test_a_provider_module_not_written_is_skipped_but_a_broken_one_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = EmulatorContext.create(Settings(data_dir=tmp_path, media_workers=0))
    modules = {"absent": "emulator.providers.absent_provider_module", **PROVIDER_MODULES}
    monkeypatch.setattr(providers, "PROVIDER_MODULES", modules)  # the missing one first: the rest still load
    assert list(load_providers(ctx)) == ["tencent", "zego", "volcengine"]
    (tmp_path / "broken_provider_module.py").write_text("import a_dependency_nobody_installed\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(modules, "broken", "broken_provider_module")
    with pytest.raises(ModuleNotFoundError) as caught:
        load_providers(ctx)
    assert caught.value.name == "a_dependency_nobody_installed"
