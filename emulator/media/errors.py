"""The one exception the media engine raises for bad input: a source that is missing, empty, corrupt,
unsupported or unreachable. Its message is meant for users (it ends up in task status and API errors)."""

from __future__ import annotations


class MediaError(Exception):
    """A source cannot be opened or read; ``str(exc)`` says why in plain words."""
