"""The answers' bytes on the wire (wire.py): the legacy CGI's compact sorted JSON with a trailing newline,
exactly as captured from the real service, and Cloud API 3.0's ``{"Response": ...}`` envelope."""

from __future__ import annotations

from emulator.providers.tencent.wire import api3_response, legacy_response, new_event_id


def test_legacy_answer_bytes_as_captured() -> None:
    response = legacy_response(0, event_id="840471172", timestamp=1584361937.9)
    assert response.body == b'{"code":0,"event_id":"840471172","message":"Success!","timestamp":1584361937}\n'
    assert (response.status, response.headers["Content-Type"]) == (200, "application/json")


def test_legacy_answer_with_its_own_message_and_status() -> None:
    response = legacy_response(-505, event_id="1", timestamp=7, message="streamid: [é], no exist", status=503)
    assert (
        response.body
        == '{"code":-505,"event_id":"1","message":"streamid: [é], no exist","timestamp":7}\n'.encode()
    )
    assert response.status == 503


def test_legacy_answer_without_a_message_gives_the_codes_own() -> None:
    response = legacy_response(-28, event_id="1", timestamp=0)
    assert response.body == (
        b'{"code":-28,"event_id":"1","message":"Get background height and width failed!","timestamp":0}\n'
    )


def test_api3_answer_bytes() -> None:
    response = api3_response("rid-1")
    assert response.body == b'{"Response": {"RequestId": "rid-1"}}'
    assert (response.status, response.headers["Content-Type"]) == (200, "application/json")
    response = api3_response("rid-2", ("InvalidParameter", "é bad"), status=502)
    error = '"Error": {"Code": "InvalidParameter", "Message": "é bad"}'
    assert response.body == ('{"Response": {"RequestId": "rid-2", ' + error + "}}").encode()
    assert response.status == 502


def test_new_event_ids_look_like_the_services() -> None:
    ids = {new_event_id() for _ in range(200)}
    assert len(ids) > 190  # random, not one value
    for event_id in ids:
        assert event_id.isdigit() and 10_000_000 <= int(event_id) <= 2_100_000_000
