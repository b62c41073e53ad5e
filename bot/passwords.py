"""Staff password hashes (`ocop-bot hash-password`): scrypt from hashlib, compared in constant time;
and the stored form of one-time sign-in tokens.

Format: `scrypt$<n>$<r>$<p>$<salt, base64>$<hash, base64>`; only this string goes in
`[web] staff_password_hash`, never the password.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1  # about 50 ms and 16 MB per check on this machine
MAX_PASSWORD = 1024


def token_hash(token: str) -> str:
    """What is stored of a one-time sign-in token (random, so a plain SHA-256 is enough)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=N, r=R, p=P, dklen=32)
    encode = base64.b64encode
    return f"scrypt${N}${R}${P}${encode(salt).decode()}${encode(digest).decode()}"


def well_formed(stored: str) -> bool:
    return _parse(stored) is not None


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != "scrypt":
        return None
    try:
        n, r, p = (int(x) for x in parts[1:4])
        salt, digest = base64.b64decode(parts[4], validate=True), base64.b64decode(parts[5], validate=True)
    except ValueError:
        return None
    if n < 2 or n & (n - 1) or n > 2**20 or not 1 <= r <= 32 or not 1 <= p <= 16 or len(digest) < 16:
        return None
    return n, r, p, salt, digest


def verify_password(password: str, stored: str) -> bool:
    parsed = _parse(stored)
    if parsed is None or not password or len(password) > MAX_PASSWORD:
        return False
    n, r, p, salt, digest = parsed
    given = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=len(digest), maxmem=2**26)
    return hmac.compare_digest(given, digest)
