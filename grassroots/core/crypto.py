"""Field encryption for personal data at rest, and blind indexes for exact lookup.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, authenticated) under a key
derived from ``FIELD_ENCRYPTION_KEY``; a separate HMAC-SHA256 key, derived from the same
secret, gives a deterministic *blind index* so that "find the person with this ID number"
is an indexed equality query without the plain value ever being stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


def _derive(purpose: bytes) -> bytes:
    secret = settings.FIELD_ENCRYPTION_KEY.encode()
    return hmac.new(secret, b"grassroots:" + purpose, hashlib.sha256).digest()


@lru_cache(maxsize=4)
def _fernet(secret: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(_derive(b"fernet")))


def encrypt(value: str) -> str:
    if not value:
        return ""
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode("ascii")


def decrypt(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode("ascii")).decode()
    except InvalidToken as exc:  # a wrong key must never pass silently
        raise ValueError("cannot decrypt field: wrong FIELD_ENCRYPTION_KEY?") from exc


def blind_index(value: str, *, purpose: str) -> str:
    """Keyed hash of a normalised value, for exact lookup (hex, 64 characters)."""
    if not value:
        return ""
    key = _derive(b"index:" + purpose.encode())
    return hmac.new(key, value.strip().upper().encode(), hashlib.sha256).hexdigest()
