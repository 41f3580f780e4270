"""fields.py: typed reads from a ZEGO request body. The rtc-api decodes strictly (a wrong JSON type is the
request's parse code, a value out of range 110200002); the legacy API is lenient (keys in any case, "" for
absent, numbers as strings)."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.providers.zego.errors import BAD_PARAM, PARSE_FAILED, ZegoError
from emulator.providers.zego.fields import INT64, UINT32, Reader, decimal, json_body

START_PARSE, STOP_PARSE = 184, 185  # written out: the codes ZEGO documents


def strict(data: Any, path: str = "") -> Reader:
    return Reader(data, path, type_code=START_PARSE)


def lenient(data: Any, path: str = "") -> Reader:
    return Reader(data, path, type_code=START_PARSE, lenient=True)


def refused(call: Any) -> ZegoError:
    with pytest.raises(ZegoError) as caught:
        call()
    return caught.value


def test_limits_are_the_go_integer_types() -> None:
    assert (INT64, UINT32) == (9_223_372_036_854_775_807, 4_294_967_295)


# ----- decimal()


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("0", 0),
        ("42", 42),
        (" 42 ", 42),
        ("-7", -7),
        ("9" * 20, int("9" * 20)),
        ("9" * 21, None),
        ("", None),
        ("4.0", None),
        ("²", None),
        ("١٢", None),  # Arabic-Indic digits: int() takes them, ZEGO does not
        ("+5", None),
        ("0x10", None),
    ],
)
def test_decimal(text: str, value: int | None) -> None:
    assert decimal(text) == value


def test_decimal_unsigned_refuses_a_sign_but_takes_digits() -> None:
    assert decimal("-7", unsigned=True) is None
    assert decimal(" 7", unsigned=True) == 7
    assert decimal("0", unsigned=True) == 0


# ----- json_body()


@pytest.mark.parametrize("raw", [b"", b"  \n\t "])
def test_an_empty_body_is_a_parse_failure(raw: bytes) -> None:
    error = refused(lambda: json_body(raw))
    assert (error.number, error.detail) == (
        PARSE_FAILED,
        "the body is empty: send the parameters as a JSON object",
    )


@pytest.mark.parametrize("raw", [b"{", b"NaN", b'"\\ud800"', b"\xff", b"[" * 100_000 + b"]" * 100_000])
def test_a_body_that_is_not_json_is_a_parse_failure(raw: bytes) -> None:
    error = refused(lambda: json_body(raw))
    assert (error.number, error.detail) == (PARSE_FAILED, "the body is not valid JSON")


def test_a_json_body_is_decoded() -> None:
    assert json_body(b' {"TaskId": "t", "N": [1, 2]} ') == {"TaskId": "t", "N": [1, 2]}
    assert json_body(b"[]") == []


# ----- Reader: objects and names


@pytest.mark.parametrize("data", [[], "x", 3, None, True])
def test_a_reader_needs_an_object(data: Any) -> None:
    error = refused(lambda: Reader(data, "", type_code=STOP_PARSE))
    assert (error.number, error.detail) == (STOP_PARSE, "body must be a JSON object")
    error = refused(lambda: Reader(data, "MixInput[0]", type_code=START_PARSE))
    assert (error.number, error.detail) == (START_PARSE, "MixInput[0] must be a JSON object")


def test_names_are_dotted_from_the_path() -> None:
    assert strict({}).name("TaskId") == "TaskId"
    assert strict({}, "MixInput[2]").name("RectInfo") == "MixInput[2].RectInfo"


def test_strict_keys_match_exactly_and_empty_strings_stay() -> None:
    r = strict({"TaskId": "t", "Empty": "", "Null": None})
    assert r.raw("TaskId") == "t" and r.raw("taskid") is None and r.raw("TASKID") is None
    assert r.raw("Empty") == "" and r.has("Empty")
    assert r.raw("Null") is None and not r.has("Null") and not r.has("Missing")


def test_lenient_keys_match_in_any_case_and_empty_strings_are_absent() -> None:
    r = lenient({"mixOutput": [1], "ID_NAME": "u", "Empty": "", "exact": 1, "EXACT": 2, 5: "x"})
    assert r.raw("MixOutput") == [1] and r.raw("mixoutput") == [1]
    assert r.raw("id_name") == "u"
    assert r.raw("exact") == 1  # the exact key first
    assert r.raw("Empty") is None and not r.has("Empty") and not r.has("empty")
    assert r.raw("missing") is None


# ----- strings


def test_string_reads_a_string_and_absent_is_none() -> None:
    r = strict({"A": "x", "B": "", "C": None})
    assert r.string("A") == "x"
    assert r.string("B") is None and r.string("C") is None and r.string("D") is None


@pytest.mark.parametrize("data", [{}, {"TaskId": ""}, {"TaskId": None}])
def test_a_required_string_names_the_field_with_its_code(data: dict[str, Any]) -> None:
    error = refused(lambda: strict(data, "X").string("TaskId", required=True))
    assert (error.number, error.detail) == (BAD_PARAM, "X.TaskId is required")
    error = refused(lambda: strict(data).string("TaskId", required=True, code=153))
    assert (error.number, error.detail) == (153, "TaskId is required")


def test_string_length_limits_from_both_sides() -> None:
    assert strict({"A": "a" * 1024}).string("A") == "a" * 1024  # the default limit
    error = refused(lambda: strict({"A": "a" * 1025}).string("A"))
    assert (error.number, error.detail) == (BAD_PARAM, "A is longer than 1024 characters")
    assert strict({"A": "abc"}).string("A", max_len=3) == "abc"
    error = refused(lambda: strict({"A": "abcd"}).string("A", max_len=3, code=154))
    assert (error.number, error.detail) == (154, "A is longer than 3 characters")


@pytest.mark.parametrize("value", [1, 1.5, True, [], {}])
def test_a_strict_string_of_another_type_fails_the_decode(value: Any) -> None:
    error = refused(lambda: strict({"A": value}).string("A", code=153))
    assert (error.number, error.detail) == (START_PARSE, "A must be a string")


def test_a_lenient_string_takes_an_integer_but_not_a_bool_or_float() -> None:
    assert lenient({"a": 12}).string("a") == "12"
    assert lenient({"a": 0}).string("a") == "0"
    for value in (True, 1.5, [1]):
        error = refused(lambda value=value: lenient({"a": value}).string("a"))
        assert (error.number, error.detail) == (START_PARSE, "a must be a string")


def test_a_lenient_integer_as_string_obeys_the_length_limit() -> None:
    assert lenient({"a": 123}).string("a", max_len=3) == "123"
    assert refused(lambda: lenient({"a": 1234}).string("a", max_len=3)).number == BAD_PARAM


# ----- integers


def test_integer_default_and_required() -> None:
    r = strict({"Null": None})
    assert r.integer("Missing") is None
    assert r.integer("Missing", default=7) == 7 and r.integer("Null", default=7) == 7
    error = refused(lambda: r.integer("Missing", required=True))
    assert (error.number, error.detail) == (BAD_PARAM, "Missing is required")
    assert refused(lambda: r.integer("Null", required=True, code=154)).number == 154


def test_integer_range_from_both_sides() -> None:
    assert strict({"V": 0}).integer("V") == 0  # lo defaults to 0
    error = refused(lambda: strict({"V": -1}).integer("V"))
    assert (error.number, error.detail) == (BAD_PARAM, f"V must be in [0, {INT64}], got -1")
    assert strict({"V": 5}).integer("V", lo=5, hi=9) == 5
    assert strict({"V": 9}).integer("V", lo=5, hi=9) == 9
    error = refused(lambda: strict({"V": 4}).integer("V", lo=5, hi=9, code=153))
    assert (error.number, error.detail) == (153, "V must be in [5, 9], got 4")
    error = refused(lambda: strict({"V": 10}).integer("V", lo=5, hi=9))
    assert (error.number, error.detail) == (BAD_PARAM, "V must be in [5, 9], got 10")


def test_integers_beyond_int64_do_not_decode() -> None:
    assert strict({"V": INT64}).integer("V") == INT64  # hi defaults to INT64
    assert strict({"V": -INT64 - 1}).integer("V", lo=-INT64 - 1) == -INT64 - 1
    for value in (INT64 + 1, -INT64 - 2, 10**30):
        error = refused(lambda value=value: strict({"V": value}).integer("V", lo=-(10**40)))
        assert (error.number, error.detail) == (START_PARSE, "V is out of the integer range")


def test_a_uint64_field_decodes_up_to_2_to_the_64_minus_1() -> None:
    assert strict({"V": 2**64 - 1}).integer("V", hi=2**64 - 1) == 2**64 - 1
    assert strict({"V": INT64 + 1}).integer("V", hi=2**64 - 1) == INT64 + 1
    error = refused(lambda: strict({"V": 2**64}).integer("V", hi=2**64 - 1))
    assert (error.number, error.detail) == (START_PARSE, "V is out of the integer range")


@pytest.mark.parametrize("value", ["12", 3.0, 3.5, True, False, [], {}])
def test_a_strict_integer_of_another_type_fails_the_decode(value: Any) -> None:
    error = refused(lambda: strict({"V": value}).integer("V", code=153))
    assert (error.number, error.detail) == (START_PARSE, "V must be an integer")


def test_a_lenient_integer_takes_decimal_strings_and_whole_floats() -> None:
    r = lenient({"a": "12", "b": " -3 ", "c": 4.0, "d": "0"})
    assert r.integer("a") == 12 and r.integer("B", lo=-5) == -3 and r.integer("c") == 4
    assert r.integer("d", default=9) == 0
    assert refused(lambda: r.integer("b")).number == BAD_PARAM  # decoded, then below lo


@pytest.mark.parametrize("value", ["x", "1.5", "²", 4.5, True, [1]])
def test_a_lenient_integer_refuses_what_is_not_a_whole_number(value: Any) -> None:
    error = refused(lambda: lenient({"a": value}).integer("a"))
    assert (error.number, error.detail) == (START_PARSE, "a must be an integer")


def test_an_empty_lenient_integer_is_its_default() -> None:
    assert lenient({"a": ""}).integer("a", default=5) == 5


@pytest.mark.parametrize(("data", "value"), [({}, None), ({"S": 0}, None), ({"S": 1}, 1), ({"S": 77}, 77)])
def test_sequence_zero_is_no_sequence(data: dict[str, Any], value: int | None) -> None:
    assert strict(data).sequence("S") == value


def test_a_negative_sequence_is_refused() -> None:
    assert refused(lambda: strict({"S": -1}).sequence("S")).number == BAD_PARAM


# ----- containers


def test_obj_reads_a_nested_object_with_its_path_and_mode() -> None:
    r = Reader({"Rect": {"Left": 1}, "N": None}, "MixInput[0]", type_code=STOP_PARSE)
    rect = r.obj("Rect")
    assert rect is not None and rect.path == "MixInput[0].Rect" and rect.type_code == STOP_PARSE
    assert rect.integer("Left") == 1 and not rect.lenient
    assert r.obj("N") is None and r.obj("Missing") is None
    nested = lenient({"rect": {"LEFT": 2}}).obj("RECT")
    assert nested is not None and nested.lenient and nested.integer("left") == 2


def test_obj_of_another_type_fails_the_decode() -> None:
    error = refused(lambda: Reader({"Rect": [1]}, "", type_code=STOP_PARSE).obj("Rect"))
    assert (error.number, error.detail) == (STOP_PARSE, "Rect must be a JSON object")


def test_array_reads_a_list_and_absent_is_empty() -> None:
    r = strict({"A": [1, "x"], "N": None, "E": []}, "P")
    assert r.array("A") == [1, "x"] and r.array("N") == [] and r.array("E") == [] and r.array("M") == []
    for value in ({}, "x", 1):
        error = refused(lambda value=value: strict({"A": value}, "P").array("A"))
        assert (error.number, error.detail) == (START_PARSE, "P.A must be an array")


def test_objects_names_each_item_by_its_index() -> None:
    items = Reader({"MixInput": [{"a": 1}, {"a": 2}]}, "", type_code=STOP_PARSE).objects("MixInput")
    assert [(i.path, i.type_code, i.integer("a")) for i in items] == [
        ("MixInput[0]", STOP_PARSE, 1),
        ("MixInput[1]", STOP_PARSE, 2),
    ]
    assert all(i.lenient for i in lenient({"x": [{}, {}]}).objects("X"))
    error = refused(lambda: strict({"MixInput": [{}, 3]}).objects("MixInput"))
    assert (error.number, error.detail) == (START_PARSE, "MixInput[1] must be a JSON object")
