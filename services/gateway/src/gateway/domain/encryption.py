"""Secrets the gateway must read back (authenticator secrets) are kept encrypted at rest.

Fernet (AES-128-CBC with HMAC-SHA256) from `cryptography`: authenticated, so a stored value
altered in the database fails to decrypt rather than yielding a different secret.
"""

from __future__ import annotations

from cryptography.fernet import Fernet


class SecretBox:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode("ascii"))

    @staticmethod
    def new_key() -> str:
        return Fernet.generate_key().decode("ascii")

    def seal(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode("ascii")

    def open(self, sealed: str) -> str:
        return self._fernet.decrypt(sealed.encode("ascii")).decode()
