"""The request journal: every provider request as received and the response as sent, secrets redacted.

Bounded (oldest entries fall off). Signatures, tokens and secret keys are replaced by ``"***"`` so a journal
can be pasted into a bug report.

Entries live for a thousand requests: they are kept on a shelf (core/shelf.py), one block of memory each
instead of the hundred small objects of their parsed bodies and headers.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlencode

from emulator.core.shelf import Shelf

REDACTED = "***"
MAX_BODY_CHARS = 64 * 1024

# Names whose values are secrets, lower-cased with "_" and "-" removed: in a query, a form, JSON at any depth.
_SECRET_NAMES = frozenset(
    {
        "sign",
        "signature",
        "accesstoken",
        "token",
        "secret",
        "serversecret",
        "callbacksecret",
        "secretkey",
        "secretaccesskey",
        "sk",
        "password",
        "sessiontoken",
        "securitytoken",
        "authorization",
    }
)
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-tc-signature", "x-tc-token", "x-security-token", "cookie"}
)
_SIGNATURE_IN_HEADER = re.compile(r"(Signature=)[^,\s]+")
# A secret named in text that is neither JSON nor a form (truncated, malformed): "name": "value", name=value.
_SECRET_IN_TEXT = re.compile(
    r"""(?ix)
    ((?<![a-z0-9])["']?
     (?:access[_-]?token|server[_-]?secret|callback[_-]?secret|secret[_-]?(?:access[_-]?)?key|secret
       |signature|sign|token|sk|password|session[_-]?token|security[_-]?token)
     ["']?\s*[:=]\s*)
    ("(?:[^"\\]|\\.)*"?|'[^']*'?|[^&\s,;}\]]*)
    """
)
_FORM = re.compile(r"[^=&\s{\[\"]+=[^&\s]*(?:&[^=&\s]+=[^&\s]*)*")


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


AnswerCode = Callable[[Any], tuple[int | str | None, bool]]  # a provider's result code and error flag


class RequestJournal:
    def __init__(self, size: int = 1000) -> None:
        # Tagged (provider, action, task): filtered without unpickling.
        self._entries: Shelf[JournalEntry] = Shelf(max(1, size))
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
        answer_code: AnswerCode | None = None,
    ) -> JournalEntry:
        """Keep the request; ``answer_code`` reads the provider's result code out of the decoded response."""
        entry = JournalEntry(
            id=next(self._ids),
            time=time,
            provider=provider,
            action=action,
            method=method,
            path=path,
            query=redact_mapping(query),
            headers=redact_headers(headers),
            body=_decode_body(body),
            status=status,
            response=_decode_body(response),
            duration_ms=round(duration_ms, 3),
            fault=fault,
            task=task,
            error=status >= 400,
        )
        if answer_code is not None:
            code, failed = answer_code(entry.response)
            entry.code, entry.error = code, entry.error or failed
        with self._lock:
            try:
                self._entries.put(str(entry.id), entry, (provider, action, task))
            except RecursionError:  # JSON nested deeper than pickle goes: the bodies are kept as text
                entry.body, entry.response = (
                    _decode_body(body, as_text=True),
                    _decode_body(response, as_text=True),
                )
                self._entries.put(str(entry.id), entry, (provider, action, task))
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
        return list(self.each(provider=provider, action=action, task=task, limit=limit))

    def each(
        self,
        *,
        provider: str | None = None,
        action: str | None = None,
        task: str | None = None,
        limit: int | None = None,
    ) -> Iterator[JournalEntry]:
        """As :meth:`query`, each entry unpickled only when it is reached (core/shelf.py)."""
        window = slice(-limit, None) if limit else None
        with self._lock:
            return self._entries.iterate(provider, action, task, window=window)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def is_secret_name(name: object) -> bool:
    return isinstance(name, str) and name.lower().replace("_", "").replace("-", "") in _SECRET_NAMES


def redact_mapping(data: dict[str, Any]) -> dict[str, Any]:
    """A query's or form's fields with secret values replaced."""
    return {k: (REDACTED if is_secret_name(k) else v) for k, v in data.items()}


def redact_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: _redact_header(k, v) for k, v in headers.items()}


def redact_text(text: str) -> str:
    """Secrets in free text (a malformed or truncated body, a log line): ``name=value``, ``"name": "v"``."""
    return _SECRET_IN_TEXT.sub(lambda m: m.group(1) + REDACTED, text)


def redact_json(value: Any) -> Any:
    """Secret values at any depth, in objects inside arrays too (iterative: bodies may nest deeply)."""
    if not isinstance(value, dict | list):
        return value
    root: list[Any] = [value]
    stack: list[tuple[Any, Any, Any]] = [(root, 0, value)]  # (container, key, original)
    while stack:
        container, key, original = stack.pop()
        if isinstance(original, dict):
            copy: dict[Any, Any] = {}
            for k, v in original.items():
                copy[k] = REDACTED if is_secret_name(k) else v
                if not is_secret_name(k) and isinstance(v, dict | list):
                    stack.append((copy, k, v))
            container[key] = copy
        else:
            items = list(original)
            for i, v in enumerate(items):
                if isinstance(v, dict | list):
                    stack.append((items, i, v))
            container[key] = items
    return root[0]


def _redact_header(name: str, value: str) -> str:
    if name.lower() == "authorization" and "Signature=" in value:
        return _SIGNATURE_IN_HEADER.sub(rf"\g<1>{REDACTED}", value)  # keep the credential scope readable
    return REDACTED if name.lower() in _SECRET_HEADERS else value


def _redact_form(text: str) -> str:
    pairs = parse_qsl(text, keep_blank_values=True)
    return urlencode([(k, REDACTED if is_secret_name(k) else v) for k, v in pairs], safe="*")


def _decode_body(body: bytes, *, as_text: bool = False) -> Any:
    """A body as the journal keeps it: parsed JSON (unless ``as_text``), else text (a form's fields or free
    text), redacted."""
    if not body:
        return None
    text = body[:MAX_BODY_CHARS].decode("utf-8", errors="replace")
    if len(body) <= MAX_BODY_CHARS and not as_text:
        try:
            return redact_json(json.loads(text))
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python recurses
            pass
        if _FORM.fullmatch(text.strip()):
            return _redact_form(text.strip())
    suffix = f"... ({len(body)} bytes)" if len(body) > MAX_BODY_CHARS else ""
    return redact_text(text) + suffix
