"""control/listing.py: a listing encoded one item at a time reads as web.json_response would write it."""

from __future__ import annotations

import json

from aiohttp import web

from emulator.control.listing import json_listing


def test_a_listing_is_byte_for_byte_the_document_json_response_makes() -> None:
    views = [{"id": "zego:a", "odd": "\ud800\x00é", "n": [1, 2.5, None]}, {"id": "b"}]
    made = []

    def lazily():  # the views are made as they are encoded, not before
        for view in views:
            made.append(view["id"])
            yield view

    listing = json_listing("tasks", lazily())
    assert made == ["zego:a", "b"]
    expected = web.json_response({"tasks": views})
    assert listing.body == expected.body and listing.content_type == expected.content_type
    assert listing.charset == expected.charset and json.loads(listing.body) == {"tasks": views}
    assert json_listing("requests", iter(())).body == b'{"requests": []}'
