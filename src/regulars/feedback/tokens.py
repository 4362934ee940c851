"""Survey links: signed, unguessable, single-use tokens, and short codes for receipts.

A token is ``<public_id>.<nonce>`` signed with the secret key (HMAC-SHA256 through
``django.core.signing``). It cannot be forged or altered without the key (a changed
character fails the signature before the database is asked), it names one invitation,
and the invitation decides whether it still works: answered (single use) or past
``expires_at`` (expired). Because it is derived, not stored, a lost receipt can be
printed again; rotating the secret key invalidates every link.

A short code is 10 random characters of Crockford's base32 (50 bits), printed on the
receipt beside the QR code for customers who prefer to type; it is looked up on a
rate-limited page, case and separators ignored, and confusable letters folded (O → 0,
I and L → 1).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from django.core import signing

SALT = "regulars.feedback.survey-link"
NONCE_BYTES = 9  # 72 bits on top of the signature: a link never repeats
SHORT_CODE_LENGTH = 10
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32
_CODE_FOLD = str.maketrans({"O": "0", "I": "1", "L": "1", "U": "V"})


@dataclass(frozen=True)
class LinkKey:
    public_id: str
    nonce: str


class BadToken(Exception):
    """The token was altered, truncated or made up."""


def new_nonce() -> str:
    return secrets.token_urlsafe(NONCE_BYTES)


def make_token(public_id: str, nonce: str) -> str:
    return signing.Signer(salt=SALT, algorithm="sha256").sign(f"{public_id}.{nonce}")


def read_token(token: str) -> LinkKey:
    """The invitation a token names; BadToken when the signature does not hold."""
    if len(token) > 200:
        raise BadToken
    try:
        value = signing.Signer(salt=SALT, algorithm="sha256").unsign(token)
    except signing.BadSignature as error:
        raise BadToken from error
    public_id, _dot, nonce = value.partition(".")
    if not public_id or not nonce:
        raise BadToken
    return LinkKey(public_id, nonce)


def nonce_matches(stored: str, given: str) -> bool:
    return secrets.compare_digest(stored.encode(), given.encode())


def new_short_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(SHORT_CODE_LENGTH))


def clean_short_code(typed: str) -> str:
    """What a customer typed, as stored: upper case, separators dropped, confusable
    letters folded; "" when it cannot be a code."""
    code = "".join(ch for ch in typed.upper() if ch.isalnum()).translate(_CODE_FOLD)
    if len(code) != SHORT_CODE_LENGTH or any(ch not in _CODE_ALPHABET for ch in code):
        return ""
    return code


def shown_short_code(code: str) -> str:
    """Grouped for reading aloud and typing: ``7KQ2M-4XDP9`` style (5 + 5)."""
    return f"{code[:5]}-{code[5:]}"
