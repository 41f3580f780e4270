"""AMF0, the value encoding of RTMP commands and FLV script tags (onMetaData).

Decoding is defensive: the bytes come from the network, so every length is checked against what is left,
nesting is bounded and anything malformed raises :class:`AmfError` (the caller closes that connection).
Objects and ECMA arrays decode to ``dict``, strict arrays to ``list``, null/undefined to ``None``.
"""

from __future__ import annotations

import struct
from typing import Any

NUMBER, BOOLEAN, STRING, OBJECT, NULL, UNDEFINED = 0x00, 0x01, 0x02, 0x03, 0x05, 0x06
ECMA_ARRAY, OBJECT_END, STRICT_ARRAY, DATE, LONG_STRING, XML_DOCUMENT, TYPED_OBJECT = (
    0x08,
    0x09,
    0x0A,
    0x0B,
    0x0C,
    0x0F,
    0x10,
)
_MAX_DEPTH = 32  # deeper nesting is an attack, not metadata


class AmfError(ValueError):
    """Malformed AMF0 data."""


class _Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.pos + n > len(self.data):
            raise AmfError(f"truncated AMF0 value at byte {self.pos}")
        chunk = self.data[self.pos : self.pos + n]
        self.pos += n
        return chunk

    def short_string(self) -> str:
        (length,) = struct.unpack(">H", self.take(2))
        return self.take(length).decode("utf-8", "replace")

    def long_string(self) -> str:
        (length,) = struct.unpack(">I", self.take(4))
        return self.take(length).decode("utf-8", "replace")

    def properties(self, depth: int) -> dict[str, Any]:
        """Name/value pairs up to the empty-name + OBJECT_END marker."""
        result: dict[str, Any] = {}
        while True:
            name = self.short_string()
            if not name and self.pos < len(self.data) and self.data[self.pos] == OBJECT_END:
                self.pos += 1
                return result
            result[name] = self.value(depth + 1)

    def value(self, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise AmfError("AMF0 nesting too deep")
        marker = self.take(1)[0]
        if marker == NUMBER:
            return struct.unpack(">d", self.take(8))[0]
        if marker == BOOLEAN:
            return self.take(1)[0] != 0
        if marker == STRING:
            return self.short_string()
        if marker in (LONG_STRING, XML_DOCUMENT):
            return self.long_string()
        if marker in (NULL, UNDEFINED):
            return None
        if marker == OBJECT:
            return self.properties(depth)
        if marker == TYPED_OBJECT:
            self.short_string()  # the class name; callers only need the fields
            return self.properties(depth)
        if marker == ECMA_ARRAY:
            self.take(4)  # an approximate count; the end marker is what counts
            return self.properties(depth)
        if marker == STRICT_ARRAY:
            (count,) = struct.unpack(">I", self.take(4))
            if count > len(self.data) - self.pos:  # every element takes at least one byte
                raise AmfError("AMF0 strict array longer than its data")
            return [self.value(depth + 1) for _ in range(count)]
        if marker == DATE:
            millis = struct.unpack(">d", self.take(8))[0]
            self.take(2)  # time zone, unused by the format
            return millis
        raise AmfError(f"unsupported AMF0 marker 0x{marker:02x}")


def decode_all(data: bytes) -> list[Any]:
    """Every value in ``data`` in order (a command: name, transaction id, command object, args...)."""
    decoder = _Decoder(data)
    values = []
    while decoder.pos < len(data):
        values.append(decoder.value())
    return values


def _encode_string_body(text: str) -> bytes:
    raw = text.encode("utf-8")
    if len(raw) > 0xFFFF:
        raise AmfError("AMF0 short string longer than 65535 bytes")
    return struct.pack(">H", len(raw)) + raw


def _encode_value(value: Any, out: bytearray) -> None:
    if value is None:
        out.append(NULL)
    elif isinstance(value, bool):
        out += bytes((BOOLEAN, int(value)))
    elif isinstance(value, int | float):
        out.append(NUMBER)
        out += struct.pack(">d", float(value))
    elif isinstance(value, str):
        raw = value.encode("utf-8")
        if len(raw) > 0xFFFF:
            out.append(LONG_STRING)
            out += struct.pack(">I", len(raw)) + raw
        else:
            out.append(STRING)
            out += struct.pack(">H", len(raw)) + raw
    elif isinstance(value, dict):
        out.append(OBJECT)
        for key, item in value.items():
            out += _encode_string_body(str(key))
            _encode_value(item, out)
        out += b"\x00\x00" + bytes((OBJECT_END,))
    elif isinstance(value, list | tuple):
        out.append(STRICT_ARRAY)
        out += struct.pack(">I", len(value))
        for item in value:
            _encode_value(item, out)
    else:
        raise TypeError(f"cannot encode {type(value).__name__} as AMF0")


def encode(*values: Any) -> bytes:
    """AMF0 bytes of ``values`` one after another (None, bool, int/float, str, dict, list)."""
    out = bytearray()
    for value in values:
        _encode_value(value, out)
    return bytes(out)
