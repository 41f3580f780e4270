"""The request journal: every provider request as received and the response as sent, secrets redacted.

Bounded (oldest entries fall off). Signatures, tokens and secret keys are replaced by ``"***"`` so a journal
can be pasted into a bug report.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections import deque
from dataclasses import asdict, dataclass, field
from typing import Any

REDACTED = "***"
MAX_BODY_CHARS = 64 * 1024

# Query and JSON keys whose values are secrets, lower-cased.
_SECRET_KEYS = frozenset(
    {"sign", "signature", "access_token", "secret", "serversecret", "secretkey", "secret_key", "sk", "token"}
)
_SECRET_HEADERS = frozenset({"authorization", "x-tc-signature", "x-security-token", "cookie"})
_SIGNATURE_IN_HEADER = re.compile(r"(Signature=)[^,\s]+")


@dataclass
class JournalEntry:
    id: int
    time: float  # emulator clock
    provider: str | None
    action: str | None
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: Any  # parsed JSON when it was JSON, else text (truncated)
    status: int = 0
    response: Any = None
    duration_ms: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)
    fault: int | None = None  # the injected fault rule that answered it
    task: str | None = None  # the task it created or touched
    code: int | str | None = None  # the provider's native result code in the answer, when it has one
    error: bool = False  # the answer is an error, even under HTTP 200

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class RequestJournal:
    def __init__(self, size: int = 1000) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=max(1, size))
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def record(
        self,
        *,
        time: float,
        provider: str | None,
        action: str | None,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        body: bytes,
        status: int,
        response: bytes,
        duration_ms: float,
        fault: int | None = None,
        task: str | None = None,
    ) -> JournalEntry:
        entry = JournalEntry(
            id=next(self._ids),
            time=time,
            provider=provider,
            action=action,
            method=method,
            path=path,
            query=redact_mapping(query),
            headers={k: _redact_header(k, v) for k, v in headers.items()},
            body=_decode_body(body),
            status=status,
            response=_decode_body(response),
            duration_ms=round(duration_ms, 3),
            fault=fault,
            task=task,
            error=status >= 400,
        )
        with self._lock:
            self._entries.append(entry)
        return entry

    def query(
        self,
        *,
        provider: str | None = None,
        action: str | None = None,
        task: str | None = None,
        limit: int | None = None,
    ) -> list[JournalEntry]:
        """Matching entries, oldest first; ``limit`` keeps the newest ones."""
        with self._lock:
            entries = [
                e
                for e in self._entries
                if (provider is None or e.provider == provider)
                and (action is None or e.action == action)
                and (task is None or e.task == task)
            ]
        return entries[-limit:] if limit else entries

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def redact_mapping(data: dict[str, Any]) -> dict[str, Any]:
    return {k: (REDACTED if k.lower() in _SECRET_KEYS else v) for k, v in data.items()}


def _redact_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and k.lower() in _SECRET_KEYS else _redact_json(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_redact_json(v) for v in value]
    return value


def _redact_header(name: str, value: str) -> str:
    if name.lower() == "authorization" and "Signature=" in value:
        return _SIGNATURE_IN_HEADER.sub(rf"\g<1>{REDACTED}", value)  # keep the credential scope readable
    return REDACTED if name.lower() in _SECRET_HEADERS else value


def _decode_body(body: bytes) -> Any:
    if not body:
        return None
    text = body[:MAX_BODY_CHARS].decode("utf-8", errors="replace")
    if len(body) <= MAX_BODY_CHARS:
        try:
            return _redact_json(json.loads(text))
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python recurses
            pass
    suffix = f"... ({len(body)} bytes)" if len(body) > MAX_BODY_CHARS else ""
    return text + suffix
