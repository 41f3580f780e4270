"""The legacy CGI's query check (``?appid=&interface=Mix_StreamV2&t=&sign=md5(key + t)``), called directly
at a given wall time: ``t`` is the request's expiry, so any ``t`` at or after now passes and one second
before fails; every refusal carries the code and message docs/tencent.md gives for it."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.config import Credential
from emulator.context import EmulatorContext
from emulator.providers.tencent.auth import authenticate, legacy_sign
from emulator.providers.tencent.errors import TencentError
from tests.providers.tencent.signing_context import signing_context

APPID = "1252500000"
KEY = "40328529ca4381a80c6ecf2e6aa57438"
NOW = 1_700_000_000.0


@pytest.fixture
def ctx(tmp_path: Path) -> EmulatorContext:
    return signing_context(tmp_path)


def query(t: int | str, *, appid: str = APPID, key: str = KEY, **changes: str) -> dict[str, str]:
    return {"appid": appid, "interface": "Mix_StreamV2", "t": str(t), "sign": legacy_sign(key, t), **changes}


def refusal(ctx: EmulatorContext, q: dict[str, str], now: float = NOW) -> tuple[int, str]:
    with pytest.raises(TencentError) as info:
        authenticate(q, ctx, now=now)
    return info.value.code, info.value.message


def test_seed_formula_is_md5_of_key_then_t() -> None:
    # echo -n 40328529ca4381a80c6ecf2e6aa574381471850187 | md5sum
    assert legacy_sign(KEY, 1471850187) == "0ae45beb215ca4de970150fa61fccebd"
    assert legacy_sign(KEY, "1471850187") == "0ae45beb215ca4de970150fa61fccebd"


@pytest.mark.parametrize("t", [int(NOW), int(NOW) + 1, int(NOW) + 60, int(NOW) + 86_400 * 365])
def test_t_at_or_after_now_is_accepted(ctx: EmulatorContext, t: int) -> None:
    assert authenticate(query(t), ctx, now=NOW) == APPID


def test_t_at_now_with_a_fraction_left_is_expired(ctx: EmulatorContext) -> None:
    # t is whole seconds; at now = t + 0.5 the second t has passed.
    assert refusal(ctx, query(int(NOW)), now=NOW + 0.5) == (-1, f"Sign check failed, t [{int(NOW)}] expired!")


@pytest.mark.parametrize("t", [int(NOW) - 1, int(NOW) - 300, 0])
def test_t_before_now_is_expired(ctx: EmulatorContext, t: int) -> None:
    assert refusal(ctx, query(t)) == (-1, f"Sign check failed, t [{t}] expired!")


def test_a_wrong_sign_is_code_1(ctx: EmulatorContext) -> None:
    t = int(NOW) + 60
    assert refusal(ctx, query(t, sign=legacy_sign(KEY, t + 1))) == (-1, "Sign check failed, sign error!")
    assert refusal(ctx, query(t, key="another key")) == (-1, "Sign check failed, sign error!")


def test_the_sign_may_be_upper_case_hex(ctx: EmulatorContext) -> None:
    t = int(NOW) + 60
    assert authenticate(query(t, sign=legacy_sign(KEY, t).upper()), ctx, now=NOW) == APPID


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        (["appid"], "Parse query params failed, appid required!"),
        (["interface"], "Parse query params failed, interface required!"),
        (["t"], "Parse query params failed, t required!"),
        (["sign"], "Parse query params failed, sign required!"),
        (["appid", "sign"], "Parse query params failed, appid, sign required!"),
        (
            ["appid", "interface", "t", "sign"],
            "Parse query params failed, appid, interface, t, sign required!",
        ),
    ],
)
def test_missing_or_empty_parameters_are_listed_in_order(
    ctx: EmulatorContext, missing: list[str], message: str
) -> None:
    absent = {name: value for name, value in query(int(NOW) + 60).items() if name not in missing}
    assert refusal(ctx, absent) == (-1, message)
    empty = {**query(int(NOW) + 60), **dict.fromkeys(missing, "")}
    assert refusal(ctx, empty) == (-1, message)


def test_another_interface_is_code_1_and_its_name_is_cut_at_80(ctx: EmulatorContext) -> None:
    q = query(int(NOW) + 60, interface="Mix_StreamV1")
    assert refusal(ctx, q) == (-1, "Interface [Mix_StreamV1] not supported, use Mix_StreamV2!")
    q = query(int(NOW) + 60, interface="x" * 81 + "END")
    assert refusal(ctx, q) == (-1, f"Interface [{'x' * 80}] not supported, use Mix_StreamV2!")


@pytest.mark.parametrize("appid", ["0", "000", "12a", "-1", "１２３", "1" * 21])
def test_a_malformed_appid_is_code_2(ctx: EmulatorContext, appid: str) -> None:
    assert refusal(ctx, query(int(NOW) + 60, appid=appid)) == (
        -2,
        f"Input params error, appid [{appid}] invalid!",
    )


def test_a_malformed_appid_is_cut_at_80_in_the_message(ctx: EmulatorContext) -> None:
    appid = "a" * 90
    assert refusal(ctx, query(int(NOW) + 60, appid=appid)) == (
        -2,
        f"Input params error, appid [{'a' * 80}] invalid!",
    )


def test_an_unknown_appid_of_20_digits_is_code_2_no_exist(ctx: EmulatorContext) -> None:
    appid = "9" * 20
    assert refusal(ctx, query(int(NOW) + 60, appid=appid)) == (
        -2,
        f"Input params error, appid [{appid}] no exist!",
    )


def test_another_configured_app_signs_with_its_own_key(tmp_path: Path) -> None:
    ctx = signing_context(tmp_path, extra=(Credential("tencent", "1400000001", "second-key"),))
    t = int(NOW) + 60
    assert authenticate(query(t, appid="1400000001", key="second-key"), ctx, now=NOW) == "1400000001"
    assert refusal(ctx, query(t, appid="1400000001", key=KEY)) == (-1, "Sign check failed, sign error!")


@pytest.mark.parametrize("t", ["12x", "-5", "1.5", "１２３", "1" * 21])
def test_a_t_that_is_not_a_unix_time_is_code_1(ctx: EmulatorContext, t: str) -> None:
    assert refusal(ctx, query(t, sign="0" * 32)) == (
        -1,
        f"Parse query params failed, t [{t}] is not a unix time!",
    )


def test_a_t_of_20_digits_is_a_unix_time(ctx: EmulatorContext) -> None:
    t = "9" * 20
    assert authenticate(query(t), ctx, now=NOW) == APPID


def test_a_long_bad_t_is_cut_at_80_in_the_message(ctx: EmulatorContext) -> None:
    t = "x" * 85
    assert refusal(ctx, query(t)) == (-1, f"Parse query params failed, t [{'x' * 80}] is not a unix time!")


def test_with_auth_off_sign_and_expiry_are_not_checked_but_ids_are(tmp_path: Path) -> None:
    ctx = signing_context(tmp_path, auth="off")
    assert authenticate(query(0, sign="f" * 32), ctx, now=NOW) == APPID
    assert refusal(ctx, query(0, appid="77")) == (-2, "Input params error, appid [77] no exist!")
    assert refusal(ctx, query("soon")) == (-1, "Parse query params failed, t [soon] is not a unix time!")
