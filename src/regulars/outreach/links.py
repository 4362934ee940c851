"""Signed one-click unsubscribe links: ``/o/u/<token>/`` for one channel or for every
channel. The token is ``<customer public id>.<channel or "all">`` signed with the secret
key (HMAC-SHA256, ``django.core.signing``): it cannot be made up or altered, and it
never expires (an old e-mail's link still works)."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "regulars.outreach.unsubscribe"
ALL = "all"
CHANNELS = ("email", "sms", "post", "phone", ALL)  # ConsentChannel values, or all of them


@dataclass(frozen=True)
class UnsubscribeKey:
    customer_public_id: str
    channel: str  # a ConsentChannel value or ALL


class BadLink(Exception):
    """The token was altered, truncated or made up."""


def _signer() -> signing.Signer:
    return signing.Signer(salt=SALT, algorithm="sha256")


def make_token(customer_public_id: str, channel: str) -> str:
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}")
    return _signer().sign(f"{customer_public_id}.{channel}")


def read_token(token: str) -> UnsubscribeKey:
    if len(token) > 200:
        raise BadLink
    try:
        value = _signer().unsign(token)
    except signing.BadSignature as error:
        raise BadLink from error
    public_id, _dot, channel = value.partition(".")
    if not public_id or channel not in CHANNELS:
        raise BadLink
    return UnsubscribeKey(public_id, channel)


def unsubscribe_path(customer_public_id: str, channel: str) -> str:
    return reverse(
        "outreach-public:unsubscribe", kwargs={"token": make_token(customer_public_id, channel)}
    )


def unsubscribe_url(customer_public_id: str, channel: str) -> str:
    return settings.PUBLIC_URL + unsubscribe_path(customer_public_id, channel)
