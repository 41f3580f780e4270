"""Tencent's control routes on an app made by the test: registering watermark pictures (every field's
range from both sides, the size probed or taken on trust), listing and deleting them, and listing the
mix sessions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from PIL import Image

from emulator.context import EmulatorContext
from emulator.providers.tencent.provider import TencentProvider
from tests.providers.tencent.inprocess import served

PICTURES = "/_emulator/tencent/pictures"


async def post(client: TestClient, body: Any) -> tuple[int, dict[str, Any]]:
    response = await client.post(PICTURES, json=body)
    return response.status, await response.json()


def register(tmp_path: Path, body: Any) -> tuple[int, dict[str, Any]]:
    async def scenario(client: TestClient, provider: TencentProvider, ctx: EmulatorContext) -> Any:
        return await post(client, body)

    return served(tmp_path, scenario)


def error_of(tmp_path: Path, body: Any) -> tuple[int, str, str]:
    status, answer = register(tmp_path, body)
    return status, answer["error"]["code"], answer["error"].get("field", "")


def logo(tmp_path: Path, name: str = "logo.png", size: tuple[int, int] = (40, 20)) -> str:
    (tmp_path / "media").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, (255, 255, 0)).save(tmp_path / "media" / name)
    return name


@pytest.mark.parametrize("picture_id", [1, 2**31 - 1])
def test_picture_ids_at_both_ends_are_accepted(tmp_path: Path, picture_id: int) -> None:
    body = {"picture_id": picture_id, "source": "logo.png", "width": 4, "height": 2}
    assert register(tmp_path, body) == (
        201,
        {"picture": {"picture_id": picture_id, "source": "logo.png", "width": 4, "height": 2}},
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"picture_id": 0, "source": "a.png"}, "picture_id"),
        ({"picture_id": 2**31, "source": "a.png"}, "picture_id"),
        ({"picture_id": "1", "source": "a.png"}, "picture_id"),
        ({"source": "a.png"}, "picture_id"),
        ({"picture_id": 1}, "source"),
        ({"picture_id": 1, "source": "a.png", "width": 0, "height": 5}, "width"),
        ({"picture_id": 1, "source": "a.png", "width": 10_001, "height": 5}, "width"),
        ({"picture_id": 1, "source": "a.png", "width": 5, "height": 0}, "height"),
        ({"picture_id": 1, "source": "a.png", "width": 5, "height": 10_001}, "height"),
        ({"picture_id": 1, "source": "a.png", "colour": 1}, "colour"),
    ],
)
def test_a_field_out_of_its_range_is_refused(tmp_path: Path, body: dict[str, Any], field: str) -> None:
    assert error_of(tmp_path, body) == (400, "InvalidField", field)


@pytest.mark.parametrize(
    ("source", "message"), [("", "must not be empty"), ("a" * 4097, "longer than 4096 characters")]
)
def test_a_source_empty_or_too_long_is_refused_before_any_probe(
    tmp_path: Path, source: str, message: str
) -> None:
    status, answer = register(tmp_path, {"picture_id": 1, "source": source, "width": 2, "height": 2})
    assert (status, answer) == (
        400,
        {"error": {"code": "InvalidField", "message": message, "field": "source"}},
    )


def test_sizes_at_both_ends_and_the_longest_source_are_accepted(tmp_path: Path) -> None:
    for width, height in [(1, 10_000), (10_000, 1)]:
        body = {"picture_id": 5, "source": "a" * 4096, "width": width, "height": height}
        status, answer = register(tmp_path, body)
        assert status == 201 and (answer["picture"]["width"], answer["picture"]["height"]) == (width, height)


@pytest.mark.parametrize("given", [{}, {"width": 7}, {"height": 7}])
def test_without_both_sizes_the_picture_is_probed(tmp_path: Path, given: dict[str, int]) -> None:
    source = logo(tmp_path, size=(40, 20))
    status, answer = register(tmp_path, {"picture_id": 3, "source": source, **given})
    assert status == 201
    assert answer["picture"] == {"picture_id": 3, "source": source, "width": 40, "height": 20}


@pytest.mark.parametrize("source", ["https://example.com/logo.png", "http://example.com/logo.png"])
def test_a_remote_picture_is_taken_on_trust_without_a_size(tmp_path: Path, source: str) -> None:
    assert register(tmp_path, {"picture_id": 4, "source": source}) == (
        201,
        {"picture": {"picture_id": 4, "source": source, "width": None, "height": None}},
    )


def test_a_missing_file_names_the_source(tmp_path: Path) -> None:
    status, answer = register(tmp_path, {"picture_id": 4, "source": "no-such-file.png"})
    assert status == 400
    assert answer["error"] == {
        "code": "InvalidField",
        "message": "a picture file inside the media roots or an http(s) URL",
        "field": "source",
    }


def test_a_file_that_is_not_a_picture_names_the_source(tmp_path: Path) -> None:
    (tmp_path / "media").mkdir(parents=True, exist_ok=True)
    (tmp_path / "media" / "notes.png").write_bytes(b"not a picture at all")
    status, answer = register(tmp_path, {"picture_id": 4, "source": "notes.png"})
    assert status == 400 and answer["error"]["field"] == "source"
    path = (tmp_path / "media" / "notes.png").resolve()
    assert answer["error"]["message"] == f"cannot read picture {path}: cannot identify image file '{path}'"


def test_register_list_delete_and_list_again(tmp_path: Path) -> None:
    async def scenario(client: TestClient, provider: TencentProvider, ctx: EmulatorContext) -> None:
        assert await post(client, {"picture_id": 2, "source": "b.png", "width": 8, "height": 6}) == (
            201,
            {"picture": {"picture_id": 2, "source": "b.png", "width": 8, "height": 6}},
        )
        listed = await client.get(PICTURES)
        assert listed.status == 200
        assert await listed.json() == {
            "pictures": [{"picture_id": 2, "source": "b.png", "width": 8, "height": 6}]
        }
        for raw in ("x", "-2", "3"):
            gone = await client.delete(f"{PICTURES}/{raw}")
            assert gone.status == 404
            assert await gone.json() == {
                "error": {"code": "PictureNotFound", "message": f"no picture {raw!r}"}
            }
        deleted = await client.delete(f"{PICTURES}/2")
        assert (deleted.status, await deleted.json()) == (200, {"deleted": 2})
        assert await (await client.get(PICTURES)).json() == {"pictures": []}
        again = await client.delete(f"{PICTURES}/2")
        assert again.status == 404

    served(tmp_path, scenario)


def test_sessions_are_listed_empty_then_with_their_fields(tmp_path: Path) -> None:
    async def scenario(client: TestClient, provider: TencentProvider, ctx: EmulatorContext) -> None:
        response = await client.get("/_emulator/tencent/sessions")
        assert (response.status, await response.json()) == (200, {"sessions": []})

    served(tmp_path, scenario)


def test_a_probe_that_takes_too_long_names_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from emulator.providers.tencent import control

    monkeypatch.setattr(control, "PROBE_TIMEOUT_S", 0.0)  # no probe finishes at once
    status, answer = register(tmp_path, {"picture_id": 4, "source": logo(tmp_path)})
    assert status == 400
    assert answer["error"] == {
        "code": "InvalidField",
        "message": "probing the picture timed out",
        "field": "source",
    }


def test_pictures_of_the_configuration_are_listed_and_come_back_after_reset(tmp_path: Path) -> None:
    async def scenario(client: TestClient, provider: TencentProvider, ctx: EmulatorContext) -> None:
        configured = {"picture_id": 7, "source": "logo.png", "width": None, "height": None}
        assert await (await client.get(PICTURES)).json() == {"pictures": [configured]}
        assert (await client.delete(f"{PICTURES}/7")).status == 200
        assert await (await client.get(PICTURES)).json() == {"pictures": []}
        assert (await client.post("/_emulator/reset")).status == 200
        assert await (await client.get(PICTURES)).json() == {"pictures": [configured]}

    served(tmp_path, scenario, providers={"tencent": {"pictures": {"7": "logo.png"}}})
