"""One HTTP exchange for the signed callers: the provider's answer as JSON, whatever its status."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

TIMEOUT_S = 30.0


class ProviderAnswer(dict[str, Any]):
    """The JSON body a provider answered (a dict), with the HTTP ``status`` beside it."""

    status: int = 200


def exchange(
    method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None
) -> ProviderAnswer:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    try:
        answer = ProviderAnswer(json.loads(raw))
    except ValueError:
        answer = ProviderAnswer({"raw": raw.decode("utf-8", "replace")})
    answer.status = status
    return answer


def json_body(body: Any) -> bytes:
    return json.dumps(body, ensure_ascii=False).encode()
