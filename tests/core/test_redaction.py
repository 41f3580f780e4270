"""Secrets never reach the journal, the log or the dashboard's data, whatever the encoding: query, JSON
(nested in arrays too), form, free text, and headers. Real signed requests of each provider; unusable
secrets are refused where they are configured."""

from __future__ import annotations

import json
import logging
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bench.fuzz_cases import TENCENT_KEY, tc3_headers, zego_query
from bench.load import volcengine_signed
from emulator.config import SettingsError, load_settings
from emulator.core.journal import REDACTED, RequestJournal
from emulator.testing import EmulatorFixture
from tests.providers.tencent.helpers import sign
from tests.providers.zego.helpers import RED, SECRET, Zego

BEARER = "bearer-secret-value-1"
COOKIE = "cookie-secret-value-2"


class _Everything(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(("emulator", "aiohttp")):  # the server's log, not this test client's
            self.lines.append(self.format(record))


@pytest.fixture
def log_text() -> Iterator[_Everything]:
    handler, root = _Everything(), logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_no_secret_in_journal_log_or_dashboard_data(
    mix_emulator: EmulatorFixture, log_text: _Everything
) -> None:
    emu, zego, http = mix_emulator, Zego(mix_emulator), requests.Session()
    leaked: list[str] = [SECRET, TENCENT_KEY, BEARER, COOKIE]
    extra = {"Authorization": f"Bearer {BEARER}", "Cookie": f"session={COOKIE}"}

    # ZEGO legacy: the secret in a query and in a form, tokens in the query, a form and JSON in an array
    token = zego.token()  # GET /cgi/token?secret=...: the answer's access_token too
    form = http.post(f"{emu.url}/cgi/token", data={"appid": "12345", "secret": SECRET}, headers=extra)
    token2 = form.json()["data"]["access_token"]
    http.post(f"{emu.url}/cgi/stop-mix", data={"task_id": "x", "access_token": token2})
    http.post(
        f"{emu.url}/cgi/stop-mix?access_token={token2}",
        json={"task_id": "x", "a": [{"access_token": token2}]},
    )
    http.post(
        f"{emu.url}/cgi/stop-mix?access_token={token2}", data=f'{{"task_id": "x", "secret": "{SECRET}", '
    )
    leaked += [token, token2]

    # ZEGO rtc-api: the Signature in the query; the callback signature in the callback list
    zego.emu.request(
        "POST", "/_emulator/zego/callback", {"url": "http://127.0.0.1:9/cb", "secret": "cb-s3cret"}
    )
    emu.publish("stream1", RED)
    emu.publish("stream2", RED)
    query = zego_query("StartMix", int(time.time()))
    body = json.loads((Path(__file__).parents[2] / "fixtures/requests/zego/start_mix.json").read_text())
    assert http.post(f"{emu.url}/", params=query, json=body).json()["Code"] == 0
    leaked += [query["Signature"], "cb-s3cret"]

    # Tencent legacy sign, API 3.0 and Volcengine signatures in the Authorization header
    t = int(time.time()) + 60

    http.post(
        f"{emu.url}/common_access?appid=1252500000&interface=Mix_StreamV2&t={t}&sign={sign(TENCENT_KEY, t)}",
        json={},
    )
    leaked.append(sign(TENCENT_KEY, t))
    raw = b'{"MixStreamSessionId": "none"}'
    headers = tc3_headers(raw, emu.host_port, "CancelCommonMixStream", int(time.time()))
    http.post(f"{emu.url}/", data=raw, headers=headers)
    leaked.append(headers["Authorization"].rsplit("Signature=", 1)[1])
    raw = b'{"TaskID": "none"}'
    volc_query, headers = volcengine_signed(emu.host_port, "GetCloudMixTaskDetail", raw)
    http.post(f"{emu.url}/?{urllib.parse.urlencode(volc_query)}", data=raw, headers=headers)
    leaked.append(headers["Authorization"].rsplit("Signature=", 1)[1])

    deadline = time.monotonic() + 10
    while not any(c["event"] == "mix_start" and c["attempts"] for c in emu.callbacks("zego")):
        assert time.monotonic() < deadline, "no callback attempted"
        time.sleep(0.05)
    journal = json.dumps(emu.requests())
    callbacks = json.dumps(emu.callbacks())
    assert journal.count(REDACTED) >= 10
    assert all(c["payload"]["signature"] == REDACTED for c in emu.callbacks("zego"))
    for where, text in (("journal", journal), ("callbacks", callbacks), ("log", "\n".join(log_text.lines))):
        for secret in leaked:
            assert secret not in text, (where, secret)


def test_journal_redacts_each_encoding() -> None:
    journal = RequestJournal()
    bodies = {
        b"appid=1&secret=topsecret&timestamp=2": "appid=1&secret=***&timestamp=2",
        b'{"list": [[{"ServerSecret": "topsecret"}], {"x": {"Token": "topsecret"}}]}': None,
        b'{"secret": "topsecret", "cut": "off' + b" " * 10: None,  # not JSON: redacted as text
        b"x" * 70_000 + b"&access_token=topsecret": None,  # over the size kept: redacted as text
    }
    for body, expected in bodies.items():
        journal.record(
            time=0, provider="zego", action="a", method="POST", path="/", status=200, duration_ms=1,
            query={"Signature": "topsecret", "keep": "1"}, headers={"Proxy-Authorization": "Basic topsecret"},
            body=body, response=b'{"data": {"access_token": "topsecret"}}',
        )  # fmt: skip
        entry = journal.query()[-1]
        assert "topsecret" not in json.dumps(entry.to_dict()), entry
        if expected is not None:
            assert entry.body == expected
    assert entry.query == {"Signature": REDACTED, "keep": "1"}


def test_unusable_secrets_are_refused_where_configured(mix_emulator: EmulatorFixture, tmp_path: Path) -> None:
    for secret in ("", "a\x00b", "\ud800"):
        status = _post_status(
            mix_emulator, "/_emulator/zego/callback", {"url": "http://127.0.0.1:9/", "secret": secret}
        )
        assert status == 400, repr(secret)
    for app in ('app_id = "777"\nsecret = ""', 'app_id = "777"\nsecret = "ok"\ncallback_secret = "  "'):
        config = tmp_path / "c.toml"
        config.write_text(f"[[credentials.zego]]\n{app}\n")
        with pytest.raises(SettingsError, match="secret"):
            load_settings(config, env={})


def _post_status(emu: EmulatorFixture, path: str, body: dict[str, str]) -> int:
    raw = json.dumps(body).encode()  # ensure_ascii: a lone surrogate travels as its \\ud800 escape
    return requests.post(emu.url + path, data=raw, headers={"Content-Type": "application/json"}).status_code
