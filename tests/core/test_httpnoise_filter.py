"""Malformed HTTP from a client becomes one INFO line on aiohttp's server logger; server errors stay."""

from __future__ import annotations

import logging
import sys

from aiohttp.http_exceptions import BadHttpMessage, HttpProcessingError

from emulator.core.httpnoise import SERVER_LOGGER, quiet_client_http_errors


def _record(exc: BaseException | None) -> logging.LogRecord:
    exc_info = None
    if exc is not None:
        try:
            raise exc
        except BaseException:
            exc_info = sys.exc_info()
    return logging.LogRecord(
        SERVER_LOGGER, logging.ERROR, __file__, 1, "Error handling request", (), exc_info
    )


def _filters() -> list[logging.Filter]:
    return [f for f in logging.getLogger(SERVER_LOGGER).filters if type(f).__name__ == "_ClientHttpErrors"]


def test_the_filter_is_installed_once_on_the_server_logger() -> None:
    quiet_client_http_errors()
    quiet_client_http_errors()
    assert len(_filters()) == 1


def test_a_client_error_becomes_one_info_line_without_traceback() -> None:
    quiet_client_http_errors()
    (quiet,) = _filters()
    record = _record(BadHttpMessage("bad header"))
    assert quiet.filter(record) is True
    assert (record.levelno, record.levelname) == (logging.INFO, "INFO")
    assert record.getMessage() == "bad HTTP from a client: BadHttpMessage"
    assert record.exc_info is None and record.exc_text is None


def test_server_errors_and_other_records_pass_unchanged() -> None:
    quiet_client_http_errors()
    (quiet,) = _filters()
    for exc in (HttpProcessingError(code=500, message="broken"), RuntimeError("bug"), None):
        record = _record(exc)
        assert quiet.filter(record) is True
        assert (record.levelno, record.getMessage()) == (logging.ERROR, "Error handling request")
        assert (record.exc_info is None) == (exc is None)
    edge = _record(HttpProcessingError(code=499, message="client"))
    quiet.filter(edge)
    assert edge.levelno == logging.INFO
