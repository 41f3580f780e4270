"""Production URLs mapped to local sources, and where local files may be opened from.

Provider examples name URLs such as ``https://tos.example.org/obj/test.mp4``; a test maps them to a local
file or pattern so the request resolves offline. File sources must lie inside the media roots, so a request
cannot make the emulator read arbitrary files.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+:")


class UrlMap:
    def __init__(self) -> None:
        self._map: dict[str, str] = {}
        self._lock = threading.Lock()

    def add(self, url: str, source: str) -> None:
        with self._lock:
            self._map[url] = source

    def remove(self, url: str) -> bool:
        with self._lock:
            return self._map.pop(url, None) is not None

    def items(self) -> dict[str, str]:
        with self._lock:
            return dict(self._map)

    def lookup(self, url: str) -> str | None:
        """The mapped source: exact URL first, then the URL without its query string."""
        with self._lock:
            if url in self._map:
                return self._map[url]
            parts = urlsplit(url)
            if parts.query:
                return self._map.get(urlunsplit(parts._replace(query="", fragment="")))
        return None

    def clear(self) -> None:
        with self._lock:
            self._map.clear()


class MediaRoots:
    """The folders file sources may come from.

    The rule for a relative path, the same for ``serve`` and ``render``: it is looked up in each media root
    in order (``<data-dir>/media/``, the project's ``fixtures/``, each ``--media-root``), then in the current
    directory. ``serve`` opens only files that lie inside a root; ``render`` (a local command) any file.
    """

    def __init__(self, roots: list[Path]) -> None:
        self.roots = [r.resolve() for r in roots]

    def local_path(self, spec: str) -> Path | None:
        """The file a spec names (plain path or file://), or None if the spec is not a local file."""
        if spec.startswith("file://"):
            return Path(unquote(urlsplit(spec).path))
        if spec.startswith("file:"):
            return Path(unquote(spec[5:]))
        if _SCHEME.match(spec):  # http:, rtmp:, pattern:, live:, stream: ...
            return None
        return Path(spec)

    def find(self, spec: str, *, confined: bool = True) -> Path | None:
        """Resolve a local file spec by the rule above; None if it does not exist (or, ``confined``, lies
        outside every root)."""
        path = self.local_path(spec)
        if path is None:
            return None
        candidates = [path] if path.is_absolute() else [*(root / path for root in self.roots), path]
        for candidate in candidates:
            resolved = _existing_file(candidate)
            if resolved is None:
                continue
            inside = any(resolved.is_relative_to(root) for root in self.roots)
            if inside or not confined:
                return resolved
        return None

    def not_found(self, spec: str) -> str:
        """Why ``find`` gave None, naming the folders searched."""
        path = self.local_path(spec)
        roots = ", ".join(str(root) for root in self.roots)
        if path is not None and path.is_absolute():
            return f"file not found or outside the media roots ({roots}): {spec}"
        return f"file not found in the media roots ({roots}) or the current directory: {spec}"

    def relative(self, rel: str) -> Path | None:
        """A file under some root addressed by a relative path (for /_emulator/media/{path})."""
        rel_path = Path(unquote(rel))
        if rel_path.is_absolute() or ".." in rel_path.parts:
            return None
        for root in self.roots:
            candidate = _existing_file(root / rel_path)
            if candidate is not None and candidate.is_relative_to(root):
                return candidate
        return None


def _existing_file(path: Path) -> Path | None:
    """The resolved path if it is a file; None for a name no file system takes (a NUL byte, a lone
    surrogate, a component over the name limit) as for a missing file."""
    try:
        resolved = path.resolve()
        return resolved if resolved.is_file() else None
    except (OSError, ValueError):  # UnicodeEncodeError is a ValueError
        return None
