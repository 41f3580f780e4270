"""Flat API 3.0 parameters (TC3 GET mode, v1 signatures) back into the JSON a POST carries: objects by
``.``, lists by ``.<index>``, the schema's numeric fields typed, everything odd dropped."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.providers.tencent.formparams import unflatten


def test_nothing_is_an_empty_object() -> None:
    assert unflatten([]) == {}


def test_dots_nest_objects_and_indexes_make_lists_in_index_order() -> None:
    flat = [
        ("MixStreamSessionId", "room"),
        ("InputStreamList.1.InputStreamName", "guest"),
        ("InputStreamList.0.InputStreamName", "anchor"),
        ("InputStreamList.0.LayoutParams.ImageLayer", "1"),
        ("InputStreamList.1.LayoutParams.ImageLayer", "2"),
        ("OutputParams.OutputStreamName", "out"),
    ]
    assert unflatten(flat) == {
        "MixStreamSessionId": "room",
        "InputStreamList": [
            {"InputStreamName": "anchor", "LayoutParams": {"ImageLayer": 1}},
            {"InputStreamName": "guest", "LayoutParams": {"ImageLayer": 2}},
        ],
        "OutputParams": {"OutputStreamName": "out"},
    }


def test_indexes_with_a_gap_or_not_from_zero_stay_an_object() -> None:
    assert unflatten([("L.0", "a"), ("L.2", "c")]) == {"L": {"0": "a", "2": "c"}}
    assert unflatten([("L.1", "b")]) == {"L": {"1": "b"}}


def test_a_list_has_at_most_64_items() -> None:
    sixty_four = [(f"L.{i}", str(i)) for i in range(64)]
    assert unflatten(sixty_four) == {"L": [str(i) for i in range(64)]}
    sixty_five = [*sixty_four, ("L.64", "64")]
    assert unflatten(sixty_five) == {"L": {str(i): str(i) for i in range(65)}}


def test_keys_mixing_indexes_and_names_or_non_ascii_digits_stay_an_object() -> None:
    assert unflatten([("L.0", "a"), ("L.x", "b")]) == {"L": {"0": "a", "x": "b"}}
    assert unflatten([("L.٠", "a")]) == {"L": {"٠": "a"}}  # an Arabic-Indic zero


def test_eight_levels_are_kept_nine_dropped() -> None:
    eight = ".".join("abcdefgh")
    assert unflatten([(eight, "v")]) == {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": "v"}}}}}}}}
    assert unflatten([(".".join("abcdefghi"), "v")]) == {}


@pytest.mark.parametrize("name", ["A..B", ".A", "A.", "", "."])
def test_names_with_an_empty_part_are_dropped(name: str) -> None:
    assert unflatten([(name, "v"), ("Keep", "k")]) == {"Keep": "k"}


def test_the_first_of_clashing_names_wins() -> None:
    assert unflatten([("A", "1"), ("A.B", "2")]) == {"A": "1"}
    assert unflatten([("A.B", "2"), ("A", "1")]) == {"A": {"B": "2"}}
    assert unflatten([("A.B", "first"), ("A.B", "second")]) == {"A": {"B": "first"}}
    assert unflatten([("A.B.C", "1"), ("A.B", "2"), ("A.B.D", "3")]) == {"A": {"B": {"C": "1", "D": "3"}}}


def test_skipped_names_are_left_out() -> None:
    flat = [("Action", "X"), ("Nonce", "1"), ("MixStreamSessionId", "r")]
    assert unflatten(flat, skip=frozenset({"Action", "Nonce"})) == {"MixStreamSessionId": "r"}


# The numeric fields of CreateCommonMixStream's schema (LayoutParams, CropParams, OutputParams,
# ControlParams and the template id).
NUMERIC_FIELDS = [
    "ImageLayer",
    "InputType",
    "ImageWidth",
    "ImageHeight",
    "LocationX",
    "LocationY",
    "WatermarkId",
    "CropWidth",
    "CropHeight",
    "CropStartLocationX",
    "CropStartLocationY",
    "OutputStreamType",
    "OutputStreamBitRate",
    "OutputStreamGop",
    "OutputStreamFrameRate",
    "OutputAudioBitRate",
    "OutputAudioSampleRate",
    "OutputAudioChannels",
    "MixStreamTemplateId",
    "UseMixCropCenter",
    "AllowCopy",
    "PassInputSei",
    "UsePictureTransparent",
]


@pytest.mark.parametrize("name", NUMERIC_FIELDS)
def test_every_numeric_field_becomes_a_number(name: str) -> None:
    value = unflatten([(f"P.{name}", "12")])["P"][name]
    assert value == 12 and type(value) is int


@pytest.mark.parametrize(
    "name", ["OutputStreamName", "InputStreamName", "Color", "MixStreamSessionId", "imagelayer", "MixSei"]
)
def test_other_fields_stay_text(name: str) -> None:
    assert unflatten([(name, "12")]) == {name: "12"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        ("-3", -3),
        ("1e3", 1000),  # a whole number written without a point is an integer
        ("2.0", 2.0),  # with a point it stays a float: the field's own check decides
        ("1.5", 1.5),
        ("abc", "abc"),  # not a number: refused later by the field's own check
        ("", ""),
        ("0" * 31 + "7", 7),  # 32 characters
        ("0" * 32 + "7", "0" * 32 + "7"),  # 33: too long to be one of the schema's numbers
    ],
)
def test_numeric_text_is_typed(text: str, expected: Any) -> None:
    value = unflatten([("ImageWidth", text)])["ImageWidth"]
    assert value == expected and type(value) is type(expected)
