"""Opaque public identifiers for URLs and the API (never the sequential primary key)."""

from __future__ import annotations

import secrets

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case
PUBLIC_ID_LENGTH = 12  # 60 bits: unguessable enough for ids that still need a login


def new_public_id() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(PUBLIC_ID_LENGTH))
