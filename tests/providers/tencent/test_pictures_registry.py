"""The watermark registry (pictures.py) on its own: pictures from the config file, added, listed by id,
removed, and a reset back to the config file's."""

from __future__ import annotations

from emulator.providers.tencent.pictures import Picture, PictureRegistry


def test_configured_pictures_are_there_from_the_start_and_after_a_reset() -> None:
    registry = PictureRegistry({"10": "logo.png", "2": "badge.png", "x": "skipped.png", "3": 5})
    assert registry.list() == [Picture(2, "badge.png"), Picture(10, "logo.png")]
    registry.add(Picture(1, "extra.png", 40, 20))
    assert registry.remove(10) is True
    registry.reset()
    assert registry.list() == [Picture(2, "badge.png"), Picture(10, "logo.png")]


def test_add_get_remove_and_the_list_by_id() -> None:
    registry = PictureRegistry()
    assert registry.list() == []
    for picture_id in (30, 4, 17):
        registry.add(Picture(picture_id, f"p{picture_id}.png"))
    registry.add(Picture(4, "again.png", 64, 32))  # the same id replaces the picture
    assert [p.picture_id for p in registry.list()] == [4, 17, 30]
    assert registry.get(4) == Picture(4, "again.png", 64, 32)
    assert registry.get(5) is None
    assert registry.remove(17) is True
    assert registry.remove(17) is False
    assert [p.picture_id for p in registry.list()] == [4, 30]
    registry.reset()
    assert registry.list() == []


def test_a_picture_as_a_dict() -> None:
    assert Picture(7, "logo.png", 40, 20).to_dict() == {
        "picture_id": 7,
        "source": "logo.png",
        "width": 40,
        "height": 20,
    }
    assert Picture(7, "logo.png").to_dict() == {
        "picture_id": 7,
        "source": "logo.png",
        "width": None,
        "height": None,
    }
