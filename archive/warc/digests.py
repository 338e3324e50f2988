"""WARC digests: checking a declared ``WARC-Block-Digest`` or ``WARC-Payload-Digest``, and making
the ``sha1:BASE32`` payload digest the crawl declares and looks revisits up by."""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable


def payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest warcio writes for *body*: ``sha1:`` and the base32 SHA-1."""
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def digest_matches(declared: str, data: bytes | Iterable[bytes]) -> bool | None:
    """Whether *declared* ("sha1:BASE32", hex or base64 accepted) is the digest of *data*;
    ``None`` when the algorithm is unknown."""
    algorithm, sep, value = declared.strip().partition(":")
    if not sep:
        return None
    try:
        hasher = hashlib.new(algorithm.lower().replace("-", ""))
    except ValueError:
        return None
    if not hasher.digest_size:  # SHAKE: a digest of any length, so no declared one to compare with
        return None
    for part in [data] if isinstance(data, bytes) else data:
        hasher.update(part)
    digest = hasher.digest()
    value = value.strip()
    candidates = {base64.b32encode(digest).decode().rstrip("="), digest.hex()}
    if value.upper().rstrip("=") in {c.upper() for c in candidates}:
        return True
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4), validate=True) == digest
    except (binascii.Error, ValueError):
        return False
