import json

from emulator.core.journal import REDACTED, RequestJournal


def _record(journal: RequestJournal, **overrides) -> None:
    entry = {
        "time": 1.0,
        "provider": "tencent",
        "action": "start_mix_stream_advanced",
        "method": "POST",
        "path": "/common_access",
        "query": {"appid": "1252500000", "t": "1", "sign": "abc"},
        "headers": {"Authorization": "HMAC-SHA256 Credential=AK/x, SignedHeaders=host, Signature=deadbeef"},
        "body": json.dumps({"para": {"secret": "s", "keep": 1}}).encode(),
        "status": 200,
        "response": b'{"code":0}\n',
        "duration_ms": 1.0,
    }
    entry.update(overrides)
    journal.record(**entry)


def test_secrets_are_redacted_and_the_rest_kept() -> None:
    journal = RequestJournal()
    _record(journal)
    entry = journal.query()[0]
    assert entry.query == {"appid": "1252500000", "t": "1", "sign": REDACTED}
    assert (
        entry.headers["Authorization"]
        == f"HMAC-SHA256 Credential=AK/x, SignedHeaders=host, Signature={REDACTED}"
    )
    assert entry.body == {"para": {"secret": REDACTED, "keep": 1}}
    assert entry.response == {"code": 0}


def test_bounded_and_filtered() -> None:
    journal = RequestJournal(size=3)
    for i in range(5):
        _record(journal, action=f"a{i % 2}")
    assert [e.id for e in journal.query()] == [3, 4, 5]
    assert [e.id for e in journal.query(action="a0")] == [3, 5]
    assert [e.id for e in journal.query(limit=1)] == [5]
    assert journal.query(provider="zego") == []


def test_non_json_and_huge_bodies_are_kept_as_text() -> None:
    journal = RequestJournal()
    _record(journal, body=b"\xff\xfe not json")
    _record(journal, body=b"x" * 200_000)
    first, second = journal.query()
    assert first.body.endswith("not json")
    assert second.body.endswith("(200000 bytes)") and len(second.body) < 70_000


def test_deeply_nested_bodies_are_kept_as_text() -> None:
    journal = RequestJournal()
    _record(journal, body=b"[" * 5000, response=b'{"a":' * 3000)
    entry = journal.query()[0]
    assert entry.body == "[" * 5000
    assert entry.response.startswith('{"a":')


def test_json_nested_deeper_than_pickle_goes_is_kept_as_text() -> None:
    journal = RequestJournal()
    nested = "[" * 600 + "]" * 600  # JSON parses it; pickle refuses this depth
    _record(journal, body=nested.encode())
    _record(journal)
    deep, flat = journal.query()
    assert deep.body == nested and deep.status == 200
    assert flat.body == {"para": {"secret": REDACTED, "keep": 1}}
