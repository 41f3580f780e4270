"""Strict JSON in: the messages of the refusals, and lone surrogates found at any depth, in keys too."""

from __future__ import annotations

import pytest

from emulator.core.jsonin import BadJson, has_lone_surrogate, loads


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_non_json_constants_are_named(constant: str) -> None:
    with pytest.raises(BadJson) as refused:
        loads('{"a": [1, ' + constant + "]}")
    assert str(refused.value) == f"{constant} is not a JSON value"


def test_lone_surrogates_are_found_anywhere() -> None:
    assert has_lone_surrogate("\ud800")
    assert has_lone_surrogate(["ok", {"k": [1, "x\udfff"]}])
    assert has_lone_surrogate({"\udc80": 1})
    assert has_lone_surrogate({"a": {"b": ["c", ["\ud83d"]]}})


def test_text_without_lone_surrogates_is_clean() -> None:
    assert not has_lone_surrogate({"a": ["😀", {"k": "é"}], "n": [1, 2.5, None, True]})
    assert not has_lone_surrogate([])
    assert not has_lone_surrogate(7)
    assert loads('{"face": "\\ud83d\\ude00"}') == {"face": "😀"}  # a surrogate pair is one character


def test_an_escaped_lone_surrogate_is_refused() -> None:
    with pytest.raises(BadJson, match="lone UTF-16 surrogate"):
        loads('{"a": ["x", {"b": "\\udead"}]}')
