"""Tencent's legacy mixing error codes (seed 000's table) and the exception that carries one.

Every failure of the ``/common_access`` CGI is a :class:`TencentError`; the handler renders it as
``{"code", "event_id", "message", "timestamp"}``. Messages are English sentences, as the real service's are
(captured answers: providers.md); the raising site usually gives a more specific one naming the field.
"""

from __future__ import annotations

SUCCESS_MESSAGE = "Success!"

# Default message per code: what the seed's table says the code means.
MESSAGES: dict[int, str] = {
    -1: "Parse input params failed!",
    -2: "Input params error!",
    -3: "Input stream number error, must be in [1, 16]!",
    -4: "Stream params error!",
    -11: "Image layer error!",
    -20: "Input params not match the interface!",
    -21: "Mix input stream number error, at least two streams!",
    -28: "Get background height and width failed!",
    -29: "Crop params error!",
    -33: "Picture id error!",
    -34: "Get picture url failed!",
    -111: "output_stream_id not match output_stream_type!",
    -300: "Output stream id already in use!",
    -505: "Input stream no exist!",
    -507: "Get stream height and width failed!",
    -508: "Output stream id error, the session already outputs another stream!",
    -10031: "Trigger mix stream failed!",
    -30300: "Cancel mix stream failed, session id no exist!",
    -31001: "Cancel mix stream failed, session id no exist!",
    -31002: "Cancel mix stream failed, session id no exist!",
    -31003: "Cancel mix stream failed, output stream id not match the session!",
    -31004: "Output stream bitrate invalid, must be in [1, 50000]!",
}

GENERIC_MESSAGE = "Mix stream failed!"

# Cloud API 3.0 reports the same failures under its own codes (names from the live SDK's errorcodes.py).
API3_CODES: dict[int, str] = {
    -1: "InvalidParameter",
    -2: "InvalidParameter",
    -3: "InvalidParameter.InputNumLimitExceeded",
    -4: "InvalidParameter.InvalidMixInputParam",
    -11: "InvalidParameter.InvalidLayerParam",
    -20: "InvalidParameter.TemplateNotMatchInputNum",
    -21: "InvalidParameter.InvalidMixInputParam",
    -28: "InvalidParameter.InvalidBackgroudResolution",  # sic, the SDK's spelling
    -29: "InvalidParameter.InvalidCropParam",
    -33: "InvalidParameter.InvalidPictureID",
    -34: "InvalidParameter.InvalidPictureID",
    -111: "InvalidParameter.InvalidOutputType",
    -300: "InvalidParameter.InvalidOutputStreamID",
    -505: "FailedOperation.StreamNotExist",
    -507: "FailedOperation.GetStreamResolutionError",
    -508: "InvalidParameter.SessionOutputStreamChanged",
    -10031: "FailedOperation.ProcessMixError",
    -30300: "InvalidParameter.CancelSessionNotExist",
    -31001: "InvalidParameter.CancelSessionNotExist",
    -31002: "InvalidParameter.CancelSessionNotExist",
    -31004: "InvalidParameter.InvalidBitrate",
}
API3_GENERIC_CODE = "InvalidParameter.OtherError"
# The emulator's own capacity reached (max_tasks): legacy -10031 with a message saying so, and API 3.0's
# common "insufficient resources" code (the live SDK's errorcodes.py RESOURCEINSUFFICIENT).
OVERLOAD_API3 = "ResourceInsufficient"


def default_message(code: int) -> str:
    return SUCCESS_MESSAGE if code == 0 else MESSAGES.get(code, GENERIC_MESSAGE)


class TencentError(Exception):
    """A request the service refuses, with its native code."""

    def __init__(self, code: int, message: str | None = None, *, api3_code: str | None = None) -> None:
        """``api3_code``: what API 3.0 answers instead of the legacy code's usual mapping (API3_CODES)."""
        self.code = code
        self.message = message or default_message(code)
        self.api3_code = api3_code
        super().__init__(f"{code}: {self.message}")


class Api3Error(Exception):
    """A Cloud API 3.0 failure outside the mixing rules (gateway, signature, request shape)."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}")

    @classmethod
    def from_legacy(cls, error: TencentError) -> Api3Error:
        return cls(error.api3_code or API3_CODES.get(error.code, API3_GENERIC_CODE), error.message)
