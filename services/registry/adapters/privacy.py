"""Personal identifiers: national IDs become a keyed HMAC on arrival and are scrubbed from
anything kept or forwarded in clear (dead letters, parked facts)."""

from __future__ import annotations

import hashlib
import hmac
import re

_NATIONAL_ID_FIELD = re.compile(rb'("national_id"\s*:\s*)("(?:[^"\\]|\\.)*"|\d+)')
_LONG_DIGITS = re.compile(rb"(?<!\d)\d{9}(?:\d{3})?(?!\d)")


class NationalIdHasher:
    def __init__(self, key: str) -> None:
        if len(key) < 16:
            raise ValueError("the national-id HMAC key must be at least 16 characters")
        self._key = key.encode()

    def __call__(self, national_id: str) -> str:
        return hmac.new(self._key, national_id.encode(), hashlib.sha256).hexdigest()


def redact(value: bytes) -> bytes:
    """Replace a national_id field, and any bare 9- or 12-digit run, with a marker.

    >>> redact(b'{"citizen_id": "c-1", "national_id": "079201001234"}')
    b'{"citizen_id": "c-1", "national_id": "[redacted]"}'
    """
    value = _NATIONAL_ID_FIELD.sub(rb'\1"[redacted]"', value)
    return _LONG_DIGITS.sub(b"[redacted]", value)
