"""Hashing of the two kinds of secret the back office keeps: API keys and charger passwords."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets

# API keys are 256 random bits, so one fast SHA-256 is enough and lets us look a key up by its hash.
API_KEY_PREFIX = "ak_"

# Charger passwords are chosen by people and may be weak: a salted scrypt (stdlib) slows guessing.
# n=2**14 costs ~20 ms of CPU, paid once per charger connection, not per frame: callers on the event loop use
# password_matches, which runs it in a worker thread (hashlib releases the GIL while it hashes).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
    encoded = [base64.b64encode(part).decode() for part in (salt, digest)]
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${encoded[0]}${encoded[1]}"


def verify_password(password: str, stored: str) -> bool:
    """Constant-time comparison; False for any malformed stored hash."""
    try:
        scheme, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if scheme != "scrypt":
            return False
        salt, expected = base64.b64decode(salt_b64), base64.b64decode(digest_b64)
        actual = hashlib.scrypt(password.encode(), salt=salt, n=int(n), r=int(r), p=int(p), dklen=len(expected))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


async def password_matches(password: str, stored: str) -> bool:
    """verify_password in a worker thread: run on the event loop, every scrypt would stall every connection."""
    return await asyncio.to_thread(verify_password, password, stored)
