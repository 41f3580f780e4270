"""Volcengine OpenAPI error codes and the exception that carries one.

Every failure is a :class:`VolcError`; the provider renders it as ``ResponseMetadata.Error`` with the code's
HTTP status and no ``Result``. Gateway codes (HTTP status, CodeN, message template) come from Volcengine's
common error table (docs 6469/1126806); codes the docs give no CodeN for are sent without one, as the
services behind the gateway answer (``{Code, Message}``). Which codes the mixing actions use for business
errors is undocumented: the choices are in docs/volcengine.md.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ErrorSpec:
    status: int
    code_n: int | None
    template: str  # the docs' message; each ``%s`` takes one detail


SPECS: dict[str, ErrorSpec] = {
    "MissingParameter": ErrorSpec(400, 100002, "The request is missing %s parameter."),
    "MissingRequestInfo": ErrorSpec(400, 100004, "The request is missing %s information."),
    "InvalidTimestamp": ErrorSpec(400, 100006, "The Signature of the request is expired."),
    "ServiceNotFound": ErrorSpec(404, 100007, "This service[%s] not found."),
    "InvalidActionOrVersion": ErrorSpec(404, 100008, "Could not find operation %s for version %s."),
    "InvalidAccessKey": ErrorSpec(401, 100009, "The accesskey [%s] included in the request is invalid."),
    "SignatureDoesNotMatch": ErrorSpec(
        401,
        100010,
        "The request signature we calculated does not match the signature you provided. "
        "Check your Secret Access Key and signing method. Consult the service documentation for details.",
    ),
    "AccessDenied": ErrorSpec(403, 100013, "User is not authorized to perform: %s."),
    "InternalError": ErrorSpec(500, 100014, "Service has some internal Error. Pls Contact With Admin."),
    "InternalServiceTimeout": ErrorSpec(504, 100016, "Internal Service is timeout. Pls Contact With Admin."),
    "FlowLimitExceeded": ErrorSpec(429, 100018, "Request flow limit exceeded: %s."),
    "MethodNotAllowed": ErrorSpec(405, None, "The HTTP method %s is not allowed; use POST."),
    "RequestEntityTooLarge": ErrorSpec(413, None, "The request body is too large: %s."),
    # Business errors of the mixing actions (codes undocumented; see docs/volcengine.md).
    "InvalidParameter": ErrorSpec(400, None, "%s"),
    "ResourceNotFound": ErrorSpec(404, None, "%s"),
}

# For errors the aiohttp layer raises (oversized body, internal failure) and faults that give only a status.
CODE_FOR_STATUS: dict[int, str] = {
    400: "InvalidParameter",
    401: "SignatureDoesNotMatch",
    403: "AccessDenied",
    404: "InvalidActionOrVersion",
    405: "MethodNotAllowed",
    413: "RequestEntityTooLarge",
    429: "FlowLimitExceeded",
    504: "InternalServiceTimeout",
}


def spec_for(code: str) -> ErrorSpec:
    """The spec of a code; unknown codes (an injected fault's own) answer 400 without CodeN."""
    return SPECS.get(code, ErrorSpec(400, None, "%s"))


class VolcError(Exception):
    """A request the emulated Volcengine refuses."""

    def __init__(
        self, code: str, *details: str, message: str | None = None, status: int | None = None
    ) -> None:
        spec = spec_for(code)
        self.code = code
        self.status = status or spec.status
        self.code_n = spec.code_n
        if message is None:
            wanted = spec.template.count("%s")
            message = spec.template % tuple((list(details) + [""] * wanted)[:wanted])
        self.message = message or code
        super().__init__(f"{code}: {self.message}")

    def to_error(self) -> dict[str, object]:
        error: dict[str, object] = {"Code": self.code}
        if self.code_n is not None:
            error["CodeN"] = self.code_n
        error["Message"] = self.message
        return error


def invalid(path: str, problem: str) -> VolcError:
    """An InvalidParameter naming the body field (``MixedRules.InputSource[0].Layer``) and what is wrong."""
    return VolcError("InvalidParameter", f"{path}: {problem}")


def missing(path: str) -> VolcError:
    return VolcError("MissingParameter", path)
