"""Malformed HTTP (a request line over aiohttp's 8 KB, a bad header) is the client's fault, answered with a
plain 400 before any handler runs. aiohttp logs each with a traceback at ERROR, as if the server had failed;
this filter turns those records into one INFO line without the traceback."""

from __future__ import annotations

import logging

from aiohttp.http_exceptions import HttpProcessingError

SERVER_LOGGER = "aiohttp.server"


class _ClientHttpErrors(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError) and getattr(exc, "code", 500) < 500:
            record.msg, record.args = "bad HTTP from a client: %s", (type(exc).__name__,)
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info, record.exc_text = None, None
        return True


_FILTER = _ClientHttpErrors()


def quiet_client_http_errors() -> None:
    """Install the filter on aiohttp's server logger (idempotent)."""
    logger = logging.getLogger(SERVER_LOGGER)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
