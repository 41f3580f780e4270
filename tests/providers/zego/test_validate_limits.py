"""limits.py (one request at a time per UserId, requests per second per AppId) and options.py (ZEGO's
settings: config file, credentials, runtime changes), on the emulator clock's values given directly."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from emulator.config import Credential, Settings
from emulator.providers.zego.errors import ZegoError
from emulator.providers.zego.limits import RateLimiter, UserLocks
from emulator.providers.zego.options import CallbackTarget, ZegoOptions

REQUEST_OVERLOAD, START_LOCKED, STOP_LOCKED = 194, 5, 6


def refused(call: Any) -> ZegoError:
    with pytest.raises(ZegoError) as caught:
        call()
    return caught.value


# ----- UserLocks


def test_a_user_busy_with_a_request_is_refused_with_the_callers_code() -> None:
    locks = UserLocks()
    with locks.hold(1, "u", START_LOCKED):
        error = refused(lambda: locks.hold(1, "u", STOP_LOCKED).__enter__())
        assert (error.number, error.detail) == (STOP_LOCKED, "UserId 'u' has a request in progress")
        with locks.hold(1, "v", START_LOCKED), locks.hold(2, "u", START_LOCKED):
            pass  # another user of the app, the same user of another app
    with locks.hold(1, "u", START_LOCKED):
        pass  # released


def test_a_lock_is_released_when_the_request_fails() -> None:
    locks = UserLocks()
    with pytest.raises(RuntimeError), locks.hold(1, "u", START_LOCKED):
        raise RuntimeError("boom")
    with locks.hold(1, "u", START_LOCKED):
        pass


# ----- RateLimiter: a sliding second on the emulator clock


def test_the_limit_is_reached_within_a_second_and_not_before() -> None:
    rate = RateLimiter()
    rate.check(7, 3, 10.0)
    rate.check(7, 3, 10.4)
    rate.check(7, 3, 10.9)
    error = refused(lambda: rate.check(7, 3, 10.99))
    assert (error.number, error.detail) == (REQUEST_OVERLOAD, "more than 3 requests in a second for AppId 7")
    rate.check(8, 3, 10.99)  # another app counts on its own


def test_a_request_exactly_one_second_later_is_out_of_the_window() -> None:
    rate = RateLimiter()
    rate.check(1, 1, 5.0)
    assert refused(lambda: rate.check(1, 1, 5.999)).number == REQUEST_OVERLOAD
    rate.check(1, 1, 6.0)  # the hit at 5.0 is exactly a second old: gone
    assert refused(lambda: rate.check(1, 1, 6.5)).number == REQUEST_OVERLOAD


def test_refused_requests_do_not_count() -> None:
    rate = RateLimiter()
    rate.check(1, 2, 0.0)
    rate.check(1, 2, 0.5)
    for now in (0.6, 0.7, 0.8):
        assert refused(lambda now=now: rate.check(1, 2, now)).number == REQUEST_OVERLOAD
    rate.check(1, 2, 1.0)  # only the hit at 0.0 has left; the refused ones never counted
    assert refused(lambda: rate.check(1, 2, 1.2)).number == REQUEST_OVERLOAD
    rate.check(1, 2, 1.5)


def test_clear_forgets_every_hit() -> None:
    rate = RateLimiter()
    rate.check(1, 1, 0.0)
    rate.clear()
    rate.check(1, 1, 0.1)


# ----- ZegoOptions


def options(**zego: Any) -> ZegoOptions:
    return ZegoOptions(Settings(providers={"zego": zego} if zego else {}))


def test_defaults() -> None:
    opts = options()
    assert [opts.get(n) for n in ("callback_url", "callback_format", "auto_mix_create_room")] == [
        None,
        "json",
        False,
    ]
    assert opts.limits() == {"max_fps": 20, "max_tasks": 100, "rate_limit": 100}


def test_the_config_file_then_runtime_changes() -> None:
    opts = options(max_fps=30, rate_limit=5, auto_mix_create_room=True)
    assert opts.limits() == {"max_fps": 30, "max_tasks": 100, "rate_limit": 5}
    assert opts.get("auto_mix_create_room") is True
    opts.set_limits({"rate_limit": 7, "max_tasks": 1})
    assert opts.limits() == {"max_fps": 30, "max_tasks": 1, "rate_limit": 7}
    opts.reset()
    assert opts.limits() == {"max_fps": 30, "max_tasks": 100, "rate_limit": 5}


def test_a_limit_of_1_is_kept() -> None:
    assert options(max_tasks=1).limit("max_tasks") == 1


@pytest.mark.parametrize("value", [0, -1, True, "5", 2.5, None])
def test_a_limit_that_is_not_a_positive_integer_falls_back_to_the_default(
    value: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="emulator.providers.zego.options"):
        assert options(max_fps=value).limit("max_fps") == 20
    assert caplog.messages == [f"[providers.zego] max_fps = {value!r} is not a positive integer: using 20"]


CRED = Credential("zego", "123", "server-secret")


def test_no_callback_url_anywhere_means_no_callbacks() -> None:
    assert options().callback_target(CRED) is None


def test_callback_url_precedence() -> None:
    with_extra = Credential("zego", "123", "server-secret", {"callback_url": "http://cred/"})
    opts = options(callback_url="http://config/")
    assert opts.callback_target(CRED) == CallbackTarget("http://config/", "server-secret", "json")
    assert opts.callback_target(with_extra) == CallbackTarget("http://cred/", "server-secret", "json")
    opts.set_callback("http://all/", None, None)
    assert opts.callback_target(with_extra) == CallbackTarget("http://all/", "server-secret", "json")
    opts.set_callback("http://other/", "x", "999")
    assert opts.callback_target(with_extra) == CallbackTarget("http://all/", "server-secret", "json")
    opts.set_callback("http://mine/", "s", "123")
    assert opts.callback_target(with_extra) == CallbackTarget("http://mine/", "s", "json")
    opts.reset_callbacks()
    assert opts.callback_target(with_extra) == CallbackTarget("http://cred/", "server-secret", "json")


def test_callback_secret_precedence() -> None:
    cred = Credential("zego", "123", "server-secret", {"callback_secret": "cb-secret"})
    opts = options(callback_url="http://config/")
    assert opts.callback_target(cred) == CallbackTarget("http://config/", "cb-secret", "json")
    opts.set_callback("http://rt/", None, "123")  # a runtime URL without a secret keeps the credential's
    assert opts.callback_target(cred) == CallbackTarget("http://rt/", "cb-secret", "json")
    opts.set_callback("http://rt/", "rt-secret", "123")
    assert opts.callback_target(cred) == CallbackTarget("http://rt/", "rt-secret", "json")


@pytest.mark.parametrize(("value", "body"), [("form", "form"), ("json", "json"), ("xml", "json")])
def test_callback_format(value: str, body: str) -> None:
    target = options(callback_url="http://c/", callback_format=value).callback_target(CRED)
    assert target is not None and target.body_format == body


def test_callbacks_view_and_reset() -> None:
    opts = options()
    opts.set_callback("http://all/", None, None)
    opts.set_callback("http://mine/", "s", "123")
    assert opts.callbacks_view() == {
        "*": {"url": "http://all/", "secret_set": False},
        "123": {"url": "http://mine/", "secret_set": True},
    }
    opts.set_limits({"max_fps": 5})
    opts.reset_callbacks()
    assert opts.callbacks_view() == {} and opts.limit("max_fps") == 5
    opts.set_callback("http://all/", None, None)
    opts.reset()
    assert opts.callbacks_view() == {} and opts.limit("max_fps") == 20
