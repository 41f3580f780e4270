"""Text fields refuse NUL characters and lone surrogates, each on its own; the loopback test takes bracketed
IPv6; a token given with bytes no UTF-8 text holds is refused, not an error."""

from __future__ import annotations

import base64

import pytest

from emulator.config import Settings
from emulator.control.access import _same, ensure_control_token, is_loopback
from emulator.control.validation import text

NOT_TEXT = "must be text without NUL characters or lone surrogates"


@pytest.mark.parametrize("value", ["a\x00b", "\x00", "ok\udcff", "\ud800"])
def test_nul_characters_and_lone_surrogates_are_refused(value: str) -> None:
    assert text(10)(value) == NOT_TEXT


def test_other_control_and_astral_characters_are_text() -> None:
    for value in ("a\x01b", "tab\there", "😀", "XX"):
        assert text(10)(value) is None, value


def test_bracketed_ipv6_loopback_is_loopback() -> None:
    assert is_loopback("[::1]") and is_loopback("::1")
    assert not is_loopback("[::2]") and not is_loopback("[2001:db8::1]")
    assert not is_loopback("X127.0.0.1") and not is_loopback("127.0.0.1X")  # not an address at all


def test_a_token_with_undecodable_bytes_is_refused_without_error() -> None:
    assert not _same("s3cret\udcff", "s3cret")  # a header's bytes as aiohttp decodes them
    assert _same("s3cret", "s3cret") and not _same("s3cre", "s3cret")


def test_a_token_made_at_start_holds_24_random_bytes() -> None:
    tokens = set()
    for _ in range(3):
        exposed = Settings(host="0.0.0.0")
        assert ensure_control_token(exposed)
        token = exposed.control_token or ""
        assert len(token) == 32 and len(base64.urlsafe_b64decode(token)) == 24  # URL-safe base64, no padding
        tokens.add(token)
    assert len(tokens) == 3
