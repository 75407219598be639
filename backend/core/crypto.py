"""Field-level encryption at rest (AES-256-GCM) and blind indexes for equality look-ups.

身份证号 and other sensitive identifiers are stored encrypted; a keyed HMAC beside the ciphertext lets us
find a row by exact value without decrypting the table. Keys come from FIELD_ENCRYPTION_KEY (production
requires it); development derives one from SECRET_KEY.
"""

import base64
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.db import models

_PREFIX = "enc1:"


@lru_cache(maxsize=4)
def _keys(secret):
    root = hashlib.sha256(("dsm-field-key:" + secret).encode()).digest()
    enc = hmac.new(root, b"encryption", hashlib.sha256).digest()
    index = hmac.new(root, b"blind-index", hashlib.sha256).digest()
    return enc, index


def _secret():
    return settings.FIELD_ENCRYPTION_KEY or settings.SECRET_KEY


def encrypt(plaintext: str) -> str:
    enc_key, _ = _keys(_secret())
    nonce = os.urandom(12)
    sealed = AESGCM(enc_key).encrypt(nonce, plaintext.encode(), None)
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt(token: str) -> str:
    if not token.startswith(_PREFIX):
        raise ValueError("not an encrypted value")
    raw = base64.urlsafe_b64decode(token[len(_PREFIX) :])
    enc_key, _ = _keys(_secret())
    return AESGCM(enc_key).decrypt(raw[:12], raw[12:], None).decode()


def blind_index(value: str) -> str:
    """Deterministic keyed digest of a normalised value, for WHERE lookups on encrypted columns."""
    _, index_key = _keys(_secret())
    return hmac.new(index_key, value.strip().upper().encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """Transparently encrypts on save and decrypts on load; never filter on it (use a blind index)."""

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return encrypt(value)
